"""Building compared methods: paper hyperparameters vs the library's defaults."""

from __future__ import annotations

import pytest

from gavae_ids.classifiers import GAVAEDNNClassifier
from gavae_ids.detection.methods import PAPER_PARAMS, QUICK_PARAMS, build_method
from gavae_ids.exceptions import DataError
from gavae_ids.experiments.reproduce import ReproduceConfig, protocol_notes
from gavae_ids.sampling import GAVAESampler


def test_paper_params_differ_from_the_library_defaults():
    """Otherwise the 'paper' preset would be a no-op and reproduce would drift with defaults."""
    est = GAVAEDNNClassifier(sampler=GAVAESampler())
    defaults = est.get_params(deep=True)
    assert any(defaults[k] != v for k, v in PAPER_PARAMS.items())


@pytest.mark.parametrize("method", ["gavae-dnn", "dnn", "smote-dnn"])
def test_paper_preset_applies_where_the_method_has_the_parameter(method):
    est = build_method(method, paper=True)
    params = est.get_params(deep=True)
    for k, v in PAPER_PARAMS.items():
        if k in params:
            assert params[k] == v, k


def test_without_preset_the_library_defaults_stay():
    est = build_method("gavae-dnn")
    assert est.lr == GAVAEDNNClassifier().lr
    assert est.sampler.n_iter == GAVAESampler().n_iter


def test_user_params_win_over_paper_and_quick():
    est = build_method("gavae-dnn", paper=True, quick=True, lr=3e-4, sampler__n_iter=7)
    assert est.lr == 3e-4 and est.sampler.n_iter == 7
    quick = build_method("gavae-dnn", paper=True, quick=True)
    assert quick.lr == QUICK_PARAMS["lr"]


def test_preset_skips_methods_without_the_parameter():
    est = build_method("rf", paper=True)
    assert "lr" not in est.get_params()


def test_hyperparameters_setting_is_checked_and_reported():
    with pytest.raises(DataError, match="hyperparameters"):
        ReproduceConfig(hyperparameters="tuned")
    exp = {"protocol": "p", "official": True}
    paper = " ".join(protocol_notes(ReproduceConfig(), exp, "cpu"))
    assert "paper" in paper and "5e-05" in paper
    ours = " ".join(protocol_notes(ReproduceConfig(hyperparameters="defaults"), exp, "cpu"))
    assert "cross-validated defaults" in ours


def test_reproduce_config_params_reach_their_method_only():
    from gavae_ids.experiments.reproduce import run_params

    cfg = ReproduceConfig(method_params={"DNN": {"lr": 1e-3}})
    assert run_params(cfg, "DNN") == {"lr": 1e-3} and run_params(cfg, "GAVAE-DNN") == {}
    with pytest.raises(DataError, match="k must be 1"):
        ReproduceConfig(k=0.5)


@pytest.mark.parametrize("method", ["gavae-rf", "gavae-lgbm"])
def test_tree_methods_give_their_gavae_the_layout(method, nsl_small_encoded):
    _, _, layout = nsl_small_encoded
    est = build_method(method, layout=layout, quick=True, paper=True, verbose=False,
                       device="cpu")  # fmt: skip
    assert est.sampler.layout is layout and est.sampler.verbose is False
    assert est.sampler.n_iter == QUICK_PARAMS["sampler__n_iter"]
    assert est.sampler.decoder == "mlp"  # the paper preset reaches it


def test_scikit_learn_verbose_is_not_a_progress_bar():
    assert build_method("rf", verbose=True).verbose == 0
    assert build_method("gavae-rf", verbose=True).classifier.verbose == 0


def test_tree_method_names_in_reports():
    from gavae_ids.experiments.reproduce import (
        TREE_METHODS,
        display_name,
        registry_name,
        resolve_methods,
    )

    assert resolve_methods(["lightgbm", "GAVAE+LightGBM", "smote-lgbm", "gavae-rf", "rf"]) == (
        "LightGBM", "GAVAE+LightGBM", "SMOTE+LightGBM", "GAVAE+RF", "RF")  # fmt: skip
    for name in TREE_METHODS:
        assert display_name(registry_name(name)) == name
        build_method(registry_name(name))
    with pytest.raises(
        DataError, match=r"unknown or unavailable method\(s\) xgb; available: .*GAVAE\+LightGBM"
    ):
        resolve_methods(["xgb"])


def test_train_defaults_to_gavae_lgbm_and_says_when_gavae_rf_stands_in(monkeypatch, tmp_path):
    import numpy as np
    import pandas as pd
    from typer.testing import CliRunner

    from gavae_ids.cli import app
    from gavae_ids.detection import methods
    from gavae_ids.detection.bundle import read_manifest

    pytest.importorskip("lightgbm")
    assert methods.default_method() == "gavae-lgbm"
    without = [m for m in methods.available_methods() if "lgbm" not in m]
    monkeypatch.setattr(methods, "available_methods", lambda: without)
    assert methods.default_method() == "gavae-dnn"
    rng = np.random.RandomState(0)
    label = rng.choice(["normal", "normal", "a"], 300)
    pd.DataFrame({"x": rng.normal(size=300) + (label == "a") * 3,
                  "label": label}).to_csv(tmp_path / "t.csv", index=False)  # fmt: skip
    res = CliRunner().invoke(app, ["train", "--dataset", "csv", "--input", str(tmp_path / "t.csv"),
                                   "--quick", "-p", "sampler__n_iter=5", "--no-novelty",
                                   "--out", str(tmp_path / "m"), "--quiet"])  # fmt: skip
    assert res.exit_code == 0, res.output
    assert "LightGBM is not installed" in res.output and "training gavae-dnn" in res.output
    assert read_manifest(tmp_path / "m")["method"] == "gavae-dnn"
