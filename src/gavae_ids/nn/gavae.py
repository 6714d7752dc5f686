"""The GAVAE networks (paper §3.3–§3.4) and their pure loss functions.

Three modules and one container:

- :class:`Encoder` q(z | x): an MLP to (μ, log σ²). It never sees the label, so
  its hidden layers can later initialise a classifier that has no label at test
  time (§4.2).
- :class:`Decoder` p(x | z, y): z concatenated with the one-hot class label y,
  returning one logit per encoded column; or :class:`AutoregressiveDecoder`, the
  same distribution factorised column by column,
  p(x | z, y) = ∏_c p(x_c | x_<c, z, y) (see below).
- :class:`LatentCritic` D(z, y): the label-conditioned latent discriminator,
  a WGAN-GP critic scoring prior samples high and encoder codes low.
- :class:`GAVAE`: holds the three and the column layout the losses need.

Reconstruction loss (Eq. 7)
---------------------------
The paper scores a sample by its binary cross-entropy summed over the d
features. With a :class:`~gavae_ids.preprocessing.layout.FeatureLayout` the
loss treats the two kinds of column apart, and this one definition is used
everywhere — training, the Eq. 8 thresholds and the Eq. 9 filter:

- numeric columns (scaled to [0, 1]): sigmoid + binary cross-entropy, exactly
  the terms of Eq. 7;
- each one-hot block: softmax over the block + categorical cross-entropy
  ``-Σ_c x_c log softmax(logits)_c``. For an exact one-hot row this is the
  negative log-probability of its category, the categorical analogue of the
  block's BCE terms; it lets generation emit a valid one-hot by argmax.

Binned numeric columns
----------------------
With ``bins`` (a :class:`NumericBins`), numeric columns are not scored by a
sigmoid: the decoder gives each numeric column a categorical distribution over
up to ``B`` bins of its observed values (the columns then hold their empirical
CDF position, see :mod:`gavae_ids.sampling.column_transform`), scored by
cross-entropy exactly like a one-hot block. Network counters are discrete and
zero-inflated, which a single sigmoid mean cannot represent: its output falls
between the values that occur. A categorical over the column's own support can.

Autoregressive decoder
----------------------
``decoder="autoregressive"`` keeps the same outputs, losses and label
conditioning but factorises the decoder column by column; see
:mod:`gavae_ids.nn.autoregressive`.

Every loss here is a function of tensors only: no loops, no I/O, no randomness
(noise such as the reparameterisation ε or the gradient-penalty mixing weights
is drawn by the caller from its own generator and passed in).
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
import torch.nn.functional as F
from torch import nn

from gavae_ids.nn.autoregressive import (
    AR_HIDDEN,
    AutoregressiveDecoder,
    column_of_outputs,
    generate_autoregressive,
)
from gavae_ids.nn.bins import (
    NumericBins,
    _bin_bounds,
    _bin_log_probs,
    _bin_log_probs_flat,
    _bin_of,
    _bin_segments,
)
from gavae_ids.nn.common import MLPBackbone
from gavae_ids.preprocessing.layout import FeatureLayout

__all__ = [
    "AutoregressiveDecoder",
    "GAVAE",
    "NumericBins",
    "Decoder",
    "Encoder",
    "LatentCritic",
    "gradient_penalty",
    "kl_divergence",
    "logits_to_features",
    "reconstruction_loss",
    "reparameterize",
]


class Encoder(nn.Module):
    """q(z | x): ``backbone`` MLP, then linear heads ``mu`` and ``logvar``.

    Parameters
    ----------
    in_features : int
        Width of the encoded feature matrix.
    hidden : sequence of int, default=(80, 40, 20)
        Hidden layer sizes of :class:`~gavae_ids.nn.common.MLPBackbone`.
    latent_dim : int, default=10
        Size of z.
    activation : str, default="relu"
        Activation of the backbone.
    """

    def __init__(
        self,
        in_features: int,
        hidden: Sequence[int] = (80, 40, 20),
        latent_dim: int = 10,
        activation: str = "relu",
    ):
        super().__init__()
        self.backbone = MLPBackbone(in_features, hidden, activation)
        self.mu = nn.Linear(self.backbone.out_features, latent_dim)
        self.logvar = nn.Linear(self.backbone.out_features, latent_dim)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Return ``(mu, logvar)``, each of shape (n, latent_dim)."""
        h = self.backbone(x)
        return self.mu(h), self.logvar(h)


class Decoder(nn.Module):
    """p(x | z, y): MLP over ``[z, onehot(y)]`` to one logit per encoded column.

    Parameters
    ----------
    out_features : int
        Width of the encoded feature matrix.
    n_classes : int
        Number of classes (width of the one-hot label).
    hidden : sequence of int, default=(20, 40, 80)
        Hidden layer sizes (the encoder's, reversed).
    latent_dim : int, default=10
        Size of z.
    activation : str, default="relu"
        Activation of the hidden layers.
    """

    def __init__(
        self,
        out_features: int,
        n_classes: int,
        hidden: Sequence[int] = (20, 40, 80),
        latent_dim: int = 10,
        activation: str = "relu",
    ):
        super().__init__()
        self.backbone = MLPBackbone(latent_dim + n_classes, hidden, activation)
        self.out = nn.Linear(self.backbone.out_features, out_features)

    def forward(self, z: torch.Tensor, y_onehot: torch.Tensor) -> torch.Tensor:
        """Logits of shape (n, out_features); see :func:`logits_to_features`."""
        return self.out(self.backbone(torch.cat([z, y_onehot], dim=1)))


class LatentCritic(nn.Module):
    """D(z, y): label-conditioned WGAN critic on latent codes; one unbounded score per row.

    Parameters
    ----------
    latent_dim : int
        Size of z.
    n_classes : int
        Number of classes (width of the one-hot label).
    hidden : sequence of int, default=(64, 32)
        Hidden layer sizes (leaky-ReLU).
    """

    def __init__(self, latent_dim: int, n_classes: int, hidden: Sequence[int] = (64, 32)):
        super().__init__()
        self.backbone = MLPBackbone(latent_dim + n_classes, hidden, "leaky_relu")
        self.out = nn.Linear(self.backbone.out_features, 1)

    def forward(self, z: torch.Tensor, y_onehot: torch.Tensor) -> torch.Tensor:
        """Scores of shape (n,): high for prior samples, low for encoder codes once trained."""
        return self.out(self.backbone(torch.cat([z, y_onehot], dim=1))).squeeze(1)


class GAVAE(nn.Module):
    """Container of encoder, decoder and latent critic, plus the column layout.

    Parameters
    ----------
    layout : FeatureLayout
        Which encoded columns are numbers and which form one-hot blocks.
    n_classes : int
        Number of classes the decoder and the critic are conditioned on.
    hidden : sequence of int
        Encoder hidden layers (the plain decoder mirrors them unless ``decoder_hidden``).
    latent_dim : int
        Size of z.
    critic_hidden : sequence of int
        Hidden layers of the latent critic.
    activation : str, default="relu"
        Activation of encoder and decoder.
    bins : NumericBins, optional
        Binned numeric outputs (a categorical over CDF bins per numeric column).
    decoder : {"mlp", "autoregressive"}, default="mlp"
        :class:`Decoder` (columns independent given z and y, the paper's) or
        :class:`AutoregressiveDecoder` (each column also given the ones before it).
    decoder_hidden : sequence of int, optional
        Decoder hidden layers; by default the encoder's reversed for ``"mlp"``
        and ``AR_HIDDEN`` for ``"autoregressive"``.

    The library's defaults of these sizes live in
    :class:`gavae_ids.training.GAVAEConfig` (``GAVAE(layout, k, **GAVAEConfig().network())``).

    Examples
    --------
    >>> import torch
    >>> from gavae_ids.preprocessing.layout import FeatureLayout
    >>> model = GAVAE(FeatureLayout.all_numeric(6), 3, hidden=(16, 8), latent_dim=4,
    ...               critic_hidden=(8,))
    >>> x = torch.rand(4, 6)
    >>> mu, logvar = model.encode(x)
    >>> y = torch.eye(3)[[0, 1, 2, 0]]
    >>> model.reconstruction_loss(model.decode(mu, y), x).shape
    torch.Size([4])
    """

    def __init__(
        self,
        layout: FeatureLayout,
        n_classes: int,
        *,
        hidden: Sequence[int],
        latent_dim: int,
        critic_hidden: Sequence[int],
        activation: str = "relu",
        bins: NumericBins | None = None,
        decoder: str = "mlp",
        decoder_hidden: Sequence[int] | None = None,
    ):
        super().__init__()
        if decoder not in ("mlp", "autoregressive"):
            raise ValueError(f"unknown decoder {decoder!r}; choose 'mlp' or 'autoregressive'")
        self.layout = layout
        self.n_classes = int(n_classes)
        self.latent_dim = int(latent_dim)
        n = layout.n_features
        # Binned: the decoder's first n outputs serve the one-hot blocks, then one logit
        # per bin of every numeric column follows.
        extra = bins.n_logits if bins is not None else 0
        self.encoder = Encoder(n, hidden, latent_dim, activation)
        self.autoregressive = decoder == "autoregressive"
        if self.autoregressive:
            column = column_of_outputs(layout, bins)
            self.n_columns = int(column.max()) + 1 if len(column) else 0
            self.decoder = AutoregressiveDecoder(
                column.tolist(), self.n_columns, n_classes, latent_dim,
                AR_HIDDEN if decoder_hidden is None else tuple(decoder_hidden), activation,
            )  # fmt: skip
        else:
            self.decoder = Decoder(
                n + extra, n_classes,
                tuple(reversed(hidden)) if decoder_hidden is None else tuple(decoder_hidden),
                latent_dim, activation,
            )  # fmt: skip
        self.critic = LatentCritic(latent_dim, n_classes, critic_hidden)
        # Buffers, not parameters: they follow .to(device) and are saved with the weights.
        self.register_buffer(
            "numeric_index", torch.as_tensor(layout.numeric_indices, dtype=torch.long)
        )
        self.blocks: tuple[tuple[int, int], ...] = tuple(
            (b.start, b.stop) for b in layout.onehot_blocks
        )
        self.binned = bins is not None
        # The autoregressive decoder's inputs given by value (see decoder_input): every
        # one-hot block's columns, and the numbers when they are not binned. Derived from
        # the layout, so not saved.
        by_value = [torch.arange(b.start, b.stop) for b in layout.onehot_blocks]
        if bins is None:
            by_value.append(torch.as_tensor(layout.numeric_indices, dtype=torch.long))
        self.register_buffer(
            "input_by_value",
            torch.cat(by_value) if by_value else torch.zeros(0, dtype=torch.long),
            persistent=False,
        )
        if bins is not None:
            self.register_buffer("bin_edges", bins.edges.float())
            self.register_buffer("bin_lower", bins.lower.float())
            self.register_buffer("bin_upper", bins.upper.float())
            self.register_buffer("bin_valid", bins.valid.bool())
            # Derived from bin_valid once, not every step (torch.nonzero syncs a GPU);
            # not saved, so model files hold only the four tables above.
            for name, t in zip(("bin_flat", "bin_column", "bin_first"),
                               _bin_segments(self._bins()), strict=True):  # fmt: skip
                self.register_buffer(name, t, persistent=False)

    def encode(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        return self.encoder(x)

    def decode(
        self, z: torch.Tensor, y_onehot: torch.Tensor, x: torch.Tensor | None = None
    ) -> torch.Tensor:
        """Decoder logits for codes ``z`` and labels ``y_onehot``.

        The autoregressive decoder scores given rows: it needs ``x`` (n, d),
        the rows whose columns condition the later ones (teacher forcing); the
        plain decoder ignores it.
        """
        if not self.autoregressive:
            return self.decoder(z, y_onehot)
        if x is None:
            raise ValueError("the autoregressive decoder scores given rows: pass x")
        hot, values = self.decoder_input(x)
        return self.decoder(z, y_onehot, hot, values)

    def decoder_input(
        self, x: torch.Tensor
    ) -> tuple[torch.Tensor, tuple[torch.Tensor, torch.Tensor] | None]:
        """Encoded rows (n, d) → the autoregressive decoder's input: the units that are 1
        (each binned number's bin, an output past the first d), and the units given by
        value (every one-hot block's columns as they are, unbinned numbers), with values.

        Blocks go in by value, not by their argmax: a row whose block is all zero (a
        category unseen in training) must not read as the block's first category.
        """
        bins, num = self._bins(), self.numeric_index
        hot = x.new_zeros(x.shape[0], 0, dtype=torch.long)
        if num.numel() and bins is not None:
            _, _, first = _bin_segments(bins)
            hot = x.shape[1] + first + _bin_of(x[:, num], bins)
        given = self.input_by_value
        return hot, ((given, x[:, given]) if given.numel() else None)

    @torch.no_grad()
    def generate(
        self,
        z: torch.Tensor,
        y_onehot: torch.Tensor,
        gumbel: torch.Tensor | None = None,
        uniform: torch.Tensor | None = None,
        temperature: float = 1.0,
    ) -> torch.Tensor:
        """Encoded rows (n, d) decoded from codes ``z`` with labels ``y_onehot``.

        Without ``gumbel`` every column takes its most likely value (a binned
        number its bin's centre): :meth:`to_features`. With ``gumbel`` (standard
        Gumbel noise of the logits' shape, ``n_logits`` wide) and ``uniform``
        ((n, n_numeric) in [0, 1)), each column is drawn as in
        :meth:`sample_features`. The autoregressive decoder draws column by
        column, each given the ones already drawn.
        """
        if not self.autoregressive:
            logits = self.decoder(z, y_onehot)
            if gumbel is None:
                return self.to_features(logits)
            return self.sample_features(logits, gumbel, uniform, temperature)
        return generate_autoregressive(self, z, y_onehot, gumbel, uniform, float(temperature))

    @property
    def n_logits(self) -> int:
        """Width of the decoder's output."""
        return self.layout.n_features + (self._bins().n_logits if self.binned else 0)

    def _bins(self) -> NumericBins | None:
        if not self.binned:
            return None
        segments = None
        if hasattr(self, "bin_first"):
            segments = (self.bin_flat, self.bin_column, self.bin_first)
        return NumericBins(self.bin_edges, self.bin_lower, self.bin_upper, self.bin_valid, segments)

    def reconstruction_loss(self, logits: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
        """Per-sample Eq. 7 loss with this model's layout; see :func:`reconstruction_loss`."""
        return reconstruction_loss(logits, x, self.numeric_index, self.blocks, self._bins())

    def to_features(self, logits: torch.Tensor) -> torch.Tensor:
        """Decoder logits → a valid encoded row (the mean / most likely value)."""
        return logits_to_features(logits, self.numeric_index, self.blocks, self._bins())

    def sample_features(
        self,
        logits: torch.Tensor,
        gumbel: torch.Tensor,
        uniform: torch.Tensor,
        temperature: float = 1.0,
    ) -> torch.Tensor:
        """Decoder logits → a row drawn from the decoder's distributions.

        See :func:`sample_features`; ``gumbel`` and ``uniform`` are noise of the
        shape of ``logits`` and of (n, n_numeric), drawn by the caller.
        """
        return sample_features(logits, self.numeric_index, self.blocks, self._bins(), gumbel,
                               uniform, temperature)  # fmt: skip


def reparameterize(mu: torch.Tensor, logvar: torch.Tensor, eps: torch.Tensor) -> torch.Tensor:
    """z = μ + σ·ε, with ε ~ N(0, I) drawn by the caller."""
    return mu + torch.exp(0.5 * logvar) * eps


def reconstruction_loss(
    logits: torch.Tensor,
    x: torch.Tensor,
    numeric_index: torch.Tensor,
    blocks: Sequence[tuple[int, int]] = (),
    bins: NumericBins | None = None,
) -> torch.Tensor:
    """Per-sample reconstruction loss (paper Eq. 7, extended to one-hot blocks).

    Parameters
    ----------
    logits : Tensor of shape (n, d), or (n, d + bins.n_logits) with ``bins``
        Decoder output.
    x : Tensor of shape (n, d)
        Target rows in [0, 1].
    numeric_index : LongTensor
        Columns scored by sigmoid + binary cross-entropy, summed.
    blocks : sequence of (start, stop)
        One-hot blocks, each scored by softmax + cross-entropy
        ``-Σ_c x_c log softmax(logits[start:stop])_c``.
    bins : NumericBins, optional
        Score numeric columns by cross-entropy over their bins instead (the
        logits beyond ``d``; see the module docstring).

    Returns
    -------
    Tensor of shape (n,)
        The sum of all terms per row.
    """
    loss = logits.new_zeros(logits.shape[0])
    if bins is not None and numeric_index.numel():
        log_p = _bin_log_probs_flat(logits, x.shape[1], bins)
        _, _, first = _bin_segments(bins)
        target = first + _bin_of(x[:, numeric_index], bins)
        loss = loss - log_p.gather(1, target).sum(dim=1)
    elif numeric_index.numel():
        loss = loss + F.binary_cross_entropy_with_logits(
            logits[:, numeric_index], x[:, numeric_index], reduction="none"
        ).sum(dim=1)
    for start, stop in blocks:
        log_p = F.log_softmax(logits[:, start:stop], dim=1)
        loss = loss - (x[:, start:stop] * log_p).sum(dim=1)
    return loss


def kl_divergence(mu: torch.Tensor, logvar: torch.Tensor) -> torch.Tensor:
    """Per-sample KL(N(μ, σ²) ‖ N(0, I)), summed over latent dimensions; shape (n,)."""
    return 0.5 * (mu.pow(2) + logvar.exp() - 1.0 - logvar).sum(dim=1)


def gradient_penalty(
    critic: nn.Module,
    z_prior: torch.Tensor,
    z_code: torch.Tensor,
    y_onehot: torch.Tensor,
    alpha: torch.Tensor,
) -> torch.Tensor:
    """WGAN-GP penalty E[(‖∇_ẑ D(ẑ, y)‖₂ − 1)²] on ẑ = α·z_prior + (1 − α)·z_code.

    Parameters
    ----------
    critic : nn.Module
        Called as ``critic(z, y_onehot)``.
    z_prior, z_code : Tensor of shape (n, latent_dim)
        Prior samples and encoder codes (detached).
    y_onehot : Tensor of shape (n, n_classes)
        Labels both are scored with.
    alpha : Tensor of shape (n, 1)
        Mixing weights in [0, 1], drawn by the caller.

    Returns
    -------
    Tensor
        A scalar, differentiable with respect to the critic's parameters.
    """
    z_hat = (alpha * z_prior + (1.0 - alpha) * z_code).requires_grad_(True)
    score = critic(z_hat, y_onehot)
    (grad,) = torch.autograd.grad(score.sum(), z_hat, create_graph=True)
    return (grad.norm(2, dim=1) - 1.0).pow(2).mean()


def logits_to_features(
    logits: torch.Tensor,
    numeric_index: torch.Tensor,
    blocks: Sequence[tuple[int, int]] = (),
    bins: NumericBins | None = None,
) -> torch.Tensor:
    """Turn decoder logits into an encoded row: sigmoid numbers, exact one-hot blocks.

    Each one-hot block becomes a 0/1 vector with a single 1 at its argmax, so a
    generated row decodes to a real category. With ``bins``, a numeric column
    takes the centre of its most likely bin.
    """
    return _assemble(logits, logits, numeric_index, blocks, bins, 0.5)


def _assemble(logits, choose, numeric_index, blocks, bins, within) -> torch.Tensor:
    """An encoded row: categories and bins at the argmax of ``choose``; a binned number
    at ``within`` of its bin's CDF interval, an unbinned one at its sigmoid mean."""
    d = logits.shape[1] - (bins.n_logits if bins is not None else 0)
    out = logits.new_zeros(logits.shape[0], d)
    if bins is not None and numeric_index.numel():
        k = _bin_log_probs(choose, d, bins).argmax(dim=2)
        lo, hi = _bin_bounds(k, bins)
        out[:, numeric_index] = lo + within * (hi - lo)
    elif numeric_index.numel():
        out[:, numeric_index] = torch.sigmoid(logits[:, numeric_index])
    for start, stop in blocks:
        idx = choose[:, start:stop].argmax(dim=1, keepdim=True)
        out[:, start:stop].scatter_(1, idx, 1.0)
    return out


def sample_features(
    logits: torch.Tensor,
    numeric_index: torch.Tensor,
    blocks: Sequence[tuple[int, int]],
    bins: NumericBins | None,
    gumbel: torch.Tensor,
    uniform: torch.Tensor,
    temperature: float = 1.0,
) -> torch.Tensor:
    """Draw an encoded row from the decoder's distributions instead of taking their mode.

    Categories and bins are drawn from ``softmax(logits / temperature)``: below 1
    the draws stay closer to the mode.

    One-hot blocks (and, with ``bins``, the bins of numeric columns) are drawn
    with the Gumbel-max trick from ``gumbel`` (standard Gumbel noise, shape of
    ``logits``); a numeric column then takes a point drawn uniformly
    (``uniform``, shape (n, n_numeric), in [0, 1)) within its bin's CDF
    interval. Without ``bins`` numeric columns keep their sigmoid mean: a
    Bernoulli draw of a min-max scaled counter would be 0 or 1.
    """
    choose = logits / float(temperature) + gumbel
    return _assemble(logits, choose, numeric_index, blocks, bins, uniform)
