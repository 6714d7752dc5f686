"""Raw tables in and out, and the sampler's file formats (2, and 1 where it still fits)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from imblearn.pipeline import Pipeline
from sklearn.compose import ColumnTransformer
from sklearn.preprocessing import OneHotEncoder
from sklearn.tree import DecisionTreeClassifier

from gavae_ids.exceptions import DataError, ModelFileError
from gavae_ids.sampling import GAVAESampler

pytestmark = pytest.mark.usefixtures("one_torch_thread")

TINY = dict(hidden=(16, 8), latent_dim=3, n_iter=30, batch_size=64, critic_steps=1)
V1 = Path(__file__).parent / "data" / "gavae_sampler_v1"


def traffic(seed: int = 0) -> tuple[pd.DataFrame, pd.Series]:
    """A raw table: string, category, integer and float columns; three classes."""
    rng = np.random.RandomState(seed)
    y = np.repeat(["normal", "dos", "probe"], [90, 40, 20])
    n = len(y)
    df = pd.DataFrame({
        "proto": np.where(y == "dos", rng.choice(["tcp", "udp"], n), "tcp"),
        "bytes": rng.randint(0, 500, n) + (y == "dos") * 1000,
        "flag": pd.Categorical(rng.choice(["SF", "S0", "REJ"], n)),
        "rate": np.round(rng.rand(n), 3),
    })  # fmt: skip
    df.loc[y == "probe", "proto"] = "icmp"
    return df, pd.Series(y, name="label")


@pytest.fixture(scope="module")
def raw_fitted():
    X, y = traffic()
    sampler = GAVAESampler(random_state=0, **TINY)
    X_res, y_res = sampler.fit_resample(X, y)
    return sampler, X, y, X_res, y_res


def test_a_raw_table_comes_back_with_its_columns_and_dtypes(raw_fitted):
    sampler, X, y, X_res, y_res = raw_fitted
    assert isinstance(X_res, pd.DataFrame) and list(X_res.columns) == list(X.columns)
    pd.testing.assert_series_equal(X_res.dtypes, X.dtypes)
    pd.testing.assert_frame_equal(X_res.iloc[: len(X)], X)
    assert y_res.value_counts().to_dict() == {"normal": 90, "dos": 90, "probe": 90}
    assert sampler.table_ is not None and [b.name for b in sampler.layout_.onehot_blocks] == [
        "proto", "flag"]  # fmt: skip


def test_generated_categories_and_numbers_come_from_the_training_rows(raw_fitted):
    _, X, y, X_res, y_res = raw_fitted
    new, labels = X_res.iloc[len(X) :], y_res.iloc[len(X) :].to_numpy()
    assert set(new["proto"]) <= set(X["proto"]) and set(new["flag"]) <= set(X["flag"])
    # Probe rows are all icmp in training (a third of all rows); barely trained, the
    # decoder already gives the class mostly icmp.
    assert (new.loc[labels == "probe", "proto"] == "icmp").mean() > 0.6
    assert np.isin(new["bytes"], X["bytes"]).all()  # integers, on the training values
    assert new["rate"].between(X["rate"].min(), X["rate"].max()).all()


def test_categorical_features_name_the_columns_of_an_object_array():
    X, y = traffic()
    arr = X.astype({"flag": str}).to_numpy(dtype=object)
    sampler = GAVAESampler(categorical_features=[0, 2], random_state=0, **TINY)
    X_res, _ = sampler.fit_resample(arr, y.to_numpy())
    assert X_res.dtype == object and X_res.shape == (270, 4)
    assert set(X_res[150:, 0]) <= {"tcp", "udp", "icmp"}
    with pytest.raises(ValueError, match="layout .* or categorical_features"):
        GAVAESampler(categorical_features=[0], layout=sampler.layout_).fit_resample(arr, y)


def test_a_raw_table_sampler_works_in_an_imblearn_pipeline():
    X, y = traffic()
    encode = ColumnTransformer([("cat", OneHotEncoder(handle_unknown="ignore"),
                                 ["proto", "flag"])], remainder="passthrough")  # fmt: skip
    pipe = Pipeline([("gavae", GAVAESampler(random_state=0, **TINY)), ("encode", encode),
                     ("clf", DecisionTreeClassifier(random_state=0))])  # fmt: skip
    pipe.fit(X, y)
    assert set(pipe.predict(X)) <= set(y)


def test_a_raw_table_sampler_round_trips(tmp_path, raw_fitted):
    sampler, X, y, _, _ = raw_fitted
    loaded = GAVAESampler.load(sampler.save(tmp_path / "raw"))
    a, b = sampler.sample(20, "probe", random_state=2), loaded.sample(20, "probe", random_state=2)
    pd.testing.assert_frame_equal(a, b)
    assert list(a.columns) == list(X.columns) and a["bytes"].dtype == X["bytes"].dtype
    np.testing.assert_array_equal(sampler.reconstruction_error(X, y),
                                  loaded.reconstruction_error(X, y))  # fmt: skip


# ------------------------------------------------------------------ format 1


def test_a_format1_file_of_the_papers_configuration_loads_and_samples_as_before(tmp_path):
    loaded = GAVAESampler.load(V1)
    assert loaded.decoder == "mlp" and loaded.hidden == (8,) and loaded.manifold_k_ is None
    np.testing.assert_array_equal(loaded.sample(10, 1, random_state=3),
                                  np.load(V1 / "expected_sample.npy"))  # fmt: skip
    # ... and saves as format 2, which loads to the same sampler.
    X, y = np.load(V1 / "X.npy"), np.load(V1 / "y.npy")
    again = GAVAESampler.load(loaded.save(tmp_path / "v2"))
    assert (
        json.loads((tmp_path / "v2" / "config.json").read_text())["config"]["sampler_format"] == 2
    )
    np.testing.assert_array_equal(again.reconstruction_error(X, y),
                                  loaded.reconstruction_error(X, y))  # fmt: skip


@pytest.mark.parametrize(
    "change",
    [
        {"numeric_output": "binned"},
        {"within_bin": "global", "decoder": "autoregressive"},
        {"threshold_quantile": 0.5},
    ],
)
def test_a_format1_file_outside_both_configurations_is_refused_in_one_line(tmp_path, change):
    path = tmp_path / "v1"
    shutil.copytree(V1, path)
    meta = json.loads((path / "config.json").read_text())
    meta["config"]["params"].update(change)
    (path / "config.json").write_text(json.dumps(meta))
    with pytest.raises(ModelFileError) as info:
        GAVAESampler.load(path)
    msg = str(info.value)
    assert "\n" not in msg and str(path) in msg and "format 1 (gavae-ids 0.1.0)" in msg
    assert all(f"{k}=" in msg for k in change if k != "decoder")


def test_an_unknown_sampler_format_is_refused(tmp_path, raw_fitted):
    path = raw_fitted[0].save(tmp_path / "s")
    meta = json.loads((path / "config.json").read_text())
    meta["config"]["sampler_format"] = 3
    (path / "config.json").write_text(json.dumps(meta))
    with pytest.raises(ModelFileError, match="format 3 is not supported"):
        GAVAESampler.load(path)


def test_bad_categorical_features_are_refused():
    X, y = traffic()
    with pytest.raises(DataError, match="not a column"):
        GAVAESampler(categorical_features=["nope"], **TINY).fit_resample(X, y)
