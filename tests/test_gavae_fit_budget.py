"""Issue #32: the GAVAE's training budget and bins follow the table's size."""

from __future__ import annotations

import numpy as np
import pytest

from conftest import sampler_with
from gavae_ids.training import GAVAEConfig
from gavae_ids.training.gavae_config import AUTO_MAX_ITER, AUTO_MIN_ITER


def test_auto_iterations_are_passes_over_the_rows_within_bounds():
    config = GAVAEConfig()
    assert config.n_iter == "auto"
    # NSL-KDD KDDTrain+_20Percent and its 3-fold CV folds keep the 1,000 iterations its
    # defaults were chosen at.
    assert config.iterations(25_192) == config.iterations(16_795) == AUTO_MAX_ITER == 1000
    assert config.iterations(569) == AUTO_MIN_ITER
    mid = config.iterations(8_000)
    assert AUTO_MIN_ITER < mid < AUTO_MAX_ITER
    assert mid == int(np.ceil(32 * 8_000 / 512))
    # On a small table the passes are of its smaller batches: 32 * 1_000 / 250 = 128 -> 200.
    assert config.iterations(1_000) == AUTO_MIN_ITER
    # More rows never train fewer iterations.
    sizes = [100, 600, 3_000, 8_000, 20_000, 100_000]
    assert np.all(np.diff([config.iterations(n) for n in sizes]) >= 0)
    assert GAVAEConfig(n_iter=37).iterations(1_000_000) == 37


def test_auto_batches_are_a_quarter_of_a_small_table():
    config = GAVAEConfig()
    assert config.batch_size == "auto"
    assert config.batch_rows(25_192) == config.batch_rows(2_048) == 512
    assert config.batch_rows(569) == 142
    assert config.batch_rows(60) == 32
    assert config.batch_rows(20) == 20
    # An explicit size is kept (the paper preset's 256), capped by the rows.
    assert GAVAEConfig(batch_size=256).batch_rows(569) == 256
    assert GAVAEConfig(batch_size=256).batch_rows(100) == 100


def test_bins_shrink_on_a_small_table_only():
    config = GAVAEConfig()
    assert config.bins_for(25_192) == config.n_bins == 128
    assert config.bins_for(16_795) == 128
    assert config.bins_for(569) == 569 // 32
    assert config.bins_for(20) == 8
    assert GAVAEConfig(rows_per_bin=1).bins_for(569) == 128


def _continuous(n: int, seed: int = 0):
    rng = np.random.RandomState(seed)
    X = rng.rand(n, 3)
    y = (rng.rand(n) < 0.3).astype(int)
    return X, y


Small = sampler_with(critic_hidden=(8,), disc_eval_size=4, decoder_hidden=(32, 32))


def test_a_small_table_trains_auto_iterations_with_fewer_bins(tmp_path):
    X, y = _continuous(400)
    sampler = Small(random_state=0)
    X_res, _ = sampler.fit_resample(X, y)
    assert len(sampler.history_) == AUTO_MIN_ITER
    # 400 distinct values per column: 400 // 32 = 12 bins each, not 128.
    assert sampler.value_space_.n_bins == 12
    assert sampler.model_.n_logits == 3 + 3 * 12
    # A saved sampler keeps its bins and samples as the fitted one.
    loaded = type(sampler).load(sampler.save(tmp_path / "s"))
    assert loaded.value_space_.n_bins == 12
    np.testing.assert_array_equal(loaded.sample(30, 1), sampler.sample(30, 1))
    # And a refit with the same seed gives the same rows.
    X_again, _ = Small(random_state=0).fit_resample(X, y)
    np.testing.assert_array_equal(X_res, X_again)


def test_an_explicit_n_iter_is_kept():
    X, y = _continuous(120)
    sampler = Small(random_state=0, n_iter=15)
    sampler.fit_resample(X, y)
    assert len(sampler.history_) == 15


@pytest.mark.parametrize("name", ["n_iter", "batch_size"])
@pytest.mark.parametrize("bad", ["fast", 0])
def test_n_iter_and_batch_size_take_a_positive_count_or_auto(name, bad):
    X, y = _continuous(60)
    with pytest.raises(ValueError, match=name):
        Small(**{name: bad}).fit_resample(X, y)
