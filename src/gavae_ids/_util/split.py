"""The stratified validation split every classifier carves before any resampling."""

from __future__ import annotations

import numpy as np


def validation_split(y: np.ndarray, fraction: float, rng: np.random.RandomState):
    """Stratified ``(train_idx, val_idx)``: ``round(fraction · n_c)`` rows of each class to val.

    A class too small to give a row (``fraction · n_c < 0.5``) keeps all its
    rows for training, so rare classes are never emptied; ``fraction=0`` gives
    an empty validation set.
    """
    if not 0.0 <= fraction < 1.0:
        raise ValueError(f"validation_fraction must be in [0, 1), got {fraction!r}")
    train, val = [], []
    for c in np.unique(y):
        idx = np.flatnonzero(y == c)
        rng.shuffle(idx)
        k = min(int(round(fraction * len(idx))), len(idx) - 1)
        val.append(idx[:k])
        train.append(idx[k:])
    return np.sort(np.concatenate(train)), np.sort(np.concatenate(val))
