"""How the GAVAE sees numeric columns: min-max (the paper's Eq. 6) or the empirical CDF.

Network-traffic counters are discrete, zero-inflated and heavy-tailed: on NSL-KDD
KDDTrain+_20Percent 35 of the 38 numeric columns hold their minimum in more than
half the rows, and ``src_bytes`` spans nine orders of magnitude. Min-max scaled,
such a column sits at 0 for most rows and near 0 for nearly all the others, so
its binary cross-entropy carries almost no signal, and the decoder's mean output
(a sigmoid) lands *between* the values that occur — never exactly on the zero
that most real rows hold. A classifier then tells generated rows from real ones
by that alone.

:class:`EmpiricalCDFTransform` maps each numeric column through its training
distribution instead: the ``k``-th distinct value ``u_k``, held by a share
``P(X = u_k)`` of the rows, becomes the midpoint of its CDF step
``[P(X < u_k), P(X ≤ u_k)]``, so every column is spread over [0, 1] in proportion
to how often its values occur. The inverse maps any ``t`` in [0, 1] back onto the
value whose step contains it. Generated numbers therefore always lie on the
column's observed support (a point mass at zero stays a point mass), and a
uniform ``t`` reproduces the column's marginal distribution (exactly, up to the
folding of columns with more than ``max_support`` distinct values).

Pure numpy; the fitted tables are plain arrays, saved with the sampler's weights.
"""

from __future__ import annotations

import numpy as np

__all__ = ["EmpiricalCDFTransform"]

# Columns with more distinct values keep this many of them (evenly spaced quantiles,
# each an observed value), which bounds the tables' size on large data.
MAX_SUPPORT = 2048


class EmpiricalCDFTransform:
    """Per-column empirical-CDF transform with an inverse onto the observed values.

    Parameters
    ----------
    max_support : int, default=2048
        Largest number of distinct values kept per column.

    Attributes
    ----------
    values_ : ndarray of shape (n_columns, K)
        Sorted support of each column, padded with ``+inf``.
    upper_ : ndarray of shape (n_columns, K)
        ``P(X ≤ values_[j, k])``, padded with 1.
    mids_ : ndarray of shape (n_columns, K)
        Midpoints of the CDF steps (what ``transform`` returns for each value).
    n_support_ : ndarray of shape (n_columns,)
        Number of real entries in each row of the tables.

    Examples
    --------
    >>> import numpy as np
    >>> t = EmpiricalCDFTransform().fit(np.array([[0.0], [0.0], [0.0], [5.0]]))
    >>> t.transform(np.array([[0.0], [5.0]])).ravel().tolist()
    [0.375, 0.875]
    >>> t.inverse_transform(np.array([[0.1], [0.7], [0.99]])).ravel().tolist()
    [0.0, 0.0, 5.0]
    """

    def __init__(self, max_support: int = MAX_SUPPORT):
        self.max_support = int(max_support)

    def fit(self, X: np.ndarray) -> EmpiricalCDFTransform:
        X = np.asarray(X, dtype=np.float64)
        n, d = X.shape
        tables = []
        for j in range(d):
            values, counts = np.unique(X[:, j], return_counts=True)
            if len(values) > self.max_support:
                # Observed values at evenly spaced ranks; each keeps the mass of the
                # values folded into it (those at or below it, down to the previous one).
                ranks = np.cumsum(counts)
                picks = np.unique(
                    np.searchsorted(ranks, np.linspace(1, n, self.max_support), side="left")
                )
                values = values[picks]
                counts = np.diff(np.concatenate([[0], ranks[picks]]))
            tables.append((values, np.cumsum(counts) / n, counts / n))
        k = max((len(t[0]) for t in tables), default=1)
        self.values_ = np.full((d, k), np.inf)
        self.upper_ = np.ones((d, k))
        self.mids_ = np.ones((d, k))
        self.n_support_ = np.zeros(d, dtype=np.int64)
        for j, (values, upper, mass) in enumerate(tables):
            m = len(values)
            self.values_[j, :m] = values
            self.upper_[j, :m] = upper
            self.mids_[j, :m] = upper - mass / 2
            self.n_support_[j] = m
        return self

    def transform(self, X: np.ndarray) -> np.ndarray:
        """Values → the midpoint of the CDF step of the kept value at or above them.

        An observed value maps to its own step; one folded away on a column with
        more than ``max_support`` values (or unseen between two kept ones) maps to
        the next kept value above it, the one ``fit`` counted it with; values
        beyond the range map to the first or last step.
        """
        X = np.asarray(X, dtype=np.float64)
        out = np.empty_like(X)
        for j in range(X.shape[1]):
            m = self.n_support_[j]
            k = np.searchsorted(self.values_[j, :m], X[:, j], side="left")
            out[:, j] = self.mids_[j, np.clip(k, 0, m - 1)]
        return out

    def inverse_transform(self, T: np.ndarray) -> np.ndarray:
        """Points in [0, 1] → the observed value whose CDF step holds them."""
        T = np.asarray(T, dtype=np.float64)
        out = np.empty_like(T)
        for j in range(T.shape[1]):
            m = self.n_support_[j]
            k = np.searchsorted(self.upper_[j, :m], T[:, j], side="left")
            out[:, j] = self.values_[j, np.clip(k, 0, m - 1)]
        return out

    def bins(self, n_bins: int) -> dict[str, np.ndarray]:
        """Group each column's support into at most ``n_bins`` bins of its CDF.

        A value belongs to bin ``floor(mid · n_bins)``; values whose CDF midpoints
        share a bin are grouped, so a point mass never straddles two bins and a
        column with few values keeps one bin per value where their masses allow.

        Returns
        -------
        dict
            ``edges`` (n_columns, n_bins - 1): upper CDF bound of each bin but the
            last, padded with +inf; ``lower``, ``upper`` (n_columns, n_bins): the
            CDF interval of each bin; ``valid`` (n_columns, n_bins): bins in use.
        """
        d = len(self.n_support_)
        edges = np.full((d, max(n_bins - 1, 0)), np.inf)
        lower = np.zeros((d, n_bins))
        upper = np.zeros((d, n_bins))
        valid = np.zeros((d, n_bins), dtype=bool)
        for j in range(d):
            m = self.n_support_[j]
            up, mid = self.upper_[j, :m], self.mids_[j, :m]
            lo = up - 2 * (up - mid)
            first, last = self._bin_ranges(j, n_bins)
            nb = len(first)
            lower[j, :nb] = lo[first]
            upper[j, :nb] = up[last]
            valid[j, :nb] = True
            edges[j, : nb - 1] = up[last][:-1]
        lower[:, 0] = np.where(valid[:, 0], 0.0, lower[:, 0])
        return {"edges": edges, "lower": lower, "upper": upper, "valid": valid}

    def _bin_ranges(self, j: int, n_bins: int) -> tuple[np.ndarray, np.ndarray]:
        """First and last support index of each bin of column ``j`` (see :meth:`bins`)."""
        m = self.n_support_[j]
        ids = np.minimum((self.mids_[j, :m] * n_bins).astype(np.int64), n_bins - 1)
        _, first = np.unique(ids, return_index=True)
        return first, np.r_[first[1:] - 1, m - 1]

    def support_bins(self, n_bins: int) -> np.ndarray:
        """Bin (see :meth:`bins`) of every kept value, (n_columns, K) int64; padding -1."""
        out = np.full(self.values_.shape, -1, dtype=np.int64)
        for j in range(len(self.n_support_)):
            first, last = self._bin_ranges(j, n_bins)
            out[j, : self.n_support_[j]] = np.repeat(np.arange(len(first)), last - first + 1)
        return out

    def support_index(self, T: np.ndarray) -> np.ndarray:
        """Points in [0, 1] → index (into ``values_``) of the value whose CDF step holds them."""
        T = np.asarray(T, dtype=np.float64)
        out = np.empty(T.shape, dtype=np.int64)
        for j in range(T.shape[1]):
            m = self.n_support_[j]
            out[:, j] = np.clip(np.searchsorted(self.upper_[j, :m], T[:, j], side="left"), 0, m - 1)
        return out

    def value_counts(self, X: np.ndarray) -> np.ndarray:
        """Rows of ``X`` holding each kept value (n_columns, K), mapped as by :meth:`transform`."""
        X = np.asarray(X, dtype=np.float64)
        counts = np.zeros(self.values_.shape, dtype=np.float64)
        for j in range(X.shape[1]):
            m = self.n_support_[j]
            k = np.clip(np.searchsorted(self.values_[j, :m], X[:, j], side="left"), 0, m - 1)
            counts[j, :m] = np.bincount(k, minlength=m)
        return counts

    def within_bin_table(self, n_bins: int, counts: np.ndarray, smoothing: float) -> np.ndarray:
        """Cumulative table of which value a number takes inside its bin, for one class.

        Inside bin ``b`` the value ``u_k`` is drawn with probability
        ``(n_k + smoothing · g_k) / (n_b + smoothing)``: ``n_k`` the class's rows
        holding it (``counts``, from :meth:`value_counts`), ``n_b`` their sum over
        the bin, and ``g_k`` its share of the bin's mass over all training rows
        (what a uniform draw in the bin's CDF interval gives). A bin the class
        never reaches, or ``smoothing = inf``, keeps ``g``; ``smoothing = 0`` draws
        only the class's own values where it has any.

        Returns
        -------
        ndarray of shape (n_columns, K)
            Entry ``k`` is ``b_k`` plus the probability of the values of bin
            ``b_k`` up to and including ``u_k`` (the last of a bin is exactly
            ``b_k + 1``); padding is ``+inf``. :meth:`draw_within_bins` reads it.
        """
        table = np.full(self.values_.shape, np.inf)
        for j in range(len(self.n_support_)):
            m = self.n_support_[j]
            first, last = self._bin_ranges(j, n_bins)
            size = last - first + 1
            b = np.repeat(np.arange(len(first)), size)
            mass = self.upper_[j, :m] - np.r_[0.0, self.upper_[j, : m - 1]]
            g = mass / np.add.reduceat(mass, first)[b]
            n = np.asarray(counts[j, :m], dtype=np.float64)
            if np.isinf(smoothing):
                w = g
            else:
                n_b = np.add.reduceat(n, first)[b]
                w = np.where(n_b > 0, (n + smoothing * g) / np.maximum(n_b + smoothing, 1e-300), g)
            run = np.cumsum(w)
            before = np.r_[0.0, run][first][b]  # the bin's cumulative sum before it starts
            table[j, :m] = b + (run - before)
            table[j, last] = np.arange(len(first)) + 1.0
        return table

    def draw_within_bins(
        self, T: np.ndarray, n_bins: int, table: np.ndarray, u: np.ndarray
    ) -> np.ndarray:
        """Redraw each point's value inside its bin from ``table``; the values' CDF midpoints.

        ``T`` (n, n_columns) are CDF points, ``u`` uniforms in [0, 1) of the same
        shape, ``table`` from :meth:`within_bin_table` with the same ``n_bins``;
        the value drawn for ``T[i, j]`` is one of the values of its bin.
        """
        k0 = self.support_index(T)
        out = np.empty(k0.shape, dtype=np.float64)
        for j in range(k0.shape[1]):
            m = self.n_support_[j]
            first, last = self._bin_ranges(j, n_bins)
            b = np.repeat(np.arange(len(first)), last - first + 1)[k0[:, j]]
            k = np.searchsorted(table[j, :m], b + u[:, j], side="right")
            out[:, j] = self.mids_[j, np.clip(k, first[b], last[b])]
        return out

    def to_arrays(self) -> dict[str, np.ndarray]:
        """The fitted tables, for safetensors."""
        return {
            "cdf_values": self.values_,
            "cdf_upper": self.upper_,
            "cdf_mids": self.mids_,
            "cdf_n_support": self.n_support_,
        }

    @classmethod
    def from_arrays(cls, arrays, max_support: int = MAX_SUPPORT) -> EmpiricalCDFTransform:
        self = cls(max_support)
        self.values_ = np.asarray(arrays["cdf_values"], dtype=np.float64)
        self.upper_ = np.asarray(arrays["cdf_upper"], dtype=np.float64)
        self.mids_ = np.asarray(arrays["cdf_mids"], dtype=np.float64)
        self.n_support_ = np.asarray(arrays["cdf_n_support"], dtype=np.int64)
        return self
