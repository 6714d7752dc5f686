"""How a detector turns class probabilities into alerts: its decision rule.

A classifier trained on resampled (balanced) rows learns the balanced class
priors, so where classes overlap its posteriors favour the rare classes and it
flags normal traffic it should not. A :class:`DecisionRule` holds two optional
corrections, both chosen on the training data's validation rows and stored in
the model bundle (``decision.json``):

* **prior correction** — the posteriors are re-weighted back to the training
  priors, p(c|x) ∝ p_fit(c|x) · π_train(c) / π_fit(c) (Saerens, Latinne &
  Decaestecker 2002; Elkan 2001), where π_fit are the class shares the
  classifier was fitted on after resampling and π_train those before it;
* **a false-alarm budget** — a threshold on the attack score 1 − P(normal),
  the lowest one whose false-positive rate on the normal validation rows is at
  most ``max_fpr``; an alert is then given its most probable attack class.

Without a rule (or with an empty one) a row's class is its most probable class
and it is an attack when that class is not the normal one ("argmax"), exactly
as bundles written before rules existed behave.

The budget holds on new traffic only as far as it resembles the validation
rows: on an iid split it holds (UNSW-NB15, documented split), under shift it
does not (NSL-KDD KDDTest+ holds attack types and normal traffic the training
file lacks). Binary DR and FPR here: attack = any class but the normal one.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from gavae_ids._util.documents import check_document, read_document, write_document
from gavae_ids.exceptions import DataError, ModelFileError

DECISION_FILE = "decision.json"
DECISION_FORMAT = "gavae-ids-decision"
DECISION_FORMAT_VERSION = 1
#: Decision rules of ``train``: ``"cap"`` (the default) keeps argmax unless its validation
#: FPR exceeds the budget, then thresholds; ``"budget"`` always takes the threshold that
#: catches the most attacks within the budget (it may raise the FPR up to it);
#: ``"prior"`` re-weights to the training priors (with a budget when one is given);
#: ``"argmax"`` stores no rule.
RULES = ("cap", "budget", "prior", "argmax")
#: The false-alarm budget of ``"cap"`` and ``"budget"`` when none is given.
DEFAULT_MAX_FPR = 0.01


# -- the pieces ------------------------------------------------------------------------------
def prior_weights(train_counts, fit_counts) -> np.ndarray | None:
    """π_train(c) / π_fit(c) per class, or None when the two priors agree (no resampling).

    Parameters
    ----------
    train_counts, fit_counts : sequence of float
        Rows per class (same class order) before and after resampling.
    """
    a = np.asarray(train_counts, dtype=np.float64)
    b = np.asarray(fit_counts, dtype=np.float64)
    if a.shape != b.shape or a.ndim != 1 or (a < 0).any() or (b < 0).any():
        raise DataError("class counts before and after resampling must be two equal-length "
                        "lists of non-negative numbers")  # fmt: skip
    if a.sum() <= 0 or b.sum() <= 0:
        raise DataError("class counts must not all be zero")
    pa, pb = a / a.sum(), b / b.sum()
    w = np.divide(pa, pb, out=np.ones_like(pa), where=pb > 0)
    return None if np.allclose(w, 1.0, rtol=1e-9, atol=1e-12) else w


def reweight(proba, weights) -> np.ndarray:
    """``proba`` (rows × classes) times ``weights``, each row renormalised to sum to 1."""
    p = np.asarray(proba, dtype=np.float64) * np.asarray(weights, dtype=np.float64)
    s = p.sum(axis=1, keepdims=True)
    return np.divide(p, s, out=np.full_like(p, 1.0 / max(p.shape[1], 1)), where=s > 0)


def budget_threshold(normal_scores, max_fpr: float) -> float:
    """The lowest threshold t for which at most ``max_fpr`` of ``normal_scores`` are ≥ t.

    Flagging rows whose attack score is at least t then marks at most
    ``floor(max_fpr · n)`` of the n normal rows; ties are never split, so the
    share can be lower. May exceed 1 (nothing with a score of 1 is flagged).
    """
    if not 0.0 <= max_fpr < 1.0:
        raise DataError(f"the false-alarm budget must lie in [0, 1), got {max_fpr}")
    s = np.sort(np.asarray(normal_scores, dtype=np.float64))[::-1]
    if len(s) == 0:
        raise DataError("no normal validation rows to choose a threshold on")
    k = int(math.floor(max_fpr * len(s) + 1e-9))
    return 0.0 if k >= len(s) else float(np.nextafter(s[k], np.inf))


# -- the rule --------------------------------------------------------------------------------
@dataclass
class DecisionRule:
    """A detector's decision rule (see the module docstring).

    Attributes
    ----------
    classes : list of str
        Class order of the probabilities the rule reads.
    normal_label : str
    prior_weights : list of float or None
        Per class, π_train / π_fit; None: no prior correction.
    threshold : float or None
        A row is an attack when 1 − P(normal) ≥ threshold (after the prior
        correction); None: when its most probable class is an attack class.
    max_fpr : float or None
        The false-alarm budget the threshold was chosen for.
    chosen_on : str
        Which rows chose it, in words.
    validation : dict or None
        On those rows: ``normal_rows``, ``attack_rows``, ``binary_dr``,
        ``binary_fpr`` of the rule.
    novelty_threshold : float or None
        The threshold used when the novelty flag is on too (``score --novelty``),
        chosen so that the classifier's alerts and the novel rows *together* stay
        within ``max_fpr`` on the validation rows; None: the same as ``threshold``.
    novelty_validation : dict or None
        ``binary_dr`` and ``binary_fpr`` of alerts or novel rows on those rows.
    """

    classes: list[str]
    normal_label: str
    prior_weights: list[float] | None = None
    threshold: float | None = None
    max_fpr: float | None = None
    chosen_on: str = ""
    validation: dict | None = None
    novelty_threshold: float | None = None
    novelty_validation: dict | None = None

    def __post_init__(self):
        self.classes = [str(c) for c in self.classes]
        if self.normal_label not in self.classes:
            raise DataError(f"normal label {self.normal_label!r} is not one of the classes")
        if self.prior_weights is not None:
            w = [float(v) for v in self.prior_weights]
            if len(w) != len(self.classes) or not all(math.isfinite(v) and v >= 0 for v in w):
                raise DataError("prior weights must be one non-negative number per class")
            self.prior_weights = w
        for t in (self.threshold, self.novelty_threshold):
            if t is not None and not 0.0 <= float(t) <= 1.0 + 1e-9:
                raise DataError(f"threshold must lie in [0, 1], got {t}")

    @property
    def normal_index(self) -> int:
        return self.classes.index(self.normal_label)

    @property
    def is_argmax(self) -> bool:
        return self.prior_weights is None and self.threshold is None

    def proba(self, proba) -> np.ndarray:
        """The probabilities the rule decides on (prior-corrected when it corrects)."""
        proba = np.asarray(proba, dtype=np.float64)
        if proba.ndim != 2 or proba.shape[1] != len(self.classes):
            raise DataError(f"expected probabilities of {len(self.classes)} classes, got "
                            f"shape {proba.shape}")  # fmt: skip
        return proba if self.prior_weights is None else reweight(proba, self.prior_weights)

    def decide(self, proba, threshold: float | None = None, *,
               novelty: bool = False) -> tuple[np.ndarray, np.ndarray]:  # fmt: skip
        """``(class index, attack flag)`` of every row of (already corrected) ``proba``.

        ``threshold`` overrides the rule's own; with either, an alert's class is
        its most probable attack class and any other row is normal. ``novelty``:
        the novelty flag is on too, so the joint threshold applies when there is one.
        """
        proba = np.asarray(proba)
        t = self.threshold
        if novelty and self.novelty_threshold is not None:
            t = self.novelty_threshold
        if threshold is not None:
            t = threshold
        pred = proba.argmax(axis=1) if len(proba) else np.zeros(0, dtype=np.intp)
        if t is None:
            return pred, pred != self.normal_index
        attack = (1.0 - proba[:, self.normal_index]) >= t
        pred = np.full(len(proba), self.normal_index, dtype=np.intp)
        if attack.any() and len(self.classes) > 1:
            masked = proba[attack].copy()
            masked[:, self.normal_index] = -np.inf
            pred[attack] = masked.argmax(axis=1)
        return pred, attack

    def describe(self) -> str:
        """The rule in one line, as ``score`` prints it."""
        parts = []
        if self.prior_weights is not None:
            parts.append("posteriors re-weighted to the training class priors")
        if self.threshold is not None:
            budget = "" if self.max_fpr is None else f" (false-alarm budget {self.max_fpr:g}"
            if budget and self.validation:
                budget += f", validation FPR {self.validation['binary_fpr']:.4f}"
            parts.append(f"attack when 1 - P({self.normal_label}) >= {self.threshold:.6g}"
                         + (budget + ")" if budget else ""))  # fmt: skip
        else:
            within = ""
            if self.max_fpr is not None and self.validation:
                within = (f" (its validation FPR {self.validation['binary_fpr']:.4f} is within "
                          f"the false-alarm budget {self.max_fpr:g})")  # fmt: skip
            parts.append("attack when the most probable class is not "
                         f"{self.normal_label}{within}")  # fmt: skip
        if self.novelty_validation:
            t = self.novelty_threshold
            when = ("the most probable class is not " + self.normal_label if t is None
                    else f"1 - P({self.normal_label}) >= {t:.6g}")  # fmt: skip
            parts.append(f"with --novelty: attack when {when} or novel (validation FPR "
                         f"{self.novelty_validation['binary_fpr']:.4f} together)")  # fmt: skip
        return "; ".join(parts)

    # -- files -----------------------------------------------------------------------------
    def to_dict(self) -> dict:
        return {"format": DECISION_FORMAT, "format_version": DECISION_FORMAT_VERSION,
                **asdict(self)}  # fmt: skip

    @classmethod
    def from_dict(cls, d: dict) -> DecisionRule:
        check_document(d, DECISION_FORMAT, DECISION_FORMAT_VERSION, "decision rule")
        try:
            return cls(**{k: v for k, v in d.items() if k not in ("format", "format_version")})
        except (TypeError, DataError) as e:
            raise ModelFileError(f"damaged decision rule ({e})") from None

    def save(self, path) -> Path:
        return write_document(path, self.to_dict())

    @classmethod
    def load(cls, path) -> DecisionRule:
        return read_document(path, cls.from_dict)


def choose_rule(proba, y, classes, normal_label: str, *, prior=None,
                max_fpr: float | None = None, cap: bool = False,
                chosen_on: str = "") -> DecisionRule:  # fmt: skip
    """The decision rule chosen on validation rows.

    Parameters
    ----------
    proba : array of shape (n_rows, n_classes)
        The classifier's (uncorrected) probabilities of the validation rows.
    y : array-like of str
        Their true classes.
    classes, normal_label
        Class order of ``proba`` and the benign class.
    prior : array of float, optional
        :func:`prior_weights` to apply first.
    max_fpr : float, optional
        Choose the threshold for this false-alarm budget; without it, argmax
        (of the corrected probabilities).
    cap : bool, default=False
        Only cut false alarms: keep argmax when its FPR on these rows is within
        ``max_fpr`` already (a budget never raises the FPR above argmax's).
    """
    rule = DecisionRule(list(classes), str(normal_label),
                        prior_weights=None if prior is None else list(prior),
                        max_fpr=max_fpr, chosen_on=chosen_on)  # fmt: skip
    y = np.asarray(y).astype(str)
    p = rule.proba(proba)
    if len(y) != len(p):
        raise DataError(f"{len(p)} rows of probabilities but {len(y)} classes")
    normal = y == rule.normal_label
    if max_fpr is not None:
        argmax_fpr = float(rule.decide(p)[1][normal].mean()) if normal.any() else 0.0
        if not (cap and argmax_fpr <= max_fpr):
            # Above 1 nothing could be flagged: more than the budget of normal rows tie at
            # P(normal) = 0 (coarse probabilities, e.g. a forest's unanimous votes). A
            # detector that never alerts is no answer: flag those rows, and say so.
            rule.threshold = min(budget_threshold(1.0 - p[normal, rule.normal_index],
                                                  max_fpr), 1.0)  # fmt: skip
    _, attack = rule.decide(p)
    rule.validation = {
        "normal_rows": int(normal.sum()),
        "attack_rows": int((~normal).sum()),
        "binary_dr": float(attack[~normal].mean()) if (~normal).any() else None,
        "binary_fpr": float(attack[normal].mean()) if normal.any() else None,
    }
    return rule


def budget_unmet(rule: DecisionRule) -> str | None:
    """A one-line warning when ``rule``'s validation FPR exceeds its budget, else None."""
    v, f = rule.validation or {}, rule.max_fpr
    if f is None or rule.threshold is None or v.get("binary_fpr") is None:
        return None
    if v["binary_fpr"] <= f + 1e-12:
        return None
    return (f"the false-alarm budget {f:g} cannot be met on the validation rows: "
            f"{v['binary_fpr']:.2%} of the normal rows have P(normal) = 0 (the model's "
            "probabilities are too coarse to rank them); the rule flags only rows with "
            "P(normal) = 0")  # fmt: skip


def joint_threshold(normal_scores, normal_novel, max_fpr: float) -> float:
    """The lowest threshold t for which normal rows with score ≥ t *or* flagged novel are
    at most ``max_fpr`` of them (1 when the novel rows alone take the budget)."""
    s = np.asarray(normal_scores, dtype=np.float64)
    novel = np.asarray(normal_novel, dtype=bool)
    if len(s) == 0:
        raise DataError("no normal validation rows to choose a threshold on")
    left = int(math.floor(max_fpr * len(s) + 1e-9)) - int(novel.sum())
    rest = np.sort(s[~novel])[::-1]
    if left < 0:
        return 1.0
    if left >= len(rest):
        return 0.0
    return min(float(np.nextafter(rest[left], np.inf)), 1.0)


def too_few_normal_rows(n_normal: int, max_fpr: float) -> str | None:
    """A one-line warning when ``n_normal`` rows cannot estimate an FPR of ``max_fpr``."""
    need = math.ceil(10 / max_fpr) if max_fpr > 0 else math.inf
    if n_normal < need:
        return (f"only {n_normal:,} normal validation rows to choose a threshold for a "
                f"false-alarm budget of {max_fpr:g} (at least {need:,} estimate it; 10 / budget): "
                "the FPR reached on new traffic may be far from the budget")  # fmt: skip
    return None
