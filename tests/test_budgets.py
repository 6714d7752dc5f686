"""Methods at equal false-alarm budgets (#26 item 6): figures, tables and the 80 % refit."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import f1_score

from gavae_ids.detection.pipeline import build_pipeline
from gavae_ids.evaluation.budgets import budget_figures, budget_markdown, budget_tables
from gavae_ids.experiments.budget_runs import budget_run


def test_figures_count_alerts_over_attack_and_normal_rows_and_split_by_support():
    y = ["Normal"] * 4 + ["DoS"] * 2 + ["Probe"] * 2
    labels = ["Normal", "DoS", "Normal", "Normal", "DoS", "Normal", "Probe", "U2R"]
    attack = [lab != "Normal" for lab in labels]
    f = budget_figures(y, labels, attack, "Normal", inside=[True, True, False, False])
    assert f["test_fpr"] == pytest.approx(1 / 4)
    assert f["test_dr"] == pytest.approx(3 / 4)
    assert f["fpr_inside"] == pytest.approx(1 / 2) and f["fpr_outside"] == 0.0
    # macro-F1 over the classes present in the test rows only: U2R is not one of them
    assert f["test_macro_f1"] == pytest.approx(
        f1_score(y, labels, labels=["DoS", "Normal", "Probe"], average="macro"))


def _row(method, seed, rule, fpr, **kw):
    return {"test": "T", "method": method, "seed": seed, "rule": rule, "test_macro_f1": 0.5,
            "test_dr": 0.9, "test_fpr": fpr, **kw}  # fmt: skip


def test_tables_give_mean_and_std_over_seeds_and_leave_other_rules_out():
    rows = [_row("A", 0, "budget 0.01", 0.01), _row("A", 1, "budget 0.01", 0.03),
            _row("A", 0, "argmax", 0.40), _row("A", 0, "cap 0.01", 0.02)]  # fmt: skip
    md = budget_tables(rows)
    (line,) = [ln for ln in md.splitlines() if ln.startswith("| A")]
    assert line == "| A | 1 % | 2 | 50.00 ± 0.00 | 90.00 ± 0.00 | 2.00 ± 1.41 |"
    assert "FPR inside" not in md and "40.00" not in md
    with_side = budget_tables([_row("A", 0, "budget 0.05", 0.05, fpr_inside=0.04,
                                    fpr_outside=0.5)])  # fmt: skip
    assert "| FPR inside | FPR outside |" in with_side and "| 4.00 | 50.00 |" in with_side
    assert budget_markdown([_row("A", 0, "argmax", 0.4)], shift=False) == ""


def _table(n, seed):
    """Two overlapping classes: normal readings, and attacks shifted one sd."""
    rng = np.random.default_rng(seed)
    y = np.where(rng.random(n) < 0.6, "normal", "attack")
    X = pd.DataFrame(rng.normal(size=(n, 3)) + (y == "attack")[:, None], columns=list("abc"))
    return X, pd.Series(y)


def test_budget_is_held_on_validation_rows_and_the_cap_keeps_argmax_within_it():
    X, y = _table(3000, 0)
    Xt, yt = _table(3000, 1)
    pipe = build_pipeline("rf", numeric=list("abc"), categorical=[], random_state=0,
                          verbose=False, quick=True)  # fmt: skip
    rows = budget_run(pipe, X, y, {"test": (Xt, yt)}, method="rf", seed=0,
                      normal_label="normal", budgets=(0.02, 0.9))  # fmt: skip
    by = {r["rule"]: r for r in rows}
    assert set(by) == {"argmax", "cap 0.02", "budget 0.02", "cap 0.9", "budget 0.9"}
    assert by["argmax"]["val_fpr"] > 0.1  # the classes overlap: argmax flags many normal rows
    assert by["budget 0.02"]["val_fpr"] <= 0.02
    assert by["budget 0.02"]["test_fpr"] < by["argmax"]["test_fpr"] / 2
    assert by["cap 0.02"]["val_fpr"] == by["budget 0.02"]["val_fpr"]
    # argmax within the cap: the cap keeps argmax, the budget lowers the threshold to it
    assert {k: by["cap 0.9"][k] for k in ("val_fpr", "test_fpr", "test_dr")} == \
        {k: by["argmax"][k] for k in ("val_fpr", "test_fpr", "test_dr")}  # fmt: skip
    assert by["budget 0.9"]["test_dr"] > by["argmax"]["test_dr"]
