"""The empirical-CDF column transform the GAVAE uses for numeric columns."""

from __future__ import annotations

import numpy as np

from gavae_ids.sampling.column_transform import EmpiricalCDFTransform


def test_point_mass_becomes_an_interval_and_inverse_snaps_to_observed_values():
    x = np.array([0.0] * 6 + [1.0] * 3 + [7.5])[:, None]
    t = EmpiricalCDFTransform().fit(x)
    # Midpoints of the CDF steps [0, .6], [.6, .9], [.9, 1].
    np.testing.assert_allclose(
        t.transform(np.array([[0.0], [1.0], [7.5]])).ravel(), [0.3, 0.75, 0.95]
    )
    grid = np.linspace(0, 1, 1001)[:, None]
    back = t.inverse_transform(grid).ravel()
    assert set(np.unique(back)) == {0.0, 1.0, 7.5}


def test_uniform_input_reproduces_the_marginal_distribution():
    rng = np.random.RandomState(0)
    x = np.c_[rng.poisson(0.3, 5000), rng.lognormal(3, 2, 5000).round()]
    t = EmpiricalCDFTransform().fit(x)
    u = rng.rand(20000, 2)
    sampled = t.inverse_transform(u)
    for j in range(2):
        real_zero = np.mean(x[:, j] == x[:, j].min())
        syn_zero = np.mean(sampled[:, j] == x[:, j].min())
        assert abs(real_zero - syn_zero) < 0.02
        assert np.isin(sampled[:, j], x[:, j]).all()
        np.testing.assert_allclose(np.median(sampled[:, j]), np.median(x[:, j]), rtol=0.1)


def test_round_trip_of_training_values_is_exact():
    rng = np.random.RandomState(1)
    x = np.c_[rng.randint(0, 50, 1500), rng.rand(1500)]  # within max_support
    t = EmpiricalCDFTransform().fit(x)
    np.testing.assert_array_equal(t.inverse_transform(t.transform(x)), x)


def test_support_is_capped_on_many_distinct_values():
    x = np.arange(10000, dtype=float)[:, None]
    t = EmpiricalCDFTransform(max_support=100).fit(x)
    assert t.n_support_[0] <= 100
    back = t.inverse_transform(np.linspace(0, 1, 500)[:, None]).ravel()
    assert np.isin(back, x).all() and back.max() == x.max()


def test_arrays_round_trip():
    x = np.random.RandomState(2).randint(0, 5, (200, 3)).astype(float)
    t = EmpiricalCDFTransform().fit(x)
    t2 = EmpiricalCDFTransform.from_arrays(t.to_arrays())
    np.testing.assert_array_equal(t2.transform(x), t.transform(x))


def test_folded_values_map_to_the_kept_value_they_were_counted_with():
    rng = np.random.RandomState(3)
    x = np.round(rng.exponential(1.0, 20000), 3)[:, None]  # ~5,000 distinct values
    t = EmpiricalCDFTransform(max_support=256).fit(x)
    back = t.inverse_transform(t.transform(x)).ravel()
    kept = t.values_[0, : t.n_support_[0]]
    # Each value goes to the smallest kept value at or above it: fit's folding rule.
    expected = kept[np.searchsorted(kept, x.ravel(), side="left")]
    np.testing.assert_array_equal(back, expected)
