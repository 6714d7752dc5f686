"""The GAVAE training loop (paper §4): one generator of per-iteration records.

Each minibatch runs the three steps of §4, in the paper's order:

0. **VAE step** — encoder and decoder minimise reconstruction loss (Eq. 7,
   see :func:`gavae_ids.nn.gavae.reconstruction_loss`) + ``beta`` · KL.
1. **Critic step(s)** — the latent critic D(z, y) learns, with the WGAN-GP
   objective, to score samples of the prior N(0, I) above encoder codes z ~ q(z|x)
   of the same labels.
2. **Encoder adversarial step** — the encoder, acting as generator, is trained
   to raise D on its codes, i.e. to make q(z | y) indistinguishable from the prior
   for every class y.

:func:`train_gavae` yields an :class:`IterationRecord` after every minibatch and
leaves logging, progress bars and stopping to its caller (the shape of spaCy's
``training/loop.py``). All randomness comes from the ``torch.Generator`` passed in.

Minibatches
-----------
``config.class_balance`` sets how rows are drawn: with probability proportional
to ``count ** (1 - class_balance)`` per class, uniformly within a class (with
replacement). 0 gives plain shuffled epochs over the data; 1 (the default)
shows every class equally often, so the label-conditioned decoder and critic
learn the rare classes too.

Discriminator accuracy (Fig. 7)
-------------------------------
A WGAN critic outputs unbounded scores whose offset is arbitrary, so its sign
means nothing. Every ``config.disc_eval_every`` iterations (and in the last; the
others record NaN), after the critic step(s) and before the
encoder's adversarial step, we score for every class c ``disc_eval_size``
prior samples and as many encoder codes of real rows of class c (drawn with
replacement, so rare classes are measured as well as common ones), threshold
the scores at the midpoint of the two groups' mean scores, and call a prior
sample correct when it scores above the midpoint and a code correct when it
scores at or below it. The class accuracy is the fraction correct over both
groups; the overall accuracy is the mean over classes. 1 means the critic
separates codes from the prior; 0.5 means it cannot tell them apart.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
import torch

from gavae_ids._util.torch_helpers import adam
from gavae_ids.nn.gavae import (
    GAVAE,
    gradient_penalty,
    kl_divergence,
    reparameterize,
)
from gavae_ids.training.gavae_config import GAVAEConfig

__all__ = [
    "GAVAEOptimizers",
    "IterationRecord",
    "critic_step",
    "discriminator_accuracy",
    "discriminator_accuracy_frame",
    "encoder_adversarial_step",
    "history_frame",
    "make_optimizers",
    "train_gavae",
    "vae_step",
]

HISTORY_COLUMNS = (
    "iteration",
    "recon_loss",
    "kl",
    "critic_loss",
    "gradient_penalty",
    "adversarial_loss",
    "disc_accuracy",
)


@dataclass(frozen=True)
class IterationRecord:
    """What one minibatch iteration did.

    Attributes
    ----------
    iteration : int
        1-based iteration number.
    recon_loss : float
        Mean per-sample reconstruction loss (Eq. 7) of the VAE step.
    kl : float
        Mean per-sample KL divergence of the VAE step.
    critic_loss : float
        Critic objective ``E[D(code)] - E[D(prior)] + λ·GP`` of the last critic step.
    gradient_penalty : float
        The GP term of that step (before multiplying by λ).
    adversarial_loss : float
        Encoder adversarial loss ``-E[D(code)]`` (before ``adv_weight``).
    disc_accuracy : float
        Discriminator accuracy, mean over classes (see the module docstring); NaN in an
        iteration that did not measure it.
    disc_accuracy_per_class : tuple of float
        Accuracy per class index (NaN likewise).
    """

    iteration: int
    recon_loss: float
    kl: float
    critic_loss: float
    gradient_penalty: float
    adversarial_loss: float
    disc_accuracy: float
    disc_accuracy_per_class: tuple[float, ...]


@dataclass
class GAVAEOptimizers:
    """Adam for encoder + decoder (VAE and adversarial steps) and Adam for the critic."""

    vae: torch.optim.Optimizer
    critic: torch.optim.Optimizer


def make_optimizers(model: GAVAE, config: GAVAEConfig) -> GAVAEOptimizers:
    """Build the optimizers of :func:`train_gavae`.

    The encoder's adversarial step reuses the VAE optimizer: Adam rescales each
    optimizer's gradients by their own running magnitude, so a separate
    optimizer would make ``adv_weight`` meaningless; sharing the moment
    estimates keeps the adversarial pull weighed against the reconstruction one.
    """
    vae_params = list(model.encoder.parameters()) + list(model.decoder.parameters())
    return GAVAEOptimizers(
        vae=adam(vae_params, lr=config.lr),
        critic=adam(model.critic.parameters(), lr=config.critic_lr, betas=(0.5, 0.9)),
    )


def vae_step(
    model: GAVAE,
    opt: torch.optim.Optimizer,
    x: torch.Tensor,
    y_onehot: torch.Tensor,
    eps: torch.Tensor,
    beta: float,
) -> tuple[float, float]:
    """One VAE update on reconstruction + ``beta``·KL; returns the two batch means."""
    mu, logvar = model.encode(x)
    z = reparameterize(mu, logvar, eps)
    recon = model.reconstruction_loss(model.decode(z, y_onehot, x), x).mean()
    kl = kl_divergence(mu, logvar).mean()
    opt.zero_grad(set_to_none=True)
    (recon + beta * kl).backward()
    opt.step()
    return float(recon.detach()), float(kl.detach())


def critic_step(
    model: GAVAE,
    opt: torch.optim.Optimizer,
    z_code: torch.Tensor,
    z_prior: torch.Tensor,
    y_onehot: torch.Tensor,
    alpha: torch.Tensor,
    gp_lambda: float,
) -> tuple[float, float]:
    """One WGAN-GP critic update; prior samples play "real", encoder codes "fake".

    Returns the critic objective (penalty included) and the gradient penalty.
    """
    critic = model.critic
    loss_w = critic(z_code, y_onehot).mean() - critic(z_prior, y_onehot).mean()
    gp = gradient_penalty(critic, z_prior, z_code, y_onehot, alpha)
    loss = loss_w + gp_lambda * gp
    opt.zero_grad(set_to_none=True)
    loss.backward()
    opt.step()
    return float(loss.detach()), float(gp.detach())


def encoder_adversarial_step(
    model: GAVAE,
    opt: torch.optim.Optimizer,
    x: torch.Tensor,
    y_onehot: torch.Tensor,
    eps: torch.Tensor,
    adv_weight: float,
) -> float:
    """One encoder update to raise the critic's score of its codes; returns ``-E[D(code)]``.

    ``opt`` may hold the decoder's parameters too: they get no gradient here,
    and Adam skips parameters without one.
    """
    mu, logvar = model.encode(x)
    loss = -model.critic(reparameterize(mu, logvar, eps), y_onehot).mean()
    opt.zero_grad(set_to_none=True)
    (adv_weight * loss).backward()
    opt.step()
    # The backward pass also filled the critic's grads; they are cleared by the
    # critic optimizer's zero_grad before its next step, so they never leak.
    return float(loss.detach())


def discriminator_accuracy(
    score_prior: torch.Tensor, score_code: torch.Tensor, n_classes: int
) -> tuple[float, tuple[float, ...]]:
    """Midpoint-threshold accuracy of the critic, per class and overall.

    Parameters
    ----------
    score_prior, score_code : Tensor of shape (n_classes, m)
        Critic scores of ``m`` prior samples and ``m`` encoder codes per class.
    n_classes : int
        Number of classes (rows of the score tensors).

    Returns
    -------
    overall : float
        Mean of the per-class accuracies.
    per_class : tuple of float
        For each class, the fraction of its 2·m scores on the correct side of the
        midpoint between the two groups' mean scores.
    """
    mid = 0.5 * (score_prior.mean(dim=1, keepdim=True) + score_code.mean(dim=1, keepdim=True))
    correct = (score_prior > mid).float().sum(dim=1) + (score_code <= mid).float().sum(dim=1)
    per_class = (correct / (2 * score_prior.shape[1])).tolist()
    return float(np.mean(per_class)), tuple(float(a) for a in per_class[:n_classes])


class _RowDrawer:
    """Random rows of given classes, with replacement (rows kept sorted by class)."""

    def __init__(self, y: torch.Tensor, n_classes: int, generator: torch.Generator):
        self.order = torch.argsort(y, stable=True)
        self.counts = torch.bincount(y, minlength=n_classes)
        self.starts = torch.cumsum(self.counts, 0) - self.counts
        self.generator = generator

    def __call__(self, classes: torch.Tensor) -> torch.Tensor:
        """A random row of each requested class."""
        r = torch.rand(classes.shape[0], generator=self.generator, device=classes.device)
        counts = self.counts[classes]
        return self.order[self.starts[classes] + (r * counts).long().clamp_max(counts - 1)]


def _minibatches(
    rows_of: _RowDrawer, n: int, bs: int, class_balance: float, generator: torch.Generator
) -> Iterator[torch.Tensor]:
    """Row indices of each minibatch, endlessly (see "Minibatches" above)."""
    device = rows_of.order.device
    counts = rows_of.counts
    class_p = counts.double().clamp_min(1) ** (1.0 - class_balance)
    class_p = (class_p * (counts > 0)).float()
    perm = torch.randperm(n, generator=generator, device=device)
    pos = 0
    while True:
        if class_balance > 0:
            yield rows_of(torch.multinomial(class_p, bs, replacement=True, generator=generator))
            continue
        if pos + bs > n:
            perm = torch.randperm(n, generator=generator, device=device)
            pos = 0
        yield perm[pos : pos + bs]
        pos += bs


def train_gavae(
    model: GAVAE,
    X: torch.Tensor,
    y: torch.Tensor,
    config: GAVAEConfig,
    generator: torch.Generator,
) -> Iterator[IterationRecord]:
    """Train ``model`` in place for ``config.iterations(len(X))`` minibatches, yielding a
    record after each.

    Parameters
    ----------
    model : GAVAE
        The networks, already on ``X``'s device.
    X : Tensor of shape (n, d)
        Encoded rows in [0, 1] (float32).
    y : LongTensor of shape (n,)
        Class indices in ``range(model.n_classes)``; every class must be present.
    config : GAVAEConfig
        Training hyper-parameters.
    generator : torch.Generator
        The only source of randomness (minibatch order and all noise), on ``X``'s device.

    Yields
    ------
    IterationRecord
    """
    device = X.device
    n_classes, latent = model.n_classes, model.latent_dim
    y_all = torch.eye(n_classes, device=device)[y]
    opts = make_optimizers(model, config)
    bs = config.batch_rows(X.shape[0])
    rows_of = _RowDrawer(y, n_classes, generator)
    m = int(config.disc_eval_size)
    eval_class = torch.arange(n_classes, device=device).repeat_interleave(m)
    eval_y = torch.eye(n_classes, device=device)[eval_class]

    def randn(*shape):
        return torch.randn(*shape, generator=generator, device=device)

    batches = _minibatches(rows_of, X.shape[0], bs, float(config.class_balance), generator)
    n_iter, probe_every = config.iterations(X.shape[0]), max(1, int(config.disc_eval_every))
    for it in range(1, n_iter + 1):
        model.train()
        idx = next(batches)
        x, y1 = X[idx], y_all[idx]

        recon, kl = vae_step(model, opts.vae, x, y1, randn(bs, latent), config.beta)

        with torch.no_grad():
            mu, logvar = model.encode(x)
        for _ in range(int(config.critic_steps)):
            z_code = reparameterize(mu, logvar, randn(bs, latent))
            alpha = torch.rand(bs, 1, generator=generator, device=device)
            c_loss, gp = critic_step(
                model, opts.critic, z_code, randn(bs, latent), y1, alpha, config.gp_lambda
            )

        acc, acc_c = float("nan"), (float("nan"),) * n_classes
        if it % probe_every == 0 or it == n_iter:
            with torch.no_grad():
                e_mu, e_logvar = model.encode(X[rows_of(eval_class)])
                z_code = reparameterize(e_mu, e_logvar, randn(n_classes * m, latent))
                s_code = model.critic(z_code, eval_y).view(n_classes, m)
                s_prior = model.critic(randn(n_classes * m, latent), eval_y).view(n_classes, m)
            acc, acc_c = discriminator_accuracy(s_prior, s_code, n_classes)

        adv = encoder_adversarial_step(model, opts.vae, x, y1, randn(bs, latent), config.adv_weight)

        yield IterationRecord(it, recon, kl, c_loss, gp, adv, acc, acc_c)
    model.eval()


def history_frame(records: Sequence[IterationRecord], classes: Sequence) -> pd.DataFrame:
    """One row per iteration: the losses, ``disc_accuracy`` and ``disc_accuracy[<class>]``.

    Parameters
    ----------
    records : sequence of IterationRecord
        What :func:`train_gavae` yielded.
    classes : sequence
        Class labels, in class-index order.
    """
    data = {c: [getattr(r, c) for r in records] for c in HISTORY_COLUMNS}
    per_class = np.array([r.disc_accuracy_per_class for r in records], dtype=float).reshape(
        len(records), len(classes)
    )
    for i, label in enumerate(classes):
        data[f"disc_accuracy[{label}]"] = per_class[:, i]
    frame = pd.DataFrame(data)
    frame["iteration"] = frame["iteration"].astype(np.int64)
    return frame


def discriminator_accuracy_frame(history: pd.DataFrame, classes: Sequence) -> pd.DataFrame:
    """Long form of the per-class discriminator accuracy: columns iteration, class, accuracy.

    The data behind the paper's Fig. 7; one row per (iteration, class), for the
    iterations that measured it (older models measured every iteration).

    Parameters
    ----------
    history : DataFrame
        As built by :func:`history_frame`.
    classes : sequence
        The class labels used to build it.
    """
    if "disc_accuracy" in history:
        history = history[history["disc_accuracy"].notna()]
    parts = [
        pd.DataFrame(
            {
                "iteration": history["iteration"].to_numpy(),
                "class": [label] * len(history),
                "accuracy": history[f"disc_accuracy[{label}]"].to_numpy(),
            }
        )
        for label in classes
    ]
    if not parts:
        return pd.DataFrame(columns=["iteration", "class", "accuracy"])
    return pd.concat(parts, ignore_index=True)
