"""Values inside bins taken jointly from a real row of the class (the default generator).

The autoregressive decoder picks each numeric column's *bin*; the value inside the
bin is drawn afterwards. Drawn column by column (by the class's shares), the values
ignore each other: on NSL-KDD 4.7 % of synthetic Probe rows had
``serror_rate + rerror_rate > 1``, which no real row has, and a classifier told
Probe's synthetic rows from its real ones by their numbers jointly
(docs/results/gavae-donor).

Here a candidate row borrows its values from a *donor*: the real row of its class
that shares the most bins and one-hot categories with it. Every numeric column
whose bin it shares with the donor takes the donor's value; the others keep their
class-wise draw. A candidate whose bins and categories are all those of some real
row of the class (a "bin-level copy") keeps its class-wise draws everywhere, so this
step never turns a candidate into an exact copy of a training row: a row that
differs from every training row in some bin or category still differs after it.

Donors are up to :data:`MAX_DONORS` distinct rows per class, chosen at random when
a class has more; whether a candidate is a bin-level copy is checked against all of
the class's rows, through 64-bit hashes of their patterns. Ties between equally
near donors are broken at random. Pure numpy and torch; the fitted tables are
plain integer arrays, stored with the sampler.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F

__all__ = [
    "MAX_DONORS",
    "ClassDonors",
    "DonorTable",
    "block_codes",
    "fit_donors",
    "pattern_keys",
]

#: Donor rows kept per class at most (distinct rows, drawn at random when there are more):
#: bounds the file size and the nearest-donor search, which compares every candidate with
#: every donor of its class.
MAX_DONORS = 4096

# The pattern hash's odd multipliers come from a fixed seed, so they are the same on every
# machine and in every file (a longer draw starts with the same numbers).
_HASH_SEED = 11
_CHUNK = 1024


@dataclass(frozen=True)
class DonorTable:
    """The fitted donors of every class.

    Attributes
    ----------
    support : ndarray of shape (n_donors, n_numeric), int32
        Each donor's numbers as indices into the CDF's kept values (``cdf_.values_``).
    blocks : ndarray of shape (n_donors, n_blocks), int32
        Each donor's category in every one-hot block (-1: none set).
    owner : ndarray of shape (n_donors,), int64
        Class index of each donor.
    keys, key_owner : ndarray of shape (n_keys,), int64
        Hashed bin-and-category pattern of every distinct training row, and its class.
    """

    support: np.ndarray
    blocks: np.ndarray
    owner: np.ndarray
    keys: np.ndarray
    key_owner: np.ndarray

    def to_arrays(self) -> dict[str, np.ndarray]:
        """The tables, for safetensors."""
        return {
            "donor_support": self.support,
            "donor_blocks": self.blocks,
            "donor_owner": self.owner,
            "donor_keys": self.keys,
            "donor_key_owner": self.key_owner,
        }

    @classmethod
    def from_arrays(cls, arrays, n_support: np.ndarray) -> DonorTable:
        """The tables saved by :meth:`to_arrays`, checked against the CDF's ``n_support``.

        Raises ``ValueError`` when they do not fit together (a damaged file).
        """
        table = cls(
            np.asarray(arrays["donor_support"], dtype=np.int32),
            np.asarray(arrays["donor_blocks"], dtype=np.int32),
            np.asarray(arrays["donor_owner"], dtype=np.int64),
            np.asarray(arrays["donor_keys"], dtype=np.int64),
            np.asarray(arrays["donor_key_owner"], dtype=np.int64),
        )
        n = len(table.owner)
        sup = table.support
        if (sup.ndim != 2 or sup.shape != (n, len(n_support)) or table.blocks.shape[0] != n
                or table.keys.shape != table.key_owner.shape):  # fmt: skip
            raise ValueError("donor tables of inconsistent shapes")
        if n and ((sup < 0).any() or (sup >= np.asarray(n_support)[None, :]).any()):
            raise ValueError("donor values outside the CDF's kept values")
        return table


def block_codes(X: np.ndarray, blocks) -> np.ndarray:
    """Category of each row in each one-hot block, (n, n_blocks) int32; -1 where none is set."""
    out = np.full((len(X), len(blocks)), -1, dtype=np.int32)
    for i, (start, stop) in enumerate(blocks):
        part = np.asarray(X[:, start:stop])
        if part.shape[1]:
            out[:, i] = np.where(part.max(axis=1) > 0, part.argmax(axis=1), -1)
    return out


def pattern_keys(bins: np.ndarray, blocks: np.ndarray) -> np.ndarray:
    """64-bit hash (int64, wrapping) of each row's numeric bins and one-hot categories."""
    codes = np.concatenate([bins, blocks], axis=1).astype(np.int64) + 2
    mult = np.random.RandomState(_HASH_SEED).randint(1, 2**62, size=codes.shape[1],
                                                     dtype=np.int64) | 1  # fmt: skip
    with np.errstate(over="ignore"):
        return (codes * mult).sum(axis=1)


def fit_donors(
    support: np.ndarray,
    bins: np.ndarray,
    blocks: np.ndarray,
    y_index: np.ndarray,
    n_classes: int,
    rs: np.random.RandomState,
    max_donors: int = MAX_DONORS,
) -> DonorTable:
    """Donors and pattern keys of every class from its training rows.

    ``support`` (n, n_numeric) are the rows' numbers as indices of kept values,
    ``bins`` (n, n_numeric) their bins, ``blocks`` (n, n_blocks) from
    :func:`block_codes`; ``rs`` draws the donors of a class with more than
    ``max_donors`` distinct rows.
    """
    keys_all = pattern_keys(bins, blocks)
    parts, key_parts = [], []
    for c in range(n_classes):
        rows = np.flatnonzero(y_index == c)
        both = np.concatenate([support[rows], blocks[rows]], axis=1)
        _, first = np.unique(both, axis=0, return_index=True)
        distinct = rows[np.sort(first)]
        if len(distinct) > max_donors:
            distinct = np.sort(rs.choice(distinct, max_donors, replace=False))
        parts.append(distinct)
        key_parts.append(np.unique(keys_all[rows]))
    chosen = np.concatenate(parts).astype(np.int64)
    return DonorTable(
        support=support[chosen].astype(np.int32),
        blocks=blocks[chosen].astype(np.int32),
        owner=np.asarray(y_index)[chosen].astype(np.int64),
        keys=np.concatenate(key_parts).astype(np.int64),
        key_owner=np.repeat(np.arange(n_classes), [len(k) for k in key_parts]).astype(np.int64),
    )


class ClassDonors:
    """One class's donors, prepared once for every batch of its candidates.

    Parameters
    ----------
    table : DonorTable
    class_index : int
        The candidates' class.
    bins_of_support : ndarray of shape (n_numeric, K)
        Bin of every kept value of every column (what gives the donors' bins).
    """

    def __init__(self, table: DonorTable, class_index: int, bins_of_support: np.ndarray):
        own = table.owner == class_index
        self.support = table.support[own]
        self.bins_of_support = bins_of_support
        self.bins = bins_of_support[np.arange(self.support.shape[1])[None, :], self.support]
        self.keys = table.keys[table.key_owner == class_index]
        self.nearest = _NearestIndex(np.concatenate([self.bins, table.blocks[own]], axis=1))

    def apply(self, support: np.ndarray, bins: np.ndarray, blocks: np.ndarray,
              generator: torch.Generator) -> np.ndarray:  # fmt: skip
        """Candidates' value indices after borrowing from their nearest donor.

        ``support``, ``bins`` (n, n_numeric): the candidates' drawn values (indices of
        kept values) and their bins; ``blocks`` (n, n_blocks) their categories
        (:func:`block_codes`); ``generator`` breaks ties between equally near donors.
        Returns ``support`` with each column that shares its bin with the donor set to
        the donor's value; unchanged for bin-level copies or a class without donors.
        """
        out = np.array(support, copy=True)
        if not len(self.support) or not len(out):
            return out
        copy = np.isin(pattern_keys(bins, blocks), self.keys)
        donor = self.nearest.query(np.concatenate([bins, blocks], axis=1), generator)
        take = (self.bins[donor] == bins) & ~copy[:, None]
        out[take] = self.support[donor][take]
        return out


class _NearestIndex:
    """Which ``pool`` row shares the most codes with a candidate row; random ties.

    The count of shared codes is a sum of indicator rows: each (column, code) pair has a
    row over the pool marking who holds it, and a candidate sums the rows of its codes
    (an embedding bag), which is several times faster on a CPU than comparing every
    candidate with every donor column by column. A code no donor holds maps to a row of
    zeros.
    """

    def __init__(self, pool: np.ndarray):
        self.top = pool.max(axis=0, initial=-1)
        width = self.top + 3  # codes -1 … top, and one row for codes no donor holds
        self.offset = np.r_[0, np.cumsum(width)[:-1]]
        self.holders = torch.zeros(int(width.sum()), len(pool))
        for j in range(pool.shape[1]):
            self.holders[self.offset[j] + pool[:, j] + 1, torch.arange(len(pool))] = 1.0

    def query(self, cand: np.ndarray, generator: torch.Generator) -> np.ndarray:
        codes = np.minimum(cand, self.top + 1) + 1 + self.offset
        codes = torch.as_tensor(codes, dtype=torch.long)
        out = np.empty(len(cand), dtype=np.int64)
        for a in range(0, len(cand), _CHUNK):
            shared = F.embedding_bag(codes[a : a + _CHUNK], self.holders, mode="sum")
            tie = torch.rand(shared.shape, generator=generator)
            out[a : a + _CHUNK] = (shared + tie).argmax(dim=1).numpy()
        return out
