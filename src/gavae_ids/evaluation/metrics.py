"""The paper's nine metrics (§5.3), computed from the confusion matrix.

Accuracy, precision, recall, detection rate (DR), false positive rate (FPR),
F1, G-mean, the ROC curve and its AUC, in three views of the same predictions:

* **per class, one-vs-all** — §5.2 frames multi-class detection as several
  one-vs-all problems, so each class gets its own TP/FP/FN/TN;
* **macro** (unweighted mean over classes) and **weighted** (mean weighted by
  each class's support, i.e. its number of true samples) averages of those;
* **binary** — attack (any class other than the normal label) against normal,
  derived from the same multi-class predictions; DR and FPR in the usual IDS
  sense.

The paper does not say how its single precision/recall/FPR figures were
averaged, so :data:`PAPER_RESULTS` is meant to be shown *beside* ours with
that caveat (:data:`PAPER_RESULTS_CAVEAT`), not compared as a match.

Definitions (one-vs-all, for class *c*)
---------------------------------------
``recall = DR = TP / (TP + FN)``, ``precision = TP / (TP + FP)``,
``FPR = FP / (FP + TN)``, ``specificity = TN / (TN + FP) = 1 - FPR``,
``F1 = 2 TP / (2 TP + FP + FN)``, ``accuracy = (TP + TN) / N``,
``G-mean = sqrt(recall * specificity)``.
All metrics are fractions in [0, 1]; :data:`PAPER_RESULTS` is in percent, as printed.

Zero-division policy
--------------------
A ratio whose denominator is zero is **NaN** — the test data hold nothing it
could be measured on (recall of a class absent from the truth, FPR and
specificity when every sample belongs to the class, and G-mean built on
either) — with one exception: the **precision of a class that has true
samples but is never predicted is 0.0** (and so is its F1), the usual
scikit-learn ``zero_division=0`` convention, because a classifier that never
names a class has failed on it and must not drop out of the macro average.
Every ratio that hit 0/0 is listed in the per-class ``zero_division`` column
(and the binary view's ``zero_division`` entry), whichever value it got.
Averages skip NaN: macro is the mean over the classes where the metric is
defined, weighted is the support-weighted mean over those classes. When every
label has true samples, the macro and weighted precision, recall and F1 equal
scikit-learn's with ``zero_division=0``. The macro G-mean is the mean of the
per-class G-means (imbalanced-learn's ``average="macro"`` is instead
``sqrt(macro recall * macro specificity)``); the multi-class G-mean of
imbalanced-learn (geometric mean of the per-class recalls) is reported as
``overall["multiclass_g_mean"]``.

AUC is NaN for a class with no positives (or no negatives) in ``y_true``, and
that class has no ROC curve; the macro AUC averages the classes where it is
defined.

Examples
--------
>>> from gavae_ids.evaluation import evaluate
>>> y_true = ["Normal", "Normal", "DoS", "DoS", "U2R"]
>>> y_pred = ["Normal", "DoS", "DoS", "DoS", "Normal"]
>>> result = evaluate(y_true, y_pred, labels=["Normal", "DoS", "U2R"])
>>> round(result.overall["accuracy"], 2)
0.6
>>> float(result.per_class.loc["U2R", "precision"])  # never predicted, has true samples
0.0
>>> round(result.binary["dr"], 4), round(result.binary["fpr"], 4)
(0.6667, 0.5)
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from sklearn.metrics import auc as _area
from sklearn.metrics import confusion_matrix, multilabel_confusion_matrix, roc_curve

# The paper's own numbers (Tables 6-7) live in gavae_ids.evaluation.paper; re-exported here.
from gavae_ids.evaluation.paper import (
    PAPER_METHOD_ALIASES,
    PAPER_RESULTS,
    PAPER_RESULTS_CAVEAT,
    PAPER_TABLES,
    TABLE_METRICS,
)
from gavae_ids.exceptions import DataError

__all__ = [
    "AVERAGES",
    "PAPER_COLUMNS",
    "PAPER_METHOD_ALIASES",
    "PAPER_RESULTS",
    "PAPER_RESULTS_CAVEAT",
    "PAPER_TABLES",
    "PER_CLASS_COLUMNS",
    "TABLE_METRICS",
    "EvaluationResult",
    "aggregate",
    "binary_metrics",
    "confusion",
    "evaluate",
    "per_class_metrics",
    "resolve_labels",
    "roc_auc",
    "table_keys",
]

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

#: The averaging views in :meth:`EvaluationResult.summary` keys.
AVERAGES = ("macro", "weighted", "binary")

#: The paper's column headings for :data:`TABLE_METRICS`.
PAPER_COLUMNS = {
    "accuracy": "Accuracy",
    "recall": "Recall (DR)",
    "precision": "Precision",
    "f1": "F1",
    "g_mean": "G-mean",
    "fpr": "FPR",
}


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


def to_jsonable(value: Any) -> Any:
    """Make numpy/pandas values JSON-serialisable; NaN and inf become None."""
    if isinstance(value, Mapping):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, np.ndarray):
        value = value.tolist()
    if isinstance(value, (list, tuple)):
        return [to_jsonable(v) for v in value]
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        value = float(value)
        return value if math.isfinite(value) else None
    return value


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
        is the class's detection rate (DR). See the module docstring for the
        zero-division policy.

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


# --------------------------------------------------------------------------- ROC / AUC


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


# --------------------------------------------------------------------------- evaluate


@dataclass
class EvaluationResult:
    """All metrics of one set of predictions. Build it with :func:`evaluate`.

    Attributes
    ----------
    labels : list
        Class order of every table here.
    normal_label : hashable or None
        The benign class of the binary view (None: no binary view).
    confusion_matrix : ndarray of shape (n_classes, n_classes)
        Rows = true class, columns = predicted class.
    per_class : DataFrame
        One-vs-all metrics, see :func:`per_class_metrics`.
    overall : dict
        ``accuracy`` (fraction of samples whose class is right), ``n_samples``,
        ``multiclass_g_mean`` (geometric mean of the per-class recalls over
        classes with true samples — imbalanced-learn's multi-class G-mean).
    macro, weighted : dict
        Unweighted and support-weighted means of the per-class rates.
    binary : dict or None
        Attack-vs-normal view, see :func:`binary_metrics`.
    auc : dict or None
        ``per_class``, ``macro`` and ``binary`` AUC, when probabilities were given.
    roc : dict or None
        ROC curves: ``{label: {"fpr", "tpr", "thresholds"} or None, ...}`` and
        ``"binary"``; only when probabilities were given.
    """

    labels: list
    normal_label: Any
    confusion_matrix: np.ndarray
    per_class: pd.DataFrame
    overall: dict[str, float]
    macro: dict[str, float]
    weighted: dict[str, float]
    binary: dict[str, Any] | None = None
    auc: dict[str, Any] | None = None
    roc: dict[Any, Any] | None = field(default=None, repr=False)

    def to_dict(self, *, include_curves: bool = False) -> dict[str, Any]:
        """Nested, JSON-serialisable form (NaN becomes None, labels become strings).

        Parameters
        ----------
        include_curves : bool, default False
            Also write the ROC curves (large: up to one point per sample).

        Returns
        -------
        dict
            Keys ``labels``, ``normal_label``, ``confusion_matrix``, ``overall``,
            ``macro``, ``weighted``, ``binary``, ``per_class`` ({label: {metric: value}}),
            ``auc`` and, on request, ``roc``.
        """
        per_class = {
            str(label): row for label, row in self.per_class.to_dict(orient="index").items()
        }
        out = {
            "labels": [str(v) for v in self.labels],
            "normal_label": None if self.normal_label is None else str(self.normal_label),
            "confusion_matrix": self.confusion_matrix,
            "overall": self.overall,
            "macro": self.macro,
            "weighted": self.weighted,
            "binary": self.binary,
            "per_class": per_class,
            "auc": self.auc,
        }
        if include_curves:
            out["roc"] = self.roc
        return to_jsonable(out)

    def summary(self) -> dict[str, float]:
        """Flat ``{name: value}`` for tables and :func:`aggregate`.

        Keys: ``accuracy`` (overall) and ``multiclass_g_mean``; then
        ``{average}_{metric}`` for ``average`` in :data:`AVERAGES` and
        ``metric`` in :data:`TABLE_METRICS` (``macro_f1``, ``weighted_recall``,
        ``binary_fpr``, ...), where ``macro_accuracy``/``weighted_accuracy``
        average the one-vs-all accuracies; ``binary_dr`` repeats
        ``binary_recall`` under the IDS name; ``macro_auc`` and ``binary_auc``
        when probabilities were given. Values are floats, NaN where undefined.
        """
        out = {
            "accuracy": self.overall["accuracy"],
            "multiclass_g_mean": self.overall["multiclass_g_mean"],
        }
        for average, values in (("macro", self.macro), ("weighted", self.weighted)):
            for metric in TABLE_METRICS:
                out[f"{average}_{metric}"] = float(values[metric])
        if self.binary is not None:
            for metric in TABLE_METRICS:
                out[f"binary_{metric}"] = float(self.binary["dr" if metric == "recall" else metric])
            out["binary_dr"] = out["binary_recall"]
        if self.auc is not None:
            out["macro_auc"] = float(self.auc["macro"])
            if self.auc["binary"] is not None:
                out["binary_auc"] = float(self.auc["binary"])
        return out


def table_keys(average: str) -> tuple[str, ...]:
    """Summary keys of one averaging view, in the paper's Table 6-7 column order.

    Parameters
    ----------
    average : {"macro", "weighted", "binary"}

    Returns
    -------
    tuple of str
        e.g. ``("binary_accuracy", "binary_recall", ..., "binary_fpr")``.

    Examples
    --------
    >>> table_keys("macro")[:2]
    ('macro_accuracy', 'macro_recall')
    """
    if average not in AVERAGES:
        raise DataError(f"unknown average {average!r}; expected one of {AVERAGES}")
    return tuple(f"{average}_{m}" for m in TABLE_METRICS)


def evaluate(
    y_true,
    y_pred,
    proba=None,
    labels=None,
    normal_label="Normal",
    *,
    proba_labels=None,
) -> EvaluationResult:
    """Compute every metric of §5.3 for one set of predictions.

    Parameters
    ----------
    y_true, y_pred : array-like of shape (n_samples,)
        True and predicted classes.
    proba : array-like of shape (n_samples, n_classes), optional
        Class probabilities (``predict_proba``) for ROC/AUC; columns in
        ``labels`` order, or in ``proba_labels`` order when given.
    labels : sequence, optional
        Class order; classes absent from the data still get a row. Default: the
        sorted classes seen in ``y_true`` and ``y_pred``.
    normal_label : hashable or None, default "Normal"
        The benign class of the binary attack-vs-normal view; None skips that view.
    proba_labels : sequence, optional
        The class of each ``proba`` column (an estimator's ``classes_``).

    Returns
    -------
    EvaluationResult

    Raises
    ------
    DataError
        On mismatched or empty inputs, a class outside ``labels``, or a
        ``normal_label`` that is not a class.
    """
    yt, yp = _as_1d(y_true, "y_true"), _as_1d(y_pred, "y_pred")
    labels = resolve_labels(yt, yp, labels)
    if normal_label is not None and normal_label not in labels:
        raise DataError(f"normal label {normal_label!r} is not among the classes {labels}")
    cm = confusion(yt, yp, labels)
    per_class = per_class_metrics(cm, labels)
    macro, weighted = _averages(per_class)
    recalls = per_class.loc[per_class["support"] > 0, "recall"].to_numpy(dtype=float)
    overall = {
        "accuracy": float(np.trace(cm) / cm.sum()),
        "n_samples": int(cm.sum()),
        "multiclass_g_mean": float(np.prod(recalls) ** (1.0 / len(recalls))),
    }
    binary = None if normal_label is None else binary_metrics(cm, labels, normal_label)
    auc = roc = None
    if proba is not None:
        r = roc_auc(yt, proba, labels, proba_labels=proba_labels, normal_label=normal_label)
        auc = {"per_class": r["per_class"], "macro": r["macro"], "binary": r["binary"]}
        roc = {**r["curves"], "binary": r["binary_curve"]}
    return EvaluationResult(
        labels=labels,
        normal_label=normal_label,
        confusion_matrix=cm,
        per_class=per_class,
        overall=overall,
        macro=macro,
        weighted=weighted,
        binary=binary,
        auc=auc,
        roc=roc,
    )


# --------------------------------------------------------------------------- seeds


def aggregate(results: Iterable[Mapping[str, float]], *, ddof: int = 1) -> dict[str, dict]:
    """Mean ± standard deviation of flat metric dicts across seeds.

    Parameters
    ----------
    results : iterable of mapping
        One :meth:`EvaluationResult.summary` (or any flat ``{name: number}``)
        per seed. A key missing from some runs, or NaN/None in them, is
        averaged over the runs where it has a value.
    ddof : int, default 1
        Delta degrees of freedom of the standard deviation (1: sample std).

    Returns
    -------
    dict
        ``{name: {"mean": float, "std": float, "n": int}}`` in first-seen key
        order; ``std`` is NaN when fewer than ``ddof + 1`` values exist, and
        ``mean`` is NaN when none does.

    Raises
    ------
    DataError
        If ``results`` is empty or a value is not a number.

    Examples
    --------
    >>> agg = aggregate([{"macro_f1": 0.5}, {"macro_f1": 0.7}])
    >>> round(agg["macro_f1"]["mean"], 3), round(agg["macro_f1"]["std"], 4)
    (0.6, 0.1414)
    """
    results = list(results)
    if not results:
        raise DataError("no results to aggregate")
    keys: dict[str, None] = {}
    for r in results:
        keys.update(dict.fromkeys(r))
    out = {}
    for key in keys:
        values = []
        for r in results:
            v = r.get(key)
            if v is None:
                continue
            if isinstance(v, (bool, np.bool_)) or not isinstance(v, (int, float, np.number)):
                raise DataError(f"value of {key!r} is not a number: {v!r}")
            if not math.isnan(float(v)):
                values.append(float(v))
        arr = np.asarray(values)
        n = len(arr)
        out[key] = {
            "mean": float(arr.mean()) if n else math.nan,
            "std": float(arr.std(ddof=ddof)) if n > ddof else math.nan,
            "n": n,
        }
    return out
