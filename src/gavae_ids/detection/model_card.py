"""The model card of a trained detector: how well it did on data it was not trained on.

``gavae-ids train`` holds out a stratified validation split of the training
data (or runs k-fold cross-validation), measures the pipeline on it and
compares it with the trivial detector that always predicts the majority class.
The card goes into the bundle (``model_card.json`` + ``model_card.md``) and is
printed at train time; its warnings are repeated whenever the bundle is loaded.

A model is **not clearly better than the majority baseline** when its
validation macro-F1 is at most the baseline's plus :data:`BASELINE_MARGIN`
(5 points). It also draws a warning when it never predicts a class that the
validation rows hold, and when its validation FPR exceeds both 5 % and twice
that of the best simple model fitted on the same rows
(:mod:`gavae_ids.detection.false_alarms`, which also draws the card's DR-FPR
curve, ``dr_fpr.png``). Metrics come from scikit-learn (``classification_report``,
``confusion_matrix``); "attack" is any class but the normal one.
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
from sklearn.metrics import classification_report, confusion_matrix, f1_score

from gavae_ids._util.documents import check_document, read_document
from gavae_ids._util.split import validation_split
from gavae_ids.detection.auto import AutoSelection
from gavae_ids.detection.false_alarms import (
    FIGURE,
    FPR_RATIO,
    FPR_WARN,
    WARNING_START,
    dr_fpr_curve,
    fpr_warning,
    save_curve_png,
    simple_reference,
)
from gavae_ids.exceptions import DataError, ModelFileError

CARD_FORMAT = "gavae-ids-model-card"
#: 2 added ``simple``, ``curve`` and ``operating_point`` (version 1 cards still load).
CARD_FORMAT_VERSION = 2
READABLE_VERSIONS = (1, 2)
CARD_JSON = "model_card.json"
CARD_MARKDOWN = "model_card.md"
#: A model whose validation macro-F1 does not exceed the majority baseline's by more than
#: this (absolute, on the 0-1 scale) is flagged as not clearly better than the baseline.
BASELINE_MARGIN = 0.05


def evaluate_predictions(y_true, y_pred, classes, normal_label: str) -> dict:
    """Per-class precision/recall/F1, confusion matrix, macro-F1, accuracy and binary DR/FPR.

    Parameters
    ----------
    y_true, y_pred : array-like of str
    classes : sequence of str
        Label order of the per-class table and the confusion matrix (rows: true
        class, columns: predicted class).
    normal_label : str
        Benign class; the binary view is attack (any other class) vs normal.
    """
    y_true = np.asarray(y_true).astype(str)
    y_pred = np.asarray(y_pred).astype(str)
    classes = [str(c) for c in classes]
    rep = classification_report(y_true, y_pred, labels=classes, output_dict=True,
                                zero_division=0)  # fmt: skip
    per_class = {c: {k: float(rep[c][k]) for k in ("precision", "recall", "f1-score")}
                 | {"support": int(rep[c]["support"])} for c in classes}  # fmt: skip
    cm = confusion_matrix(y_true, y_pred, labels=classes)
    attack_true, attack_pred = y_true != normal_label, y_pred != normal_label
    tn, fp, fn, tp = confusion_matrix(attack_true, attack_pred, labels=[False, True]).ravel()
    present = [c for c in classes if per_class[c]["support"] > 0]
    return {
        "rows": int(len(y_true)),
        "macro_f1": float(
            f1_score(y_true, y_pred, labels=present, average="macro", zero_division=0)
        ),  # fmt: skip
        "accuracy": float(np.mean(y_true == y_pred)) if len(y_true) else math.nan,
        "binary_dr": float(tp / (tp + fn)) if tp + fn else math.nan,
        "binary_fpr": float(fp / (fp + tn)) if fp + tn else math.nan,
        "per_class": per_class,
        "confusion_matrix": cm.tolist(),
        "predicted_counts": {c: int((y_pred == c).sum()) for c in classes},
    }


@dataclass
class ModelCard:
    """What a trained detector is and how well it did on held-out rows.

    Attributes
    ----------
    method, normal_label, classes
        The detector's method name, benign class and class order.
    evaluation : dict
        ``kind`` (``"holdout"``, ``"cv"`` or ``"none"``), ``fraction`` or
        ``folds``, ``seed`` and ``description`` (in words: which rows the
        bundled model was trained on and which rows the figures measure).
    metrics : dict or None
        :func:`evaluate_predictions` of the model on the held-out rows (pooled
        out-of-fold predictions with ``cv``); with ``cv`` also ``fold_macro_f1``.
    baseline : dict or None
        The same figures for always predicting the majority class of the
        training part (``class`` names it).
    class_counts : dict of str → dict
        Per class: ``real`` rows the bundled model was fitted on and
        ``generated`` rows its sampler added (None without a sampler).
    warnings : list of str
        Why the model may not be fit for use; empty when none.
    selection : dict or None
        With ``--method auto``: :meth:`gavae_ids.detection.auto.AutoSelection.to_dict` —
        the CV table of the candidates, the winner and why.
    decision : dict or None
        With a decision rule (``--decision prior``, ``--max-fpr``): ``rule`` (in
        words) and ``metrics``, :func:`evaluate_predictions` of the rule on the
        same validation rows (the summary above is argmax's).
    simple : dict or None
        :func:`~gavae_ids.detection.false_alarms.simple_reference`: the validation FPR
        of simple models at argmax (``models``), the lowest (``best``, ``best_fpr``).
    curve : dict or None
        :func:`~gavae_ids.detection.false_alarms.dr_fpr_curve` of the validation rows
        (drawn as ``dr_fpr.png`` in the bundle).
    operating_point : dict or None
        The detector's decision (its rule, else argmax) on the validation rows:
        ``rule``, ``binary_dr``, ``binary_fpr``, ``macro_f1`` and per-class ``recall``.
    """

    method: str
    normal_label: str
    classes: list[str]
    evaluation: dict
    metrics: dict | None = None
    baseline: dict | None = None
    class_counts: dict = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    margin: float = BASELINE_MARGIN
    selection: dict | None = None
    decision: dict | None = None
    simple: dict | None = None
    curve: dict | None = None
    operating_point: dict | None = None

    # -- verdict ---------------------------------------------------------------------------
    @property
    def below_baseline(self) -> bool:
        """True when the validation macro-F1 is not above the baseline's by :attr:`margin`."""
        if self.metrics is None or self.baseline is None:
            return False
        return not self.metrics["macro_f1"] > self.baseline["macro_f1"] + self.margin

    def check(self) -> ModelCard:
        """(Re)compute :attr:`warnings` from the figures; returns ``self``."""
        out = []
        if self.below_baseline:
            m, b = self.metrics, self.baseline
            out.append(
                f"the model is not clearly better than always predicting the majority class "
                f"{b['class']!r}: {self._on()} macro-F1 {m['macro_f1']:.3f} vs "
                f"{b['macro_f1']:.3f} for that baseline (clearly better means more than "
                f"{self.margin:.2f} above it); do not rely on its predictions"
            )
        if self.metrics is not None:
            never = [c for c in self.classes if self.metrics["per_class"][c]["support"] > 0
                     and self.metrics["predicted_counts"][c] == 0]  # fmt: skip
            if never:
                sup = ", ".join(f"{c} ({self.metrics['per_class'][c]['support']:,} rows)"
                                for c in never)  # fmt: skip
                out.append(f"the model never predicts class(es) {sup} on the {self._on()} rows")
        fpr = self.false_alarm_warning()
        self.warnings = out + ([fpr] if fpr else [])
        return self

    @property
    def chosen_fpr(self) -> float | None:
        """The validation FPR of the detector's decision (its rule's, else argmax's)."""
        for m in (self.operating_point, (self.decision or {}).get("metrics"), self.metrics):
            if m is not None:
                return m.get("binary_fpr")
        return None

    def false_alarm_warning(self) -> str | None:
        """The line of :func:`~gavae_ids.detection.false_alarms.fpr_warning`, or None."""
        s = self.simple or {}
        return fpr_warning(self.chosen_fpr, s.get("best_fpr"), s.get("best"), self._on())

    def set_false_alarms(self, proba, y, rule=None) -> ModelCard:
        """Fill :attr:`curve` and :attr:`operating_point` from the validation probabilities
        ``proba`` (uncorrected) and classes ``y`` under ``rule`` (None: argmax); the
        false-alarm warning follows the new operating point. Returns ``self``."""
        self.curve = dr_fpr_curve(proba, y, self.classes, self.normal_label, rule)
        m = (self.decision or {}).get("metrics") or self.metrics
        if m is not None:
            rule_words = "argmax" if rule is None else rule.describe()
            self.operating_point = {
                "rule": rule_words, "binary_dr": m["binary_dr"], "binary_fpr": m["binary_fpr"],
                "macro_f1": m["macro_f1"],
                "recall": {c: m["per_class"][c]["recall"] for c in self.classes},
                "support": {c: m["per_class"][c]["support"] for c in self.classes},
            }  # fmt: skip
        w = self.false_alarm_warning()
        self.warnings = [x for x in self.warnings if not x.startswith(WARNING_START)]
        self.warnings += [w] if w else []
        return self

    def _on(self) -> str:
        return "cross-validated" if self.evaluation.get("kind") == "cv" else "validation"

    # -- JSON / Markdown -------------------------------------------------------------------
    def to_dict(self) -> dict:
        return {"format": CARD_FORMAT, "format_version": CARD_FORMAT_VERSION, **asdict(self)}

    @classmethod
    def from_dict(cls, d: dict) -> ModelCard:
        v = d.get("format_version") if isinstance(d, dict) else None
        check_document(d, CARD_FORMAT, v if v in READABLE_VERSIONS else CARD_FORMAT_VERSION,
                       "model card")  # fmt: skip
        try:
            return cls(**{k: v for k, v in d.items() if k not in ("format", "format_version")})
        except TypeError as e:
            raise ModelFileError(f"damaged model card ({e})") from None

    def save(self, folder) -> list[Path]:
        """Write ``model_card.json``, ``model_card.md`` and, with a curve, ``dr_fpr.png``
        into ``folder``."""
        folder = Path(folder)
        j, m = folder / CARD_JSON, folder / CARD_MARKDOWN
        j.write_text(json.dumps(_finite(self.to_dict()), indent=1, allow_nan=False))
        m.write_text(self.to_markdown())
        if self.curve is None:
            return [j, m]
        save_curve_png(self.curve, folder / FIGURE,
                       title=f"{self.method}: DR vs FPR on the {self._on()} rows")  # fmt: skip
        return [j, m, folder / FIGURE]

    @classmethod
    def load(cls, folder) -> ModelCard:
        return read_document(Path(folder) / CARD_JSON, cls.from_dict)

    def to_markdown(self) -> str:
        ev = self.evaluation
        lines = [f"# Model card: {self.method}", ""]
        if self.warnings:
            lines += [f"> **WARNING:** {w}" for w in self.warnings] + [""]
        if self.selection is not None:
            why = self.selection["reason"]
            lines += [f"Method {self.method}, chosen by `--method auto`: {why} "
                      "(see *Method selection* below).", ""]  # fmt: skip
        lines += [f"**Trained on / measured on.** {ev['description']}", "",
                  f"Classes: {', '.join(self.classes)} (normal: {self.normal_label}; "
                  "attack = any other class).", ""]  # fmt: skip
        if self.metrics is not None:
            m, b = self.metrics, self.baseline
            lines += ["## Summary", "",
                      "| | macro-F1 | accuracy | binary DR | binary FPR |",
                      "|---|---:|---:|---:|---:|",
                      f"| this model | {_f(m['macro_f1'])} | {_f(m['accuracy'])} | "
                      f"{_f(m['binary_dr'])} | {_f(m['binary_fpr'])} |",
                      f"| always {b['class']!r} (majority baseline) | {_f(b['macro_f1'])} | "
                      f"{_f(b['accuracy'])} | {_f(b['binary_dr'])} | {_f(b['binary_fpr'])} |",
                      ""]  # fmt: skip
            if m.get("fold_macro_f1"):
                f = np.asarray(m["fold_macro_f1"])
                lines += [f"Per-fold macro-F1: {', '.join(_f(v) for v in f)} (mean {_f(f.mean())}"
                          f" ± {_f(f.std(ddof=1) if len(f) > 1 else 0.0)} std).", ""]  # fmt: skip
            lines += [f"Verdict: {'NOT clearly better' if self.below_baseline else 'better'} "
                      f"than the majority baseline (clearly better: macro-F1 more than "
                      f"{self.margin:.2f} above it).", "",
                      "## Per class", "",
                      "| class | precision | recall | F1 | support | predicted |",
                      "|---|---:|---:|---:|---:|---:|"]  # fmt: skip
            for c in self.classes:
                r = m["per_class"][c]
                lines.append(f"| {c} | {_f(r['precision'])} | {_f(r['recall'])} | "
                             f"{_f(r['f1-score'])} | {r['support']:,} | "
                             f"{m['predicted_counts'][c]:,} |")  # fmt: skip
            lines += ["", "## Confusion matrix (rows: true class, columns: predicted)", "",
                      "| true \\ predicted | " + " | ".join(self.classes) + " |",
                      "|---|" + "---:|" * len(self.classes)]  # fmt: skip
            for c, row in zip(self.classes, m["confusion_matrix"], strict=True):
                lines.append(f"| {c} | " + " | ".join(f"{v:,}" for v in row) + " |")
            lines.append("")
        lines += ["## Training rows of the bundled model", "",
                  "| class | real | generated |", "|---|---:|---:|"]  # fmt: skip
        for c in self.classes:
            cc = self.class_counts.get(c, {})
            gen = cc.get("generated")
            lines.append(f"| {c} | {cc.get('real', 0):,} | "
                         f"{'—' if gen is None else f'{int(gen):,}'} |")  # fmt: skip
        note = ev.get("generated_note")
        if note:
            lines += ["", note]
        if self.decision is not None and self.decision.get("metrics"):
            d = self.decision["metrics"]
            lines += ["", "## Decision rule", "", f"{self.decision['rule']}.", "",
                      "On the same validation rows, with this rule:", "",
                      "| | macro-F1 | binary DR | binary FPR |", "|---|---:|---:|---:|",
                      f"| argmax | {_f(self.metrics['macro_f1'])} | "
                      f"{_f(self.metrics['binary_dr'])} | {_f(self.metrics['binary_fpr'])} |",
                      f"| this rule | {_f(d['macro_f1'])} | {_f(d['binary_dr'])} | "
                      f"{_f(d['binary_fpr'])} |", "",
                      "| class | recall (argmax) | recall (this rule) |",
                      "|---|---:|---:|"]  # fmt: skip
            for c in self.classes:
                lines.append(f"| {c} | {_f(self.metrics['per_class'][c]['recall'])} | "
                             f"{_f(d['per_class'][c]['recall'])} |")  # fmt: skip
        lines += self._false_alarms_markdown()
        if self.selection is not None:
            lines += ["", "## Method selection (--method auto)", "",
                      AutoSelection(**self.selection).to_markdown().rstrip("\n")]  # fmt: skip
        return "\n".join(lines) + "\n"

    def _false_alarms_markdown(self) -> list[str]:
        """The card's *False alarms* section: curve, operating point, simple models."""
        op, s = self.operating_point, self.simple
        if op is None and s is None and self.curve is None:
            return []
        lines = ["", "## False alarms", ""]
        if self.curve is not None:
            c = self.curve
            lines += [f"![DR vs FPR]({FIGURE})", "",
                      f"[{FIGURE}]({FIGURE}): binary DR (share of the {c['attack_rows']:,} "
                      f"attack rows flagged) against binary FPR (share of the "
                      f"{c['normal_rows']:,} normal rows flagged, log scale) on the "
                      f"{self._on()} rows, as the threshold on {c['score']} sweeps; the dot is "
                      "the chosen operating point" + (", the dashed line the false-alarm budget"
                      if c.get("max_fpr") else "") + ". Its points are in model_card.json "
                      "(`curve`).", ""]  # fmt: skip
        if op is not None:
            lines += [
                f"Chosen operating point ({op['rule']}): binary DR {_f(op['binary_dr'])}, "
                f"binary FPR {_f(op['binary_fpr'])}, macro-F1 {_f(op['macro_f1'])}.",
                "",
            ]
            if (self.decision or {}).get("metrics"):  # its recall table is already above
                lines += ["Per-class recall at this point: *Decision rule*, column "
                          "*recall (this rule)*.", ""]  # fmt: skip
            else:
                lines += ["| class | recall at the chosen point | support |", "|---|---:|---:|"]
                lines += [f"| {c} | {_f(op['recall'][c])} | {op['support'][c]:,} |"
                          for c in self.classes]  # fmt: skip
                lines.append("")
        if s is not None:
            lines += ["Simple reference models (each at argmax):", "",
                      "| model | binary FPR | binary DR | measured on | seconds |",
                      "|---|---:|---:|---|---:|"]  # fmt: skip
            lines += [
                f"| {m['name']} | {_f(m['binary_fpr'])} | {_f(m['binary_dr'])} | "
                f"{m['measured_on']} | {_sec(m.get('seconds'))} |"
                for m in s["models"]
            ]
            lines += ["", f"The card warns when the {self._on()} FPR of the chosen point "
                      f"exceeds both {FPR_WARN:.0%} and {FPR_RATIO:g}x the best simple model's "
                      f"({s['best'] or 'none'}: {_f(s['best_fpr'])}); verdict: "
                      f"{'WARNED' if self.false_alarm_warning() else 'no warning'}."]  # fmt: skip
        return lines


def _sec(v) -> str:
    return "—" if v is None else f"{v:.1f}"


def _f(v) -> str:
    return "n/a" if v is None or (isinstance(v, float) and math.isnan(v)) else f"{v:.4f}"


def _finite(obj):
    """NaN → None, recursively, so the JSON is strict."""
    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    if isinstance(obj, dict):
        return {k: _finite(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [_finite(v) for v in obj]
    return obj


def majority_baseline(y_fit, y_true, classes, normal_label: str) -> dict:
    """:func:`evaluate_predictions` of always predicting the most frequent class of ``y_fit``."""
    labels, counts = np.unique(np.asarray(y_fit).astype(str), return_counts=True)
    majority = str(labels[counts.argmax()])
    out = evaluate_predictions(y_true, np.full(len(y_true), majority), classes, normal_label)
    return {"class": majority, **out}


def fit_with_card(pipeline, X, y, *, normal_label: str, method: str, validation: float = 0.2,
                  cv: int | None = None, random_state: int = 0, reference: bool = False,
                  selection: dict | None = None):  # fmt: skip
    """Fit ``pipeline`` (unfitted, cloned here) on ``X``/``y`` and measure it: ``(fitted, card)``.

    * ``cv=K``: stratified K-fold cross-validation (seed ``random_state``) gives
      pooled out-of-fold predictions for the card; then the pipeline is refitted
      on all rows, and that refit is what is returned (the card measures the
      procedure, not the refit itself).
    * else ``validation`` > 0: a stratified holdout of that fraction; the
      returned pipeline is the one fitted on the other rows, so the card
      measures exactly it.
    * ``validation=0`` and no ``cv``: fitted on all rows, nothing measured.

    ``reference=True`` also fits the simple reference models on the same rows
    (:func:`~gavae_ids.detection.false_alarms.simple_reference`; with the
    ``--method auto`` ``selection`` its simple candidates' figures are reused).
    """
    from sklearn.base import clone

    X = X.reset_index(drop=True)
    y = np.asarray(y).astype(str)
    classes = sorted(np.unique(y).tolist())
    ev = {"seed": random_state}
    metrics = baseline = None
    if cv is not None:
        fitted, metrics, baseline = _fit_cv(pipeline, X, y, cv, classes, normal_label, ev)
    elif validation and validation > 0:
        fitted, metrics, baseline = _fit_holdout(pipeline, X, y, validation, classes,
                                                 normal_label, ev)  # fmt: skip
    else:
        fitted = clone(pipeline).fit(X, y)
        ev.update(kind="none", rows=int(len(y)), description=(
            f"the bundled model was trained on all {len(y):,} training rows; no validation "
            "was run (--validation 0), so this card holds no quality figures."))  # fmt: skip
    card = ModelCard(method=method, normal_label=str(normal_label), classes=classes,
                     evaluation=ev, metrics=metrics, baseline=baseline)  # fmt: skip
    card.class_counts = _class_counts(fitted, classes)
    if reference and metrics is not None:
        card.simple = simple_reference(pipeline, X, y, _splits(fitted, y, cv, random_state),
                                       str(normal_label), random_state=random_state,
                                       selection=selection)  # fmt: skip
    if any(v.get("generated") is not None for v in card.class_counts.values()):
        ev["generated_note"] = (
            "Generated rows are those the classifier's sampler added to the rows it trained "
            "on (for the torch classifiers, the rows left after their early-stopping "
            "validation split)."
        )
    return fitted, card.check()


def _fit_cv(pipeline, X, y, cv: int, classes, normal_label, ev: dict):
    """``cv=K`` of :func:`fit_with_card`: pooled out-of-fold figures, then a refit on all
    rows; ``(refit, metrics, baseline)``, and ``ev`` (seeded) gets the protocol."""
    from sklearn.base import clone
    from sklearn.model_selection import StratifiedKFold, cross_val_predict

    random_state = ev["seed"]
    labels, counts = np.unique(y, return_counts=True)
    smallest = labels[counts.argmin()], int(counts.min())
    if cv < 2:
        raise DataError(f"--cv must be at least 2, got {cv}")
    if smallest[1] < cv:
        raise DataError(f"class {smallest[0]!r} has {smallest[1]} row(s), fewer than the "
                        f"{cv} folds; lower --cv or use --validation")  # fmt: skip
    folds = list(StratifiedKFold(cv, shuffle=True, random_state=random_state).split(X, y))
    # Out-of-fold probabilities (their argmax is each fold model's prediction): the decision
    # rule of train --max-fpr / --decision is chosen on them.
    proba = cross_val_predict(clone(pipeline), X, y, cv=folds, method="predict_proba")
    pred = np.asarray(classes, dtype=object)[proba.argmax(axis=1)].astype(str)
    metrics = evaluate_predictions(y, pred, classes, normal_label)
    metrics["fold_macro_f1"] = [
        float(f1_score(y[te], pred[te], labels=sorted(set(y[te])), average="macro",
                       zero_division=0))
        for _, te in folds
    ]  # fmt: skip
    base_pred = np.empty(len(y), dtype=object)
    for tr, te in folds:
        lab, cnt = np.unique(y[tr], return_counts=True)
        base_pred[te] = lab[cnt.argmax()]
    baseline = {"class": _mode(base_pred),
                **evaluate_predictions(y, base_pred, classes, normal_label)}  # fmt: skip
    fitted = clone(pipeline).fit(X, y)
    fitted.validation_proba_ = (np.arange(len(y)), proba)  # positions in X, out-of-fold
    ev.update(kind="cv", folds=cv, rows=int(len(y)), description=(
        f"stratified {cv}-fold cross-validation on all {len(y):,} training rows (seed "
        f"{random_state}); the figures pool the out-of-fold predictions of the {cv} fold "
        f"models. The bundled model is a refit on all {len(y):,} rows, which no figure "
        "here measures directly."))  # fmt: skip
    return fitted, metrics, baseline


def _fit_holdout(pipeline, X, y, validation: float, classes, normal_label, ev: dict):
    """``validation`` of :func:`fit_with_card`: fit on the rest of a stratified holdout and
    measure on it; ``(fitted, metrics, baseline)``, and ``ev`` (seeded) gets the protocol."""
    from sklearn.base import clone

    random_state = ev["seed"]
    if not 0 < validation < 1:
        raise DataError(f"--validation must lie in [0, 1), got {validation}")
    # round(fraction · n_c) rows of every class; a class too small to spare one row
    # (fewer than 1 / fraction / 2 rows) is kept whole for training.
    tr, te = validation_split(y, validation, np.random.RandomState(random_state))
    unmeasured = sorted(set(y[tr]) - set(y[te]))
    if unmeasured:
        ev["unmeasured_classes"] = unmeasured
    fitted = clone(pipeline).fit(X.iloc[tr], y[tr])
    fitted.holdout_rows_ = (tr, te)  # positions in X: fitted on tr, measured on te
    proba = np.asarray(fitted.predict_proba(X.iloc[te]))
    fitted.validation_proba_ = (te, proba)
    pred = np.asarray(fitted.classes_, dtype=object)[proba.argmax(axis=1)].astype(str)
    metrics = evaluate_predictions(y[te], pred, classes, normal_label)
    baseline = majority_baseline(y[tr], y[te], classes, normal_label)
    ev.update(kind="holdout", fraction=float(validation), rows=int(len(y)),
              rows_fit=int(len(tr)), rows_validation=int(len(te)), description=(
        f"the bundled model was trained on {len(tr):,} of the {len(y):,} training rows; "
        f"the figures measure exactly that model on the other {len(te):,} rows, a "
        f"stratified {validation:.0%} validation split (seed {random_state}) it never "
        "saw."))  # fmt: skip
    if unmeasured:
        ev["description"] += (f" Class(es) {', '.join(unmeasured)} had too few rows to "
                              "spare any for validation: all their rows were trained on, "
                              "and no figure here measures them.")  # fmt: skip
    return fitted, metrics, baseline


def _splits(fitted, y, cv, random_state: int) -> list:
    """The card's (fit rows, validation rows) pairs: the holdout, or the ``cv`` folds."""
    from sklearn.model_selection import StratifiedKFold

    if cv is None:
        return [fitted.holdout_rows_]
    return list(StratifiedKFold(cv, shuffle=True, random_state=random_state).split(y, y))


def _mode(a) -> str:
    lab, cnt = np.unique(np.asarray(a).astype(str), return_counts=True)
    return str(lab[cnt.argmax()])


def _class_counts(fitted, classes) -> dict:
    real = getattr(fitted, "class_counts_", {})
    aug = fitted.augmentation_counts() if hasattr(fitted, "augmentation_counts") else None
    out = {}
    for c in classes:
        gen = None
        if aug is not None and c in aug.index:
            g = aug.loc[c, "generated"]
            gen = None if g is None or (isinstance(g, float) and math.isnan(g)) else int(g)
        out[c] = {"real": int(real.get(c, 0)), "generated": gen}
    return out
