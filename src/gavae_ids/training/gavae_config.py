"""The GAVAE's hyper-parameters: network sizes, training budget, loss weights, Eq. 8 scaling.

Training and sampling settings, so they live here, not in :mod:`gavae_ids.nn`
(pure torch modules that take plain sizes).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass


@dataclass(frozen=True)
class GAVAEConfig:
    """Hyper-parameters of a GAVAE and its training; the single home of the defaults.

    The paper gives no network sizes or loss weights. The defaults were chosen
    by the fidelity of the generated rows on NSL-KDD KDDTrain+_20Percent
    (training data only; ``gavae-ids fidelity``, docs/results/fidelity-nsl-kdd):
    with the earlier 80-40-20 encoder, ``beta = adv_weight = 1`` and 750
    iterations, at most 2 of the 10 latent units carried information — the KL
    term and the adversarial pull towards N(0, I) each collapsed the posterior
    on their own — so every class decoded to nearly one row. ``beta = 0.1``,
    ``adv_weight = 0.1`` and a 128-64 encoder keep 8–10 units active. Batches
    of 512 at lr 2e-3 for 600 iterations: ``fit_resample`` on
    KDDTrain+_20Percent took 35.1 s on two idle CPU cores (28.2 s training). The paper preset
    (:data:`gavae_ids.detection.methods.PAPER_GAVAE`) keeps the earlier values.
    ``class_balance=1`` (the paper does not say how minibatches are drawn) lets
    the label-conditioned critic and decoder see the rare classes: on NSL-KDD
    with plain minibatches, generated R2L/U2R rows were mostly classified as
    Normal by an MLP trained on the real rows, with balanced ones about as
    often as the real R2L/U2R rows themselves.

    Since issue #11's decoder study (docs/results/gavae-ar-decoder) the decoder is
    autoregressive, trained 1,000 iterations at lr 4e-3: on NSL-KDD it brought the
    C2ST AUC of generated DoS / Probe / R2L rows from 0.986 / 0.962 / 0.901 (the plain
    decoder, 600 iterations at lr 2e-3, now :data:`gavae_ids.detection.methods.MLP_GAVAE`) to
    about 0.78 / 0.82 / 0.80 (seed 0, training data only), at about twice the fit time.

    Attributes
    ----------
    hidden : tuple of int
        Encoder hidden layers (the plain decoder mirrors them unless ``decoder_hidden``).
    latent_dim : int
        Size of z.
    activation : str
        Activation of encoder and decoder (``relu``, ``leaky_relu``, ``tanh``, ``elu``).
    critic_hidden : tuple of int
        Hidden layers of the latent critic (leaky-ReLU).
    decoder : str
        ``"mlp"`` (columns independent given z and y, the paper's) or
        ``"autoregressive"`` (each column also given the ones before it; see
        :class:`gavae_ids.nn.AutoregressiveDecoder`).
    decoder_hidden : tuple of int or None
        Decoder hidden layers; None mirrors the encoder (``"mlp"``) or takes
        :data:`gavae_ids.nn.gavae.AR_HIDDEN` (``"autoregressive"``).
    n_iter : int
        Number of minibatch iterations; each does a VAE step, ``critic_steps``
        critic steps and one encoder adversarial step (paper §4).
    batch_size : int
        Rows per minibatch.
    lr : float
        Adam learning rate of the VAE step and of the encoder adversarial step.
    critic_lr : float
        Adam learning rate of the critic (betas 0.5, 0.9 as in WGAN-GP).
    critic_steps : int
        Critic updates per minibatch.
    gp_lambda : float
        Weight λ of the WGAN-GP gradient penalty.
    beta : float
        Weight of the KL term in the VAE step.
    adv_weight : float
        Weight of the encoder's adversarial loss ``-D(z, y)``.
    class_balance : float
        How minibatches are drawn: rows are picked with class probability
        proportional to ``count ** (1 - class_balance)``; 0 draws plain shuffled
        minibatches over the data, 1 draws every class equally often (with
        replacement).
    k : float
        Scaling factor of the reconstruction threshold, Eq. 8.
    threshold_quantile : float
        Quantile of a class's real-row losses that ``k`` scales (1 = their maximum, Eq. 8).
    max_attempts : float
        Candidate cap per class, as a multiple of the number of samples wanted.
    disc_eval_size : int
        Per-class number of prior samples and of encoder codes scored each
        iteration to record the discriminator accuracy (Fig. 7).
    """

    hidden: tuple[int, ...] = (128, 64)
    latent_dim: int = 10
    activation: str = "relu"
    critic_hidden: tuple[int, ...] = (64, 32)
    decoder: str = "autoregressive"
    decoder_hidden: tuple[int, ...] | None = None
    n_iter: int = 1000
    batch_size: int = 512
    lr: float = 4e-3
    critic_lr: float = 1e-3
    critic_steps: int = 2
    gp_lambda: float = 10.0
    beta: float = 0.1
    adv_weight: float = 0.1
    class_balance: float = 1.0
    k: float = 1.0
    threshold_quantile: float = 1.0
    max_attempts: float = 10.0
    disc_eval_size: int = 32

    def network(self) -> dict:
        """The network sizes, as keyword arguments of :class:`gavae_ids.nn.GAVAE`."""
        return {
            "hidden": tuple(self.hidden),
            "latent_dim": int(self.latent_dim),
            "critic_hidden": tuple(self.critic_hidden),
            "activation": self.activation,
            "decoder": self.decoder,
            "decoder_hidden": None if self.decoder_hidden is None else tuple(self.decoder_hidden),
        }

    def to_dict(self) -> dict:
        """JSON-ready copy (tuples become lists)."""
        d = asdict(self)
        d["hidden"] = list(self.hidden)
        d["critic_hidden"] = list(self.critic_hidden)
        if self.decoder_hidden is not None:
            d["decoder_hidden"] = list(self.decoder_hidden)
        return d
