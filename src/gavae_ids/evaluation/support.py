"""Which evaluation rows lie inside the training data, and the FPR on each side.

A budget chosen on validation rows holds on test rows drawn like them (iid). Under
shift, as on NSL-KDD's KDDTest+, normal test rows far from every training row are where
the extra false alarms go. This module splits rows by that distance with a cut set by the
training rows alone: a row is *inside* the training data when its nearest training row is
no farther than the ``quantile`` of the training rows' own nearest-other-row distances.
Nothing is chosen with the evaluation rows.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from sklearn.neighbors import NearestNeighbors

from gavae_ids.exceptions import DataError

__all__ = ["SupportSplit", "fpr_by_support", "support_split"]


@dataclass(frozen=True)
class SupportSplit:
    """``inside[i]`` for each evaluation row, and the distance cut that made it."""

    inside: np.ndarray
    cut: float
    quantile: float


def support_split(X_train, X_eval, *, quantile: float = 0.95) -> SupportSplit:
    """Split ``X_eval`` rows into inside / outside the training rows ``X_train``.

    Both arrays must already be encoded in the same numeric space (e.g. min-max scaled
    with one-hot blocks). Exact duplicates among the training rows count as distance 0.
    """
    X_train = np.asarray(X_train, dtype=float)
    X_eval = np.asarray(X_eval, dtype=float)
    if not 0.0 < quantile <= 1.0:
        raise DataError(f"quantile must be in (0, 1], got {quantile}")
    if X_train.ndim != 2 or len(X_train) < 2:
        raise DataError("support_split needs at least 2 training rows in a 2-D array")
    if X_eval.ndim != 2 or X_eval.shape[1] != X_train.shape[1]:
        raise DataError(f"evaluation rows have shape {X_eval.shape}; expected "
                        f"(n, {X_train.shape[1]}) like the training rows")  # fmt: skip
    nn = NearestNeighbors(n_neighbors=2).fit(X_train)
    own = nn.kneighbors(X_train)[0][:, 1]
    cut = float(np.quantile(own, quantile))
    if len(X_eval) == 0:
        return SupportSplit(np.zeros(0, dtype=bool), cut, quantile)
    dist = nn.kneighbors(X_eval, n_neighbors=1)[0][:, 0]
    return SupportSplit(dist <= cut, cut, quantile)


def fpr_by_support(flagged, inside) -> dict:
    """Binary FPR of normal rows (``flagged`` = called an attack) on each side of the cut.

    Both arguments index the same normal rows. A side with no rows has FPR ``nan``.
    """
    flagged = np.asarray(flagged, dtype=bool)
    inside = np.asarray(inside, dtype=bool)
    if flagged.shape != inside.shape:
        raise DataError(f"flagged has shape {flagged.shape}, inside {inside.shape}")

    def rate(mask):
        return float(flagged[mask].mean()) if mask.any() else float("nan")

    return {"fpr_inside": rate(inside), "fpr_outside": rate(~inside),
            "n_inside": int(inside.sum()), "n_outside": int((~inside).sum())}  # fmt: skip
