"""Fidelity of synthetic rows: do they look like the real rows of their class?

Measured per class, on the encoded features (the ``[0, 1]`` matrix the
preprocessing produces), before asking what the rows buy a classifier — the
way synthcity and SDMetrics report synthetic data (issue #11, part 1). No
torch here: numpy, pandas and scikit-learn only.

Metrics (per class, real = the rows the oversampler was fitted on)
------------------------------------------------------------------
``c2st_auc``
    Classifier two-sample test: ROC AUC of a
    :class:`~sklearn.ensemble.HistGradientBoostingClassifier`
    (``class_weight="balanced"``) telling real from synthetic rows, from
    out-of-fold probabilities of a 3-fold stratified CV in which identical rows
    share a fold. 0.5: the two cannot be told apart; 1.0: trivially told apart.
``coverage``, ``density``
    Naeem et al. (2020), *Reliable fidelity and diversity metrics for generative
    models*, with k = 5: every real row gets a ball whose radius is the distance
    to its k-th nearest *other* real row. Coverage is the share of real rows
    whose ball holds at least one synthetic row (diversity: 1 = every part of
    the real class is reached); density is ``1/(k M) Σ_j Σ_i 1[s_j in ball_i]``
    over the M synthetic rows (fidelity: about 1 for rows drawn from the real
    distribution, 0 for rows away from it, above 1 for rows piled where the
    real rows are densest). Balls are closed (distance ``<=`` radius) so that an
    exact copy of a real row that has a duplicate still counts as covered; the
    reference code ``prdc`` uses ``<``, which differs only on ties.
``nn_dist_syn_real_median``, ``nn_dist_real_real_median``, ``dist_ratio``
    Median Euclidean distance from a synthetic row to its nearest real row,
    median distance from a real row to its nearest *other* real row
    (leave-one-out), and their ratio. Near 0: copies; about 1: as close to the
    real rows as they are to each other; far above 1: away from the data.
``exact_copy_share``
    Share of synthetic rows equal to some real row of the class, exactly: rows
    are compared by the bytes of their float64 values (``-0.0`` counted as
    ``0.0``), i.e. with zero tolerance. Memorisation.

The sample-based metrics subsample the real and the synthetic rows to at most
``max_rows`` each (a fixed ``random_state``), except that the nearest-neighbour
distances search all real rows (only the queries are subsampled: a copy of any
real row is at distance 0); ``exact_copy_share`` uses every row. A class with
fewer than 2 real rows, or without synthetic rows, gets NaN where a metric cannot
be computed; with fewer than ``k + 1`` real rows, k is lowered to the number of
real rows minus one, and the CV to as many folds as the smaller side has rows
(at least 2).

Train on synthetic, test on real: :mod:`gavae_ids.evaluation.tstr` (re-exported here).

Examples
--------
>>> import numpy as np
>>> from gavae_ids.evaluation.fidelity import exact_copy_share, fidelity_per_class
>>> rng = np.random.RandomState(0)
>>> X = rng.rand(200, 4)
>>> y = np.repeat(["a", "b"], 100)
>>> exact_copy_share(X[:100], X[:50])
1.0
>>> table = fidelity_per_class(X, y, X[:100] + 5.0, y[:100])
>>> float(table.loc["a", "c2st_auc"]), float(table.loc["a", "coverage"])
(1.0, 0.0)
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pandas as pd
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import StratifiedGroupKFold, cross_val_predict
from sklearn.neighbors import NearestNeighbors
from sklearn.utils import check_random_state

from gavae_ids.evaluation._rows import _check_pair
from gavae_ids.evaluation.tstr import TSTRResult, summary_rows, tstr, tstr_training_set
from gavae_ids.exceptions import DataError

__all__ = [
    "FIDELITY_COLUMNS",
    "TSTRResult",
    "c2st_auc",
    "coverage_density",
    "exact_copy_share",
    "fidelity_markdown",
    "fidelity_per_class",
    "nn_distance_ratio",
    "summary_rows",
    "tstr",
    "tstr_training_set",
]

#: Columns of :func:`fidelity_per_class`, in order.
FIDELITY_COLUMNS = (
    "n_real",
    "n_synthetic",
    "c2st_auc",
    "coverage",
    "density",
    "nn_dist_syn_real_median",
    "nn_dist_real_real_median",
    "dist_ratio",
    "exact_copy_share",
)

#: Default cap on the real and on the synthetic rows of a class for the sample-based metrics.
MAX_ROWS = 3000
#: Naeem et al.'s k for coverage and density.
K_NEIGHBOURS = 5
#: Folds of the C2ST's stratified cross-validation.
C2ST_FOLDS = 3
# Synthetic rows per block when comparing them with every real row (memory: block × n_real).
_BLOCK = 1024


def _cap(X: np.ndarray, max_rows: int | None, rng: np.random.RandomState) -> np.ndarray:
    if max_rows is None or len(X) <= max_rows:
        return X
    return X[np.sort(rng.choice(len(X), size=max_rows, replace=False))]


def c2st_auc(X_real, X_syn, *, random_state=0, max_rows: int | None = MAX_ROWS,
             n_splits: int = C2ST_FOLDS) -> float:  # fmt: skip
    """Classifier two-sample test: out-of-fold ROC AUC of real (0) vs synthetic (1).

    Parameters
    ----------
    X_real, X_syn : array-like of shape (n, d) and (m, d)
        Real and synthetic rows of one class.
    random_state : int, default=0
        Seeds the subsampling, the folds and the classifier.
    max_rows : int or None, default=3000
        At most this many rows of each side (random, without replacement).
    n_splits : int, default=3
        Stratified CV folds (lowered to the smaller side's row count). Identical
        rows, real or synthetic, are kept in one fold, so a copy is judged by a
        classifier that has not seen its twin.

    Returns
    -------
    float
        0.5 when the classifier cannot tell the sets apart, 1.0 when it
        separates them perfectly; NaN when either side has fewer than 2 rows.
    """
    X_real, X_syn = _check_pair(X_real, X_syn)
    rng = check_random_state(random_state)
    X_real, X_syn = _cap(X_real, max_rows, rng), _cap(X_syn, max_rows, rng)
    folds = min(n_splits, len(X_real), len(X_syn))
    if folds < 2:
        return math.nan
    X = np.vstack([X_real, X_syn])
    y = np.r_[np.zeros(len(X_real), dtype=int), np.ones(len(X_syn), dtype=int)]
    # Identical rows share a fold: otherwise a copy's twin, in the training folds with the
    # other label, teaches the classifier to call the copy the opposite of what it is, and
    # two identical sets score an AUC near 0 instead of 0.5 (measured: 0.05).
    groups = pd.factorize(pd.Series(_row_keys(X)))[0]
    folds = min(folds, int(groups.max()) + 1)
    if folds < 2:
        return math.nan
    seed = int(rng.randint(0, 2**31 - 1))
    clf = HistGradientBoostingClassifier(class_weight="balanced", early_stopping=False,
                                         random_state=seed)  # fmt: skip
    cv = StratifiedGroupKFold(n_splits=folds, shuffle=True, random_state=seed)
    proba = cross_val_predict(clf, X, y, groups=groups, cv=cv, method="predict_proba")[:, 1]
    return float(roc_auc_score(y, proba))


def _real_radii(X_real: np.ndarray, k: int) -> np.ndarray:
    """Distance from every real row to its k-th nearest *other* real row."""
    nn = NearestNeighbors(n_neighbors=k).fit(X_real)
    dist, _ = nn.kneighbors(None, n_neighbors=k)  # X=None: a row is not its own neighbour
    return dist[:, -1]


def _blocks(X: np.ndarray):
    for start in range(0, len(X), _BLOCK):
        yield X[start : start + _BLOCK]


def _sq_dist(A: np.ndarray, B: np.ndarray) -> np.ndarray:
    d = (A * A).sum(1)[:, None] - 2.0 * A @ B.T + (B * B).sum(1)[None, :]
    return np.maximum(d, 0.0)


def coverage_density(X_real, X_syn, *, k: int = K_NEIGHBOURS, random_state=0,
                     max_rows: int | None = MAX_ROWS) -> tuple[float, float]:  # fmt: skip
    """Naeem et al.'s coverage and density of ``X_syn`` with respect to ``X_real``.

    Parameters
    ----------
    X_real, X_syn : array-like of shape (n, d) and (m, d)
    k : int, default=5
        Neighbourhood size of the real-row balls (lowered to ``n - 1`` for a
        class with ``n <= k`` real rows).
    random_state : int, default=0
        Seeds the subsampling.
    max_rows : int or None, default=3000
        At most this many rows of each side.

    Returns
    -------
    coverage, density : float
        NaN when there are fewer than 2 real rows or no synthetic rows.
    """
    X_real, X_syn = _check_pair(X_real, X_syn)
    rng = check_random_state(random_state)
    X_real, X_syn = _cap(X_real, max_rows, rng), _cap(X_syn, max_rows, rng)
    if len(X_real) < 2 or len(X_syn) == 0:
        return math.nan, math.nan
    k = min(k, len(X_real) - 1)
    radii2 = _real_radii(X_real, k) ** 2
    # The squared-distance expansion loses ~eps·|x|² to cancellation; a copy of a real row
    # whose radius is 0 (it has a duplicate) must still land inside its ball.
    tol = 1e-12 * max(1.0, float((X_real * X_real).sum(1).max()))
    inside_count = np.zeros(len(X_syn))
    nearest_syn = np.full(len(X_real), np.inf)
    offset = 0
    for block in _blocks(X_syn):
        d2 = _sq_dist(block, X_real)  # (block, n_real)
        inside = d2 <= radii2[None, :] + tol
        inside_count[offset : offset + len(block)] = inside.sum(1)
        nearest_syn = np.minimum(nearest_syn, d2.min(0))
        offset += len(block)
    coverage = float(np.mean(nearest_syn <= radii2 + tol))
    density = float(inside_count.sum() / (k * len(X_syn)))
    return coverage, density


def nn_distance_ratio(X_real, X_syn, *, random_state=0,
                      max_rows: int | None = MAX_ROWS) -> tuple[float, float, float]:  # fmt: skip
    """Median nearest-real distance of synthetic rows over that of real rows (leave-one-out).

    Parameters
    ----------
    X_real, X_syn : array-like of shape (n, d) and (m, d)
    random_state : int, default=0
        Seeds the subsampling.
    max_rows : int or None, default=3000
        At most this many synthetic rows, and this many real rows, are *queried*;
        the neighbours are searched among all real rows, so a copy of any real row
        is at distance 0 however large the class.

    Returns
    -------
    syn_real, real_real, ratio : float
        ``median_j min_i ||s_j - r_i||``, ``median_i min_{i' != i} ||r_i - r_i'||``
        and ``syn_real / real_real`` (inf when only the denominator is 0, NaN when
        both are, or when there are fewer than 2 real rows or no synthetic rows).
    """
    X_real, X_syn = _check_pair(X_real, X_syn)
    rng = check_random_state(random_state)
    X_syn = _cap(X_syn, max_rows, rng)
    if len(X_real) < 2 or len(X_syn) == 0:
        return math.nan, math.nan, math.nan
    queries = np.arange(len(X_real))
    if max_rows is not None and len(X_real) > max_rows:
        queries = np.sort(rng.choice(len(X_real), size=max_rows, replace=False))
    nn = NearestNeighbors(n_neighbors=2).fit(X_real)
    syn_real = float(np.median(nn.kneighbors(X_syn, n_neighbors=1)[0][:, 0]))
    dist, ind = nn.kneighbors(X_real[queries], n_neighbors=2)
    # Leave one out: the nearest row that is not the query itself (a duplicate counts).
    loo = np.where(ind[:, 0] == queries, dist[:, 1], dist[:, 0])
    real_real = float(np.median(loo))
    if real_real > 0:
        ratio = syn_real / real_real
    else:
        ratio = math.inf if syn_real > 0 else math.nan
    return syn_real, real_real, ratio


def _row_keys(X: np.ndarray) -> list[bytes]:
    X = np.ascontiguousarray(np.asarray(X, dtype=np.float64) + 0.0)  # + 0.0: -0.0 → 0.0
    return [row.tobytes() for row in X]


def exact_copy_share(X_train, X_syn) -> float:
    """Share of synthetic rows that equal some training row exactly (memorisation).

    Rows are compared by the bytes of their float64 values: no tolerance, and
    float32 input compares exactly as it was produced. NaN without synthetic rows.
    """
    X_train, X_syn = _check_pair(X_train, X_syn)
    if len(X_syn) == 0:
        return math.nan
    seen = set(_row_keys(X_train))
    return float(np.mean([key in seen for key in _row_keys(X_syn)]))


def fidelity_per_class(X_real, y_real, X_syn, y_syn, *, random_state=0,
                       max_rows: int | None = MAX_ROWS,
                       k: int = K_NEIGHBOURS) -> pd.DataFrame:  # fmt: skip
    """Every fidelity metric of the module, one row per class that has synthetic rows.

    Parameters
    ----------
    X_real, y_real : array-like
        The real rows the oversampler was fitted on, and their classes.
    X_syn, y_syn : array-like
        The synthetic rows only (not the originals a sampler returns with them).
    random_state : int, default=0
        Seeds subsampling, folds and the C2ST classifier (the same for every class).
    max_rows : int or None, default=3000
        Cap on real and on synthetic rows per class for the sample-based metrics.
    k : int, default=5
        Naeem et al.'s k.

    Returns
    -------
    DataFrame
        Indexed by class (in the order of ``np.unique(y_syn)``), columns
        :data:`FIDELITY_COLUMNS`. A synthetic class absent from ``y_real`` raises
        :class:`~gavae_ids.exceptions.DataError`.
    """
    X_real, X_syn = _check_pair(X_real, X_syn)
    y_real, y_syn = np.asarray(y_real), np.asarray(y_syn)
    if len(y_real) != len(X_real) or len(y_syn) != len(X_syn):
        raise DataError("X and y differ in length")
    rows = {}
    for c in np.unique(y_syn):
        R, S = X_real[y_real == c], X_syn[y_syn == c]
        if len(R) == 0:
            raise DataError(f"synthetic rows of class {c!r}, which has no real rows")
        cov, dens = coverage_density(R, S, k=k, random_state=random_state, max_rows=max_rows)
        d_sr, d_rr, ratio = nn_distance_ratio(R, S, random_state=random_state,
                                              max_rows=max_rows)  # fmt: skip
        rows[c.item() if hasattr(c, "item") else c] = {
            "n_real": len(R),
            "n_synthetic": len(S),
            "c2st_auc": c2st_auc(R, S, random_state=random_state, max_rows=max_rows),
            "coverage": cov,
            "density": dens,
            "nn_dist_syn_real_median": d_sr,
            "nn_dist_real_real_median": d_rr,
            "dist_ratio": ratio,
            "exact_copy_share": exact_copy_share(R, S),
        }
    table = pd.DataFrame.from_dict(rows, orient="index", columns=list(FIDELITY_COLUMNS))
    table.index.name = "class"
    return table.astype({"n_real": int, "n_synthetic": int})


def _cell(v, digits: int = 3) -> str:
    if isinstance(v, (int, np.integer)):
        return f"{int(v):,}"
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return "n/a"
    if isinstance(v, float) and math.isinf(v):
        return "∞"
    return f"{float(v):.{digits}f}"


_HEADERS = {
    "sampler": "sampler",
    "class": "class",
    "n_real": "real rows",
    "n_synthetic": "synthetic rows",
    "c2st_auc": "C2ST AUC",
    "coverage": "coverage",
    "density": "density",
    "nn_dist_syn_real_median": "NN dist syn→real",
    "nn_dist_real_real_median": "NN dist real→real",
    "dist_ratio": "dist ratio",
    "exact_copy_share": "exact copies",
    "fit_seconds": "fit s",
    "tstr_macro_f1": "TSTR macro-F1",
    "trtr_macro_f1": "TRTR macro-F1",
}


def _md_table(frame: pd.DataFrame) -> str:
    cols = list(frame.columns)
    lines = ["| " + " | ".join(_HEADERS.get(c, c) for c in cols) + " |",
             "|" + "|".join("---" for _ in cols) + "|"]  # fmt: skip
    for _, row in frame.iterrows():
        lines.append("| " + " | ".join(
            str(row[c]) if c in ("sampler", "class") else _cell(row[c]) for c in cols
        ) + " |")  # fmt: skip
    return "\n".join(lines)


def fidelity_markdown(per_class: pd.DataFrame, summary: pd.DataFrame | None = None, *,
                      title: str = "Fidelity of the synthetic rows", level: int = 2,
                      notes: Sequence[str] = ()) -> str:  # fmt: skip
    """A Markdown section with the fidelity tables, for a report.

    Parameters
    ----------
    per_class : DataFrame
        :func:`fidelity_per_class` output, or several of them concatenated with a
        ``sampler`` column; the index (``class``) is shown as a column.
    summary : DataFrame, optional
        One row per sampler with ``sampler``, ``tstr_macro_f1``, ``trtr_macro_f1``
        (and any further columns), shown as a second table.
    title : str
        Section heading.
    level : int, default=2
        Heading level (``##``).
    notes : sequence of str
        Bullet lines after the tables (protocol, skipped samplers).
    """
    hashes = "#" * level
    frame = per_class.reset_index() if "class" not in per_class.columns else per_class
    lead = [c for c in ("sampler", "class") if c in frame.columns]
    frame = frame[lead + [c for c in FIDELITY_COLUMNS if c in frame.columns]]
    parts = [
        f"{hashes} {title}",
        "Per class, synthetic rows against the real rows the oversampler was fitted on "
        "(encoded features). C2ST AUC: 0.5 = indistinguishable, 1.0 = trivially told apart. "
        "Coverage (share of real rows with a synthetic row in their 5-NN ball) and density "
        "(Naeem et al. 2020; ≈1 for rows from the real distribution). Dist ratio: median "
        "synthetic→nearest-real over real→nearest-other-real distance. Exact copies: share "
        "of synthetic rows identical to a real training row.",
        _md_table(frame),
    ]
    if summary is not None and len(summary):
        parts += [
            "Train on synthetic, test on real (TSTR) beside train on real, test on real "
            "(TRTR): macro-F1 on a held-out real part of the training data.",
            _md_table(summary),
        ]
    if notes:
        parts.append("\n".join(f"- {n}" for n in notes))
    return "\n\n".join(parts) + "\n"
