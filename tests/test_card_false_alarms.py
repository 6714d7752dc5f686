"""The model card's false-alarm side: DR-FPR curve, simple reference models, the FPR warning."""

from __future__ import annotations

import hashlib
import json

import numpy as np
import pandas as pd
import pytest
from sklearn.dummy import DummyClassifier
from sklearn.tree import DecisionTreeClassifier

from gavae_ids.detection.decision import choose_rule
from gavae_ids.detection.detector import Detector, read_manifest
from gavae_ids.detection.false_alarms import (
    CURVE_POINTS,
    FIGURE,
    WARNING_START,
    dr_fpr_curve,
    fpr_warning,
)
from gavae_ids.detection.model_card import CARD_JSON, ModelCard, fit_with_card
from gavae_ids.detection.pipeline import DetectionPipeline
from gavae_ids.exceptions import ModelFileError

CLASSES = ["a", "b", "normal"]


def _table(n=600, seed=0):
    """Two sensors; the classes are clean cuts of them, so a depth-limited tree is exact."""
    rng = np.random.RandomState(seed)
    X = pd.DataFrame({"s1": rng.randint(0, 100, n), "s2": rng.randint(0, 10, n)})
    y = np.where(X["s1"] > 70, "a", np.where(X["s2"] < 2, "b", "normal"))
    return X, y


def _proba(n=2000, seed=0):
    """Overlapping scores of three classes: 60 % normal."""
    rng = np.random.RandomState(seed)
    y = rng.choice(CLASSES, n, p=[0.25, 0.15, 0.6])
    logits = rng.normal(size=(n, 3)) + 1.5 * (y[:, None] == np.array(CLASSES))
    p = np.exp(logits)
    return p / p.sum(axis=1, keepdims=True), y


def test_fpr_warning_needs_both_five_percent_and_twice_the_simple_model():
    assert fpr_warning(0.12, 0.02, "tree", "validation").startswith(WARNING_START)
    assert fpr_warning(0.12, 0.07, "tree", "validation") is None  # not twice the tree's
    assert fpr_warning(0.049, 0.0, "tree", "validation") is None  # within 5 %
    assert fpr_warning(0.12, None, None, "validation") is None  # nothing to compare with


def test_a_model_flagging_many_normal_rows_is_warned_and_a_good_one_is_not():
    X, y = _table()
    _, bad = fit_with_card(DetectionPipeline(DummyClassifier(strategy="uniform", random_state=0)),
                           X, y, normal_label="normal", method="dummy", validation=0.3,
                           reference=True)  # fmt: skip
    assert bad.metrics["binary_fpr"] > 0.5  # two of three classes are attacks
    assert bad.simple["best_fpr"] < 0.02 and len(bad.simple["models"]) == 1
    warned = [w for w in bad.warnings if w.startswith(WARNING_START)]
    assert len(warned) == 1 and bad.simple["best"] in warned[0]
    assert "WARNING:** many false alarms" in bad.to_markdown()
    assert ModelCard.from_dict(json.loads(json.dumps(bad.to_dict()))).warnings == bad.warnings

    _, good = fit_with_card(DetectionPipeline(DecisionTreeClassifier(random_state=0)), X, y,
                            normal_label="normal", method="tree", validation=0.3,
                            reference=True)  # fmt: skip
    assert good.simple is not None and not good.warnings
    assert "verdict: no warning" in good.to_markdown()


def test_cv_reference_pools_out_of_fold_rows():
    X, y = _table()
    _, card = fit_with_card(DetectionPipeline(DecisionTreeClassifier(random_state=0)), X, y,
                            normal_label="normal", method="tree", cv=3,
                            reference=True)  # fmt: skip
    assert card.evaluation["kind"] == "cv"
    forest = card.simple["models"][0]
    assert forest["binary_fpr"] == pytest.approx(0.0, abs=0.02) and forest["binary_dr"] > 0.95


def test_auto_candidates_with_a_recorded_fpr_are_reused_instead_of_fitting():
    from gavae_ids.detection.false_alarms import simple_reference

    selection = {"folds": 3, "table": [
        {"candidate": "lgbm", "status": "ok", "binary_fpr": 0.03, "binary_dr": 0.9},
        {"candidate": "rf", "status": "ok", "binary_fpr": 0.002, "argmax_fpr": 0.01,
         "binary_dr": 0.8},  # argmax's FPR is the one compared
        {"candidate": "gavae-dnn", "status": "ok", "binary_fpr": 0.001},  # not a simple model
    ]}  # fmt: skip
    ref = simple_reference(None, None, None, [], "normal", selection=selection)
    assert [m["name"].split()[0] for m in ref["models"]] == ["lgbm", "rf"]
    assert ref["best_fpr"] == 0.01 and ref["best"].startswith("rf")
    assert ref["models"][1]["measured_on"].endswith("at argmax")


@pytest.mark.parametrize("kind", ["budget", "prior-budget", "cap-kept-argmax", "argmax"])
def test_curve_chosen_point_is_the_rules_validation_point(kind):
    proba, y = _proba()
    rule = None
    if kind == "budget":
        rule = choose_rule(proba, y, CLASSES, "normal", max_fpr=0.05)
    elif kind == "prior-budget":
        rule = choose_rule(proba, y, CLASSES, "normal", prior=[0.5, 0.5, 2.0], max_fpr=0.02)
    elif kind == "cap-kept-argmax":
        rule = choose_rule(proba, y, CLASSES, "normal", max_fpr=0.9, cap=True)
        assert rule.threshold is None
    c = dr_fpr_curve(proba, y, CLASSES, "normal", rule)
    chosen = c["chosen"]
    if rule is None:
        flag = proba.argmax(axis=1) != 2
        normal = y == "normal"
        assert chosen["fpr"] == pytest.approx(flag[normal].mean())
        assert chosen["dr"] == pytest.approx(flag[~normal].mean())
    else:
        assert chosen["fpr"] == pytest.approx(rule.validation["binary_fpr"])
        assert chosen["dr"] == pytest.approx(rule.validation["binary_dr"])
        assert chosen["threshold"] == rule.threshold and c["max_fpr"] == rule.max_fpr
    # a few hundred points at most, from nothing flagged to everything flagged, FPR rising
    assert 10 < len(c["fpr"]) <= CURVE_POINTS == 300
    assert (c["fpr"][0], c["dr"][0], c["fpr"][-1], c["dr"][-1]) == (0.0, 0.0, 1.0, 1.0)
    assert np.all(np.diff(c["fpr"]) >= 0) and np.all(np.diff(c["dr"]) >= 0)
    if kind == "budget":  # the threshold sweep passes through the rule's point
        assert min(abs(f - chosen["fpr"]) for f in c["fpr"]) < 0.01


def _csv(tmp_path):
    X, y = _table(500)
    X.assign(label=y).to_csv(tmp_path / "t.csv", index=False)
    return tmp_path / "t.csv"


def _train(tmp_path, name, *extra):
    from typer.testing import CliRunner

    from gavae_ids.cli import app

    res = CliRunner().invoke(app, [
        "train", "--dataset", "csv", "--input", str(_csv(tmp_path)), "--out",
        str(tmp_path / name), "--method", "dnn", "--quiet", "-p", "epochs=2", "-p", "hidden=[8]",
        *extra])  # fmt: skip
    assert res.exit_code == 0, res.output
    return res.output


def test_bundle_holds_the_curve_png_and_refuses_it_tampered(tmp_path):
    # A budget of half the normal rows: the rule flags ~50 % of them, the exact tree none.
    out = _train(tmp_path, "m", "--decision", "budget", "--max-fpr", "0.5")
    assert "## False alarms" in out
    warned = [ln for ln in out.splitlines() if ln.startswith(f"warning: {WARNING_START}")]
    assert len(warned) == 1
    m = tmp_path / "m"
    manifest = read_manifest(m)
    png = (m / FIGURE).read_bytes()
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    assert manifest["files"][FIGURE] == hashlib.sha256(png).hexdigest()
    assert manifest["model_card"]["figure"] == FIGURE
    assert f"]({FIGURE})" in (m / "model_card.md").read_text()
    with pytest.warns(RuntimeWarning, match=WARNING_START):
        det = Detector.load(m)
    card, rule = det.model_card, det.decision_
    assert card.curve["chosen"]["fpr"] == pytest.approx(rule.validation["binary_fpr"])
    assert card.curve["chosen"]["dr"] == pytest.approx(rule.validation["binary_dr"])
    assert card.operating_point["binary_fpr"] == pytest.approx(rule.validation["binary_fpr"])
    assert set(card.operating_point["recall"]) == set(det.classes_)
    (m / FIGURE).write_bytes(png[:-10])
    with pytest.raises(ModelFileError, match=f"{FIGURE}: checksum does not match"):
        Detector.load(m)


def test_a_bundle_from_before_the_curve_loads_and_scores_by_argmax(tmp_path):
    _train(tmp_path, "m", "--decision", "argmax")
    m = tmp_path / "m"
    # what 0.2 wrote: no PNG, a version-1 card without the false-alarm fields
    (m / FIGURE).unlink()
    doc = json.loads((m / CARD_JSON).read_text())
    for key in ("simple", "curve", "operating_point"):
        doc.pop(key)
    doc["format_version"] = 1
    doc["warnings"] = [w for w in doc["warnings"] if not w.startswith(WARNING_START)]
    (m / CARD_JSON).write_text(json.dumps(doc))
    manifest = json.loads((m / "manifest.json").read_text())
    del manifest["files"][FIGURE], manifest["model_card"]["figure"]
    manifest["files"][CARD_JSON] = hashlib.sha256((m / CARD_JSON).read_bytes()).hexdigest()
    (m / "manifest.json").write_text(json.dumps(manifest))
    det = Detector.load(m)
    assert det.decision_ is None and det.model_card.curve is None
    assert "## False alarms" not in det.model_card.to_markdown()
    X, _ = _table(500)
    np.testing.assert_array_equal(det.predict(X), det.pipeline.predict(X))
    # a manifest naming a figure it does not list is damaged
    manifest["model_card"]["figure"] = FIGURE
    (m / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(ModelFileError, match=f"{FIGURE} is not listed"):
        Detector.load(m)
