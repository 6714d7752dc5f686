"""Novelty flag: rows the fitted GAVAE reconstructs worse than its training rows.

The GAVAE already scores how well a row fits a class: its Eq. 7 reconstruction
loss when encoded and decoded under that class's label (the score of the Eq. 8/9
filter). A row is **novel** when its loss under its *predicted* class exceeds a
per-class threshold: the ``quantile`` of the losses of that class's training
rows, those the GAVAE was fitted on. ``quantile = 1`` is the Eq. 8 threshold with
``k = 1`` (the largest training loss of the class).

The quantile is chosen on training data only: on the classifier's validation
rows (held out of the GAVAE's and the DNN's training), as the smallest quantile
of :data:`QUANTILES` whose flags raise the false positive rate of the *normal*
validation rows by at most ``fpr_budget`` — the share of normal validation rows
that the classifier calls normal but the flag marks novel.

A novel row counts as an attack in :meth:`gavae_ids.detection.detector.Detector.is_attack`
(``novelty=True``) and in the report's "with novelty" columns; it meets unseen
attack types (KDDTest+ holds 3,752 records of 18 attack names absent from
training) where the classifier alone can only pick one of the known classes.

This module needs only numpy: the losses come from any object with the
:meth:`gavae_ids.sampling.GAVAESampler.reconstruction_error` method.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from gavae_ids._util.documents import check_document
from gavae_ids._util.split import validation_split
from gavae_ids.exceptions import DataError, ModelFileError

#: Candidate quantiles, from sensitive to permissive; the chosen one is the smallest
#: within the FPR budget. 1.0 = the largest training loss of the class (Eq. 8, k = 1).
QUANTILES = (0.5, 0.6, 0.7, 0.75, 0.8, 0.85, 0.9, 0.925, 0.95, 0.96, 0.97, 0.975, 0.98,
             0.985, 0.99, 0.995, 0.999, 1.0)  # fmt: skip
#: Default budget: novelty may flag at most this share of the normal validation rows
#: that the classifier calls normal.
DEFAULT_FPR_BUDGET = 0.02
NOVELTY_FORMAT = "gavae-ids-novelty"
NOVELTY_FORMAT_VERSION = 1


def class_quantiles(losses, labels, classes: Sequence, quantiles: Sequence[float]) -> np.ndarray:
    """Per-class quantiles of reference losses.

    Parameters
    ----------
    losses : array-like of shape (n,)
        Reconstruction loss of each reference row under its own class.
    labels : array-like of shape (n,)
        Class of each row.
    classes : sequence
        Class order of the output columns.
    quantiles : sequence of float in [0, 1]

    Returns
    -------
    ndarray of shape (len(quantiles), len(classes))
        ``inf`` for a class without reference rows (nothing can be novel there).
    """
    losses, labels = np.asarray(losses, dtype=np.float64), np.asarray(labels)
    q = np.asarray(quantiles, dtype=np.float64)
    if q.ndim != 1 or len(q) == 0 or (q < 0).any() or (q > 1).any():
        raise DataError(f"quantiles must lie in [0, 1], got {list(quantiles)}")
    out = np.full((len(q), len(classes)), np.inf)
    for j, c in enumerate(classes):
        own = losses[labels == c]
        if len(own):
            out[:, j] = np.quantile(own, q)
    return out


def novel_mask(losses, pred_index, thresholds) -> np.ndarray:
    """``loss > threshold[predicted class]`` for every row.

    Parameters
    ----------
    losses : array-like of shape (n,)
        Loss of each row under its predicted class.
    pred_index : array-like of int, shape (n,)
        Index of the predicted class in the threshold order.
    thresholds : array-like of shape (n_classes,) or (n_quantiles, n_classes)

    Returns
    -------
    ndarray of bool, shape (n,) or (n_quantiles, n)
    """
    losses = np.asarray(losses, dtype=np.float64)
    t = np.asarray(thresholds, dtype=np.float64)
    return losses > t[..., np.asarray(pred_index, dtype=np.intp)]


def added_fpr(losses, pred_index, true_normal, normal_index: int, thresholds) -> np.ndarray:
    """Share of the normal rows that the classifier calls normal but novelty flags.

    With ``thresholds`` of shape (n_quantiles, n_classes), one value per quantile.
    """
    true_normal = np.asarray(true_normal, dtype=bool)
    n = int(true_normal.sum())
    if n == 0:
        raise DataError("no normal rows to measure the novelty flag's false positive rate on")
    pred_index = np.asarray(pred_index)
    called_normal = true_normal & (pred_index == normal_index)
    flags = novel_mask(losses, pred_index, thresholds)
    return (flags & called_normal).sum(axis=-1) / n


def choose_quantile(added: Sequence[float], quantiles: Sequence[float], budget: float) -> int:
    """Index of the smallest quantile whose added FPR is within ``budget`` (else the largest)."""
    if not 0.0 <= budget <= 1.0:
        raise DataError(f"the novelty FPR budget must lie in [0, 1], got {budget}")
    order = np.argsort(quantiles)
    for i in order:
        if added[i] <= budget:
            return int(i)
    return int(order[-1])


@dataclass
class NoveltyThresholds:
    """Per-class loss thresholds of the novelty flag, chosen on training data.

    Attributes
    ----------
    classes : list of str
        Class order of ``thresholds`` (the classifier's ``classes_``).
    quantile : float
        The chosen quantile of the training rows' losses.
    thresholds : list of float
        Loss threshold of each class at ``quantile`` (``inf`` where a class had no rows).
    fpr_budget : float or None
        The budget the quantile was chosen under (None: the quantile was given).
    calibration : dict
        How it was chosen: ``quantiles``, ``added_fpr`` (one per quantile, on the
        normal validation rows), ``n_reference``, ``n_validation``,
        ``n_validation_normal``.
    """

    classes: list[str]
    quantile: float
    thresholds: list[float]
    fpr_budget: float | None = None
    calibration: dict = field(default_factory=dict)

    def mask(self, losses, pred_index) -> np.ndarray:
        """Novel rows, given each row's loss under its predicted class and that class's index."""
        return novel_mask(losses, pred_index, np.asarray(self.thresholds, dtype=np.float64))

    # -- JSON ----------------------------------------------------------------------------
    def to_dict(self) -> dict:
        return {
            "format": NOVELTY_FORMAT,
            "format_version": NOVELTY_FORMAT_VERSION,
            "classes": list(self.classes),
            "quantile": float(self.quantile),
            # JSON has no infinity: a class without reference rows is written as null.
            "thresholds": [float(t) if math.isfinite(t) else None for t in self.thresholds],
            "fpr_budget": self.fpr_budget,
            "calibration": self.calibration,
        }

    @classmethod
    def from_dict(cls, d: dict, *, source: str = "novelty thresholds") -> NoveltyThresholds:
        check_document(d, NOVELTY_FORMAT, NOVELTY_FORMAT_VERSION, "novelty file", source=source)
        try:
            classes = [str(c) for c in d["classes"]]
            thr = [math.inf if t is None else float(t) for t in d["thresholds"]]
            q = float(d["quantile"])
        except (KeyError, TypeError, ValueError) as e:
            raise ModelFileError(f"{source}: damaged novelty file ({e!r})") from None
        if len(thr) != len(classes) or not 0.0 <= q <= 1.0:
            raise ModelFileError(f"{source}: damaged novelty file (thresholds do not match the "
                                 "classes, or the quantile is outside [0, 1])")  # fmt: skip
        budget = d.get("fpr_budget")
        return cls(classes, q, thr, None if budget is None else float(budget),
                   dict(d.get("calibration") or {}))  # fmt: skip

    def save(self, path) -> Path:
        path = Path(path)
        path.write_text(json.dumps(self.to_dict(), indent=2, allow_nan=False))
        return path

    @classmethod
    def load(cls, path) -> NoveltyThresholds:
        path = Path(path)
        try:
            d = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError, UnicodeDecodeError) as e:
            raise ModelFileError(f"{path}: cannot read the novelty thresholds ({e})") from None
        return cls.from_dict(d, source=str(path))


def losses_under(sampler, X, labels) -> np.ndarray:
    """Eq. 7 loss of every row of ``X`` (encoded features) under the class in ``labels``."""
    if len(labels) == 0:
        return np.empty(0, dtype=np.float64)
    return np.asarray(sampler.reconstruction_error(X, np.asarray(labels)), dtype=np.float64)


def calibrate(
    sampler,
    classes: Sequence,
    normal_label,
    X_ref,
    y_ref,
    X_val,
    y_val,
    pred_val,
    *,
    fpr_budget: float | None = DEFAULT_FPR_BUDGET,
    quantile: float | None = None,
    quantiles: Sequence[float] = QUANTILES,
) -> tuple[NoveltyThresholds, dict]:
    """Choose the novelty thresholds on training data.

    Parameters
    ----------
    sampler : fitted GAVAESampler (anything with ``reconstruction_error(X, y)``)
    classes : sequence
        The classifier's class order.
    normal_label
        The benign class.
    X_ref, y_ref
        Reference rows (the rows the GAVAE was fitted on) and their classes.
    X_val, y_val, pred_val
        Validation rows (training data held out of the GAVAE and the classifier),
        their true and predicted classes.
    fpr_budget : float or None, default :data:`DEFAULT_FPR_BUDGET`
        Largest share of normal validation rows the flag may add as attacks.
    quantile : float, optional
        Use this quantile instead of choosing one (``fpr_budget`` is then ignored).
    quantiles : sequence of float
        Candidates for the choice (and the rows of the returned table).

    Returns
    -------
    (NoveltyThresholds, dict)
        The thresholds, and the full table ``{"quantiles", "thresholds"
        (n_quantiles × n_classes), "added_fpr"}`` for curves.
    """
    classes = [c for c in classes]
    if normal_label not in classes:
        raise DataError(f"normal label {normal_label!r} is not one of the classes {classes}")
    qs = [float(q) for q in quantiles]
    if quantile is not None:
        if not 0.0 <= float(quantile) <= 1.0:
            raise DataError(f"the novelty quantile must lie in [0, 1], got {quantile}")
        if float(quantile) not in qs:
            qs = sorted([*qs, float(quantile)])
    ref_loss = losses_under(sampler, X_ref, y_ref)
    table = class_quantiles(ref_loss, np.asarray(y_ref), classes, qs)
    index = {c: i for i, c in enumerate(classes)}
    y_val, pred_val = np.asarray(y_val), np.asarray(pred_val)
    pred_idx = np.asarray([index[p] for p in pred_val], dtype=np.intp)
    val_loss = losses_under(sampler, X_val, pred_val)
    added = added_fpr(val_loss, pred_idx, y_val == normal_label, index[normal_label], table)
    if quantile is not None:
        chosen = qs.index(float(quantile))
        budget = None
    else:
        budget = DEFAULT_FPR_BUDGET if fpr_budget is None else float(fpr_budget)
        chosen = choose_quantile(added, qs, budget)
    thresholds = NoveltyThresholds(
        classes=[str(c) for c in classes], quantile=qs[chosen],
        thresholds=[float(t) for t in table[chosen]], fpr_budget=budget,
        calibration={"quantiles": qs, "added_fpr": [float(a) for a in added],
                     "n_reference": int(len(ref_loss)), "n_validation": int(len(y_val)),
                     "n_validation_normal": int((y_val == normal_label).sum())},
    )  # fmt: skip
    return thresholds, {"quantiles": qs, "thresholds": table, "added_fpr": added}


def classifier_split(classifier, y) -> tuple[np.ndarray, np.ndarray]:
    """``(reference_idx, validation_idx)`` of the rows a GAVAE-DNN was fitted on.

    :class:`gavae_ids.classifiers.GAVAEDNNClassifier` draws its stratified
    validation split first from ``check_random_state(random_state)``; with an
    integer ``random_state`` the split is re-drawn here exactly. The GAVAE was
    fitted on the other rows (the reference). Checked against what the fitted
    classifier recorded (``n_val_`` and the sampler's per-class real rows).

    Raises
    ------
    DataError
        If the classifier was not seeded with an integer, or the re-drawn split
        does not match the fitted one (then pass reference and validation rows
        to :func:`calibrate` yourself).
    """
    from sklearn.utils import check_random_state

    rs = getattr(classifier, "random_state", None)
    if not isinstance(rs, (int, np.integer)):
        raise DataError("the classifier's validation split can only be re-drawn when it was "
                        f"seeded with an integer random_state (got {rs!r}); pass reference "
                        "and validation rows explicitly")  # fmt: skip
    y = np.asarray(y)
    classes, y_idx = np.unique(y, return_inverse=True)
    ref, val = validation_split(y_idx, classifier.validation_fraction, check_random_state(rs))
    ok = int(getattr(classifier, "n_val_", len(val))) == len(val)
    report = getattr(classifier, "augmentation_report_", None)
    if report is None:  # a classifier loaded from disk: its sampler kept the report
        report = getattr(getattr(classifier, "sampler_", None), "augmentation_report_", None)
    if ok and report is not None:
        import pandas as pd

        real = pd.DataFrame(report).set_index("class")["real"]
        counts = {str(c): int((y[ref] == c).sum()) for c in classes}
        ok = all(counts.get(str(c), 0) == int(n) for c, n in real.items())
    if not ok:
        raise DataError("the re-drawn validation split does not match the one the classifier "
                        "was fitted with (were these its training rows?)")  # fmt: skip
    return ref, val


def calibrate_for_classifier(classifier, X, y, normal_label, **kwargs):
    """:func:`calibrate` on a fitted GAVAE-DNN's own training rows ``X, y`` (encoded).

    The reference rows are those its GAVAE was fitted on, the validation rows
    those it held out (see :func:`classifier_split`).
    """
    X, y = np.asarray(X), np.asarray(y)
    ref, val = classifier_split(classifier, y)
    if len(val) == 0:
        raise DataError("the classifier held out no validation rows (validation_fraction=0); "
                        "the novelty quantile cannot be chosen on training data")  # fmt: skip
    pred_val = np.asarray(classifier.predict(X[val]))
    return calibrate(classifier.sampler_, list(classifier.classes_), normal_label, X[ref], y[ref],
                     X[val], y[val], pred_val, **kwargs)  # fmt: skip


# -- evaluation on labelled test sets (the reproduction report) --------------------------------
#: Summary keys :func:`evaluate_novelty` adds for each test set and subset.
SUMMARY_KEYS = ("novelty_binary_recall", "novelty_binary_fpr", "novelty_binary_accuracy",
                "novel_rate", "novelty_quantile")  # fmt: skip


def binary_with_novelty(y_true, pred, flags, normal_label, rows=None) -> dict[str, float]:
    """Attack-vs-normal DR, FPR and accuracy when novel rows also count as attacks.

    ``flags`` of shape (n,) or (n_quantiles, n) gives one value (or array) per key.
    ``rows`` restricts to a subset (boolean mask).
    """
    y_true, pred = np.asarray(y_true), np.asarray(pred)
    flags = np.asarray(flags, dtype=bool)
    rows = np.ones(len(y_true), dtype=bool) if rows is None else np.asarray(rows, dtype=bool)
    attack = y_true != normal_label
    called = (pred != normal_label) | flags
    correct = called == attack

    def rate(values, m):
        return values[..., m].mean(axis=-1) if m.any() else np.full(values.shape[:-1], np.nan)

    return {"recall": rate(called, rows & attack), "fpr": rate(called, rows & ~attack),
            "accuracy": rate(correct, rows), "novel_rate": rate(flags, rows)}  # fmt: skip


def evaluate_novelty(classifier, X_train, y_train, tests, normal_label, *,
                     fpr_budget: float = DEFAULT_FPR_BUDGET, quantiles=QUANTILES):  # fmt: skip
    """The novelty flag of a fitted GAVAE-DNN on labelled test sets, at every quantile.

    Parameters
    ----------
    classifier : fitted GAVAEDNNClassifier (integer ``random_state``)
    X_train, y_train
        Its encoded training rows (the thresholds and the quantile come from them only).
    tests : mapping
        Test set name → ``(X, y, seen)``; ``seen`` (bool per row, or None) marks
        rows whose attack type occurs in training.
    normal_label
    fpr_budget, quantiles
        As in :func:`calibrate`.

    Returns
    -------
    dict
        ``thresholds`` (:class:`NoveltyThresholds`), ``summary`` (test set →
        subset → :data:`SUMMARY_KEYS` at the chosen quantile; subsets ``all``,
        and ``seen``/``unseen`` where ``seen`` is given) and ``curve`` (records:
        test set, quantile, validation added FPR, DR on all/seen/unseen attacks
        and FPR with the flag, and the same without it).
    """
    thr, table = calibrate_for_classifier(classifier, X_train, y_train, normal_label,
                                          fpr_budget=fpr_budget, quantiles=quantiles)  # fmt: skip
    qs = table["quantiles"]
    chosen = qs.index(thr.quantile)
    classes = list(classifier.classes_)
    index = {c: i for i, c in enumerate(classes)}
    summary, curve = {}, []
    for name, (Xt, yt, seen) in tests.items():
        yt = np.asarray(yt)
        pred = np.asarray(classifier.predict(Xt))
        pred_idx = np.asarray([index[p] for p in pred], dtype=np.intp)
        flags = novel_mask(losses_under(classifier.sampler_, Xt, pred), pred_idx,
                           table["thresholds"])  # fmt: skip
        subsets = {"all": np.ones(len(yt), dtype=bool)}
        if seen is not None:
            subsets["seen"] = np.asarray(seen, dtype=bool)
            subsets["unseen"] = ~subsets["seen"]
        summary[name] = {}
        per_q = {s: binary_with_novelty(yt, pred, flags, normal_label, m)
                 for s, m in subsets.items() if m.any()}  # fmt: skip
        base = {s: binary_with_novelty(yt, pred, np.zeros(len(yt), dtype=bool), normal_label, m)
                for s, m in subsets.items() if m.any()}  # fmt: skip
        for s, v in per_q.items():
            summary[name][s] = {"novelty_binary_recall": float(v["recall"][chosen]),
                                "novelty_binary_fpr": float(v["fpr"][chosen]),
                                "novelty_binary_accuracy": float(v["accuracy"][chosen]),
                                "novel_rate": float(v["novel_rate"][chosen]),
                                "novelty_quantile": float(thr.quantile)}  # fmt: skip
        for i, q in enumerate(qs):
            row = {"test_set": name, "quantile": q,
                   "validation_added_fpr": float(table["added_fpr"][i]),
                   "chosen": i == chosen}  # fmt: skip
            for s in ("all", "seen", "unseen"):
                if s in per_q:
                    row[f"dr_{s}"] = float(per_q[s]["recall"][i])
                    row[f"base_dr_{s}"] = float(base[s]["recall"])
            row["fpr"] = float(per_q["all"]["fpr"][i])
            row["base_fpr"] = float(base["all"]["fpr"])
            curve.append(row)
    return {"thresholds": thr, "summary": summary, "curve": curve}
