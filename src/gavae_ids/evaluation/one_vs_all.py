"""Counts and rates of one set of predictions: the class order, the confusion matrix,
the one-vs-all rates of every class with their macro and weighted means, and the
attack-vs-normal (binary) view.

The metric definitions and the zero-division policy these functions follow are
stated once, in :mod:`gavae_ids.evaluation.metrics`; everything here is re-exported there.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
from sklearn.metrics import confusion_matrix, multilabel_confusion_matrix

from gavae_ids.exceptions import DataError

#: Columns of :func:`per_class_metrics`, in order (plus ``zero_division``).
PER_CLASS_COLUMNS = (
    "support",
    "tp",
    "fp",
    "fn",
    "tn",
    "accuracy",
    "precision",
    "recall",
    "fpr",
    "f1",
    "specificity",
    "g_mean",
)

_RATE_COLUMNS = ("accuracy", "precision", "recall", "fpr", "f1", "specificity", "g_mean")


# --------------------------------------------------------------------------- helpers


def _as_1d(y, name: str) -> np.ndarray:
    arr = np.asarray(y, dtype=object) if not isinstance(y, np.ndarray) else y
    if arr.ndim != 1:
        raise DataError(f"{name} must be one-dimensional, got shape {arr.shape}")
    return arr


def resolve_labels(y_true, y_pred=None, labels=None) -> list:
    """Return the class order to use: ``labels`` if given, else the sorted classes seen.

    Parameters
    ----------
    y_true, y_pred : array-like of shape (n_samples,)
        True and predicted classes; ``y_pred`` may be None.
    labels : sequence, optional
        Explicit class order. Must hold no duplicates.

    Returns
    -------
    list
        The class labels in order.

    Raises
    ------
    DataError
        If ``labels`` is empty or has duplicates.
    """
    if labels is None:
        seen = [_as_1d(y_true, "y_true")]
        if y_pred is not None:
            seen.append(_as_1d(y_pred, "y_pred"))
        try:
            return sorted(set(np.concatenate(seen).tolist()))
        except TypeError as exc:
            raise DataError(f"class labels of mixed types cannot be ordered: {exc}") from None
    out = list(labels)
    if not out:
        raise DataError("labels is empty")
    if len(set(out)) != len(out):
        dup = sorted({str(v) for v in out if out.count(v) > 1})
        raise DataError(f"labels has duplicates: {', '.join(dup)}")
    return out


def _encode(y: np.ndarray, labels: Sequence, name: str) -> np.ndarray:
    index = {label: i for i, label in enumerate(labels)}
    try:
        return np.fromiter((index[v] for v in y.tolist()), dtype=np.int64, count=len(y))
    except KeyError as exc:
        raise DataError(f"{name} holds class {exc.args[0]!r}, which is not in labels") from None


def _ratio(num: float, den: float) -> float:
    return float(num) / float(den) if den else math.nan


# --------------------------------------------------------------------------- confusion


def confusion(y_true, y_pred, labels=None) -> np.ndarray:
    """Confusion matrix with rows = true class, columns = predicted class.

    Parameters
    ----------
    y_true, y_pred : array-like of shape (n_samples,)
        True and predicted classes.
    labels : sequence, optional
        Class order of rows and columns. Classes absent from ``y_true`` or
        ``y_pred`` still get their row and column (of zeros). Default: the
        sorted classes seen in either.

    Returns
    -------
    ndarray of int64, shape (n_classes, n_classes)
        ``cm[i, j]`` counts samples of class ``labels[i]`` predicted as ``labels[j]``.

    Raises
    ------
    DataError
        If lengths differ, the input is empty, or a class is not in ``labels``
        (scikit-learn would silently drop such samples).

    Examples
    --------
    >>> confusion(["a", "b", "b"], ["a", "a", "b"], labels=["a", "b", "c"]).tolist()
    [[1, 0, 0], [1, 1, 0], [0, 0, 0]]
    """
    yt, yp = _as_1d(y_true, "y_true"), _as_1d(y_pred, "y_pred")
    if len(yt) != len(yp):
        raise DataError(f"y_true has {len(yt)} samples but y_pred has {len(yp)}")
    if len(yt) == 0:
        raise DataError("no samples to evaluate")
    labels = resolve_labels(yt, yp, labels)
    # Checked first: scikit-learn would silently drop samples of a class not in `labels`.
    k = len(labels)
    return confusion_matrix(_encode(yt, labels, "y_true"), _encode(yp, labels, "y_pred"),
                            labels=np.arange(k)).astype(np.int64)  # fmt: skip


# --------------------------------------------------------------------------- per class


def _one_vs_all(tp, fp, fn, tn) -> dict[str, float]:
    """Rates of one one-vs-all problem, under the module's zero-division policy."""
    n = tp + fp + fn + tn
    support = tp + fn
    recall = _ratio(tp, tp + fn)
    precision = _ratio(tp, tp + fp)
    if math.isnan(precision) and support > 0:
        precision = 0.0  # never predicted, yet has true samples: a miss, not "undefined"
    fpr = _ratio(fp, fp + tn)
    specificity = _ratio(tn, fp + tn)
    f1 = _ratio(2 * tp, 2 * tp + fp + fn)
    g_mean = math.sqrt(recall * specificity)  # NaN propagates
    undefined = [
        name
        for name, den in (
            ("precision", tp + fp),
            ("recall", tp + fn),
            ("fpr", fp + tn),
            ("f1", 2 * tp + fp + fn),
            ("specificity", fp + tn),
        )
        if den == 0
    ]
    if math.isnan(g_mean):
        undefined.append("g_mean")
    return {
        "accuracy": _ratio(tp + tn, n),
        "precision": precision,
        "recall": recall,
        "fpr": fpr,
        "f1": f1,
        "specificity": specificity,
        "g_mean": g_mean,
        "zero_division": ",".join(undefined),
    }


def _one_vs_all_counts(cm: np.ndarray) -> np.ndarray:
    """Per-class ``[[tn, fp], [fn, tp]]`` of a confusion matrix, shape (k, 2, 2).

    scikit-learn's :func:`~sklearn.metrics.multilabel_confusion_matrix` does the
    counting: every cell (true i, predicted j) is one sample weighted by its count.
    """
    k = cm.shape[0]
    true_idx, pred_idx = np.divmod(np.arange(k * k), k)
    return multilabel_confusion_matrix(true_idx, pred_idx, sample_weight=cm.ravel(),
                                       labels=np.arange(k)).astype(np.int64)  # fmt: skip


def per_class_metrics(cm, labels) -> pd.DataFrame:
    """One-vs-all metrics of every class from a confusion matrix.

    Parameters
    ----------
    cm : array-like of shape (n_classes, n_classes)
        Counts, rows = true class, columns = predicted class (see :func:`confusion`).
    labels : sequence
        Class of each row/column, in order.

    Returns
    -------
    DataFrame
        Indexed by class (index name ``"class"``), columns
        :data:`PER_CLASS_COLUMNS` plus ``zero_division`` (comma-separated names
        of the ratios whose denominator was zero; empty when none). ``recall``
        is the class's detection rate (DR). See :mod:`gavae_ids.evaluation.metrics`
        for the zero-division policy.

    Raises
    ------
    DataError
        If ``cm`` is not square, does not match ``labels``, or holds negative counts.
    """
    cm = np.asarray(cm)
    if labels is None:
        raise DataError("per_class_metrics needs the labels of the matrix rows")
    labels = resolve_labels(None, None, labels)
    if cm.ndim != 2 or cm.shape[0] != cm.shape[1] or cm.shape[0] != len(labels):
        raise DataError(f"confusion matrix of shape {cm.shape} does not match {len(labels)} labels")
    if (cm < 0).any():
        raise DataError("confusion matrix holds negative counts")
    mcm = _one_vs_all_counts(cm)
    rows = []
    for i in range(len(labels)):
        (tn, fp), (fn, tp) = (int(v) for v in mcm[i, 0]), (int(v) for v in mcm[i, 1])
        rows.append(
            {
                "support": tp + fn,
                "tp": tp,
                "fp": fp,
                "fn": fn,
                "tn": tn,
                **_one_vs_all(tp, fp, fn, tn),
            }
        )
    frame = pd.DataFrame(rows, index=pd.Index(labels, name="class"))
    return frame[[*PER_CLASS_COLUMNS, "zero_division"]]


def _averages(per_class: pd.DataFrame) -> tuple[dict[str, float], dict[str, float]]:
    """Macro and support-weighted means of the rate columns, skipping NaN."""
    macro, weighted = {}, {}
    support = per_class["support"].to_numpy(dtype=float)
    for col in _RATE_COLUMNS:
        values = per_class[col].to_numpy(dtype=float)
        ok = ~np.isnan(values)
        macro[col] = float(values[ok].mean()) if ok.any() else math.nan
        w = support[ok]
        weighted[col] = float((values[ok] * w).sum() / w.sum()) if w.sum() > 0 else math.nan
    return macro, weighted


# --------------------------------------------------------------------------- binary


def binary_metrics(cm, labels, normal_label="Normal") -> dict[str, Any]:
    """Attack-vs-normal view of a multi-class confusion matrix.

    Every class other than ``normal_label`` is an attack; an attack predicted
    as a *different* attack class still counts as detected (TP).

    Parameters
    ----------
    cm : array-like of shape (n_classes, n_classes)
        Multi-class counts, rows = true class.
    labels : sequence
        Class of each row/column.
    normal_label : hashable, default "Normal"
        The benign class.

    Returns
    -------
    dict
        ``tp, fp, fn, tn`` (attack = positive), ``accuracy``, ``dr`` (detection
        rate = recall of attack), ``precision``, ``f1``, ``fpr`` (normal
        traffic flagged as attack), ``specificity``, ``g_mean = sqrt(DR (1 - FPR))``
        and ``zero_division`` (list of the ratios that were 0/0).

    Raises
    ------
    DataError
        If ``normal_label`` is not in ``labels``.
    """
    cm = np.asarray(cm)
    labels = list(labels)
    if normal_label not in labels:
        raise DataError(f"normal label {normal_label!r} is not among the classes {labels}")
    k = labels.index(normal_label)
    attack = np.ones(len(labels), dtype=bool)
    attack[k] = False
    tp = int(cm[np.ix_(attack, attack)].sum())
    fn = int(cm[attack, k].sum())
    fp = int(cm[k, attack].sum())
    tn = int(cm[k, k])
    rates = _one_vs_all(tp, fp, fn, tn)
    undefined = [s for s in rates.pop("zero_division").split(",") if s]
    return {
        "tp": tp,
        "fp": fp,
        "fn": fn,
        "tn": tn,
        "accuracy": rates["accuracy"],
        "dr": rates["recall"],
        "precision": rates["precision"],
        "f1": rates["f1"],
        "fpr": rates["fpr"],
        "specificity": rates["specificity"],
        "g_mean": rates["g_mean"],
        "zero_division": ["dr" if s == "recall" else s for s in undefined],
    }
