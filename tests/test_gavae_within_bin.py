"""Numbers drawn inside their bin by the class's own shares (issue #11; the default generator)."""

from __future__ import annotations

import numpy as np
import pytest

from conftest import sampler_with
from gavae_ids.sampling.column_transform import EmpiricalCDFTransform

pytestmark = pytest.mark.usefixtures("one_torch_thread")

N_BINS = 4


def _interleaved(n: int = 800, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """One number, 0…199: class 0 holds the even values, class 1 the odd ones, so each of
    four bins spans values of both classes; a second number is the same for both."""
    rng = np.random.RandomState(seed)
    y = np.r_[np.zeros(n // 2, int), np.ones(n // 2, int)]
    X = np.c_[2 * rng.randint(0, 100, n) + y, rng.poisson(3.0, n)].astype(float)
    return X, y


def _fit(X):
    return EmpiricalCDFTransform().fit(X)


def _bin(cdf: EmpiricalCDFTransform, T: np.ndarray) -> np.ndarray:
    b = cdf.bins(N_BINS)
    return np.stack([np.searchsorted(b["edges"][j], T[:, j]) for j in range(T.shape[1])], 1)


@pytest.mark.parametrize("smoothing", [0.0, 5.0, np.inf])
def test_a_redrawn_number_stays_in_its_bin_and_on_the_training_values(smoothing):
    X, y = _interleaved()
    cdf = _fit(X)
    table = cdf.within_bin_table(N_BINS, cdf.value_counts(X[y == 1]), smoothing)
    rng = np.random.RandomState(1)
    T = rng.rand(3000, 2)
    out = cdf.draw_within_bins(T, N_BINS, table, rng.rand(3000, 2))
    np.testing.assert_array_equal(_bin(cdf, out), _bin(cdf, T))
    back = cdf.inverse_transform(out)
    for j in range(2):
        assert np.isin(back[:, j], X[:, j]).all()


def test_the_class_shares_replace_the_global_ones_as_smoothing_falls():
    X, y = _interleaved()
    cdf = _fit(X)
    counts = cdf.value_counts(X[y == 1])
    rng = np.random.RandomState(2)
    T = rng.rand(20000, 2)
    u = rng.rand(20000, 2)
    odd = {}
    for s in (0.0, 20.0, np.inf):
        values = cdf.inverse_transform(cdf.draw_within_bins(T, N_BINS, cdf.within_bin_table(
            N_BINS, counts, s), u))[:, 0]  # fmt: skip
        odd[s] = np.mean(values % 2 == 1)
    assert odd[0.0] == 1.0  # only the class's own values
    assert abs(odd[np.inf] - 0.5) < 0.03  # all rows' shares: half are the other class's
    assert odd[np.inf] < odd[20.0] < 1.0
    # Every value of the bin keeps the share all rows give it when smoothing is infinite.
    values = cdf.inverse_transform(cdf.draw_within_bins(T, N_BINS, cdf.within_bin_table(
        N_BINS, counts, np.inf), u))[:, 1]  # fmt: skip
    for v in np.unique(X[:, 1])[:4]:
        assert abs(np.mean(values == v) - np.mean(X[:, 1] == v)) < 0.02


def test_a_bin_the_class_never_reaches_keeps_the_global_shares():
    X, y = _interleaved()
    X[y == 1, 0] = 1.0  # class 1 now sits in the first bin only
    cdf = _fit(X)
    table = cdf.within_bin_table(N_BINS, cdf.value_counts(X[y == 1]), 0.0)
    T = np.full((4000, 2), 0.99)  # the last bin of both columns
    u = np.random.RandomState(3).rand(4000, 2)
    out = cdf.inverse_transform(cdf.draw_within_bins(T, N_BINS, table, u))
    assert len(np.unique(out[:, 0])) > 10  # spread over the bin's values, not stuck


def test_sampler_draws_the_class_values_inside_bins_and_round_trips(tmp_path):
    X, y = _interleaved()
    Small = sampler_with(critic_hidden=(8,), disc_eval_size=8, decoder_hidden=(16, 16),
                         n_bins=N_BINS, within_bin_smoothing=0.0)  # fmt: skip
    own = Small(hidden=(16, 8), latent_dim=2, n_iter=30, batch_size=64, critic_steps=1,
                random_state=0)  # fmt: skip
    own.fit_resample(X, y)
    # Every bin holds odd (class 1) and even (class 0) values; each class gets its own.
    assert np.mean(own.sample(1000, 1)[:, 0] % 2 == 1) == 1.0
    assert np.mean(own.sample(1000, 0)[:, 0] % 2 == 0) == 1.0
    # The class counts travel with the file.
    loaded = Small.load(own.save(tmp_path / "own"))
    np.testing.assert_array_equal(loaded.value_space_.value_counts, own.value_space_.value_counts)
    np.testing.assert_array_equal(loaded.sample(200, 1, random_state=5),
                                  own.sample(200, 1, random_state=5))  # fmt: skip
