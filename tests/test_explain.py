"""``score --explain K``: the fields behind every alert, one method per model family (#29).

The tables are made here: one field decides the class, the others are noise, so a
right explanation names that field first.
"""

from __future__ import annotations

import functools
import importlib.util
import sys

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from gavae_ids.classifiers import HGBClassifier, get_method
from gavae_ids.cli import app
from gavae_ids.detection.detector import Detector
from gavae_ids.detection.explain import AlertExplainer, integrated_gradients
from gavae_ids.exceptions import DataError
from gavae_ids.preprocessing import TabularPreprocessor
from gavae_ids.scoring import score_file

HAS_SHAP = importlib.util.find_spec("shap") is not None
needs_shap = pytest.mark.skipif(not HAS_SHAP, reason="shap is not installed (the 'explain' extra)")
needs_lgbm = pytest.mark.skipif(importlib.util.find_spec("lightgbm") is None,
                                reason="lightgbm is not installed (the 'trees' extra)")  # fmt: skip

#: Small budgets that still learn the one-field rule.
PARAMS = {
    "lgbm": {"n_estimators": 30},
    "smote-lgbm": {"n_estimators": 30},
    "rf": {"n_estimators": 30},
    "smote-rf": {"n_estimators": 30},
    "dnn": {"epochs": 30, "lr": 3e-3},
    "cnn": {"epochs": 20, "lr": 3e-3},
}


def table(n=900, seed=0, decider="key"):
    """Five noise numbers, a noise category and ``key`` in [0, 1]; the class follows
    ``decider`` alone: ``key`` (a number) or ``proto`` (a category)."""
    rng = np.random.default_rng(seed)
    df = pd.DataFrame({f"n{i}": rng.normal(size=n) for i in range(5)})
    df["proto"] = rng.choice(["tcp", "udp", "icmp"], size=n)
    df["key"] = rng.uniform(size=n)
    if decider == "key":
        # One attack at the top of key's range and one at the bottom, where the networks'
        # older reference (the zero row, every number at its minimum) gave key no credit.
        # Their reference since 0.2.1 is the mean training row: a band around key's mean
        # would be their blind spot instead (see the docs).
        y = np.select([df["key"] > 0.75, df["key"] < 0.15], ["dos", "probe"],
                      "normal")  # fmt: skip
    elif decider == "key-binary":  # the normal class sorts last: LightGBM's log-odds are its
        y = np.where(df["key"] > 0.7, "attack", "normal")
    else:
        y = np.where(df["proto"] == "icmp", "scan", "normal")
    return df, y


@functools.cache
def detector(method, decider="key", seed=0):
    df, y = table(decider=decider, seed=seed)
    pre = TabularPreprocessor(categorical=["proto"]).fit(df)
    if method == "hgb":  # saved in a bundle (skops) but not explained
        clf = HGBClassifier(max_iter=20, random_state=0)
    else:
        clf = get_method(method, random_state=0, **PARAMS.get(method, {}))
    if "verbose" in clf.get_params(deep=False):
        clf.set_params(verbose=False)
    clf.fit(pre.transform(df), y)
    return Detector(pre, clf, normal_label="normal", method=method)


def explain(det, df, k=3):
    Xt = det.encode(df)[0]
    proba = det.predict_proba_encoded(Xt)
    pred, attack = det.decide(proba)
    return AlertExplainer(det, k)(Xt, proba, pred, attack), attack


@pytest.fixture(scope="module")
def lgbm_det():
    return detector("lgbm")


# -- the deciding field comes first ----------------------------------------------------------
@pytest.mark.parametrize("method", [
    pytest.param("lgbm", marks=needs_lgbm), pytest.param("smote-lgbm", marks=needs_lgbm),
    pytest.param("rf", marks=needs_shap), pytest.param("smote-rf", marks=needs_shap),
    "dnn", "cnn"])  # fmt: skip
def test_the_deciding_field_is_named_first(method):
    det = detector(method)
    df, _ = table(n=400, seed=1)  # new rows
    why, attack = explain(det, df)
    assert attack.sum() > 80
    first = np.asarray(why["why_1"])[attack]
    assert np.mean([w.startswith("key=") for w in first]) >= 0.95


@pytest.mark.parametrize("method", [pytest.param("lgbm", marks=needs_lgbm),
                                    pytest.param("rf", marks=needs_shap), "dnn"])  # fmt: skip
def test_a_one_hot_block_is_reported_as_its_source_field(method):
    det = detector(method, decider="proto")
    df, _ = table(n=300, seed=2)
    why, attack = explain(det, df)
    assert attack.sum() > 50
    first = np.asarray(why["why_1"])[attack]
    assert np.mean([w.startswith("proto=icmp (") for w in first]) >= 0.95
    cells = [c for k in why for c in why[k] if c]
    assert {c.split("=", 1)[0] for c in cells} <= set(df.columns)  # never proto=icmp=…
    assert all(c.count("=") == 1 for c in cells)
    for i in np.flatnonzero(attack)[:50]:  # each field once per row
        named = [why[k][i].split("=", 1)[0] for k in why if why[k][i]]
        assert len(named) == len(set(named))


@needs_lgbm
def test_binary_lightgbm_explains_toward_the_attack_class_whichever_class_is_first():
    det = detector("lgbm", decider="key-binary")
    assert list(det.classes_) == ["attack", "normal"]
    df, _ = table(n=300, seed=11)
    why, attack = explain(det, df)
    first = np.asarray(why["why_1"])[attack]
    assert np.mean([w.startswith("key=") and "(+" in w for w in first]) >= 0.95


# -- the cells ---------------------------------------------------------------------------------
@needs_lgbm
def test_an_unseen_category_reads_as_a_question_mark(lgbm_det):
    df, _ = table(n=5, seed=12)
    df.loc[2, "proto"] = "sctp"
    Xt = lgbm_det.encode(df)[0]
    proto = AlertExplainer(lgbm_det, 1).values(Xt)[list(df.columns).index("proto")]
    assert proto[2] == "?" and list(np.delete(proto, 2)) == list(np.delete(df["proto"], 2))


@needs_lgbm
def test_an_alert_predicted_normal_is_explained_toward_its_likeliest_attack(lgbm_det):
    ex = AlertExplainer(lgbm_det, 1)
    classes = list(lgbm_det.classes_)  # dos, normal, probe
    proba = np.zeros((2, 3))
    proba[0, [0, 1, 2]] = [0.1, 0.6, 0.3]  # flagged by --novelty or a threshold only
    proba[1, [0, 1, 2]] = [0.7, 0.2, 0.1]
    pred = np.array([classes.index("normal"), classes.index("dos")])
    assert classes[ex.target_classes(proba, pred)[0]] == "probe"
    assert classes[ex.target_classes(proba, pred)[1]] == "dos"


@needs_lgbm
def test_cells_show_the_value_read_and_the_signed_contribution(lgbm_det):
    df, _ = table(n=200, seed=3)
    why, attack = explain(lgbm_det, df, k=2)
    i = int(np.flatnonzero(attack)[0])
    field, rest = why["why_1"][i].split("=", 1)
    value, contrib = rest.split(" (")
    assert field == "key"
    assert float(value) == pytest.approx(df["key"].iloc[i], rel=1e-5)
    assert contrib.endswith(")") and contrib[0] in "+-" and float(contrib[:-1]) > 0


@needs_lgbm
def test_more_reasons_asked_than_fields_leaves_the_rest_empty(lgbm_det):
    df, _ = table(n=200, seed=4)
    why, attack = explain(lgbm_det, df, k=12)  # 7 fields
    assert list(why) == [f"why_{i}" for i in range(1, 13)]
    for i in np.flatnonzero(attack):
        cells = [why[f"why_{j}"][i] for j in range(1, 13)]
        named = [c.split("=", 1)[0] for c in cells if c]
        assert len(named) == len(set(named)) <= 7
        assert all(cells[: len(named)]) and not any(cells[7:])


@needs_lgbm
def test_reasons_are_ordered_by_contribution(lgbm_det):
    df, _ = table(n=200, seed=5)
    why, attack = explain(lgbm_det, df, k=7)
    for i in np.flatnonzero(attack)[:50]:
        c = [float(why[f"why_{j}"][i].rsplit("(", 1)[1][:-1]) for j in range(1, 8)
             if why[f"why_{j}"][i]]  # fmt: skip
        assert c == sorted(c, reverse=True)


@needs_lgbm
def test_lightgbm_contributions_add_up_to_the_margin(lgbm_det):
    df, _ = table(n=100, seed=6)
    Xt = lgbm_det.encode(df)[0]
    ex = AlertExplainer(lgbm_det, 1)
    target = np.full(len(Xt), list(lgbm_det.classes_).index("dos"))
    contrib = ex.field_contributions(Xt, target)
    raw = lgbm_det.classifier.booster_.predict(Xt, raw_score=True)
    bias = lgbm_det.classifier.booster_.predict(Xt, pred_contrib=True).reshape(len(Xt), 3, -1)
    n = lgbm_det.normal_index_
    margin = raw[:, target[0]] - raw[:, n] - (bias[:, target[0], -1] - bias[:, n, -1])
    np.testing.assert_allclose(contrib.sum(axis=1), margin, rtol=1e-6, atol=1e-6)


def test_integrated_gradients_add_up_to_the_change_of_the_margin():
    import torch

    torch.manual_seed(0)
    net = torch.nn.Sequential(torch.nn.Linear(6, 16), torch.nn.Tanh(), torch.nn.Linear(16, 3))
    x = torch.rand(20, 6)
    target = torch.full((20,), 2)
    ig = integrated_gradients(net, x, target, 0, steps=64)
    with torch.no_grad():
        m = net(x)[:, 2] - net(x)[:, 0]
        m0 = net(torch.zeros(1, 6))[:, 2] - net(torch.zeros(1, 6))[:, 0]
    np.testing.assert_allclose(ig.sum(axis=1), (m - m0).numpy(), rtol=1e-2, atol=1e-3)


def test_integrated_gradients_from_a_baseline_add_up_to_the_change_from_it():
    import torch

    torch.manual_seed(1)
    net = torch.nn.Sequential(torch.nn.Linear(5, 16), torch.nn.Tanh(), torch.nn.Linear(16, 2))
    x, base = torch.rand(10, 5), torch.rand(5)
    ig = integrated_gradients(net, x, torch.ones(10, dtype=torch.long), 0, steps=64,
                              baseline=base)  # fmt: skip
    with torch.no_grad():
        m = net(x)[:, 1] - net(x)[:, 0]
        mb = net(base[None])[:, 1] - net(base[None])[:, 0]
    np.testing.assert_allclose(ig.sum(axis=1), (m - mb).numpy(), rtol=1e-2, atol=1e-3)
    # a feature equal to the baseline gets nothing
    x[:, 3] = base[3]
    ig = integrated_gradients(net, x, torch.ones(10, dtype=torch.long), 0, baseline=base)
    assert np.abs(ig[:, 3]).max() == 0


def test_the_reference_row_round_trips_and_older_files_have_none():
    df, _ = table(n=200)
    pre = TabularPreprocessor(categorical=["proto"]).fit(df)
    np.testing.assert_allclose(pre.reference_, pre.transform(df).mean(axis=0))
    d = pre.to_dict()
    np.testing.assert_array_equal(TabularPreprocessor.from_dict(d).reference_, pre.reference_)
    del d["reference"]
    assert TabularPreprocessor.from_dict(d).reference_ is None


# -- refusals ----------------------------------------------------------------------------------
def test_a_method_without_explanation_is_one_line():
    det = detector("knn")
    with pytest.raises(DataError, match="--explain is not available for method 'knn'"):
        AlertExplainer(det, 3)


def test_a_forest_without_shap_names_the_extra(monkeypatch):
    det = detector("rf")
    monkeypatch.setitem(sys.modules, "shap", None)  # import shap now raises ImportError
    with pytest.raises(DataError, match=r"gavae-ids\[explain\]"):
        AlertExplainer(det, 3)


# -- scoring files -----------------------------------------------------------------------------
def read_scores(path):
    if path.suffix == ".csv":
        return pd.read_csv(path, keep_default_na=False)
    if path.suffix == ".jsonl":
        return pd.read_json(path, lines=True)
    return pd.read_parquet(path)


@needs_lgbm
@pytest.mark.parametrize("name", ["out.csv", "out.jsonl", "out.parquet"])
def test_scored_files_carry_reasons_for_alerts_only(lgbm_det, tmp_path, name):
    if name.endswith(".parquet"):
        pytest.importorskip("pyarrow")
    df, _ = table(n=300, seed=7)
    src = tmp_path / "in.csv"
    df.to_csv(src, index=False)
    out = tmp_path / name
    score_file(lgbm_det, src, out, explain=2, verbose=False)
    got = read_scores(out)
    assert list(got.columns[-2:]) == ["why_1", "why_2"]
    alert = got["is_attack"].astype(bool).to_numpy()
    assert 0 < alert.sum() < len(got)
    assert (got.loc[~alert, ["why_1", "why_2"]] == "").all().all()
    assert got.loc[alert, "why_1"].str.startswith("key=").mean() >= 0.95
    plain = tmp_path / ("plain" + out.suffix)
    score_file(lgbm_det, src, plain, verbose=False)  # the scores themselves do not change
    ref = read_scores(plain)
    pd.testing.assert_frame_equal(got.drop(columns=["why_1", "why_2"]), ref, check_dtype=False)


ZEEK_FIELDS = ["ts", "uid", "id.orig_h", "id.orig_p", "id.resp_h", "id.resp_p", "proto",
               "duration", "orig_bytes", "resp_bytes"]  # fmt: skip
ZEEK_TYPES = ["time", "string", "addr", "port", "addr", "port", "enum", "interval", "count",
              "count"]  # fmt: skip


def zeek_log(n, seed, label=False):
    """A conn.log whose class follows ``orig_bytes`` alone (large: an exfiltration)."""
    rng = np.random.default_rng(seed)
    head = ["#separator \\x09", "#unset_field\t-", "#path\tconn",
            "#fields\t" + "\t".join(ZEEK_FIELDS + (["label"] if label else [])),
            "#types\t" + "\t".join(ZEEK_TYPES + (["string"] if label else []))]  # fmt: skip
    lines = []
    for i in range(n):
        big = rng.uniform() < 0.3
        row = [f"{1525879831 + i}.0", f"C{i:06d}", "10.0.0.1", str(40000 + i), "10.0.0.2",
               "443", str(rng.choice(["tcp", "udp"])), f"{rng.uniform(0, 5):.3f}",
               str(int(rng.uniform(5e5, 1e6) if big else rng.uniform(0, 4e5))),
               str(int(rng.uniform(0, 1e4)))]  # fmt: skip
        lines.append("\t".join(row + (["Malicious" if big else "Benign"] if label else [])))
    return "\n".join(head + lines) + "\n"


@needs_lgbm
def test_zeek_identifiers_stay_beside_the_reasons(tmp_path):
    from gavae_ids.detection.train import train_detector

    train = tmp_path / "train.log"
    train.write_text(zeek_log(400, 0, label=True))
    det = train_detector("zeek", method="lgbm", csv_path=train, label="label", quick=True,
                         verbose=False, validation=0)  # fmt: skip
    src = tmp_path / "conn.log"
    src.write_text(zeek_log(200, 1))
    out = tmp_path / "out.csv"
    score_file(det, src, out, explain=1, verbose=False)
    got = pd.read_csv(out, dtype=str, keep_default_na=False)
    assert list(got.columns[:3]) == ["row", "ts", "uid"] and got.columns[-1] == "why_1"
    alert = got["is_attack"] == "1"
    assert alert.sum() > 20
    assert got.loc[alert, "why_1"].str.startswith("orig_bytes=").mean() >= 0.95
    assert (got.loc[~alert, "why_1"] == "").all()


# -- the command line --------------------------------------------------------------------------
def test_cli_explains_and_refuses_a_method_without_explanation(tmp_path):
    runner = CliRunner()
    df, _ = table(n=100, seed=8)
    src = tmp_path / "in.csv"
    df.to_csv(src, index=False)
    hgb = detector("hgb").save(tmp_path / "hgb")
    r = runner.invoke(app, ["score", str(hgb), str(src), "-o", str(tmp_path / "h.csv"),
                            "--explain", "2", "--quiet"])  # fmt: skip
    assert r.exit_code == 2
    assert "not available for method 'hgb'" in r.output and "Traceback" not in r.output
    assert len(r.output.strip().splitlines()) == 1
    assert not (tmp_path / "h.csv").exists()
    dnn = detector("dnn").save(tmp_path / "dnn")
    r = runner.invoke(app, ["score", str(dnn), str(src), "-o", str(tmp_path / "d.csv"),
                            "--explain", "2", "--quiet"])  # fmt: skip
    assert r.exit_code == 0, r.output
    got = pd.read_csv(tmp_path / "d.csv", keep_default_na=False)
    assert list(got.columns[-2:]) == ["why_1", "why_2"]


@needs_lgbm
def test_a_job_of_several_files_explains_each(lgbm_det, tmp_path):
    from gavae_ids.scoring.jobs import score_files

    (tmp_path / "in").mkdir()
    for seed in (9, 10):
        table(n=150, seed=seed)[0].to_csv(tmp_path / "in" / f"f{seed}.csv", index=False)
    score_files(lgbm_det, str(tmp_path / "in"), tmp_path / "out", explain=1, verbose=False)
    for seed in (9, 10):
        got = pd.read_csv(tmp_path / "out" / f"f{seed}.csv", keep_default_na=False)
        alert = got["is_attack"] == 1
        assert alert.any() and (got.loc[~alert, "why_1"] == "").all()
        assert got.loc[alert, "why_1"].str.startswith("key=").mean() >= 0.95
    with pytest.raises(DataError, match="not available"):
        score_files(detector("hgb"), str(tmp_path / "in"), tmp_path / "out2", explain=1,
                    verbose=False)  # fmt: skip
    assert not (tmp_path / "out2").exists()
