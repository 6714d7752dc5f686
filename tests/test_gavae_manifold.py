"""The manifold check (``manifold_k``): keep candidates that lie on the real rows of their class."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch
from sklearn.neighbors import NearestNeighbors

from conftest import sampler_with
from gavae_ids.sampling import GAVAESampler
from gavae_ids.sampling.manifold import ClassManifold

pytestmark = pytest.mark.usefixtures("one_torch_thread")


def test_a_rows_ball_reaches_its_kth_nearest_other_row():
    rows = torch.tensor([[0.0], [1.0], [3.0], [7.0]])
    m = ClassManifold(rows, k=2)
    # Second-nearest other row: 0 -> 3, 1 -> 3 (via 3 or 0: 2 and 1 -> 2), 3 -> 3, 7 -> 6.
    torch.testing.assert_close(m.radius, torch.tensor([3.0, 2.0, 3.0, 6.0]))
    cand = torch.tensor([[-3.0], [-3.5], [12.9], [13.5], [5.0]])
    assert m.contains(cand).tolist() == [True, False, True, False, True]


def test_k_is_capped_by_the_rows_and_one_row_keeps_every_candidate():
    two = ClassManifold(torch.tensor([[0.0, 0.0], [0.0, 1.0]]), k=5)
    assert two.k == 1
    assert two.contains(torch.tensor([[0.0, 2.0], [0.0, 2.5]])).tolist() == [True, False]
    one = ClassManifold(torch.tensor([[0.0, 0.0]]), k=5)
    assert one.contains(torch.tensor([[9.0, 9.0]])).tolist() == [True]


def _two_blobs(seed: int = 0):
    """Class 1 sits in two tight blobs far apart; a decoder easily fills the gap between them."""
    rng = np.random.RandomState(seed)
    major = rng.rand(600, 3)
    centre = np.where(rng.rand(200, 1) < 0.5, 0.1, 0.9)
    minor = np.clip(centre + 0.02 * rng.randn(200, 3), 0, 1)
    return np.r_[major, minor], np.r_[np.zeros(600, int), np.ones(200, int)]


def _outside(X, y, rows, k=5):
    """Share of ``rows`` outside every class-1 row's k-NN ball, in min-max units."""
    lo, span = X.min(axis=0), X.max(axis=0) - X.min(axis=0)
    real = np.unique((X[y == 1] - lo) / span, axis=0)
    radius = NearestNeighbors(n_neighbors=k + 1).fit(real).kneighbors(real)[0][:, -1]
    d = np.linalg.norm(((rows - lo) / span)[:, None, :] - real[None, :, :], axis=2)
    return float(np.mean(~(d <= radius[None, :] + 1e-6).any(axis=1)))


def test_every_kept_row_lies_in_a_real_rows_ball_and_files_keep_the_check(tmp_path):
    X, y = _two_blobs()
    kw = dict(
        hidden=(16, 8), latent_dim=2, n_iter=40, batch_size=64, critic_steps=1, random_state=0
    )
    small = dict(critic_hidden=(8,), disc_eval_size=8, decoder_hidden=(32, 32), n_bins=16)
    checked = sampler_with(**small)(**kw)
    plain = sampler_with(**small, manifold_k=None)(**kw)  # an ablation, not a parameter
    checked.fit_resample(X, y)
    plain.fit_resample(X, y)
    rows_plain = plain.sample(400, 1)
    rows = checked.sample(400, 1)
    # Barely trained, the decoder fills the gap between the blobs; the check removes those rows.
    assert _outside(X, y, rows_plain) > 0.1
    assert _outside(X, y, rows) == 0.0
    assert len(rows) == 400
    # The report tells the two filters apart: the check rejected rows that passed Eq. 9.
    rep, rep_plain = (s.augmentation_report_.set_index("class").loc[1] for s in (checked, plain))
    assert rep["passed_eq9"] > rep["passed_manifold"] >= rep["accepted"] >= rep["generated"] == 400
    assert rep_plain["passed_eq9"] == rep_plain["passed_manifold"]
    loaded = type(checked).load(checked.save(tmp_path / "s"))
    pd.testing.assert_frame_equal(loaded.augmentation_report_, checked.augmentation_report_)
    np.testing.assert_array_equal(loaded.sample(200, 1, random_state=4),
                                  checked.sample(200, 1, random_state=4))  # fmt: skip


def test_a_refit_measures_candidates_against_its_own_rows():
    X, y = _two_blobs()
    X2, y2 = _two_blobs(seed=1)
    X2[y2 == 1] = np.clip(1.0 - X2[y2 == 1] + 0.3, 0, 1)  # class 1 elsewhere
    s = sampler_with(critic_hidden=(8,), disc_eval_size=8, decoder_hidden=(32, 32), n_bins=16)(
        hidden=(16, 8), latent_dim=2, n_iter=40, batch_size=64, critic_steps=1, random_state=0
    )
    s.fit_resample(X, y)
    s.sample(50, 1)  # builds (and caches) class 1's manifold of the first fit
    s.fit_resample(X2, y2)
    assert _outside(X2, y2, s.sample(300, 1)) == 0.0


def test_the_autoregressive_decoder_checks_and_the_papers_does_not():
    X, y = _two_blobs()
    s = GAVAESampler(decoder="mlp", n_iter=2, random_state=0)
    _, y_res = s.fit_resample(X, y)
    assert s.manifold_k_ is None and s.value_space_.donors is None
    assert np.bincount(y_res).tolist() == [600, 600]
    binned = GAVAESampler(n_iter=2, random_state=0)
    binned.fit_resample(X, y)
    assert binned.manifold_k_ == 5 and binned.value_space_.donors is not None
