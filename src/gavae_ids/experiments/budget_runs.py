"""Fit a method on 80 % of the training rows and score the test sets at false-alarm budgets.

Used by ``gavae-ids reproduce --budgets`` and ``benchmarks/decision_rules.py``: for one
method and seed, :func:`budget_run` fits the pipeline on a stratified 80 % of the
training rows (:func:`~gavae_ids.detection.model_card.fit_with_card`, seed = the seed),
chooses every rule on the other 20 % (validation rows) and scores each test set once
under it. The figures and tables are :mod:`gavae_ids.evaluation.budgets`.

Rules (each chosen on the validation rows only):

* ``argmax``: the most probable class;
* ``cap F``: ``train``'s default — argmax unless its validation FPR exceeds F, then the
  threshold of ``budget F``;
* ``budget F``: the lowest threshold on 1 − P(normal) that flags at most F of the
  normal validation rows;
* with ``prior=True``, for resampled methods: ``prior`` (posteriors re-weighted to the
  training class priors) and ``prior+budget F``.
"""

from __future__ import annotations

import time

import numpy as np

from gavae_ids.detection.decision import choose_rule, prior_weights
from gavae_ids.detection.model_card import fit_with_card
from gavae_ids.detection.train import fit_priors
from gavae_ids.evaluation.budgets import BUDGETS, budget_figures
from gavae_ids.evaluation.support import support_split
from gavae_ids.preprocessing import TabularPreprocessor

__all__ = ["budget_run", "normal_support", "rules_of"]


def rules_of(proba_val, y_val, classes, normal_label: str, prior=None, *,
             budgets=BUDGETS, cap: bool = True):  # fmt: skip
    """``(name, DecisionRule)`` of every rule, chosen on the validation rows."""
    yield "argmax", choose_rule(proba_val, y_val, classes, normal_label)
    if prior is not None:
        yield "prior", choose_rule(proba_val, y_val, classes, normal_label, prior=prior)
    for f in budgets:
        if cap:
            yield f"cap {f:g}", choose_rule(proba_val, y_val, classes, normal_label,
                                            max_fpr=f, cap=True)  # fmt: skip
        yield f"budget {f:g}", choose_rule(proba_val, y_val, classes, normal_label, max_fpr=f)
        if prior is not None:
            yield f"prior+budget {f:g}", choose_rule(proba_val, y_val, classes, normal_label,
                                                     prior=prior, max_fpr=f)  # fmt: skip


def normal_support(train_X, categorical, tests: dict, normal_label: str) -> dict:
    """For each test set ``name → (X, y)``, which normal test rows lie inside the training
    rows (:func:`~gavae_ids.evaluation.support.support_split` in a one-hot + min-max
    encoding fitted on the training rows)."""
    pre = TabularPreprocessor(categorical=list(categorical)).fit(train_X)
    X = pre.transform(train_X)
    out = {}
    for name, (Xt, yt) in tests.items():
        normal = np.asarray(yt).astype(str) == str(normal_label)
        out[name] = support_split(X, pre.transform(Xt)[normal]).inside
    return out


def budget_run(pipeline, X, y, tests: dict, *, method: str, seed: int, normal_label: str,
               inside: dict | None = None, prior: bool = False, cap: bool = True,
               budgets=BUDGETS) -> list[dict]:  # fmt: skip
    """One row per rule × test set: the validation FPR/DR of the rule and its test figures.

    ``pipeline`` is unfitted (cloned and fitted on 80 % of ``X``/``y``); ``tests`` maps a
    test set's name to ``(X, y)``; ``inside`` (test set → flags of its normal rows) adds the
    FPR inside / outside the training data.
    """
    inside = inside or {}
    t0 = time.perf_counter()
    fitted, _ = fit_with_card(pipeline, X, y, normal_label=normal_label, method=method,
                              validation=0.2, random_state=seed)  # fmt: skip
    fit_s = time.perf_counter() - t0
    classes = [str(c) for c in fitted.classes_]
    rows, proba_val = fitted.validation_proba_
    y_val = np.asarray(y).astype(str)[rows]
    weights = None
    if prior:
        counts = fit_priors(fitted, classes)
        weights = None if counts is None else prior_weights(*counts)
    scored = {name: (np.asarray(fitted.predict_proba(Xt)), yt) for name, (Xt, yt) in
              tests.items()}  # fmt: skip
    out = []
    for name, rule in rules_of(proba_val, y_val, classes, normal_label, weights,
                               budgets=budgets, cap=cap):  # fmt: skip
        for test, (proba, yt) in scored.items():
            pred, attack = rule.decide(rule.proba(proba))
            labels = np.asarray(classes, dtype=object)[pred]
            out.append({"test": test, "method": method, "seed": seed, "rule": name,
                        "val_fpr": rule.validation["binary_fpr"],
                        "val_dr": rule.validation["binary_dr"],
                        **budget_figures(yt, labels, attack, normal_label, inside.get(test)),
                        "fit_s": round(fit_s, 1)})  # fmt: skip
    return out
