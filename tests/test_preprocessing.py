"""Preprocessing (§3.5): MAD outlier rule, one-hot + min-max, layout, JSON round trip."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from gavae_ids.exceptions import DataError, ModelFileError, NotFittedError
from gavae_ids.preprocessing import (
    FeatureLayout,
    MADOutlierFilter,
    TabularPreprocessor,
    fit_preprocessing,
)


@pytest.fixture(scope="module")
def fitted(nsl_train20):
    return TabularPreprocessor(categorical=nsl_train20.categorical).fit(nsl_train20.X)


def test_layout_covers_numbers_and_blocks(fitted, nsl_train20):
    lay = fitted.layout_
    widths = {b.name: b.width for b in lay.onehot_blocks}
    assert widths["protocol_type"] == 3
    assert widths["service"] == nsl_train20.X["service"].nunique()
    assert len(lay.numeric_indices) == 38
    assert lay.n_features == 38 + sum(widths.values())
    assert lay.feature_names[1] == "protocol_type=icmp"  # block stands where the column stood


def test_training_data_encodes_to_unit_interval_with_valid_onehots(fitted, nsl_train20):
    Xt = fitted.transform(nsl_train20.X)
    assert Xt.dtype == np.float32 and Xt.min() == 0.0 and Xt.max() == 1.0
    for b in fitted.layout_.onehot_blocks:
        assert (Xt[:, b.start : b.stop].sum(axis=1) == 1).all()
    num = Xt[:, fitted.layout_.numeric_indices]
    # min-max: each non-constant numeric column reaches both 0 and 1 on training data
    spread = fitted.data_max_ > fitted.data_min_
    assert (num[:, spread].min(axis=0) == 0).all() and (num[:, spread].max(axis=0) == 1).all()


def test_constant_column_maps_to_zero(fitted, nsl_train20):
    j = fitted.numeric_.index("num_outbound_cmds")  # always 0 in NSL-KDD
    assert fitted.data_min_[j] == fitted.data_max_[j]
    Xt = fitted.transform(nsl_train20.X.head(5))
    assert (Xt[:, fitted.layout_.numeric_indices[j]] == 0).all()


def test_unseen_category_gives_zero_block_and_is_reported(fitted, nsl_test):
    Xt, unseen = fitted.encode(nsl_test.X)
    rows = unseen.any(axis=1)
    assert rows.sum() >= 1
    svc = fitted.categorical_.index("service")
    assert set(nsl_test.X["service"][unseen[:, svc]]) - set(fitted.categories_["service"])
    block = next(b for b in fitted.layout_.onehot_blocks if b.name == "service")
    assert (Xt[unseen[:, svc], block.start : block.stop] == 0).all()
    assert (Xt[~unseen[:, svc], block.start : block.stop].sum(axis=1) == 1).all()


def test_out_of_range_values_are_clipped():
    df = pd.DataFrame({"a": [0.0, 10.0], "p": ["x", "y"]})
    pre = TabularPreprocessor().fit(df)
    out = pre.transform(pd.DataFrame({"a": [-5.0, 5.0, 50.0], "p": ["x", "x", "z"]}))
    assert out[:, pre.layout_.numeric_indices[0]].tolist() == [0.0, 0.5, 1.0]
    raw = TabularPreprocessor(clip=False).fit(df).transform(pd.DataFrame({"a": [20.0], "p": ["x"]}))
    assert raw[0, 0] == 2.0


def test_columns_reordered_by_name_and_missing_columns_named():
    df = pd.DataFrame({"a": [0.0, 1.0], "b": [2.0, 4.0], "p": ["x", "y"]})
    pre = TabularPreprocessor().fit(df)
    np.testing.assert_array_equal(pre.transform(df[["p", "b", "a"]]), pre.transform(df))
    with pytest.raises(DataError, match="missing column.*b"):
        pre.transform(df[["a", "p"]])


def test_bad_values_in_transform_are_named():
    df = pd.DataFrame({"a": [0.0, 1.0], "p": ["x", "y"]})
    pre = TabularPreprocessor().fit(df)
    # DataError.row is 1-based (the second row is row 2); the index label is named too.
    with pytest.raises(DataError, match=r"row 2, column 'a'.*inf.*index 1") as info:
        pre.transform(pd.DataFrame({"a": [0.0, np.inf], "p": ["x", "x"]}))
    assert info.value.row == 2
    with pytest.raises(DataError, match=r"row 2, column 'a'.*'oops'.*index 'r2'"):
        pre.transform(pd.DataFrame({"a": ["1", "oops"], "p": ["x", "x"]}, index=["r1", "r2"]))
    # Numbers written as text are numbers.
    np.testing.assert_allclose(
        pre.transform(pd.DataFrame({"a": ["1", "0"], "p": ["x", "x"]}))[:, 0], [1.0, 0.0]
    )


def test_not_fitted():
    with pytest.raises(NotFittedError):
        TabularPreprocessor().transform(pd.DataFrame({"a": [1.0]}))


def test_json_round_trip_is_exact(fitted, nsl_test, tmp_path):
    path = fitted.save_json(tmp_path / "pre.json")
    back = TabularPreprocessor.load_json(path)
    assert back.layout_ == fitted.layout_
    np.testing.assert_array_equal(back.transform(nsl_test.X), fitted.transform(nsl_test.X))
    assert b"pickle" not in path.read_bytes()


def test_damaged_json_is_a_model_file_error(fitted, tmp_path):
    p = tmp_path / "pre.json"
    p.write_text(fitted.save_json(tmp_path / "x.json").read_text()[:200])
    with pytest.raises(ModelFileError, match="not valid JSON"):
        TabularPreprocessor.load_json(p)


def test_inverse_transform_restores_values():
    df = pd.DataFrame({"a": [0.0, 3.0, 10.0], "p": ["x", "y", "x"]})
    for log1p in (False, True):
        pre = TabularPreprocessor(log1p=log1p).fit(df)
        back = pre.inverse_transform(pre.transform(df))
        np.testing.assert_allclose(back["a"], df["a"], atol=1e-4)
        assert back["p"].tolist() == df["p"].tolist()


def test_layout_dict_round_trip_and_validation():
    lay = FeatureLayout.all_numeric(3)
    assert FeatureLayout.from_dict(lay.to_dict()) == lay
    assert lay.numeric_indices.tolist() == [0, 1, 2]
    from gavae_ids.preprocessing import OneHotBlock

    with pytest.raises(ValueError, match="overlaps"):
        FeatureLayout(("a", "b", "c"), (OneHotBlock("x", 0, 2), OneHotBlock("y", 1, 3)))


# -- MAD outlier rule ----------------------------------------------------------------------
def test_mad_rule_flags_values_beyond_ten_sigma():
    rng = np.random.RandomState(0)
    base = rng.normal(100, 1, size=200)  # MAD ≈ 0.674 → σ̂ ≈ 1
    base[:3] = [100 + 9.0, 100 + 15.0, 100 - 30.0]  # 9σ kept; 15σ and 30σ removed
    X = pd.DataFrame({"v": base, "zeros": np.zeros(200)})
    y = np.array(["A"] * 200)
    f = MADOutlierFilter().fit(X, y)
    assert f.inlier_mask_[0] and not f.inlier_mask_[1] and not f.inlier_mask_[2]
    assert f.report_.loc["A", "removed"] == 2


def test_mad_zero_attribute_is_skipped():
    v = np.zeros(100)
    v[:5] = 1000.0  # MAD = 0: a strict rule would remove these rows
    f = MADOutlierFilter().fit(pd.DataFrame({"v": v}), np.array(["A"] * 100))
    assert f.inlier_mask_.all()


def test_mad_rule_is_per_class():
    a = np.r_[np.random.RandomState(1).normal(0, 1, 50), np.random.RandomState(2).normal(50, 1, 50)]
    y = np.array(["A"] * 50 + ["B"] * 50)
    f = MADOutlierFilter().fit(pd.DataFrame({"v": a}), y)
    assert f.inlier_mask_.all()  # pooled, each class would look far from the other


def test_small_class_is_never_wiped_out(nsl_train20):
    f = MADOutlierFilter().fit(nsl_train20.X, nsl_train20.y, nsl_train20.numeric)
    assert f.report_.loc["U2R", "kept"] == 11
    for cls, row in f.report_.iterrows():
        assert row["kept"] >= 0.5 * row["rows"], cls
    X, y = MADOutlierFilter().fit_resample(nsl_train20.X, nsl_train20.y, nsl_train20.numeric)
    assert len(X) == len(y) == int(f.inlier_mask_.sum())
    assert set(y.unique()) == set(nsl_train20.y.unique())


def test_single_row_class_is_kept():
    X = pd.DataFrame({"v": np.r_[np.arange(30.0), 1e9]})
    y = np.array(["A"] * 30 + ["B"])
    f = MADOutlierFilter().fit(X, y)
    assert f.inlier_mask_[-1] and f.report_.loc["B", "note"].startswith("kept whole")


def test_fixed_vocabulary_gives_one_layout_across_subsets():
    df = pd.DataFrame({"a": [0.0, 1.0, 2.0], "p": ["x", "y", "z"]})
    vocab = {"p": ["x", "y", "z"]}
    a = TabularPreprocessor(categories=vocab).fit(df.iloc[:2])
    b = TabularPreprocessor(categories=vocab).fit(df.iloc[1:])
    assert a.layout_ == b.layout_
    assert a.transform(df.iloc[[2]])[0, 1:].tolist() == [0.0, 0.0, 1.0]
    assert TabularPreprocessor().fit(df.iloc[:2]).layout_.n_features == 3


# -- fit_preprocessing: optional outlier filter, then the encoder ------------------------------
def test_fit_preprocessing_fits_on_the_rows_the_filter_keeps(nsl_train20):
    b = nsl_train20
    X, y, pre, report = fit_preprocessing(b.X, b.y, categorical=b.categorical, numeric=b.numeric,
                                          outlier_filter=True)  # fmt: skip
    f = MADOutlierFilter().fit(b.X, b.y, b.numeric)
    pd.testing.assert_frame_equal(report, f.report_)
    assert len(y) == f.inlier_mask_.sum() < len(b.y)
    assert X.index.equals(b.X.index[f.inlier_mask_]) and y.index.equals(X.index)
    assert report["removed"].sum() == len(b.y) - len(y)
    ref = TabularPreprocessor(categorical=b.categorical).fit(b.X.iloc[f.inlier_mask_])
    np.testing.assert_array_equal(pre.transform(b.X), ref.transform(b.X))


def test_fit_preprocessing_without_filter_keeps_every_row(nsl_train20):
    b = nsl_train20
    X, y, pre, report = fit_preprocessing(b.X, b.y, categorical=b.categorical, numeric=b.numeric)
    assert report is None and X is b.X and y is b.y
    assert pre.categorical_ == list(b.categorical)
    Xt = pre.transform(X)
    assert Xt.min() >= 0 and Xt.max() <= 1 and Xt.shape[1] == pre.layout_.n_features
