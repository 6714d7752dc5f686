"""The paper-conventions table: constructed numbers, and the identities it relies on."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from gavae_ids.evaluation import evaluate
from gavae_ids.evaluation.conventions import (
    CONVENTIONS,
    compare_conventions,
    convention_rows,
    conventions_markdown,
    f1_bound_check,
    micro_row,
    ovr_accuracy,
)
from gavae_ids.evaluation.metrics import TABLE_METRICS
from gavae_ids.evaluation.report import parse_markdown_table
from gavae_ids.evaluation.report_sections import (
    SECTION_ANCHOR,
    replace_section,
    update_report_sections,
)

LABELS = ["Normal", "DoS", "Probe", "R2L", "U2R"]


def random_predictions(seed: int, n: int = 400):
    rng = np.random.default_rng(seed)
    y = rng.choice(LABELS, size=n, p=[0.4, 0.3, 0.15, 0.1, 0.05])
    wrong = rng.random(n) < rng.uniform(0.05, 0.6)
    pred = np.where(wrong, rng.choice(LABELS, size=n), y)
    return y, pred


@pytest.mark.parametrize("seed", range(4))
def test_micro_row_equals_pooled_one_vs_rest_counts(seed):
    y, pred = random_predictions(seed)
    res = evaluate(y, pred, labels=LABELS)
    pc = res.per_class
    tp, fp, fn, tn = (pc[c].sum() for c in ("tp", "fp", "fn", "tn"))
    row = micro_row(res.overall["accuracy"], len(LABELS))
    assert row["precision"] == pytest.approx(tp / (tp + fp))
    assert row["recall"] == pytest.approx(tp / (tp + fn))
    assert row["fpr"] == pytest.approx(fp / (fp + tn))
    # and the mean one-vs-rest accuracy is 1 - 2 (1 - accuracy) / K
    assert ovr_accuracy(res.overall["accuracy"], len(LABELS)) == pytest.approx(
        res.summary()["macro_accuracy"]
    )


@pytest.mark.parametrize("seed", range(4))
def test_no_convention_gives_f1_above_mean_of_precision_and_recall(seed):
    y, pred = random_predictions(seed)
    summary = evaluate(y, pred, labels=LABELS).summary()
    for name, row in convention_rows(summary, len(LABELS)).items():
        assert row["f1"] <= (row["precision"] + row["recall"]) / 2 + 1e-9, name


def test_closest_convention_is_the_one_the_paper_row_was_made_with():
    y, pred = random_predictions(3)
    summary = evaluate(y, pred, labels=LABELS).summary()
    rows = convention_rows(summary, len(LABELS))
    for name in CONVENTIONS:
        paper = {"X": {m: round(rows[name][m], 2) for m in TABLE_METRICS}}
        cmp = compare_conventions({"ours": summary}, paper, len(LABELS), aliases={"ours": "X"})
        conv, mad = cmp.closest["ours"]
        assert conv == name and mad < 0.01
        assert len(cmp.table) == 1 + len(CONVENTIONS)  # the paper's row, then each convention
        assert math.isnan(cmp.table.iloc[0]["mad"])


def test_methods_the_paper_lacks_are_left_out():
    cmp = compare_conventions({"A": {"accuracy": 0.5}, "B": {"accuracy": 0.7}},
                              {"B": dict.fromkeys(TABLE_METRICS, 70.0)}, 5)  # fmt: skip
    assert set(cmp.table["method"]) == {"B"} and set(cmp.closest) == {"B"}


def test_f1_bound_flags_only_rows_above_the_arithmetic_mean():
    paper = {
        "above": {"precision": 60.0, "recall": 80.0, "f1": 72.0},  # mean 70
        "below": {"precision": 60.0, "recall": 80.0, "f1": 68.57},  # the harmonic mean
        "rounding": {"precision": 70.0, "recall": 70.0, "f1": 70.01},  # within print rounding
    }
    check = f1_bound_check(paper).set_index("method")
    assert check.loc["above", "exceeds"] and check.loc["above", "excess"] == pytest.approx(2.0)
    assert not check.loc["below", "exceeds"] and not check.loc["rounding", "exceeds"]


def test_markdown_states_the_closest_convention_with_its_distance():
    ours = {"GAVAE-DNN": {"accuracy": 0.8, "macro_accuracy": ovr_accuracy(0.8, 5),
                          **{f"binary_{m}": 0.9 for m in TABLE_METRICS}}}  # fmt: skip
    ours["GAVAE-DNN"]["binary_fpr"] = 0.05
    paper = {"GVAE-DNN": {"accuracy": 91.0, "recall": 90.0, "precision": 90.0, "f1": 90.0,
                          "g_mean": 90.0, "fpr": 5.0}}  # fmt: skip
    text = conventions_markdown(ours, paper, 5, test_set="T", paper_table="Table 6. X",
                                aliases={"GAVAE-DNN": "GVAE-DNN"})  # fmt: skip
    assert "closest convention **binary**, 0.17 points off" in text
    rows = parse_markdown_table(text, "What the paper's numbers can mean")
    binary = next(r for r in rows if "binary" in r["Source"])
    assert "(closest)" in binary["Source"] and binary["MAD"] == "0.17"


def test_replace_section_inserts_once_then_replaces_and_removes():
    report = f"# R\n\ntext\n\n{SECTION_ANCHOR}\n\n| a |\n"
    once = replace_section(report, "k", "<!-- gavae-ids:section k -->\nA\n<!-- gavae-ids:end k -->")
    assert once.index("\nA\n") < once.index(SECTION_ANCHOR)
    twice = replace_section(once, "k", "<!-- gavae-ids:section k -->\nB\n<!-- gavae-ids:end k -->")
    assert "\nB\n" in twice and "\nA\n" not in twice and twice.count("gavae-ids:section k") == 1
    assert replace_section(twice, "k", None) == report


def test_a_committed_run_gets_the_section_from_metrics_csv(tmp_path):
    rng = np.random.default_rng(0)
    rows = []
    for seed in (0, 1):
        for method in ("GAVAE-DNN", "DNN"):
            y, pred = random_predictions(seed + 10 * (method == "DNN"))
            s = evaluate(y, pred, labels=LABELS).summary()
            rows.append({"seed": seed, "method": method, "test_set": "KDDTest+", "subset": "all",
                         "fit_seconds": rng.random(), **s,
                         **{f"dr_{c}": 0.5 for c in LABELS}})  # fmt: skip
    frame = pd.DataFrame(rows)
    frame.to_csv(tmp_path / "metrics.csv", index=False)
    (tmp_path / "config.json").write_text(json.dumps({"dataset": "nsl-kdd",
                                                      "train_split": "train20"}))  # fmt: skip
    (tmp_path / "report.md").write_text(f"# Run\n\n{SECTION_ANCHOR}\n\nx\n")
    text = update_report_sections(tmp_path).read_text()
    table = parse_markdown_table(text, "What the paper's numbers can mean")
    weighted = next(r for r in table if r["Method"] == "DNN" and "weighted" in r["Source"])
    want = 100 * frame[frame["method"] == "DNN"]["weighted_f1"].mean()
    assert float(weighted["F1"]) == pytest.approx(want, abs=0.005)
    paper = next(r for r in table if r["Method"] == "GAVAE-DNN" and r["Source"] == "paper")
    assert paper["Accuracy"] == "90.35"
    assert update_report_sections(tmp_path).read_text() == text  # idempotent


def test_prior_art_only_for_full_training_and_never_with_unverified_numbers():
    from gavae_ids.evaluation.report_sections import PRIOR_ART, prior_art_section
    from gavae_ids.evaluation.results import RunTable, SeedRun

    # accuracies 0.79, 0.80, 0.81 over three seeds: mean 0.8, std 0.01
    runs = [SeedRun(seed=s, method="GAVAE-DNN", fit_seconds=1.0,
                    summary={t: {"all": {"accuracy": 0.79 + s / 100}}
                             for t in ("KDDTest+", "KDDTest-21")}) for s in range(3)]  # fmt: skip
    results = RunTable(Path("run"), {"dataset": "nsl-kdd", "train_split": "train"}, runs, [])
    text = prior_art_section(results)
    rows = parse_markdown_table(text, "Prior art on this protocol")
    ours = [r for r in rows if r["Method"] == "GAVAE-DNN"]
    assert [r["Test set"] for r in ours] == ["KDDTest+", "KDDTest-21"]
    assert ours[0]["Accuracy (5-class)"] == "80.00 ± 1.00"
    for name, art in PRIOR_ART.items():
        published = [r for r in rows if r["Method"] == name]
        if not art["results"]:  # nothing verified: the cells stay empty
            assert all(r[c] == "" for r in published for c in ("Accuracy (5-class)", "Binary DR"))
            assert "could not be verified" in text
    results.config["train_split"] = "train20"
    assert prior_art_section(results) is None
