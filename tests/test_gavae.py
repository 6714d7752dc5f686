"""The GAVAE: networks and losses, training loop, and the imbalanced-learn sampler."""

from __future__ import annotations

import copy
import json
import warnings
from dataclasses import fields

import numpy as np
import pandas as pd
import pytest
import torch
import torch.nn.functional as F
from imblearn.pipeline import Pipeline
from imblearn.utils.estimator_checks import parametrize_with_checks as imblearn_checks
from sklearn.linear_model import LogisticRegression
from sklearn.utils.estimator_checks import parametrize_with_checks as sklearn_checks

from conftest import sampler_with
from gavae_ids.exceptions import DataError, ModelFileError, NotFittedError
from gavae_ids.nn.common import MLPBackbone
from gavae_ids.nn.gavae import (
    GAVAE,
    Encoder,
    gradient_penalty,
    kl_divergence,
    logits_to_features,
    reconstruction_loss,
)
from gavae_ids.preprocessing.layout import FeatureLayout, OneHotBlock
from gavae_ids.sampling import (
    AcceptanceWarning,
    GAVAESampler,
    SmallClassWarning,
)
from gavae_ids.training import GAVAEConfig
from gavae_ids.training.gavae_loop import (
    discriminator_accuracy,
    discriminator_accuracy_frame,
    history_frame,
    train_gavae,
)

# Small networks and few iterations: these tests check behaviour, not quality.
TINY = dict(hidden=(16, 8), latent_dim=3, n_iter=40, batch_size=64, critic_steps=2)
CHECK_PARAMS = dict(n_iter=2, hidden=(8,), latent_dim=2, critic_steps=1)


pytestmark = pytest.mark.usefixtures("one_torch_thread")


def make_table(seed: int = 0, counts=(90, 40, 20)):
    """Four numeric columns in arbitrary units, a 3-way and a 2-way one-hot block."""
    rng = np.random.RandomState(seed)
    y = np.repeat(np.arange(len(counts)), counts)
    n = len(y)
    num = rng.normal(size=(n, 4)) * [1.0, 10.0, 0.1, 3.0] + y[:, None] * [1.0, 5.0, 0.0, -2.0]
    proto = np.eye(3)[(y + rng.randint(0, 2, n)) % 3]
    flag = np.eye(2)[rng.randint(0, 2, n)]
    X = np.hstack([num, proto, flag])
    names = ("a", "b", "c", "d", "p=tcp", "p=udp", "p=icmp", "f=S0", "f=SF")
    layout = FeatureLayout(
        feature_names=names,
        onehot_blocks=(
            OneHotBlock("p", 4, 7, ("tcp", "udp", "icmp")),
            OneHotBlock("f", 7, 9, ("S0", "SF")),
        ),
    )
    return X, y, layout


@pytest.fixture(scope="module")
def table():
    return make_table()


@pytest.fixture(scope="module")
def fitted(table):
    X, y, layout = table
    sampler = GAVAESampler(layout=layout, random_state=0, **TINY)
    X_res, y_res = sampler.fit_resample(X, y)
    return sampler, X_res, y_res


def assert_valid_onehots(X, layout):
    for b in layout.onehot_blocks:
        block = X[:, b.start : b.stop]
        assert set(np.unique(block)) <= {0.0, 1.0}
        np.testing.assert_array_equal(block.sum(axis=1), 1.0)


# --------------------------------------------------------------------- nn


def test_encoder_contract():
    enc = Encoder(12)
    assert isinstance(enc.backbone, MLPBackbone)
    assert enc.mu.out_features == enc.logvar.out_features == 10
    keys = set(enc.state_dict())
    assert {"backbone.layers.0.weight", "mu.weight", "logvar.weight"} <= keys
    assert [m.out_features for m in enc.backbone.layers if hasattr(m, "out_features")] == [
        80,
        40,
        20,
    ]
    mu, logvar = enc(torch.rand(5, 12))
    assert mu.shape == logvar.shape == (5, 10)


def test_reconstruction_loss_is_bce_plus_blockwise_ce(table):
    _, _, layout = table
    torch.manual_seed(0)
    logits = torch.randn(6, 9)
    x = torch.rand(6, 9)
    x[:, 4:7] = torch.eye(3)[[0, 1, 2, 0, 1, 2]]
    x[:, 7:9] = torch.eye(2)[[0, 1, 0, 1, 0, 1]]
    model = GAVAE(layout, n_classes=3, **GAVAEConfig().network())
    got = model.reconstruction_loss(logits, x)
    bce = F.binary_cross_entropy(torch.sigmoid(logits[:, :4]), x[:, :4], reduction="none").sum(1)
    ce_p = F.cross_entropy(logits[:, 4:7], x[:, 4:7].argmax(1), reduction="none")
    ce_f = F.cross_entropy(logits[:, 7:9], x[:, 7:9].argmax(1), reduction="none")
    torch.testing.assert_close(got, bce + ce_p + ce_f)


def test_reconstruction_loss_all_numeric_is_eq7():
    logits, x = torch.randn(4, 5), torch.rand(4, 5)
    got = reconstruction_loss(logits, x, torch.arange(5))
    p = torch.sigmoid(logits)
    eq7 = -(x * torch.log(p) + (1 - x) * torch.log(1 - p)).sum(1)
    torch.testing.assert_close(got, eq7)


def test_kl_divergence():
    zero = kl_divergence(torch.zeros(3, 4), torch.zeros(3, 4))
    torch.testing.assert_close(zero, torch.zeros(3))
    assert (kl_divergence(torch.ones(3, 4), torch.zeros(3, 4)) > 0).all()


@pytest.mark.parametrize("scale, expected", [(1.0, 0.0), (2.0, 1.0)])
def test_gradient_penalty_of_linear_critic(scale, expected):
    lin = torch.nn.Linear(4, 1, bias=False)
    with torch.no_grad():
        lin.weight.copy_(torch.tensor([[scale, 0.0, 0.0, 0.0]]))

    def critic(z, y):
        return lin(z).squeeze(1)

    gp = gradient_penalty(
        critic, torch.randn(8, 4), torch.randn(8, 4), torch.zeros(8, 2), torch.rand(8, 1)
    )
    assert gp.item() == pytest.approx(expected, abs=1e-6)
    gp.backward()
    assert lin.weight.grad is not None


def test_logits_to_features_gives_exact_onehots(table):
    _, _, layout = table
    model = GAVAE(layout, n_classes=3, **GAVAEConfig().network())
    out = logits_to_features(torch.randn(50, 9) * 5, model.numeric_index, model.blocks).numpy()
    assert_valid_onehots(out, layout)
    assert ((out[:, :4] >= 0) & (out[:, :4] <= 1)).all()


# ------------------------------------------------------------------- loop


@pytest.mark.parametrize("class_balance", [0.0, 1.0])
def test_train_gavae_yields_one_record_per_iteration(table, class_balance):
    X, y, layout = table
    config = GAVAEConfig(**TINY, critic_hidden=(16,), disc_eval_size=8, class_balance=class_balance)
    model = GAVAE(layout, 3, **config.network())
    Xs = torch.rand(len(X), 9)
    records = list(train_gavae(model, Xs, torch.as_tensor(y), config, torch.Generator()))
    assert [r.iteration for r in records] == list(range(1, TINY["n_iter"] + 1))
    assert all(
        np.isfinite([r.recon_loss, r.kl, r.critic_loss, r.gradient_penalty]).all() for r in records
    )
    hist = history_frame(records, ["x", "y", "z"])
    assert len(hist) == TINY["n_iter"]
    assert {"disc_accuracy[x]", "disc_accuracy[z]", "recon_loss"} <= set(hist.columns)
    # The accuracy is measured every disc_eval_every iterations and in the last one.
    every = config.disc_eval_every
    measured = [i for i in range(1, TINY["n_iter"] + 1) if i % every == 0 or i == TINY["n_iter"]]
    acc = hist.filter(like="disc_accuracy")
    assert list(hist["iteration"][acc.notna().all(axis=1)]) == measured
    assert acc.isna().all(axis=1).sum() == TINY["n_iter"] - len(measured)
    acc = acc.dropna().to_numpy()
    assert ((acc >= 0) & (acc <= 1)).all()
    long = discriminator_accuracy_frame(hist, ["x", "y", "z"])
    assert list(long.columns) == ["iteration", "class", "accuracy"]
    assert len(long) == 3 * len(measured) and long["accuracy"].notna().all()


def test_training_lowers_reconstruction_loss(table):
    X, y, layout = table
    sampler = GAVAESampler(layout=layout, random_state=1, **{**TINY, "n_iter": 150})
    sampler.fit_resample(X, y)
    recon = sampler.history_["recon_loss"].to_numpy()
    assert recon[-20:].mean() < recon[:20].mean()


def test_discriminator_accuracy_midpoint():
    prior = torch.tensor([[2.0, 3.0, 4.0], [1.0, 0.0, 1.0]])
    code = torch.tensor([[-1.0, 0.0, 1.0], [1.0, 0.0, 1.0]])
    overall, per_class = discriminator_accuracy(prior, code, 2)
    assert per_class[0] == 1.0  # fully separated
    assert per_class[1] == 0.5  # identical scores: prior above the midpoint never, codes always
    assert overall == pytest.approx(0.75)


# ---------------------------------------------------------------- sampler


def test_defaults_come_from_the_config_and_at_most_16_parameters():
    params = GAVAESampler().get_params()
    shared = [f.name for f in fields(GAVAEConfig) if f.name in params]
    assert len(shared) == 9 and len(params) <= 16  # 16th: territory_k (issue #26)
    for name in shared:
        assert params[name] == getattr(GAVAEConfig(), name), name
    assert GAVAESampler().config() == GAVAEConfig()
    assert params["sampling_strategy"] == "auto"


def test_fit_resample_fills_targets_and_keeps_originals_first(table, fitted):
    X, y, _ = table
    sampler, X_res, y_res = fitted
    assert np.bincount(y_res).tolist() == [90, 90, 90]
    np.testing.assert_array_equal(X_res[: len(X)], X)
    np.testing.assert_array_equal(y_res[: len(y)], y)
    report = sampler.augmentation_report_
    assert list(report.columns) == [
        "class",
        "real",
        "generated",
        "attempts",
        "passed_eq9",
        "passed_manifold",
        "accepted",
        "acceptance_rate",
    ]
    assert report["real"].tolist() == [90, 40, 20]
    assert report["generated"].tolist() == [0, 50, 70]
    grown = report[report["generated"] > 0]
    assert (grown["accepted"] >= grown["generated"]).all()
    assert (grown["attempts"] >= grown["passed_eq9"]).all()
    assert (grown["passed_eq9"] >= grown["passed_manifold"]).all()
    assert (grown["passed_manifold"] >= grown["accepted"]).all()
    np.testing.assert_allclose(grown["acceptance_rate"], grown["accepted"] / grown["attempts"])
    assert np.isnan(report.loc[0, "acceptance_rate"])


def test_synthetic_rows_are_valid(table, fitted):
    X, _, layout = table
    _, X_res, _ = fitted
    new = X_res[len(X) :]
    assert_valid_onehots(new, layout)
    lo, hi = X[:, :4].min(0), X[:, :4].max(0)
    assert ((new[:, :4] >= lo) & (new[:, :4] <= hi)).all()


def test_numeric_outputs_in_unit_range_for_scaled_input(table):
    X, y, layout = table
    X = X.copy()
    X[:, :4] = (X[:, :4] - X[:, :4].min(0)) / np.ptp(X[:, :4], axis=0)
    sampler = GAVAESampler(layout=layout, random_state=0, **TINY)
    X_res, _ = sampler.fit_resample(X, y)
    new = X_res[len(X) :]
    assert ((new >= 0) & (new <= 1)).all()
    assert_valid_onehots(new, layout)


def test_every_accepted_row_passes_its_threshold(table, fitted):
    X, _, _ = table
    sampler, X_res, y_res = fitted
    new, labels = X_res[len(X) :], y_res[len(X) :]
    err = sampler.reconstruction_error(new, labels)
    limit = np.array([sampler.thresholds_[c] for c in labels])
    assert (err <= limit * (1 + 1e-4) + 1e-5).all()
    # Eq. 8: the threshold is k times the largest loss of the class's real rows.
    real_err = sampler.reconstruction_error(X, table[1])
    for c in sampler.classes_:
        assert sampler.thresholds_[c] == pytest.approx(real_err[table[1] == c].max(), rel=1e-4)


def test_corrupted_decoder_gets_rejected(table):
    # 128 bins: with the 8 bins its 150 rows get by default, Eq. 9's thresholds (the
    # largest loss of a class's rows) were loose enough to pass this broken decoder's rows.
    X, y, layout = table
    sampler = sampler_with(rows_per_bin=1)(layout=layout, random_state=0, **TINY)
    sampler.fit_resample(X, y)
    with warnings.catch_warnings():
        warnings.simplefilter("error", AcceptanceWarning)
        clean = sampler.sample(300, label=2)
    assert len(clean) == 300

    broken = copy.deepcopy(sampler)
    gen = torch.Generator().manual_seed(0)
    with torch.no_grad():
        for p in broken.model_.decoder.parameters():
            p.add_(torch.randn(p.shape, generator=gen) * 3.0)
    with pytest.warns(AcceptanceWarning, match="acceptance rate"):
        kept = broken.sample(300, label=2)
    assert len(kept) < 300
    if len(kept):
        err = broken.reconstruction_error(kept, np.full(len(kept), 2))
        assert (err <= broken.thresholds_[2] * (1 + 1e-4) + 1e-5).all()


def test_same_seed_same_samples_and_different_seed_differs(table, fitted):
    X, y, layout = table
    _, X_res, y_res = fitted
    X_again, y_again = GAVAESampler(layout=layout, random_state=0, **TINY).fit_resample(X, y)
    np.testing.assert_array_equal(X_again, X_res)
    np.testing.assert_array_equal(y_again, y_res)
    X_other, _ = GAVAESampler(layout=layout, random_state=1, **TINY).fit_resample(X, y)
    assert not np.array_equal(X_other[len(X) :], X_res[len(X) :])


def test_sample_is_reproducible(fitted):
    sampler, _, _ = fitted
    np.testing.assert_array_equal(sampler.sample(20, 1), sampler.sample(20, 1))
    np.testing.assert_array_equal(
        sampler.sample(20, 1, random_state=5), sampler.sample(20, 1, random_state=5)
    )
    assert not np.array_equal(
        sampler.sample(20, 1, random_state=5), sampler.sample(20, 1, random_state=6)
    )
    assert sampler.sample(0, 1).shape == (0, 9)


def test_save_load_round_trip(tmp_path, fitted):
    sampler, _, _ = fitted
    sampler.save(tmp_path / "gavae")
    loaded = GAVAESampler.load(tmp_path / "gavae")
    np.testing.assert_array_equal(loaded.sample(50, 2), sampler.sample(50, 2))
    np.testing.assert_array_equal(loaded.classes_, sampler.classes_)
    assert loaded.thresholds_ == sampler.thresholds_
    assert loaded.get_params()["layout"] == sampler.layout
    assert loaded.encoder_config_ == sampler.encoder_config_
    pd.testing.assert_frame_equal(loaded.history_, sampler.history_)
    pd.testing.assert_frame_equal(loaded.augmentation_report_, sampler.augmentation_report_)
    for k, v in sampler.encoder_state_dict().items():
        torch.testing.assert_close(loaded.encoder_state_dict()[k], v)


def test_save_load_string_labels(tmp_path, table):
    X, y, layout = table
    labels = np.array(["normal", "dos", "u2r"], dtype=object)[y]
    sampler = GAVAESampler(layout=layout, random_state=0, **{**TINY, "n_iter": 5})
    sampler.set_params(sampling_strategy={"u2r": 30})
    sampler.fit_resample(X, labels)
    sampler.save(tmp_path / "s")
    loaded = GAVAESampler.load(tmp_path / "s")
    assert loaded.sampling_strategy == {"u2r": 30}
    assert set(loaded.thresholds_) == {"normal", "dos", "u2r"}
    np.testing.assert_array_equal(loaded.sample(10, "u2r"), sampler.sample(10, "u2r"))


def test_load_rejects_tampered_weights(tmp_path, fitted):
    sampler, _, _ = fitted
    path = sampler.save(tmp_path / "gavae")
    weights = path / "weights.safetensors"
    data = bytearray(weights.read_bytes())
    data[-1] ^= 0xFF
    weights.write_bytes(bytes(data))
    with pytest.raises(ModelFileError):
        GAVAESampler.load(path)
    with pytest.raises(ModelFileError):
        GAVAESampler.load(tmp_path / "missing")


def test_load_rejects_broken_config(tmp_path, fitted):
    sampler, _, _ = fitted
    path = sampler.save(tmp_path / "gavae")
    meta = json.loads((path / "config.json").read_text())
    del meta["config"]["thresholds"]
    (path / "config.json").write_text(json.dumps(meta))
    with pytest.raises(ModelFileError, match="thresholds"):
        GAVAESampler.load(path)


def test_encoder_state_dict_feeds_a_backbone(fitted):
    sampler, _, _ = fitted
    state = sampler.encoder_state_dict()
    assert all(v.device.type == "cpu" for v in state.values())
    assert {"mu.weight", "mu.bias", "logvar.weight"} <= set(state)
    cfg = sampler.encoder_config_
    assert cfg == {"in_features": 9, "hidden": [16, 8], "latent_dim": 3, "activation": "relu"}
    backbone = MLPBackbone(cfg["in_features"], cfg["hidden"], cfg["activation"])
    backbone.load_state_dict(
        {k[len("backbone.") :]: v for k, v in state.items() if k.startswith("backbone.")}
    )
    x = torch.rand(4, 9)
    with torch.no_grad():
        torch.testing.assert_close(backbone(x), sampler.model_.encoder.backbone(x))


def test_discriminator_history_long_frame(fitted):
    sampler, _, _ = fitted
    frame = sampler.discriminator_history()
    assert list(frame.columns) == ["iteration", "class", "accuracy"]
    measured = sampler.history_.dropna(subset=["disc_accuracy"])
    assert len(frame) == len(measured) * 3 and len(measured) < TINY["n_iter"]
    assert set(frame["class"]) == {0, 1, 2}
    per_class = frame.pivot(index="iteration", columns="class", values="accuracy")
    np.testing.assert_allclose(per_class.mean(axis=1), measured["disc_accuracy"])


def test_pandas_in_pandas_out(table):
    X, y, layout = table
    df = pd.DataFrame(X, columns=list(layout.feature_names))
    ys = pd.Series(np.array(["a", "b", "c"])[y], name="label")
    X_res, y_res = GAVAESampler(layout=layout, random_state=0, **TINY).fit_resample(df, ys)
    assert isinstance(X_res, pd.DataFrame) and isinstance(y_res, pd.Series)
    assert list(X_res.columns) == list(df.columns) and y_res.name == "label"
    pd.testing.assert_frame_equal(X_res.iloc[: len(df)], df)
    assert y_res.value_counts().to_dict() == {"a": 90, "b": 90, "c": 90}


def test_plain_numeric_table_without_layout():
    rng = np.random.RandomState(0)
    X = rng.randint(0, 50, size=(80, 3))
    y = np.array([0] * 60 + [1] * 20)
    X_res, y_res = GAVAESampler(random_state=0, **TINY).fit_resample(X, y)
    assert X_res.dtype == X.dtype
    assert np.bincount(y_res).tolist() == [60, 60]
    new = X_res[80:]
    assert ((new >= X.min(0)) & (new <= X.max(0))).all()


def test_in_an_imblearn_pipeline(table):
    X, y, layout = table
    pipe = Pipeline(
        [
            ("gavae", GAVAESampler(layout=layout, random_state=0, **TINY)),
            ("clf", LogisticRegression(max_iter=200)),
        ]
    )
    pipe.fit(X, y)
    assert pipe.predict(X).shape == y.shape


def test_not_fitted_and_unknown_label(fitted):
    with pytest.raises(NotFittedError):
        GAVAESampler().sample(3, 0)
    with pytest.raises(NotFittedError):
        GAVAESampler().save("unused")
    with pytest.raises(ValueError, match="unknown class"):
        fitted[0].sample(3, label=7)


# ------------------------------------------------------------- bad input


def test_one_class_is_rejected():
    with pytest.raises(DataError, match="1 class"):
        GAVAESampler(**TINY).fit_resample(np.ones((10, 3)), np.zeros(10))


def test_nan_is_rejected(table):
    X, y, _ = table
    X = X.copy()
    X[3, 1] = np.nan
    with pytest.raises(DataError, match="NaN"):
        GAVAESampler(**TINY).fit_resample(X, y)


def test_text_in_an_encoded_matrix_is_rejected(table):
    X, y, layout = table
    df = pd.DataFrame(X)
    df[0] = df[0].astype(str).str.cat(["x"] * len(df))
    with pytest.raises(DataError):
        GAVAESampler(layout=layout, **TINY).fit_resample(df, y)
    with pytest.raises(DataError, match="numeric column holds text"):
        GAVAESampler(categorical_features=[1], **TINY).fit_resample(df, y)


def test_single_row_class_is_left_out_of_oversampling(table):
    X, y, layout = table
    y = y.copy()
    y[-1] = 3  # class 3 has one row
    sampler = GAVAESampler(layout=layout, random_state=0, **TINY)
    with pytest.warns(SmallClassWarning, match="class 3 has 1 row"):
        X_res, y_res = sampler.fit_resample(X, y)
    assert np.bincount(y_res).tolist() == [90, 90, 90, 1]
    assert sampler.skipped_classes_ == [3]
    np.testing.assert_array_equal(X_res[y_res == 3], X[y == 3])
    # Left out of the strategy, it passes through untouched.
    X_res, y_res = GAVAESampler(
        layout=layout, random_state=0, sampling_strategy={1: 60}, **TINY
    ).fit_resample(X, y)
    assert np.bincount(y_res).tolist() == [90, 60, 19, 1]


def test_layout_mismatch_and_bad_onehot_values(table):
    X, y, layout = table
    with pytest.raises(DataError, match="layout describes 9 columns"):
        GAVAESampler(layout=layout, **TINY).fit_resample(X[:, :8], y)
    X = X.copy()
    X[5, 4] = 2.0
    with pytest.raises(DataError, match="one-hot block 'p'") as info:
        GAVAESampler(layout=layout, **TINY).fit_resample(X, y)
    assert info.value.column == "p=tcp" and info.value.row == 6


# ------------------------------------------------------------- real data


def test_nsl_kdd_slice(nsl_small_encoded):
    X, y, layout = nsl_small_encoded
    # An undertrained decoder emits blurry rows whose own BCE entropy exceeds the
    # thresholds; 300 iterations are enough for the filter to accept most rows.
    sampler = GAVAESampler(layout=layout, random_state=0, **{**TINY, "n_iter": 300})
    X_res, y_res = sampler.fit_resample(X, y)
    counts = pd.Series(y_res).value_counts()
    assert (counts == counts.max()).all()
    new = X_res[len(X) :]
    assert_valid_onehots(new, layout)
    assert ((new >= 0) & (new <= 1)).all()
    err = sampler.reconstruction_error(new, y_res[len(X) :])
    limit = np.array([sampler.thresholds_[c] for c in y_res[len(X) :]])
    assert (err <= limit * (1 + 1e-4) + 1e-5).all()


# ------------------------------------------------------- estimator checks


@imblearn_checks([GAVAESampler(random_state=0, **CHECK_PARAMS)])
def test_imblearn_estimator_checks(estimator, check):
    check(estimator)


@sklearn_checks([GAVAESampler(random_state=0, **CHECK_PARAMS)])
def test_sklearn_estimator_checks(estimator, check):
    check(estimator)


# ------------------------------------------------------------ binned outputs (issue #11)


def _bins_for(X_num, n_bins=4):
    from gavae_ids.nn.gavae import NumericBins
    from gavae_ids.sampling.column_transform import EmpiricalCDFTransform

    cdf = EmpiricalCDFTransform().fit(X_num)
    b = cdf.bins(n_bins)
    as_float = (torch.as_tensor(b[k], dtype=torch.float32) for k in ("edges", "lower", "upper"))
    return cdf, NumericBins(*as_float, torch.as_tensor(b["valid"]))


def test_binned_loss_is_cross_entropy_of_each_columns_bin():
    rng = np.random.RandomState(0)
    X_num = np.c_[rng.randint(0, 3, 50), rng.randint(0, 9, 50)].astype(float)
    cdf, bins = _bins_for(X_num)
    x = torch.as_tensor(cdf.transform(X_num), dtype=torch.float32)
    logits = torch.randn(50, 2 + bins.n_logits, generator=torch.Generator().manual_seed(0))
    loss = reconstruction_loss(logits, x, torch.tensor([0, 1]), (), bins)
    # By hand: each column's logits are its bins' in order; target = the bin holding x.
    expected = torch.zeros(50)
    pos = 2
    for j in range(2):
        nb = int(bins.valid[j].sum())
        z = logits[:, pos : pos + nb]
        target = torch.searchsorted(bins.edges[j, : nb - 1].contiguous(), x[:, j].contiguous())
        expected += F.cross_entropy(z, target, reduction="none")
        pos += nb
    torch.testing.assert_close(loss, expected, rtol=1e-5, atol=1e-5)


def test_sampling_without_noise_is_the_mode_and_noise_moves_it():
    from gavae_ids.nn.gavae import sample_features

    rng = np.random.RandomState(1)
    X_num = rng.randint(0, 6, (80, 2)).astype(float)
    _, bins = _bins_for(X_num, n_bins=8)
    idx, blocks = torch.tensor([0, 1]), ((2, 5),)
    logits = torch.randn(200, 5 + bins.n_logits, generator=torch.Generator().manual_seed(1))
    zero, half = torch.zeros_like(logits), torch.full((200, 2), 0.5)
    mode = logits_to_features(logits, idx, blocks, bins)
    torch.testing.assert_close(sample_features(logits, idx, blocks, bins, zero, half), mode)
    g = torch.Generator().manual_seed(2)
    gumbel = -torch.log(-torch.log(torch.rand(logits.shape, generator=g).clamp(1e-9, 1 - 1e-7)))
    drawn = sample_features(logits, idx, blocks, bins, gumbel, half)
    assert not torch.equal(drawn, mode)
    assert_valid_onehots(
        drawn.numpy(),
        FeatureLayout(
            feature_names=tuple("abcde"), onehot_blocks=(OneHotBlock("p", 2, 5, ("x", "y", "z")),)
        ),
    )


def test_binned_samples_lie_on_each_columns_training_values(table, fitted):
    X, _, _ = table
    sampler, X_res, _ = fitted
    assert sampler.decoder == "autoregressive" and sampler.config().binned
    new = X_res[len(X) :]
    for j in range(4):
        assert np.isin(new[:, j], X[:, j]).all()


def test_paper_preset_decodes_means_off_the_training_values(table):
    from gavae_ids.detection.methods import PAPER_GAVAE

    X, y, layout = table
    params = {**PAPER_GAVAE, **TINY}
    X_res, _ = GAVAESampler(layout=layout, random_state=0, **params).fit_resample(X, y)
    new = X_res[len(X) :]
    # Sigmoid means: numbers between the observed ones, as the paper's decoder gives them.
    assert not np.isin(new[:, 0], X[:, 0]).all()


def test_temperature_does_not_move_sigmoid_means():
    from gavae_ids.nn.gavae import sample_features

    logits = torch.randn(20, 5, generator=torch.Generator().manual_seed(3))
    idx, blocks = torch.tensor([0, 1]), ((2, 5),)
    zero, u = torch.zeros_like(logits), torch.zeros(20, 2)
    cold = sample_features(logits, idx, blocks, None, zero, u, temperature=0.25)
    torch.testing.assert_close(cold[:, :2], torch.sigmoid(logits[:, :2]))
