"""Grid search with stratified k-fold CV on training data only (gavae-ids tune)."""

from __future__ import annotations

import json

import numpy as np
import pytest
from sklearn.base import BaseEstimator, ClassifierMixin
from typer.testing import CliRunner

from gavae_ids.classifiers import register_method
from gavae_ids.cli import app
from gavae_ids.exceptions import DataError
from gavae_ids.experiments.tuning import candidates, load_best_config, load_grid, tune

FIT_SIZES: list[int] = []


class _Spy(ClassifierMixin, BaseEstimator):
    """Predicts the majority class; records how many rows each fit saw."""

    def __init__(self, bias=0.0, random_state=None, verbose=False):
        self.bias = bias
        self.random_state = random_state
        self.verbose = verbose

    def fit(self, X, y):
        FIT_SIZES.append(len(y))
        self.classes_, counts = np.unique(y, return_counts=True)
        self.majority_ = self.classes_[counts.argmax()]
        return self

    def predict(self, X):
        return np.full(len(X), self.majority_)


register_method("spy-majority", _Spy, overwrite=True)


def _grid(tmp_path, text):
    p = tmp_path / "grid.toml"
    p.write_text(text)
    return p


def test_grid_file_parsing(tmp_path):
    g = load_grid(_grid(tmp_path, 'method = "dnn"\n[params]\nhidden = [[8], [16, 8]]\n'
                                  "lr = [0.01, 0.001]\n"))  # fmt: skip
    assert g["search"] == "grid" and g["scoring"] == "f1_macro"
    assert len(candidates(g)) == 4 and (16, 8) in {c["hidden"] for c in candidates(g)}
    for bad, msg in [
        ("[params]\nlr = [1]\n", "needs method"),
        ('method = "dnn"\n', "params"),
        ('method = "dnn"\nfoo = 1\n[params]\nlr = [1]\n', "unknown key"),
        ('method = "dnn"\n[params]\nlr = 1\n', "non-empty list"),
        ('method = "dnn"\n[params\n', "not valid TOML"),
    ]:
        with pytest.raises(DataError, match=msg):
            load_grid(_grid(tmp_path, bad))


def test_cv_fits_on_training_folds_only(tmp_path, data_home):
    FIT_SIZES.clear()
    grid = {"method": "spy-majority", "search": "grid", "n_iter": 1, "scoring": "accuracy",
            "params": {"bias": [0.0, 1.0]}}  # fmt: skip
    res = tune("nsl-kdd", grid, data_home=data_home, out_dir=tmp_path, cv=3, quick=True,
               verbose=False)  # fmt: skip
    n = res["best"]["rows"]
    # 1 fail-fast build (not fitted) + 2 candidates × 3 folds, each on ~2/3 of the rows
    assert len(FIT_SIZES) == 6
    assert all(abs(s - n * 2 / 3) <= 5 for s in FIT_SIZES)
    table = res["results"]
    assert len(table) == 2 and (table["mean_score"] <= 1).all()
    best = load_best_config(tmp_path / "best_config.json")
    assert best["method"] == "spy-majority" and best["cv"] == 3
    assert best["mean_score"] == pytest.approx(table["mean_score"].max())


def test_tune_cli_runs_a_real_method(tmp_path, data_home):
    g = _grid(tmp_path, 'method = "dnn"\n[params]\nepochs = [2]\nlr = [0.01, 0.001]\n')
    r = CliRunner().invoke(
        app,
        [
            "tune",
            "--grid",
            str(g),
            "--cv",
            "2",
            "--quick",
            "--quiet",
            "--out",
            str(tmp_path / "t"),
            "--data-dir",
            str(data_home),
        ],
    )
    assert r.exit_code == 0, r.output
    best = json.loads((tmp_path / "t" / "best_config.json").read_text())
    assert best["method"] == "dnn" and best["params"]["lr"] in (0.01, 0.001)
    assert "best f1_macro" in r.output


def test_bad_method_and_small_class_are_clear(tmp_path, data_home):
    grid = {"method": "dnn", "search": "grid", "n_iter": 1, "scoring": "f1_macro",
            "params": {"no_such_param": [1]}}  # fmt: skip
    with pytest.raises(DataError, match="no parameter"):
        tune("nsl-kdd", grid, data_home=data_home, cv=2, quick=True, verbose=False)
    grid["params"] = {"epochs": [1]}
    with pytest.raises(DataError, match="U2R.*fewer than the 20 folds"):
        tune("nsl-kdd", grid, data_home=data_home, cv=20, quick=True, verbose=False)


def test_bad_scoring_n_iter_and_cv_are_clear(tmp_path, data_home):
    with pytest.raises(DataError, match="not a scikit-learn scorer"):
        load_grid(_grid(tmp_path, 'method = "dnn"\nscoring = "f2"\n[params]\nlr = [1]\n'))
    with pytest.raises(DataError, match="n_iter"):
        load_grid(_grid(tmp_path, 'method = "dnn"\nn_iter = 2.5\n[params]\nlr = [1]\n'))
    grid = {"method": "dnn", "search": "grid", "n_iter": 1, "scoring": "f1_macro",
            "params": {"epochs": [1]}}  # fmt: skip
    with pytest.raises(DataError, match="--cv must be at least 2"):
        tune("nsl-kdd", grid, data_home=data_home, cv=1, quick=True, verbose=False)
