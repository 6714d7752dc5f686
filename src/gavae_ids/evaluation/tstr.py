"""Train on synthetic, test on real (TSTR), beside train on real, test on real (TRTR).

One classifier (default: a 100-tree random forest, fixed seed) is trained on
the synthetic rows of every class that has them plus the real rows of the
classes the oversampler did not generate (e.g. the majority class), and tested
on held-out *real* rows; its macro-F1 over all classes of the real training
rows is the TSTR score. The same classifier trained on the real training rows
(TRTR) is the reference beside it. The held-out rows must come from the
training data, never from a test set.

Part of :mod:`gavae_ids.evaluation.fidelity`, which re-exports every name here.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.ensemble import RandomForestClassifier
from sklearn.metrics import f1_score

from gavae_ids.evaluation._rows import _as_2d, _check_pair


@dataclass(frozen=True)
class TSTRResult:
    """Train-on-synthetic / train-on-real scores on the same held-out real rows.

    Attributes
    ----------
    tstr_macro_f1 : float
        Macro-F1 of the classifier trained on :func:`tstr_training_set`.
    trtr_macro_f1 : float
        Macro-F1 of the same classifier trained on the real training rows.
    per_class : DataFrame
        Index: class; columns ``tstr_f1``, ``trtr_f1``, ``n_train_synthetic``,
        ``n_train_real``, ``n_test``.
    classifier : str
        The classifier, as ``repr``.
    """

    tstr_macro_f1: float
    trtr_macro_f1: float
    per_class: pd.DataFrame
    classifier: str


def tstr_training_set(X_real, y_real, X_syn, y_syn) -> tuple[np.ndarray, np.ndarray]:
    """The TSTR training rows: all synthetic rows, plus the real rows of every class
    that has no synthetic rows (e.g. the majority class an oversampler leaves alone)."""
    X_real, X_syn = _check_pair(X_real, X_syn)
    y_real, y_syn = np.asarray(y_real), np.asarray(y_syn)
    keep = ~np.isin(y_real, np.unique(y_syn))
    return np.vstack([X_syn, X_real[keep]]), np.concatenate([y_syn, y_real[keep]])


def tstr(X_real, y_real, X_syn, y_syn, X_test, y_test, *, classifier=None,
         random_state=0) -> TSTRResult:  # fmt: skip
    """Train on synthetic, test on real (TSTR), beside train on real, test on real (TRTR).

    Parameters
    ----------
    X_real, y_real : array-like
        The real training rows (those the oversampler was fitted on).
    X_syn, y_syn : array-like
        The synthetic rows only.
    X_test, y_test : array-like
        Held-out *real* rows of the training data (never a test set).
    classifier : scikit-learn classifier, optional
        Cloned for each fit. Default: ``RandomForestClassifier(n_estimators=100,
        random_state=random_state)``.
    random_state : int, default=0
        Seed of the default classifier.

    Returns
    -------
    TSTRResult
        Macro-F1 over every class of ``y_real`` (a class never predicted scores
        F1 0; ``zero_division=0``).
    """
    from sklearn.base import clone

    X_real, X_syn = _check_pair(X_real, X_syn)
    X_test = _as_2d(X_test, "X_test")
    y_real, y_syn, y_test = np.asarray(y_real), np.asarray(y_syn), np.asarray(y_test)
    if classifier is None:
        classifier = RandomForestClassifier(n_estimators=100, random_state=random_state)
    labels = np.unique(y_real)
    X_tstr, y_tstr = tstr_training_set(X_real, y_real, X_syn, y_syn)
    scores = {}
    for name, (X, y) in {"tstr": (X_tstr, y_tstr), "trtr": (X_real, y_real)}.items():
        pred = clone(classifier).fit(X, y).predict(X_test)
        scores[name] = f1_score(y_test, pred, labels=labels, average=None, zero_division=0)
    per_class = pd.DataFrame(
        {
            "tstr_f1": scores["tstr"],
            "trtr_f1": scores["trtr"],
            "n_train_synthetic": [int((y_syn == c).sum()) for c in labels],
            "n_train_real": [int((y_tstr == c).sum() - (y_syn == c).sum()) for c in labels],
            "n_test": [int((y_test == c).sum()) for c in labels],
        },
        index=pd.Index([c.item() if hasattr(c, "item") else c for c in labels], name="class"),
    )
    return TSTRResult(
        tstr_macro_f1=float(scores["tstr"].mean()),
        trtr_macro_f1=float(scores["trtr"].mean()),
        per_class=per_class,
        classifier=repr(classifier),
    )


def summary_rows(results: Mapping[str, TSTRResult]) -> pd.DataFrame:
    """``{sampler: TSTRResult}`` → the summary frame :func:`fidelity_markdown` shows."""
    return pd.DataFrame(
        [{"sampler": s, "tstr_macro_f1": r.tstr_macro_f1, "trtr_macro_f1": r.trtr_macro_f1}
         for s, r in results.items()],
        columns=["sampler", "tstr_macro_f1", "trtr_macro_f1"],
    )  # fmt: skip
