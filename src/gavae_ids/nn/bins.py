"""Bins of the numeric columns in CDF space, and the functions both decoders score them with.

With binned outputs (the autoregressive decoder's) each numeric column is a categorical over up to
``B`` bins of its observed values (see :mod:`gavae_ids.sampling.column_transform`);
the decoder's logits for all bins of all columns lie side by side after the
first ``d`` outputs. Pure tensor functions.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

__all__ = ["NumericBins"]


@dataclass(frozen=True)
class NumericBins:
    """Bins of each numeric column in CDF space, padded to a common count ``B``.

    Attributes
    ----------
    edges : Tensor of shape (n_numeric, B - 1)
        Upper bounds of bins ``0 … n_bins - 2`` of each column, ascending, padded
        with ``+inf``; a value ``x`` falls in bin ``searchsorted(edges, x)``.
    lower, upper : Tensor of shape (n_numeric, B)
        The CDF interval each bin covers (padding: 0 and 0).
    valid : BoolTensor of shape (n_numeric, B)
        Which bins exist.
    segments : tuple of Tensor, optional
        ``(flat, column, first)`` of :func:`_bin_segments`, precomputed; derived
        from ``valid`` when None.
    """

    edges: torch.Tensor
    lower: torch.Tensor
    upper: torch.Tensor
    valid: torch.Tensor
    segments: tuple[torch.Tensor, torch.Tensor, torch.Tensor] | None = None

    @property
    def n_bins(self) -> int:
        return int(self.valid.shape[1])

    @property
    def n_logits(self) -> int:
        """Decoder outputs the bins take: one per bin in use (padding takes none)."""
        return int(self.valid.sum())


def _bin_segments(bins: NumericBins) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Flat bin positions: (padded index, column of each bin, first position of each column)."""
    if bins.segments is not None:
        return bins.segments
    flat = torch.nonzero(bins.valid.reshape(-1), as_tuple=True)[0]
    column = torch.div(flat, bins.valid.shape[1], rounding_mode="floor")
    count = bins.valid.sum(dim=1)
    return flat, column, torch.cumsum(count, 0) - count


def _bin_log_probs_flat(logits: torch.Tensor, d: int, bins: NumericBins) -> torch.Tensor:
    """Log-probabilities (n, n_logits) of the bins: a softmax within each column's bins.

    The bins of all columns lie side by side (no padding), so the network spends
    outputs only on bins that exist; the per-column normalisation uses scatter ops.
    """
    _, column, _ = _bin_segments(bins)
    z = logits[:, d : d + len(column)]
    n, n_num = z.shape[0], bins.valid.shape[0]
    idx = column.expand(n, -1)
    top = z.new_full((n, n_num), float("-inf")).scatter_reduce(
        1, idx, z.detach(), reduce="amax", include_self=True
    )
    shifted = z - top.gather(1, idx)
    total = z.new_zeros(n, n_num).scatter_add(1, idx, shifted.exp())
    return shifted - total.log().gather(1, idx)


def _bin_log_probs(logits: torch.Tensor, d: int, bins: NumericBins) -> torch.Tensor:
    """Log-probabilities (n, n_numeric, B) of the bins, padding bins at -inf."""
    flat, _, _ = _bin_segments(bins)
    n_num, B = bins.valid.shape
    out = logits.new_full((logits.shape[0], n_num * B), float("-inf"))
    out[:, flat] = _bin_log_probs_flat(logits, d, bins)
    return out.view(-1, n_num, B)


def _bin_of(values: torch.Tensor, bins: NumericBins) -> torch.Tensor:
    """Bin index (n, n_numeric) of CDF-space values (n, n_numeric)."""
    return torch.searchsorted(bins.edges, values.T.contiguous()).T


def _bin_bounds(k: torch.Tensor, bins: NumericBins) -> tuple[torch.Tensor, torch.Tensor]:
    """CDF interval (lower, upper), each (n, n_numeric), of bin indices ``k``."""
    cols = torch.arange(k.shape[1], device=k.device).expand_as(k)
    return bins.lower[cols, k], bins.upper[cols, k]
