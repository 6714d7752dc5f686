"""The inside/outside-the-training-data split used to read FPR under shift (#26)."""

import numpy as np
import pytest

from gavae_ids.evaluation.support import fpr_by_support, support_split
from gavae_ids.exceptions import DataError


def grid(n=20):
    a = np.linspace(0, 1, n)
    return np.array([(x, y) for x in a for y in a])


def test_near_rows_are_inside_and_far_rows_outside():
    train = grid()
    eval_rows = np.array([[0.5, 0.5], [0.01, 0.02], [3.0, 3.0], [0.5, -1.0]])
    split = support_split(train, eval_rows)
    assert split.inside.tolist() == [True, True, False, False]
    # the cut is the training rows' own spacing, not anything from the evaluation rows
    assert split.cut == pytest.approx(1 / 19)
    assert support_split(train, eval_rows * 0 + 9).cut == split.cut


def test_quantile_moves_the_cut_and_is_checked():
    rng = np.random.RandomState(0)
    train = rng.rand(300, 3)
    assert support_split(train, train[:5], quantile=0.5).cut < support_split(
        train, train[:5], quantile=0.99).cut
    with pytest.raises(DataError, match="quantile"):
        support_split(train, train, quantile=0)


def test_shape_errors_name_the_problem():
    with pytest.raises(DataError, match="expected"):
        support_split(grid(), np.zeros((2, 3)))
    with pytest.raises(DataError, match="at least 2"):
        support_split(np.zeros((1, 2)), np.zeros((1, 2)))
    assert support_split(grid(), np.zeros((0, 2))).inside.shape == (0,)


def test_fpr_by_support_counts_each_side():
    flagged = np.array([1, 0, 0, 0, 1, 1], bool)
    inside = np.array([1, 1, 1, 1, 0, 0], bool)
    out = fpr_by_support(flagged, inside)
    assert out == {"fpr_inside": 0.25, "fpr_outside": 1.0, "n_inside": 4, "n_outside": 2}
    assert np.isnan(fpr_by_support(flagged[:4], inside[:4])["fpr_outside"])
    with pytest.raises(DataError):
        fpr_by_support(flagged, inside[:3])
