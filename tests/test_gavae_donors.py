"""Numbers taken jointly from a real row of the class inside their bins (the default generator)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from conftest import sampler_with
from gavae_ids.sampling.donors import ClassDonors, block_codes, fit_donors, pattern_keys

pytestmark = pytest.mark.usefixtures("one_torch_thread")


def _table(support, bins, blocks, y, n_classes=2, max_donors=4096):
    return fit_donors(np.asarray(support), np.asarray(bins), np.asarray(blocks), np.asarray(y),
                      n_classes, np.random.RandomState(0), max_donors)  # fmt: skip


def _identity_bins(k: int, n_values: int = 10) -> np.ndarray:
    """Two values per bin: value v lies in bin v // 2, in each of k columns."""
    return np.tile(np.arange(n_values) // 2, (k, 1))


def test_columns_sharing_the_nearest_donors_bin_take_its_values():
    sb = _identity_bins(4)
    # Class 0's rows (values); bins are value // 2.
    real = np.array([[0, 2, 4, 6], [9, 9, 9, 9]])
    t = _table(real, real // 2, np.zeros((2, 0), int), [0, 0], n_classes=1)
    # Shares bins 0, 1, 2 with the first row (values 1, 3, 5 are the bins' other values) and
    # not the last one: columns 0-2 take the donor's values, column 3 keeps its own.
    cand = np.array([[1, 3, 5, 1]])
    out = ClassDonors(t, 0, sb).apply(cand, sb[np.arange(4), cand], np.zeros((1, 0), int),
                                      torch.Generator().manual_seed(0))  # fmt: skip
    np.testing.assert_array_equal(out, [[0, 2, 4, 1]])


def test_a_bin_level_copy_keeps_its_own_values_so_no_exact_copy_appears():
    sb = _identity_bins(3)
    real = np.array([[0, 2, 4]])
    blocks = np.array([[1]])
    t = _table(real, real // 2, blocks, [0], n_classes=1)
    gen = torch.Generator().manual_seed(0)
    # Same bins and category as the real row: a bin-level copy, left alone.
    cand = np.array([[1, 3, 5]])
    out = ClassDonors(t, 0, sb).apply(cand, cand // 2, np.array([[1]]), gen)
    np.testing.assert_array_equal(out, cand)
    # Same bins, another category: not a copy of the real row, so it borrows every value and
    # still differs from the row in its category.
    out = ClassDonors(t, 0, sb).apply(cand, cand // 2, np.array([[0]]), gen)
    np.testing.assert_array_equal(out, real)


def test_donors_of_another_class_are_never_used():
    sb = _identity_bins(2)
    real = np.array([[0, 2], [8, 8]])
    t = _table(real, real // 2, np.zeros((2, 0), int), [0, 1])
    cand = np.array([[1, 3]])  # the bins of class 0's row; class 1's row shares none
    out = ClassDonors(t, 1, sb).apply(cand, cand // 2, np.zeros((1, 0), int),
                                      torch.Generator().manual_seed(0))  # fmt: skip
    np.testing.assert_array_equal(out, cand)


def test_ties_between_donors_are_broken_at_random():
    sb = _identity_bins(2)
    real = np.array([[0, 8], [8, 0]])  # each shares one bin with the candidate
    t = _table(real, real // 2, np.zeros((2, 0), int), [0, 0], n_classes=1)
    cand = np.tile([[1, 1]], (400, 1))  # bins (0, 0)
    out = ClassDonors(t, 0, sb).apply(cand, cand // 2, np.zeros((400, 0), int),
                                      torch.Generator().manual_seed(0))  # fmt: skip
    first = np.mean(out[:, 0] == 0)
    assert 0.4 < first < 0.6
    np.testing.assert_array_equal(out[:, 0] == 0, out[:, 1] == 1)  # one donor or the other


def test_donors_are_distinct_rows_capped_per_class_while_every_pattern_is_kept():
    rng = np.random.RandomState(0)
    support = np.r_[rng.randint(0, 50, (300, 3)), np.zeros((100, 3), int)]
    y = np.r_[np.zeros(300, int), np.ones(100, int)]
    bins = support // 5
    t = _table(support, bins, np.zeros((400, 0), int), y, max_donors=64)
    assert (t.owner == 0).sum() == 64
    assert (t.owner == 1).sum() == 1  # 100 identical rows: one donor
    assert len(np.unique(t.support[t.owner == 0], axis=0)) == 64
    keys0 = t.keys[t.key_owner == 0]
    assert np.isin(pattern_keys(bins[:300], np.zeros((300, 0), int)), keys0).all()


def test_block_codes_mark_rows_with_no_category():
    X = np.array([[0.0, 1.0, 0.0, 0.5], [0.0, 0.0, 0.0, 0.2]])
    np.testing.assert_array_equal(block_codes(X, [(0, 3)]), [[1], [-1]])


def _linked(n_major: int = 1500, n_minor: int = 300, seed: int = 0):
    """Columns a and b = 199 - a (a on 0..199), plus four independent numbers."""
    rng = np.random.RandomState(seed)
    n = n_major + n_minor
    a = rng.randint(0, 200, n)
    X = np.c_[a, 199 - a, rng.randint(0, 200, (n, 4))].astype(float)
    return X, np.r_[np.zeros(n_major, int), np.ones(n_minor, int)]


def test_the_sampler_keeps_a_rows_numbers_consistent_and_round_trips(tmp_path):
    X, y = _linked()
    kw = dict(
        hidden=(32, 16), latent_dim=4, n_iter=150, batch_size=128, critic_steps=1, random_state=0
    )
    Small = sampler_with(critic_hidden=(8,), disc_eval_size=8, decoder_hidden=(64, 64), n_bins=8,
                         manifold_k=None)  # fmt: skip
    donor = Small(**kw)
    donor.fit_resample(X, y)
    rows = donor.sample(1000, 1)
    # Drawn column by column, a and b would add up only by chance (one value in 25 of a bin,
    # under 0.2 of the rows: docs/results/gavae-donor); the donor rows keep them together.
    assert np.mean(rows[:, 0] + rows[:, 1] == 199) > 0.4
    loaded = Small.load(donor.save(tmp_path / "donor"))
    space, space_loaded = donor.value_space_, loaded.value_space_
    np.testing.assert_array_equal(space_loaded.donors.support, space.donors.support)
    np.testing.assert_array_equal(loaded.sample(300, 1, random_state=3),
                                  donor.sample(300, 1, random_state=3))  # fmt: skip


def test_the_nearest_donor_shares_the_most_codes():
    from gavae_ids.sampling.donors import _NearestIndex

    rng = np.random.RandomState(0)
    pool = rng.randint(-1, 4, (300, 7))
    cand = rng.randint(-1, 6, (2000, 7))  # codes the pool never holds too
    chosen = _NearestIndex(pool).query(cand, torch.Generator().manual_seed(0))
    shared = (cand[:, None, :] == pool[None, :, :]).sum(axis=2)
    np.testing.assert_array_equal(shared[np.arange(len(cand)), chosen], shared.max(axis=1))


def test_a_file_whose_donors_do_not_fit_its_tables_is_refused(tmp_path):
    from gavae_ids._util.persistence import load_model, save_model
    from gavae_ids.exceptions import ModelFileError
    from gavae_ids.sampling._gavae_files import MODEL_KIND

    X, y = _linked(300, 60)
    Small = sampler_with(critic_hidden=(4,), disc_eval_size=4, decoder_hidden=(16,), n_bins=8)
    s = Small(hidden=(8,), latent_dim=2, n_iter=3, batch_size=32, critic_steps=1, random_state=0)
    s.fit_resample(X, y)
    path = s.save(tmp_path / "ok")
    tensors, config = load_model(path, MODEL_KIND)
    # Rewritten with valid checksums, as a crafted file would be: a donor value past the end
    # of its column's kept values would index outside the CDF table when sampling.
    bad = dict(tensors)
    support = bad["donor_support"].clone()
    support[0, 0] = 10_000
    bad["donor_support"] = support
    save_model(tmp_path / "bad", bad, config, MODEL_KIND)
    with pytest.raises(ModelFileError, match="donor values outside"):
        Small.load(tmp_path / "bad")
    bad["donor_support"] = tensors["donor_support"][:-1]
    save_model(tmp_path / "short", bad, config, MODEL_KIND)
    with pytest.raises(ModelFileError, match="inconsistent shapes"):
        Small.load(tmp_path / "short")
