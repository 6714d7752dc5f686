"""How a GAVAESampler maps rows between input units and the GAVAE's [0, 1] space.

Fitted in ``fit_resample`` and persisted by :mod:`._gavae_files` under the same
attribute names: min-max scaling (``data_min_``, ``data_range_``), the numeric
columns' CDF (``cdf_``) with the decoder's bins, the class counts of each value
(``value_counts_``) and the donor rows (``donors_``) that place generated numbers
inside their bins and that the manifold check (``manifold_k``) measures candidates
against. A mixin of :class:`~gavae_ids.sampling.GAVAESampler`: it reads the
sampler's parameters (``numeric_output``, ``n_bins``, ``within_bin``,
``within_bin_smoothing``, ``manifold_k_``) and ``layout_``, ``classes_``, ``_fit_dtype``.
"""

from __future__ import annotations

import numpy as np
import torch

from gavae_ids.nn.gavae import NumericBins
from gavae_ids.preprocessing.layout import FeatureLayout
from gavae_ids.sampling.column_transform import EmpiricalCDFTransform
from gavae_ids.sampling.donors import ClassDonors, block_codes, fit_donors
from gavae_ids.sampling.manifold import ClassManifold


class ValueSpaceMixin:
    """Scaling, the CDF bins and the placement of generated numbers (see the module)."""

    def _fit_scaler(self, X: np.ndarray, layout: FeatureLayout) -> None:
        n = X.shape[1]
        data_min = np.zeros(n, dtype=np.float64)
        data_range = np.ones(n, dtype=np.float64)
        num = layout.numeric_indices
        if num.size:
            lo = X[:, num].min(axis=0).astype(np.float64)
            hi = X[:, num].max(axis=0).astype(np.float64)
            data_min[num] = lo
            # A constant column maps to 0 and back to its value.
            data_range[num] = np.where(hi > lo, hi - lo, 1.0)
        self.data_min_ = data_min
        self.data_range_ = data_range
        self.cdf_ = None
        if self.numeric_output == "binned" and num.size:
            self.cdf_ = EmpiricalCDFTransform().fit(X[:, num])

    def _fit_value_counts(self, X: np.ndarray, y_index: np.ndarray) -> None:
        """``value_counts_`` (C, n_numeric, K): rows of each class holding each kept value."""
        self.value_counts_ = None
        if self.cdf_ is not None:
            num = self.layout_.numeric_indices
            self.value_counts_ = np.stack(
                [self.cdf_.value_counts(X[y_index == i][:, num]) for i in range(len(self.classes_))]
            )

    def _fit_donors(self, Xs: np.ndarray, y_index: np.ndarray, rs) -> None:
        """``donors_``: each class's donor rows and row patterns (``within_bin="donor"``,
        or ``manifold_k``, which measures candidates against them).

        Drawn after the latent prior, so training and the latent draws are those of
        ``within_bin="class"`` with the same ``random_state``.
        """
        self.donors_ = None
        self._manifold_cache = {}
        if (self.within_bin != "donor" and self.manifold_k_ is None) or self.cdf_ is None:
            return
        num = self.layout_.numeric_indices
        support = self.cdf_.support_index(Xs[:, num])
        bins = self._support_bins()[np.arange(len(num))[None, :], support]
        blocks = block_codes(Xs, self._block_ranges())
        self.donors_ = fit_donors(support, bins, blocks, y_index, len(self.classes_), rs)

    def _support_bins(self) -> np.ndarray:
        return self.cdf_.support_bins(int(self.n_bins))

    def _block_ranges(self) -> list[tuple[int, int]]:
        return [(b.start, b.stop) for b in self.layout_.onehot_blocks]

    def _within_bin_table(self, class_index: int) -> np.ndarray | None:
        """The class's table of values inside bins (``within_bin`` not "global"), else None."""
        if self.within_bin == "global" or getattr(self, "value_counts_", None) is None:
            return None
        return self.cdf_.within_bin_table(
            int(self.n_bins), self.value_counts_[class_index], float(self.within_bin_smoothing)
        )

    def _numeric_bins(self) -> NumericBins | None:
        """The decoder's bins of the numeric columns (``numeric_output="binned"``)."""
        if self.cdf_ is None:
            return None
        b = self.cdf_.bins(int(self.n_bins))
        return NumericBins(
            torch.as_tensor(b["edges"], dtype=torch.float32),
            torch.as_tensor(b["lower"], dtype=torch.float32),
            torch.as_tensor(b["upper"], dtype=torch.float32),
            torch.as_tensor(b["valid"]),
        )

    def _class_donors(self, class_index: int) -> ClassDonors | None:
        """The class's prepared donors (``within_bin="donor"`` on a sampler that has them)."""
        donors = getattr(self, "donors_", None)
        if self.within_bin != "donor" or donors is None:
            return None
        return ClassDonors(donors, class_index, self._support_bins())

    def _class_manifold(self, class_index: int) -> ClassManifold | None:
        """The class's real rows and their k-NN radii (``manifold_k``), else None."""
        donors = getattr(self, "donors_", None)
        # manifold_k_ is fixed at fit (a later set_params takes effect at the next fit).
        k = self.manifold_k_
        if k is None or donors is None:
            return None
        # Built once per class: sample() is often called many times. _fit_donors empties
        # the cache, so a refit never sees the rows (or k) of an earlier fit.
        cache = self.__dict__.setdefault("_manifold_cache", {})
        if class_index not in cache:
            cache[class_index] = self._build_manifold(donors, class_index)
        return cache[class_index]

    def _build_manifold(self, donors, class_index: int) -> ClassManifold:
        own = donors.owner == class_index
        num = self.layout_.numeric_indices
        rows = np.zeros((int(own.sum()), self.layout_.n_features))
        rows[:, num] = self.cdf_.values_[np.arange(len(num))[None, :], donors.support[own]]
        for (start, _), code in zip(self._block_ranges(), donors.blocks[own].T, strict=True):
            has = code >= 0
            rows[np.flatnonzero(has), start + code[has]] = 1.0
        return ClassManifold(torch.as_tensor(self._unit(rows)), int(self.manifold_k_))

    def _unit(self, X: np.ndarray) -> np.ndarray:
        """Input units → min-max scaled to [0, 1] (the space of the manifold check)."""
        return ((np.asarray(X, dtype=np.float64) - self.data_min_) / self.data_range_).astype(
            np.float32
        )

    def _unit_of_scaled(self, Xs: torch.Tensor) -> torch.Tensor:
        """GAVAE-space rows (numbers on their CDF) → min-max scaled input units."""
        return torch.as_tensor(self._unit(self._input_units(Xs.numpy())))

    def _snap(
        self,
        Xs: torch.Tensor,
        table: np.ndarray | None = None,
        generator: torch.Generator | None = None,
        donors: ClassDonors | None = None,
    ) -> torch.Tensor:
        """Move CDF-space numbers onto the CDF midpoint of an observed value.

        The value they stand for; or, with ``table`` (:meth:`_within_bin_table`), one
        drawn inside their bin with uniforms from ``generator``, then borrowed from
        the nearest of ``donors`` (:meth:`_class_donors`).
        """
        if self.cdf_ is None:
            return Xs
        num = self.layout_.numeric_indices
        out = Xs.clone()
        t = Xs[:, num].double().numpy()
        if table is None:
            mids = self.cdf_.transform(self.cdf_.inverse_transform(t))
        else:
            u = torch.rand(len(Xs), len(num), generator=generator, dtype=torch.float64)
            mids = self.cdf_.draw_within_bins(t, int(self.n_bins), table, u.numpy())
            if donors is not None:
                cols = np.arange(len(num))[None, :]
                support = self.cdf_.support_index(mids)
                blocks = block_codes(Xs.numpy(), self._block_ranges())
                support = donors.apply(support, donors.bins_of_support[cols, support], blocks,
                                       generator)  # fmt: skip
                mids = self.cdf_.mids_[cols, support]
        out[:, num] = torch.as_tensor(mids, dtype=Xs.dtype)
        return out

    def _scale(self, X: np.ndarray) -> np.ndarray:
        """Input units → the GAVAE's [0, 1] space (min-max, or the numeric columns' CDF)."""
        X = np.asarray(X, dtype=np.float64)
        if self.cdf_ is not None:
            num = self.layout_.numeric_indices
            Xs = X.copy()
            Xs[:, num] = self.cdf_.transform(X[:, num])
        else:
            Xs = (X - self.data_min_) / self.data_range_
        return np.clip(Xs, 0.0, 1.0).astype(np.float32)

    def _input_units(self, Xs: np.ndarray) -> np.ndarray:
        """The GAVAE's [0, 1] space → input units, float64 (the inverse of :meth:`_scale`)."""
        if self.cdf_ is not None:
            num = self.layout_.numeric_indices
            X = Xs.astype(np.float64)
            X[:, num] = self.cdf_.inverse_transform(X[:, num])
            return X
        X = Xs.astype(np.float64) * self.data_range_ + self.data_min_
        return np.clip(X, self.data_min_, self.data_min_ + self.data_range_)

    def _to_output(self, Xs: np.ndarray) -> np.ndarray:
        X = self._input_units(Xs)
        dtype = self._fit_dtype
        if dtype.kind in "iub":
            X = np.rint(X)
        return X.astype(dtype)
