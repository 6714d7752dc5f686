"""Keep only candidates that lie on their class's real rows (``GAVAEConfig.manifold_k``).

Eq. 9 compares a candidate's reconstruction loss with the class's real rows' losses;
a decoder output is easy for the same networks to re-encode and decode, so it passes
rows that no real row of the class resembles. On NSL-KDD (seed 0, training data) 22 %
of the synthetic DoS rows lay outside every real DoS row's neighbourhood — among them
UDP ``private`` rows without the wrong fragments every real one of them has — against
none of SMOTE's (docs/results/gavae-manifold).

This check is the precision criterion of Kynkäänniemi et al. (2019, "Improved
precision and recall metric for assessing generative models"): each real row of the
class gets a ball reaching its ``k``-th nearest other real row, and a candidate is kept
only when it falls inside at least one ball. Distances are Euclidean over the columns
min-max scaled to [0, 1] by the sampler's own training rows (one-hot columns as they
are): close to, not exactly, the space of :mod:`gavae_ids.evaluation.fidelity`, which
measures the encoded matrix as it is, and with numbers on the sampler's value grid. The
real rows are the class's donor rows (:mod:`.donors`: up to 4,096 distinct rows, drawn
at random where a class has more, so a row held many times still has a ball of its own
and a few real rows of a large class lie outside every ball). Distances are float32
matrix-product distances (``torch.cdist``), so a candidate within about 1e-3 of a ball's
edge may fall either side. Pure torch.
"""

from __future__ import annotations

import torch

__all__ = ["ClassManifold"]

# Candidates (or real rows) compared with all real rows of a class at once.
_CHUNK = 1024


class ClassManifold:
    """The real rows of one class and each one's k-nearest-neighbour radius.

    Parameters
    ----------
    rows : Tensor of shape (n, d)
        Distinct real rows of the class, min-max scaled.
    k : int
        Which neighbour sets a row's radius (the row itself not counted); capped at
        ``n - 1``. A class of fewer than two rows has no neighbourhood to measure,
        and :meth:`contains` then keeps every candidate.
    """

    def __init__(self, rows: torch.Tensor, k: int):
        self.rows = torch.as_tensor(rows, dtype=torch.float32)
        n = len(self.rows)
        self.k = min(int(k), n - 1)
        self.radius = torch.empty(0)
        if self.k >= 1:
            parts = []
            for a in range(0, n, _CHUNK):
                d = torch.cdist(self.rows[a : a + _CHUNK], self.rows)
                # The k+1-th smallest distance: the row itself (0) comes first.
                parts.append(d.kthvalue(self.k + 1, dim=1).values)
            self.radius = torch.cat(parts)

    def contains(self, cand: torch.Tensor) -> torch.Tensor:
        """Boolean mask (m,): which candidates (min-max scaled) lie in some real row's ball."""
        cand = torch.as_tensor(cand, dtype=torch.float32)
        if self.k < 1:
            return torch.ones(len(cand), dtype=torch.bool)
        out = torch.empty(len(cand), dtype=torch.bool)
        for a in range(0, len(cand), _CHUNK):
            d = torch.cdist(cand[a : a + _CHUNK], self.rows)
            out[a : a + _CHUNK] = (d <= self.radius[None, :]).any(dim=1)
        return out
