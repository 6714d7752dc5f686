"""One-vs-all ROC curves and AUCs from class probabilities.

Part of :mod:`gavae_ids.evaluation.metrics`, which re-exports :func:`roc_auc` and
states when an AUC is undefined.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from sklearn.metrics import auc as _area
from sklearn.metrics import roc_curve

from gavae_ids.evaluation.one_vs_all import _as_1d, _encode, resolve_labels
from gavae_ids.exceptions import DataError


def _curve(y: np.ndarray, score: np.ndarray) -> tuple[float, dict[str, np.ndarray] | None]:
    n_pos = int(y.sum())
    if n_pos == 0 or n_pos == len(y):
        return math.nan, None
    fpr, tpr, thresholds = roc_curve(y, score)
    return float(_area(fpr, tpr)), {"fpr": fpr, "tpr": tpr, "thresholds": thresholds}


def roc_auc(y_true, proba, labels, *, proba_labels=None, normal_label="Normal") -> dict[str, Any]:
    """One-vs-all ROC curves and AUCs from class probabilities.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        True classes.
    proba : array-like of shape (n_samples, n_classes)
        Scores per class, e.g. ``predict_proba``; columns in ``labels`` order
        unless ``proba_labels`` says otherwise.
    labels : sequence
        Class order of the result.
    proba_labels : sequence, optional
        The class of each ``proba`` column (an estimator's ``classes_``); the
        columns are reordered to ``labels``. Every label must be present.
    normal_label : hashable or None, default "Normal"
        For the binary attack ROC, scored by ``1 - P(normal)``. None skips it.

    Returns
    -------
    dict
        ``per_class`` ({label: AUC}), ``macro`` (mean of the defined per-class
        AUCs), ``binary`` (attack-vs-normal AUC or None when skipped), and
        ``curves`` ({label: {"fpr", "tpr", "thresholds"} or None}, plus the key
        ``"binary"`` under ``binary_curve``). AUC is NaN — and the curve None —
        where ``y_true`` holds no positives or no negatives for that problem.

    Raises
    ------
    DataError
        On a shape mismatch, non-finite scores, or a label missing from ``proba_labels``.
    """
    yt = _as_1d(y_true, "y_true")
    labels = resolve_labels(yt, None, labels)
    p = np.asarray(proba, dtype=float)
    if p.ndim != 2 or p.shape[0] != len(yt):
        raise DataError(f"proba of shape {p.shape} does not match {len(yt)} samples")
    if proba_labels is not None:
        cols = list(proba_labels)
        if len(cols) != p.shape[1]:
            raise DataError(f"proba has {p.shape[1]} columns but {len(cols)} proba_labels")
        missing = [c for c in labels if c not in cols]
        if missing:
            raise DataError(f"proba has no column for classes {missing}")
        p = p[:, [cols.index(c) for c in labels]]
    if p.shape[1] != len(labels):
        raise DataError(f"proba has {p.shape[1]} columns but there are {len(labels)} labels")
    if not np.isfinite(p).all():
        raise DataError("proba holds NaN or infinite values")
    codes = _encode(yt, labels, "y_true")
    per_class, curves = {}, {}
    for j, label in enumerate(labels):
        per_class[label], curves[label] = _curve(codes == j, p[:, j])
    defined = [v for v in per_class.values() if not math.isnan(v)]
    out = {
        "per_class": per_class,
        "macro": float(np.mean(defined)) if defined else math.nan,
        "binary": None,
        "curves": curves,
        "binary_curve": None,
    }
    if normal_label is not None:
        if normal_label not in labels:
            raise DataError(f"normal label {normal_label!r} is not among the classes {labels}")
        k = labels.index(normal_label)
        out["binary"], out["binary_curve"] = _curve(codes != k, 1.0 - p[:, k])
    return out
