"""Per-class latent mixtures, each fitted when its class is first drawn (issue #32)."""

from __future__ import annotations

import copy

import numpy as np
import pytest

from conftest import sampler_with
from test_gavae_autoregressive import LAYOUT, TINY, _rows

pytestmark = pytest.mark.usefixtures("one_torch_thread")

Small = sampler_with(critic_hidden=(16,), disc_eval_size=8, decoder_hidden=(24, 24))


@pytest.fixture(scope="module")
def fitted():
    """Three classes; only class 2 is oversampled, so classes 0 and 1 are never drawn."""
    X = _rows(360)
    y = np.r_[np.zeros(160, int), np.ones(120, int), np.full(80, 2)]
    sampler = Small(layout=LAYOUT, random_state=0, sampling_strategy={2: 120}, **TINY)
    sampler.fit_resample(X, y)
    return sampler


def test_fit_resample_fits_only_the_classes_it_draws(fitted):
    mixtures = fitted.generator_.mixtures
    assert sorted(mixtures.pending) == [0, 1]
    assert mixtures.weights[2].sum() == pytest.approx(1.0)
    assert (mixtures.weights[:2] == 0).all()


def test_a_class_draws_the_same_rows_whichever_classes_were_drawn_before(fitted):
    fresh, used = copy.deepcopy(fitted), copy.deepcopy(fitted)
    used.sample(30, 0, random_state=1)
    np.testing.assert_array_equal(fresh.sample(30, 1, random_state=2),
                                  used.sample(30, 1, random_state=2))  # fmt: skip
    # A mixture fitted lazily is the one an eager fit of every class gives.
    w, m, c = copy.deepcopy(fitted).generator_.mixtures.arrays()
    np.testing.assert_array_equal(used.generator_.mixtures.means[0], m[0])


def test_a_sampler_saved_before_drawing_a_class_samples_it_after_loading(fitted, tmp_path):
    before = copy.deepcopy(fitted)
    path = before.save(tmp_path / "lazy")
    loaded = Small.load(path)
    assert not loaded.generator_.mixtures.pending
    np.testing.assert_array_equal(loaded.sample(25, 0, random_state=3),
                                  copy.deepcopy(fitted).sample(25, 0, random_state=3))  # fmt: skip
