"""How a GAVAESampler maps rows between input units and the GAVAE's [0, 1] space.

:class:`ValueSpace`, owned by the sampler (``value_space_``): min-max scaling, and with
the autoregressive decoder the numeric columns' CDF with the decoder's bins, the class
counts of each value and the donor rows that place generated numbers inside their bins
and that the manifold check measures candidates against. The paper's plain decoder
keeps min-max scaling alone.
"""

from __future__ import annotations

import numpy as np
import torch

from gavae_ids.nn.gavae import NumericBins
from gavae_ids.preprocessing.layout import FeatureLayout
from gavae_ids.sampling.column_transform import EmpiricalCDFTransform
from gavae_ids.sampling.donors import ClassDonors, DonorTable, block_codes, fit_donors
from gavae_ids.sampling.manifold import ClassManifold


class ValueSpace:
    """Scaling, the CDF bins and the placement of generated numbers (see the module).

    Parameters
    ----------
    layout : FeatureLayout
        The columns of the rows it maps.
    config : GAVAEConfig
        ``binned``, ``n_bins`` (through ``bins_for``), ``within_bin_smoothing`` and
        ``manifold_k`` are read.
    dtype : numpy dtype
        The dtype of the fit input; output rows get it back (integers rounded).

    Attributes
    ----------
    data_min, data_range : ndarray of shape (n_features,)
        Min-max scaling of the input (0 and 1 on one-hot columns).
    cdf : EmpiricalCDFTransform or None
        The numeric columns' CDF tables (autoregressive decoder).
    value_counts : ndarray of shape (n_classes, n_numeric, K) or None
        Rows of each class holding each value of ``cdf``.
    donors : DonorTable or None
        The donor rows of every class (autoregressive decoder).
    n_bins : int
        Largest number of bins of a numeric column: ``config.bins_for(rows)``, fewer
        than ``config.n_bins`` on a small table (issue #32).
    """

    def __init__(self, layout: FeatureLayout, config, dtype):
        self.layout = layout
        self.config = config
        self.dtype = np.dtype(dtype)
        self.cdf = self.value_counts = self.donors = None
        self.n_bins = int(config.n_bins)
        self._manifolds: dict[int, ClassManifold] = {}

    # ------------------------------------------------------------------ fitting

    def fit(self, X: np.ndarray, y_index: np.ndarray, n_classes: int) -> ValueSpace:
        """Scaling, CDF and per-class value counts of the input rows ``X``."""
        n = X.shape[1]
        self.data_min = np.zeros(n, dtype=np.float64)
        self.data_range = np.ones(n, dtype=np.float64)
        num = self.layout.numeric_indices
        if num.size:
            lo = X[:, num].min(axis=0).astype(np.float64)
            hi = X[:, num].max(axis=0).astype(np.float64)
            self.data_min[num] = lo
            # A constant column maps to 0 and back to its value.
            self.data_range[num] = np.where(hi > lo, hi - lo, 1.0)
        if self.config.binned and num.size:
            self.n_bins = self.config.bins_for(X.shape[0])
            self.cdf = EmpiricalCDFTransform().fit(X[:, num])
            self.value_counts = np.stack(
                [self.cdf.value_counts(X[y_index == i][:, num]) for i in range(n_classes)]
            )
        return self

    def fit_donors(self, Xs: np.ndarray, y_index: np.ndarray, n_classes: int, rs) -> None:
        """Each class's donor rows and row patterns (autoregressive decoder)."""
        self._manifolds = {}
        if self.cdf is None:
            return
        num = self.layout.numeric_indices
        support = self.cdf.support_index(Xs[:, num])
        bins = self._support_bins()[np.arange(len(num))[None, :], support]
        blocks = block_codes(Xs, self._block_ranges())
        self.donors = fit_donors(support, bins, blocks, y_index, n_classes, rs)

    # -------------------------------------------------------------- persistence

    def to_arrays(self) -> dict[str, np.ndarray]:
        arrays = {"data_min": self.data_min, "data_range": self.data_range}
        if self.cdf is not None:
            arrays.update(self.cdf.to_arrays())
            arrays["value_counts"] = self.value_counts.astype(np.float32)
            arrays["n_bins"] = np.array([self.n_bins], dtype=np.int64)
        if self.donors is not None:
            arrays.update(self.donors.to_arrays())
        return arrays

    @classmethod
    def from_arrays(cls, arrays: dict[str, np.ndarray], layout, config, dtype) -> ValueSpace:
        space = cls(layout, config, dtype)
        space.data_min = arrays["data_min"].astype(np.float64)
        space.data_range = arrays["data_range"].astype(np.float64)
        if "cdf_values" in arrays:
            space.cdf = EmpiricalCDFTransform.from_arrays(
                {k: v for k, v in arrays.items() if k.startswith("cdf_")}
            )
            space.value_counts = arrays["value_counts"].astype(np.float64)
            # Files written before issue #32 used config.n_bins whatever the rows.
            if "n_bins" in arrays:
                space.n_bins = int(np.asarray(arrays["n_bins"]).ravel()[0])
        if "donor_support" in arrays and space.cdf is not None:
            space.donors = DonorTable.from_arrays(
                {k: v for k, v in arrays.items() if k.startswith("donor_")},
                space.cdf.n_support_,
            )
        return space

    # ----------------------------------------------------- what generation uses

    def numeric_bins(self) -> NumericBins | None:
        """The decoder's bins of the numeric columns (autoregressive decoder)."""
        if self.cdf is None:
            return None
        b = self.cdf.bins(self.n_bins)
        return NumericBins(
            torch.as_tensor(b["edges"], dtype=torch.float32),
            torch.as_tensor(b["lower"], dtype=torch.float32),
            torch.as_tensor(b["upper"], dtype=torch.float32),
            torch.as_tensor(b["valid"]),
        )

    def within_bin_table(self, class_index: int) -> np.ndarray | None:
        """The class's table of values inside bins, or None without a CDF."""
        if self.value_counts is None:
            return None
        return self.cdf.within_bin_table(
            self.n_bins,
            self.value_counts[class_index],
            float(self.config.within_bin_smoothing),
        )

    def class_donors(self, class_index: int) -> ClassDonors | None:
        """The class's prepared donor rows, or None."""
        if self.donors is None:
            return None
        return ClassDonors(self.donors, class_index, self._support_bins())

    def class_manifold(self, class_index: int) -> ClassManifold | None:
        """The class's real rows and their k-NN radii, or None (no check)."""
        if self.donors is None or self.config.manifold_k is None:
            return None
        # Built once per class: sample() is often called many times.
        if class_index not in self._manifolds:
            self._manifolds[class_index] = self._build_manifold(class_index)
        return self._manifolds[class_index]

    def _build_manifold(self, class_index: int) -> ClassManifold:
        donors = self.donors
        own = donors.owner == class_index
        num = self.layout.numeric_indices
        rows = np.zeros((int(own.sum()), self.layout.n_features))
        rows[:, num] = self.cdf.values_[np.arange(len(num))[None, :], donors.support[own]]
        for (start, _), code in zip(self._block_ranges(), donors.blocks[own].T, strict=True):
            has = code >= 0
            rows[np.flatnonzero(has), start + code[has]] = 1.0
        return ClassManifold(torch.as_tensor(self.unit(rows)), int(self.config.manifold_k))

    def _support_bins(self) -> np.ndarray:
        return self.cdf.support_bins(self.n_bins)

    def _block_ranges(self) -> list[tuple[int, int]]:
        return [(b.start, b.stop) for b in self.layout.onehot_blocks]

    def snap(
        self,
        Xs: torch.Tensor,
        table: np.ndarray | None = None,
        generator: torch.Generator | None = None,
        donors: ClassDonors | None = None,
    ) -> torch.Tensor:
        """Move CDF-space numbers onto the CDF midpoint of an observed value.

        The value they stand for; or, with ``table`` (:meth:`within_bin_table`), one
        drawn inside their bin with uniforms from ``generator``, then borrowed from
        the nearest of ``donors`` (:meth:`class_donors`).
        """
        if self.cdf is None:
            return Xs
        num = self.layout.numeric_indices
        out = Xs.clone()
        t = Xs[:, num].double().numpy()
        if table is None:
            mids = self.cdf.transform(self.cdf.inverse_transform(t))
        else:
            u = torch.rand(len(Xs), len(num), generator=generator, dtype=torch.float64)
            mids = self.cdf.draw_within_bins(t, self.n_bins, table, u.numpy())
            if donors is not None:
                cols = np.arange(len(num))[None, :]
                support = self.cdf.support_index(mids)
                blocks = block_codes(Xs.numpy(), self._block_ranges())
                support = donors.apply(support, donors.bins_of_support[cols, support], blocks,
                                       generator)  # fmt: skip
                mids = self.cdf.mids_[cols, support]
        out[:, num] = torch.as_tensor(mids, dtype=Xs.dtype)
        return out

    # ------------------------------------------------------------------ mapping

    def unit(self, X: np.ndarray) -> np.ndarray:
        """Input units → min-max scaled to [0, 1] (the space of the manifold check)."""
        return ((np.asarray(X, dtype=np.float64) - self.data_min) / self.data_range).astype(
            np.float32
        )

    def unit_of_scaled(self, Xs: torch.Tensor) -> torch.Tensor:
        """GAVAE-space rows (numbers on their CDF) → min-max scaled input units."""
        return torch.as_tensor(self.unit(self.input_units(Xs.numpy())))

    def scale(self, X: np.ndarray) -> np.ndarray:
        """Input units → the GAVAE's [0, 1] space (min-max, or the numeric columns' CDF)."""
        X = np.asarray(X, dtype=np.float64)
        if self.cdf is not None:
            num = self.layout.numeric_indices
            Xs = X.copy()
            Xs[:, num] = self.cdf.transform(X[:, num])
        else:
            Xs = (X - self.data_min) / self.data_range
        return np.clip(Xs, 0.0, 1.0).astype(np.float32)

    def input_units(self, Xs: np.ndarray) -> np.ndarray:
        """The GAVAE's [0, 1] space → input units, float64 (the inverse of :meth:`scale`)."""
        if self.cdf is not None:
            num = self.layout.numeric_indices
            X = Xs.astype(np.float64)
            X[:, num] = self.cdf.inverse_transform(X[:, num])
            return X
        X = Xs.astype(np.float64) * self.data_range + self.data_min
        return np.clip(X, self.data_min, self.data_min + self.data_range)

    def to_output(self, Xs: np.ndarray) -> np.ndarray:
        """GAVAE-space rows → rows of the fit input's units and dtype."""
        X = self.input_units(Xs)
        if self.dtype.kind in "iub":
            X = np.rint(X)
        return X.astype(self.dtype)
