"""The territory check (``territory_k``): no synthetic row where other classes' real rows rule."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from conftest import sampler_with
from gavae_ids.sampling import GAVAESampler
from gavae_ids.sampling._generation import TerritoryFilter

pytestmark = pytest.mark.usefixtures("one_torch_thread")

V2_OLD = Path(__file__).parent / "data" / "gavae_sampler_v2_no_territory"


def _two_regions():
    """Class 0 (weight 1 per row) fills x < 0.5, class 1 x > 0.5; a class-1 row of weight 10
    sits inside class 0's region at x = 0.2."""
    rows = np.r_[np.linspace(0.0, 0.45, 10), np.linspace(0.55, 1.0, 10), [0.2]][:, None]
    owner = np.r_[np.zeros(10, int), np.ones(10, int), [1]]
    weight = np.r_[np.ones(20), [10.0]]
    return rows, owner, weight


def test_candidates_in_the_other_class_region_are_rejected_and_own_ones_kept():
    rows, owner, weight = _two_regions()
    f = TerritoryFilter(rows, owner, np.ones_like(weight), k=3)
    cand = np.array([[0.05], [0.3], [0.7], [0.95], [0.52]])
    assert f.keep(cand, 1).tolist() == [False, False, True, True, True]
    assert f.keep(cand, 0).tolist() == [True, True, False, False, False]


def test_the_vote_is_weighted_and_the_all_rule_rejects_only_unanimous_neighbourhoods():
    rows, owner, weight = _two_regions()
    cand = np.array([[0.2]])  # neighbours: the class-1 row (weight 10) and two class-0 rows
    assert TerritoryFilter(rows, owner, np.ones_like(weight), k=3).keep(cand, 1).tolist() == [False]
    assert TerritoryFilter(rows, owner, weight, k=3).keep(cand, 1).tolist() == [True]
    assert TerritoryFilter(rows, owner, weight, k=3).keep(cand, 0).tolist() == [False]
    every = TerritoryFilter(rows, owner, np.ones_like(weight), k=3, rule="all")
    assert every.keep(np.array([[0.2], [0.05]]), 1).tolist() == [True, False]


def _overlapping(seed: int = 0):
    """Class 0 uniform on [0, 1]^2; class 1 half in its own corner, half spread over class 0."""
    rng = np.random.RandomState(seed)
    major = rng.rand(600, 2)
    own = 1.0 + 0.1 * rng.rand(60, 2)
    spread = rng.rand(60, 2)
    return np.r_[major, own, spread], np.r_[np.zeros(600, int), np.ones(120, int)]


SMALL = dict(critic_hidden=(8,), disc_eval_size=8, decoder_hidden=(32, 32), n_bins=16)
KW = dict(hidden=(16, 8), latent_dim=2, n_iter=40, batch_size=64, critic_steps=1, random_state=0)


def test_the_check_keeps_synthetic_rows_out_of_the_majority_region_and_reports_it(tmp_path):
    X, y = _overlapping()
    checked = sampler_with(**SMALL)(territory_k=5, **KW)
    plain = sampler_with(**SMALL)(territory_k=None, **KW)
    checked.fit_resample(X, y)
    plain.fit_resample(X, y)
    in_major = lambda r: float(np.mean(r.max(axis=1) < 0.95))  # noqa: E731
    # The class's real rows half lie in class 0's square, and so do unchecked synthetic ones.
    assert in_major(plain.sample(400, 1)) > 0.2
    assert in_major(checked.sample(400, 1)) < 0.5 * in_major(plain.sample(400, 1))
    rep, rep_plain = (s.augmentation_report_.set_index("class").loc[1] for s in (checked, plain))
    assert rep["passed_manifold"] > rep["accepted"] >= rep["generated"] == 480
    assert rep_plain["passed_manifold"] == rep_plain["accepted"]
    loaded = type(checked).load(checked.save(tmp_path / "s"))
    assert loaded.territory_k == 5 and loaded.generator_.territory.k == 5
    pd.testing.assert_frame_equal(loaded.augmentation_report_, checked.augmentation_report_)
    np.testing.assert_array_equal(loaded.sample(200, 1, random_state=4),
                                  checked.sample(200, 1, random_state=4))  # fmt: skip


def test_off_by_default_and_auto_leaves_the_papers_decoder_alone():
    X, y = _overlapping()
    assert GAVAESampler().territory_k is None
    ar = sampler_with(**SMALL)(territory_k="auto", **KW)
    ar.fit_resample(X, y)
    assert ar.generator_.territory is not None and ar.generator_.territory.k == 5
    mlp = GAVAESampler(decoder="mlp", territory_k="auto", **KW)
    mlp.fit_resample(X, y)
    assert mlp.generator_.territory is None


def test_a_sampler_saved_before_the_check_loads_with_it_off_and_samples_as_before():
    loaded = GAVAESampler.load(V2_OLD)
    assert loaded.territory_k is None and loaded.generator_.territory is None
    report = loaded.augmentation_report_
    assert (report["passed_manifold"] == report["accepted"]).all()
    np.testing.assert_array_equal(loaded.sample(10, 1, random_state=3),
                                  np.load(V2_OLD / "expected_sample.npy"))  # fmt: skip
    # ... and its parameters, as a classifier saved before would name them, keep it off.
    params = loaded.get_params(deep=False)
    del params["territory_k"]
    assert GAVAESampler.from_saved_params(params).territory_k is None


def test_a_bad_territory_k_is_refused():
    X, y = _overlapping()
    with pytest.raises(ValueError, match="territory_k"):
        GAVAESampler(territory_k=0, n_iter=1).fit_resample(X, y)
