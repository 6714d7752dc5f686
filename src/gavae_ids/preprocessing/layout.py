"""The published layout of an encoded feature matrix.

The fitted preprocessing says which output columns are scaled numbers and which
form one-hot blocks, so the GAVAE decoder and its loss can treat them apart
(a softmax per block, a sigmoid per number).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


@dataclass(frozen=True)
class OneHotBlock:
    """Columns ``start:stop`` of the encoded matrix one-hot encode ``name``."""

    name: str
    start: int
    stop: int
    categories: tuple[str, ...] = ()

    @property
    def width(self) -> int:
        return self.stop - self.start


@dataclass(frozen=True)
class FeatureLayout:
    """Layout of an encoded matrix of ``n_features`` columns in [0, 1].

    Attributes
    ----------
    feature_names : tuple of str
        Name of every output column.
    onehot_blocks : tuple of OneHotBlock
        Non-overlapping one-hot blocks; every other column is a scaled number.
    """

    feature_names: tuple[str, ...]
    onehot_blocks: tuple[OneHotBlock, ...] = field(default_factory=tuple)

    def __post_init__(self):
        n = len(self.feature_names)
        seen = np.zeros(n, dtype=bool)
        for b in self.onehot_blocks:
            if not (0 <= b.start < b.stop <= n):
                raise ValueError(f"one-hot block {b.name!r} [{b.start}, {b.stop}) is out of range")
            if seen[b.start : b.stop].any():
                raise ValueError(f"one-hot block {b.name!r} overlaps another block")
            seen[b.start : b.stop] = True

    @property
    def n_features(self) -> int:
        return len(self.feature_names)

    @property
    def numeric_indices(self) -> np.ndarray:
        """Indices of the scaled numeric columns, ascending."""
        mask = np.ones(self.n_features, dtype=bool)
        for b in self.onehot_blocks:
            mask[b.start : b.stop] = False
        return np.flatnonzero(mask)

    @classmethod
    def all_numeric(cls, n_features: int, feature_names=None) -> FeatureLayout:
        """Layout of a plain numeric table: every column a number."""
        if feature_names is None:
            feature_names = [f"x{i}" for i in range(n_features)]
        return cls(feature_names=tuple(str(f) for f in feature_names))

    def to_dict(self) -> dict:
        return {
            "feature_names": list(self.feature_names),
            "onehot_blocks": [
                {"name": b.name, "start": b.start, "stop": b.stop, "categories": list(b.categories)}
                for b in self.onehot_blocks
            ],
        }

    @classmethod
    def from_dict(cls, d: dict) -> FeatureLayout:
        return cls(
            feature_names=tuple(d["feature_names"]),
            onehot_blocks=tuple(
                OneHotBlock(
                    b["name"], int(b["start"]), int(b["stop"]), tuple(b.get("categories", ()))
                )
                for b in d.get("onehot_blocks", ())
            ),
        )
