"""The model card of ``train``: validation figures, the majority baseline, loud warnings."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.tree import DecisionTreeClassifier

from gavae_ids.detection.detector import Detector, ModelQualityWarning, read_manifest
from gavae_ids.detection.model_card import (
    CARD_JSON,
    CARD_MARKDOWN,
    ModelCard,
    evaluate_predictions,
    fit_with_card,
)
from gavae_ids.detection.pipeline import DetectionPipeline


def test_card_figures_on_a_case_worked_by_hand():
    y_true = ["n", "n", "n", "a", "a", "b"]
    y_pred = ["n", "n", "a", "a", "n", "b"]
    m = evaluate_predictions(y_true, y_pred, ["a", "b", "n"], normal_label="n")
    assert m["confusion_matrix"] == [[1, 0, 1], [0, 1, 0], [1, 0, 2]]
    assert m["per_class"]["a"] == {"precision": 0.5, "recall": 0.5, "f1-score": 0.5, "support": 2}
    assert m["macro_f1"] == pytest.approx((2 / 3 + 0.5 + 1.0) / 3)
    assert m["accuracy"] == pytest.approx(4 / 6)
    assert m["binary_dr"] == pytest.approx(2 / 3)  # attacks a, a, b: two flagged
    assert m["binary_fpr"] == pytest.approx(1 / 3)  # one of three normal rows flagged
    assert m["predicted_counts"] == {"a": 2, "b": 1, "n": 3}


@pytest.fixture(scope="module")
def table():
    rng = np.random.RandomState(0)
    n = 600
    X = pd.DataFrame({"s1": rng.randint(0, 100, n), "s2": rng.randint(0, 10, n)})
    y = np.where(X["s1"] > 80, "hot", np.where(X["s2"] < 2, "low", "normal"))
    return X, y


def test_holdout_card_measures_exactly_the_returned_model(table):
    X, y = table
    fitted, card = fit_with_card(DetectionPipeline(DecisionTreeClassifier(random_state=0)), X, y,
                                 normal_label="normal", method="tree", validation=0.25)  # fmt: skip
    ev = card.evaluation
    assert ev["kind"] == "holdout" and ev["rows_fit"] + ev["rows_validation"] == len(y)
    assert sum(fitted.class_counts_.values()) == ev["rows_fit"]
    assert card.metrics["rows"] == ev["rows_validation"]
    assert card.baseline["class"] == "normal" and not card.warnings and not card.below_baseline
    assert card.metrics["macro_f1"] > card.baseline["macro_f1"] + card.margin
    # the figures are those of the returned model on rows it was not fitted on
    from sklearn.metrics import confusion_matrix

    from gavae_ids.classifiers.base import validation_split

    tr, te = validation_split(y, 0.25, np.random.RandomState(0))
    assert len(te) == card.metrics["rows"]
    cm = confusion_matrix(y[te], fitted.predict(X.iloc[te]), labels=card.classes)
    assert card.metrics["confusion_matrix"] == cm.tolist()


def test_cv_card_pools_folds_then_refits_on_all_rows(table):
    X, y = table
    fitted, card = fit_with_card(DetectionPipeline(DecisionTreeClassifier(random_state=0)), X, y,
                                 normal_label="normal", method="tree", cv=3)  # fmt: skip
    assert card.evaluation["kind"] == "cv" and len(card.metrics["fold_macro_f1"]) == 3
    assert card.metrics["rows"] == len(y) == sum(fitted.class_counts_.values())
    assert "refit on all 600 rows" in card.evaluation["description"]


def test_a_useless_model_is_flagged(table):
    X, _ = table
    y = np.random.RandomState(1).choice(["normal", "normal", "normal", "x", "z"], len(X))
    _, card = fit_with_card(DetectionPipeline(DecisionTreeClassifier(max_depth=1)), X, y,
                            normal_label="normal", method="stump", validation=0.3)  # fmt: skip
    assert card.below_baseline
    assert any("not clearly better than always predicting the majority class 'normal'" in w
               for w in card.warnings)  # fmt: skip
    assert ModelCard.from_dict(card.to_dict()).warnings == card.warnings
    assert "WARNING" in card.to_markdown()


def test_train_and_score_repeat_the_warning(tmp_path):
    from typer.testing import CliRunner

    from gavae_ids.cli import app

    rng = np.random.RandomState(0)
    n = 400
    df = pd.DataFrame({"s1": rng.randint(0, 50, n), "s2": rng.randint(0, 5, n),
                       "label": rng.choice(["normal"] * 6 + ["a", "b"], n)})  # fmt: skip
    df.to_csv(tmp_path / "t.csv", index=False)
    runner = CliRunner()
    res = runner.invoke(app, [
        "train", "--dataset", "csv", "--input", str(tmp_path / "t.csv"), "--out",
        str(tmp_path / "m"), "--method", "dnn", "--quiet", "-p", "epochs=1", "-p", "hidden=[4]",
        "--decision", "argmax",  # so the detector predicts exactly as its pipeline
    ])  # fmt: skip
    assert res.exit_code == 0, res.output
    assert "warning: the model is not clearly better than always predicting" in res.output
    assert "| true \\ predicted |" in res.output  # the card is printed
    manifest = read_manifest(tmp_path / "m")
    assert {CARD_JSON, CARD_MARKDOWN} <= set(manifest["files"])
    assert manifest["model_card"]["below_baseline"] is True
    with pytest.warns(ModelQualityWarning, match="not clearly better"):
        det = Detector.load(tmp_path / "m")
    assert det.model_card.evaluation["kind"] == "holdout"
    assert any("not clearly better" in w for w in det.quality_warnings)
    X = df.drop(columns="label")
    np.testing.assert_array_equal(det.pipeline.predict(X), det.predict(X))
    X.to_csv(tmp_path / "in.csv", index=False)
    with pytest.warns(ModelQualityWarning, match="not clearly better than always predicting"):
        res = runner.invoke(app, ["score", str(tmp_path / "m"), str(tmp_path / "in.csv"),
                                  "--out", str(tmp_path / "o.csv"), "--quiet"])  # fmt: skip
    assert res.exit_code == 0, res.output


def test_no_validation_and_a_class_too_small_to_validate(table):
    X, y = table
    pipe = DetectionPipeline(DecisionTreeClassifier(random_state=0))
    fitted, card = fit_with_card(pipe, X, y, normal_label="normal", method="tree", validation=0)
    assert card.evaluation["kind"] == "none" and card.metrics is None and not card.warnings
    assert sum(fitted.class_counts_.values()) == len(y)
    y1 = y.copy()
    y1[0] = "rare"  # one row: nothing to spare for validation, trained on all the same
    fitted, card = fit_with_card(pipe, X, y1, normal_label="normal", method="tree",
                                 validation=0.2)  # fmt: skip
    assert card.evaluation["unmeasured_classes"] == ["rare"]
    assert fitted.class_counts_["rare"] == 1 and card.metrics["per_class"]["rare"]["support"] == 0
    assert "rare had too few rows" in card.evaluation["description"]


def test_train_keeps_novelty_thresholds_for_gavae_bundles_and_score_uses_them(tmp_path):
    from typer.testing import CliRunner

    from gavae_ids.cli import app

    rng = np.random.RandomState(1)
    n = 600
    label = rng.choice(["normal"] * 4 + ["a", "b"], n)
    df = pd.DataFrame({"s1": rng.normal(0, 1, n) + (label == "a") * 3,
                       "s2": rng.normal(0, 1, n) + (label == "b") * 3, "label": label})  # fmt: skip
    df.to_csv(tmp_path / "t.csv", index=False)
    runner = CliRunner()
    common = ["train", "--dataset", "csv", "--input", str(tmp_path / "t.csv"), "--quiet",
              "--method", "gavae-dnn", "-p", "frozen_epochs=1", "-p", "finetune_epochs=1",
              "-p", "sampler__n_iter=30"]  # fmt: skip
    res = runner.invoke(app, [*common, "--out", str(tmp_path / "m")])
    assert res.exit_code == 0, res.output
    assert "novelty flag: quantile" in res.output and "holdout rows" in res.output
    det = Detector.load(tmp_path / "m")
    assert det.novelty_ is not None and det.novelty_.classes == list(det.classes_)
    assert "novelty.json" in read_manifest(tmp_path / "m")["files"]
    # The quantile was chosen on the 20 % holdout: the same split the card measured.
    assert det.novelty_.calibration["n_validation"] == det.model_card.evaluation["rows_validation"]
    X = df.drop(columns="label")
    X.to_csv(tmp_path / "in.csv", index=False)
    res = runner.invoke(app, ["score", str(tmp_path / "m"), str(tmp_path / "in.csv"), "--quiet",
                              "--out", str(tmp_path / "o.csv"), "--novelty"])  # fmt: skip
    assert res.exit_code == 0, res.output
    out = pd.read_csv(tmp_path / "o.csv")
    np.testing.assert_array_equal(out["novel"].to_numpy() == 1, det.novel(X))
    # --no-novelty leaves them out, and score --novelty then says why in one line.
    res = runner.invoke(app, [*common, "--out", str(tmp_path / "m2"), "--no-novelty"])
    assert res.exit_code == 0, res.output
    res = runner.invoke(app, ["score", str(tmp_path / "m2"), str(tmp_path / "in.csv"),
                              "--out", str(tmp_path / "o2.csv"), "--novelty"])  # fmt: skip
    assert res.exit_code == 2 and "no novelty thresholds" in res.output
