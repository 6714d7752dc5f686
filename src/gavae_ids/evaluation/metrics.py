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
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

# Counting (confusion matrix, one-vs-all rates, binary view), ROC/AUC and the paper's own
# numbers (Tables 6-7) live in their own modules, re-exported here: this is the one to import.
from gavae_ids.evaluation.one_vs_all import (
    PER_CLASS_COLUMNS,
    _as_1d,
    _averages,
    binary_metrics,
    confusion,
    per_class_metrics,
    resolve_labels,
)
from gavae_ids.evaluation.paper import (
    PAPER_METHOD_ALIASES,
    PAPER_RESULTS,
    PAPER_RESULTS_CAVEAT,
    PAPER_TABLES,
    TABLE_METRICS,
)
from gavae_ids.evaluation.roc import roc_auc
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
