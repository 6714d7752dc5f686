"""``--method auto``: CV over candidate methods on the training rows, then a refit of the winner."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from gavae_ids.classifiers import make_lightgbm, registry
from gavae_ids.detection._auto_folds import _Race
from gavae_ids.detection.auto import (
    TIE_TOLERANCE,
    AutoSelection,
    _pick,
    order_candidates,
    select_method,
)
from gavae_ids.exceptions import DataError


@pytest.fixture(scope="module")
def threshold_table():
    """The label is an exact threshold on one integer column: a forest finds it at once."""
    rng = np.random.RandomState(0)
    n = 300
    X = pd.DataFrame({"a": rng.randint(0, 100, n), "b": rng.rand(n),
                      "proto": rng.choice(["tcp", "udp"], n)})  # fmt: skip
    y = np.where(X["a"] >= 60, "attack", "normal")
    return X, y


def test_picks_the_clearly_better_candidate(threshold_table):
    X, y = threshold_table
    sel = select_method(X, y, candidates=["dnn", "rf"], quick=True, race_margin=None,
                        n_jobs=1, verbose=False)  # fmt: skip
    rows = {r["candidate"]: r for r in sel.table}
    assert [r["candidate"] for r in sel.table] == ["rf", "dnn"]  # cheapest first
    assert all(r["status"] == "ok" and len(r["folds"]) == 3 for r in sel.table)
    assert rows["rf"]["mean"] > rows["dnn"]["mean"] + 0.05
    assert sel.winner == "rf"
    assert sel.reason.startswith("highest mean f1_macro over 3 folds")
    assert rows["rf"]["mean"] == pytest.approx(np.mean(rows["rf"]["folds"]))
    # same seed, same folds, same scores
    again = select_method(X, y, candidates=["rf"], quick=True, n_jobs=1, verbose=False)
    assert again.table[0]["folds"] == rows["rf"]["folds"]


def test_the_budget_skips_a_candidate_and_says_so(threshold_table):
    X, y = threshold_table
    sel = select_method(X, y, candidates=["dnn", "rf"], time_budget=1e-6, quick=True,
                        race_margin=None, n_jobs=1, verbose=False)  # fmt: skip
    rows = {r["candidate"]: r for r in sel.table}
    assert rows["rf"]["status"] == "ok"  # the first (cheapest) always runs
    assert rows["dnn"]["status"].startswith("skipped: over budget")
    assert rows["dnn"]["folds"] == [] and rows["dnn"]["mean"] is None
    assert sel.winner == "rf" and "skipped or failed" in sel.reason
    assert "skipped: over budget" in sel.to_markdown()


def test_a_clearly_worse_network_is_dropped_by_the_race_and_cannot_win(threshold_table):
    X, y = threshold_table
    # 300 rows: fold 1 trains on 200, so a pilot of 1,000 rows per class would be fold 1 itself
    sel = select_method(X, y, candidates=["dnn", "rf"], quick=True, n_jobs=1, verbose=False)
    rows = {r["candidate"]: r for r in sel.table}
    assert rows["rf"]["status"] == "ok" and rows["dnn"]["pilot"] is None
    assert rows["dnn"]["status"].startswith("dropped: fold 1 scored")
    assert len(rows["dnn"]["folds"]) == 1 and rows["dnn"]["mean"] is None
    assert rows["dnn"]["folds"][0] + 0.02 < rows["rf"]["folds"][0]
    assert sel.winner == "rf"
    # a pilot on 20 rows per class of fold 1, beside rf fitted on the same rows
    sel = select_method(X, y, candidates=["dnn", "rf"], quick=True, pilot_rows_per_class=20,
                        n_jobs=1, verbose=False)  # fmt: skip
    dnn = {r["candidate"]: r for r in sel.table}["dnn"]
    assert dnn["status"].startswith("dropped: pilot on 40 rows of fold 1")
    assert dnn["pilot"]["rows"] == 40 and dnn["pilot"]["leader"] == "rf"
    assert dnn["pilot"]["score"] + 0.02 < dnn["pilot"]["leader_score"]
    assert dnn["folds"] == [] and sel.winner == "rf"
    # a margin no gap exceeds keeps every candidate in: all folds run
    sel = select_method(X, y, candidates=["dnn", "rf"], quick=True, race_margin=1.0,
                        n_jobs=1, verbose=False)  # fmt: skip
    assert all(r["status"] == "ok" and len(r["folds"]) == 3 for r in sel.table)


def test_fits_side_by_side_give_the_table_of_fits_one_at_a_time(threshold_table, monkeypatch):
    """Worker processes, fits queued ahead of need, the same decisions: racing (a pilot that
    drops, one that survives, a fold 1 beside the leader's) and the scores are those of the
    serial run, value for value."""
    from gavae_ids.detection import auto

    monkeypatch.setattr(auto, "CHEAP", ("lgbm",))  # rf raced too: a cheap survivor
    X, y = threshold_table
    y = np.where(X["b"] > 0.85, "scan", y)  # three classes: the rf is no longer perfect
    kw = dict(candidates=["dnn", "lgbm", "rf"], quick=True, normal_label="normal",
              pilot_rows_per_class=30, race_margin=0.1, verbose=False)  # fmt: skip
    serial, parallel = (select_method(X, y, n_jobs=j, **kw) for j in (1, 2))
    assert (serial.n_jobs, parallel.n_jobs) == (1, 2)
    keys = ("candidate", "status", "folds", "mean", "std", "binary_dr", "binary_fpr",
            "argmax_fpr", "threshold", "pilot")  # fmt: skip

    def table(sel):
        return [{k: r[k] if k != "pilot" else (r[k] or {}).get("score") for k in keys}
                for r in sel.table]  # fmt: skip

    assert table(parallel) == table(serial)
    rows = {r["candidate"]: r for r in serial.table}
    assert rows["dnn"]["status"].startswith("dropped: pilot")
    assert rows["rf"]["status"] == "ok" and rows["rf"]["pilot"]["leader"] == "lgbm"
    assert (parallel.winner, parallel.reason) == (serial.winner, serial.reason)
    with pytest.raises(DataError, match="n_jobs must be"):
        select_method(X, y, n_jobs=0, **kw)


def test_a_gavae_pilot_trains_its_gavae_for_a_share_of_its_iterations(threshold_table,
                                                                       monkeypatch):  # fmt: skip
    """The GAVAE's cost barely depends on the rows: the pilot cuts its iterations too."""
    from gavae_ids.detection import _auto_folds, _fold_pool, auto

    fits = []

    def fake_fit_proba(pipe, X_tr, y_tr, X_te, classes, threads):  # rf: perfect; GAVAE: a coin
        n_iter = pipe.get_params().get("classifier__sampler__n_iter")
        fits.append((n_iter, len(y_tr)))
        if n_iter is None:  # the fixture's label: attack where a >= 60
            return np.eye(2)[(X_te["a"] < 60).astype(int)], 0.0, []
        return np.full((len(X_te), 2), 0.5), 0.0, []

    monkeypatch.setattr(_fold_pool, "fit_proba", fake_fit_proba)
    X, y = threshold_table
    sel = select_method(X, y, candidates=["gavae-lgbm", "rf"], quick=True,
                        pilot_rows_per_class=20, n_jobs=1, verbose=False)  # fmt: skip
    gavae = {r["candidate"]: r for r in sel.table}["gavae-lgbm"]
    quick_iter = _auto_folds.build_pipeline("gavae-lgbm", quick=True).get_params()[
        "classifier__sampler__n_iter"]  # fmt: skip
    short = round(quick_iter * auto.PILOT_ITER_FRACTION)
    assert gavae["status"].startswith(f"dropped: pilot on 40 rows of fold 1, GAVAE n_iter {short}")
    assert gavae["pilot"]["classifier__sampler__n_iter"] == short < quick_iter
    assert (short, 40) in fits and (quick_iter, 40) not in fits and sel.winner == "rf"


def _race(y, **kw):
    from sklearn.metrics import get_scorer

    kw = {"normal": "normal", "decision": "cap", "max_fpr": 0.01, **kw}
    return _Race(None, np.asarray(y), [], get_scorer("f1_macro"), ["normal", "x"],
                 margin=0.02, pilot_rows=None, kw={}, t_start=0.0, time_budget=None,
                 **kw)  # fmt: skip


def test_candidates_are_ranked_at_the_decision_rule_not_at_argmax():
    """A: catches every attack but its surest alerts are 15 % of the normal rows; B: misses
    40 % of the attacks and never raises a false alarm. At argmax A ranks first; at the
    1 % cap A's threshold must sit above those false alarms and then catches nothing."""
    from sklearn.metrics import f1_score

    y = np.array(["normal"] * 200 + ["x"] * 100)
    attack_a = np.r_[np.full(30, 0.95), np.full(170, 0.1), np.full(100, 0.9)]
    attack_b = np.r_[np.full(200, 0.1), np.full(60, 0.8), np.full(40, 0.3)]
    a, b = (np.c_[1 - s, s] for s in (attack_a, attack_b))
    groups = [np.arange(0, 300, 2), np.arange(1, 300, 2)]
    order = np.concatenate(groups)
    at_argmax = {k: np.mean(_race(y, decision="argmax").score(p[order], groups)["folds"])
                 for k, p in (("a", a), ("b", b))}  # fmt: skip
    assert at_argmax["a"] > at_argmax["b"]
    ra, rb = (_race(y).score(p[order], groups) for p in (a, b))
    assert np.mean(rb["folds"]) > np.mean(ra["folds"])
    assert ra["argmax_fpr"] == pytest.approx(0.15) and ra["binary_fpr"] <= 0.01
    assert ra["threshold"] > 0.95 and ra["binary_dr"] == 0.0
    assert rb["threshold"] is None and rb["binary_fpr"] == 0.0  # within the cap: argmax kept
    assert rb["binary_dr"] == pytest.approx(0.6)
    # each fold's score is the scorer on the rule's predictions of that fold's rows
    pred_a = np.where(attack_a >= ra["threshold"], "x", "normal")
    first = groups[0]
    assert ra["folds"][0] == pytest.approx(f1_score(y[first], pred_a[first], average="macro"))


def test_an_older_card_selection_without_rates_still_renders():
    row = {"candidate": "rf", "status": "ok", "mean": 0.9, "std": 0.01, "folds": [0.9],
           "fit_seconds": 1.0}  # fmt: skip
    old = {"winner": "rf", "reason": "r", "scoring": "f1_macro", "folds": 3, "seed": 0,
           "rows": 10, "rows_total": 10, "max_rows_per_class": 5000, "time_budget": None,
           "seconds": 1.0, "table": [row]}  # fmt: skip
    md = AutoSelection(**old).to_markdown()
    assert "| **rf** | 0.9000 | 0.0100 | 0.9000 | — | — | 1.0 | ok |" in md
    assert "after the decision rule (argmax" in md


def test_unavailable_and_unbundleable_candidates_are_listed_as_skipped(
    threshold_table, monkeypatch
):
    missing = registry._Entry(make_lightgbm, requires="no_such_module_x")
    monkeypatch.setitem(registry._METHODS, "fake-lgbm", missing)
    X, y = threshold_table
    sel = select_method(X, y, candidates=["rf", "fake-lgbm", "knn"], n_jobs=1, verbose=False)
    rows = {r["candidate"]: r["status"] for r in sel.table}
    assert rows["fake-lgbm"].startswith("skipped: not installed")
    assert "no_such_module_x" in rows["fake-lgbm"]
    assert rows["knn"].startswith("skipped: cannot be bundled")
    assert sel.winner == "rf"


def test_a_failing_candidate_is_listed_and_the_others_still_compete(threshold_table, monkeypatch):
    from gavae_ids.classifiers import RFClassifier

    class Broken(RFClassifier):
        def fit(self, X, y):
            raise RuntimeError("boom")

    monkeypatch.setitem(registry._METHODS, "broken", registry._Entry(Broken))
    monkeypatch.setattr("gavae_ids.detection.auto._unusable", lambda m: None)
    X, y = threshold_table
    sel = select_method(X, y, candidates=["broken", "rf"], n_jobs=1, verbose=False)
    rows = {r["candidate"]: r["status"] for r in sel.table}
    assert rows["broken"] == "failed: RuntimeError: boom"
    assert sel.winner == "rf"


def test_ties_go_to_the_faster_candidate():
    def row(name, mean, fit):
        return {"candidate": name, "status": "ok", "mean": mean, "fit_seconds": fit}

    table = [row("slow", 0.900, 10.0), row("fast", 0.900 - TIE_TOLERANCE / 2, 1.0),
             row("worse", 0.80, 0.1)]  # fmt: skip
    winner, reason = _pick(table, "f1_macro", 3)
    assert winner == "fast" and "faster to fit" in reason and "slow" in reason
    table[1]["mean"] = 0.900 - 2 * TIE_TOLERANCE  # no longer tied
    assert _pick(table, "f1_macro", 3)[0] == "slow"
    with pytest.raises(DataError, match="no candidate finished"):
        _pick([{"candidate": "x", "status": "failed: E"}], "f1_macro", 3)


def test_the_reason_says_whether_the_folds_resolve_the_lead():
    def row(name, folds, fit=1.0):
        return {"candidate": name, "status": "ok", "mean": sum(folds) / len(folds),
                "fit_seconds": fit, "folds": folds}  # fmt: skip

    clear = [row("a", [0.90, 0.91, 0.92]), row("b", [0.80, 0.82, 0.81]), row("c", [0.5] * 3)]
    winner, reason = _pick(clear, "f1_macro", 3)
    assert winner == "a"
    assert "against b fold by fold: ahead on 3 of 3, by +0.1000 ± 0.0100" in reason
    assert "do not resolve" not in reason
    # A lead in the mean, but b scored higher on one fold: within the folds' noise.
    mixed = [row("a", [0.99, 0.91, 0.79]), row("b", [0.80, 0.82, 0.81])]
    winner, reason = _pick(mixed, "f1_macro", 3)
    assert winner == "a" and "ahead on 2 of 3" in reason
    assert reason.endswith("a difference these folds do not resolve")
    # A tie pick is compared with the candidate it was tied with, which it trails.
    tie = [row("slow", [0.90, 0.90, 0.90], fit=9.0), row("fast", [0.91, 0.89, 0.898])]
    winner, reason = _pick(tie, "f1_macro", 3)
    assert winner == "fast" and "against slow fold by fold: ahead on 1 of 3" in reason
    assert "do not resolve" in reason


def test_bad_requests_are_refused_before_any_fit(threshold_table):
    X, y = threshold_table
    with pytest.raises(DataError, match="unknown candidate method 'nope'"):
        order_candidates(["rf", "nope"])
    with pytest.raises(DataError, match="unknown --scoring 'f2_macro'"):
        select_method(X, y, candidates=["rf"], scoring="f2_macro", n_jobs=1, verbose=False)
    from gavae_ids.detection.train import train_detector

    with pytest.raises(DataError, match="cannot be given with --method auto"):
        train_detector("csv", method="auto", csv_path="unused.csv", epochs=3)


def test_train_auto_card_holds_the_table_and_the_refit_uses_all_rows(tmp_path):
    from typer.testing import CliRunner

    from gavae_ids.cli import app
    from gavae_ids.detection.detector import Detector, read_manifest

    rng = np.random.RandomState(1)
    n = 400
    df = pd.DataFrame({"a": rng.randint(0, 100, n), "b": rng.randint(0, 7, n)})
    df["label"] = np.where(df["a"] >= 70, "attack", np.where(df["b"] == 3, "scan", "normal"))
    df.to_csv(tmp_path / "t.csv", index=False)
    res = CliRunner().invoke(app, [
        "train", "--dataset", "csv", "--input", str(tmp_path / "t.csv"), "--out",
        str(tmp_path / "m"), "--method", "auto", "--candidates", "dnn,rf", "--quick",
        "--cv-max-rows-per-class", "40", "--validation", "0", "--n-jobs", "1", "--quiet",
    ])  # fmt: skip
    assert res.exit_code == 0, res.output
    assert "## Method selection (--method auto)" in res.output
    assert "(chosen by --method auto)" in res.output
    det = Detector.load(tmp_path / "m")
    sel = det.model_card.selection
    assert det.method == sel["winner"] == read_manifest(tmp_path / "m")["method"]
    assert det.info["selected_by"] == "auto"
    assert {r["candidate"] for r in sel["table"]} == {"dnn", "rf"}
    # ranked at the rule train applies: cap at a 1 % budget, FPR out-of-fold in the table
    assert (sel["decision"], sel["max_fpr"], sel["normal_label"]) == ("cap", 0.01, "normal")
    ok = [r for r in sel["table"] if r["status"] == "ok"]
    assert ok and all(0.0 <= r["binary_fpr"] <= r["argmax_fpr"] + 1e-12 for r in ok)
    counts = df["label"].value_counts()
    assert sel["rows"] == int(np.minimum(counts, 40).sum()) < n  # the comparison was capped
    assert det.info["rows_trained"] == n  # ... the refit was not
    card = json.loads((tmp_path / "m" / "model_card.json").read_text())
    assert card["selection"]["table"] == sel["table"]
    md = (tmp_path / "m" / "model_card.md").read_text()
    assert f"chosen by `--method auto`: {sel['reason']}" in md
    assert "| candidate | mean f1_macro |" in md
