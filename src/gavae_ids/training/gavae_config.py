"""The GAVAE's hyper-parameters: network sizes, training budget, loss weights, Eq. 8 scaling.

Training and sampling settings, so they live here, not in :mod:`gavae_ids.nn`
(pure torch modules that take plain sizes).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

#: ``n_iter="auto"``: as many minibatch iterations as this many passes over the rows
#: take, between AUTO_MIN_ITER and AUTO_MAX_ITER. The 1,000 iterations were chosen on
#: NSL-KDD KDDTrain+_20Percent (25,192 rows) and checked on its 3-fold CV folds (16,795
#: rows, docs/results/sampler-default); 32 passes of 512 rows keep them from 15,985 rows up.
AUTO_EPOCHS = 32
AUTO_MIN_ITER = 200
AUTO_MAX_ITER = 1000
#: ``batch_size="auto"``: AUTO_BATCH rows, or a quarter of the rows of a smaller table
#: (at least MIN_BATCH): 512 of 569 rows made every step a pass over the whole table.
AUTO_BATCH = 512
MIN_BATCH = 32
#: Fewest bins of a numeric column (:meth:`GAVAEConfig.bins_for`).
MIN_BINS = 8


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
    binned decoder, 600 iterations at lr 2e-3) to about 0.78 / 0.82 / 0.80 (seed 0, training
    data only), at about twice the fit time. Issue #27 kept two configurations, this one and
    the paper's (docs/results/sampler-default). Issue #32 made ``n_iter``, ``batch_size``
    and the bins follow the table's size (:meth:`iterations`, :meth:`batch_rows`,
    :meth:`bins_for`), changing nothing from 15,985 rows up (docs/results/fit-speed).

    The sampler's parameters (:class:`gavae_ids.sampling.GAVAESampler`) are the first
    block of fields; their docstrings live there. The rest are constants of the method,
    fields here so that they are written once and a run can print them.

    Attributes
    ----------
    decoder, hidden, latent_dim, n_iter, batch_size, lr, beta, adv_weight, critic_steps
        As the :class:`~gavae_ids.sampling.GAVAESampler` parameters of the same names.
    activation : str
        Activation of encoder and decoder.
    critic_hidden : tuple of int
        Hidden layers of the latent critic (leaky-ReLU).
    decoder_hidden : tuple of int or None
        Decoder hidden layers; None mirrors the encoder (``"mlp"``) or takes
        :data:`gavae_ids.nn.gavae.AR_HIDDEN` (``"autoregressive"``).
    critic_lr : float
        Adam learning rate of the critic (betas 0.5, 0.9 as in WGAN-GP).
    gp_lambda : float
        Weight λ of the WGAN-GP gradient penalty.
    class_balance : float
        How minibatches are drawn: rows are picked with class probability
        proportional to ``count ** (1 - class_balance)``; 0 draws plain shuffled
        minibatches over the data, 1 draws every class equally often (with
        replacement).
    k : float
        Scaling factor of the reconstruction threshold, Eq. 8 (of the largest loss of a
        class's real rows).
    max_attempts : float
        Candidate cap per class, as a multiple of the number of samples wanted.
    disc_eval_size : int
        Per-class number of prior samples and of encoder codes scored to record the
        discriminator accuracy (Fig. 7).
    disc_eval_every : int
        Iterations between two such records (and the last iteration). Every iteration
        cost 7 % of a training step on NSL-KDD (issue #32); one in 10 leaves Fig. 7
        100 points of a 1,000-iteration fit.
    n_bins : int
        Largest number of bins of a numeric column (autoregressive decoder: numbers are
        modelled as a categorical over bins of their training values,
        :mod:`gavae_ids.sampling.column_transform`); a table of fewer than
        ``rows_per_bin · n_bins`` rows gets fewer (:meth:`bins_for`).
    rows_per_bin : int
        Autoregressive decoder: a numeric column gets at most one bin per this many
        training rows (at least 8): 128 bins of 569 rows would hold 4 rows each. From
        4,096 rows on, every table keeps the 128 bins.
    temperature : float
        Autoregressive decoder: logits are divided by it before drawing a row.
    within_bin_smoothing : float
        Autoregressive decoder: value ``u`` of the drawn bin ``b`` is drawn with probability
        ``(n_u + s · g_u) / (n_b + s)`` (``n_u`` the class's rows holding it, ``g_u`` its
        share of the bin over all rows), then borrowed jointly from the nearest real row of
        the class (:mod:`gavae_ids.sampling.donors`, docs/results/gavae-donor).
    prior_components : int
        Autoregressive decoder: most components of each class's latent Gaussian mixture
        (:mod:`gavae_ids.sampling.latent_prior`).
    manifold_k : int or None
        Autoregressive decoder: after Eq. 9, a candidate is kept only within the
        ``manifold_k``-NN radius of a real row of its class
        (:mod:`gavae_ids.sampling.manifold`, docs/results/gavae-manifold); None skips the
        check (an ablation, ``benchmarks/augmenters.py``).
    """

    # The sampler's parameters.
    decoder: str = "autoregressive"
    hidden: tuple[int, ...] = (128, 64)
    latent_dim: int = 10
    n_iter: int | str = "auto"
    batch_size: int | str = "auto"
    lr: float = 4e-3
    beta: float = 0.1
    adv_weight: float = 0.1
    critic_steps: int = 2
    # Constants of the method.
    activation: str = "relu"
    critic_hidden: tuple[int, ...] = (64, 32)
    decoder_hidden: tuple[int, ...] | None = None
    critic_lr: float = 1e-3
    gp_lambda: float = 10.0
    class_balance: float = 1.0
    k: float = 1.0
    max_attempts: float = 10.0
    disc_eval_size: int = 32
    disc_eval_every: int = 10
    n_bins: int = 128
    rows_per_bin: int = 32
    temperature: float = 0.7
    within_bin_smoothing: float = 100.0
    prior_components: int = 8
    manifold_k: int | None = 5

    def iterations(self, n_rows: int) -> int:
        """Minibatch iterations for a table of ``n_rows``: ``n_iter``, or for ``"auto"``
        ``ceil(AUTO_EPOCHS · n_rows / batch_rows(n_rows))`` clipped to
        [AUTO_MIN_ITER, AUTO_MAX_ITER].

        A fixed count made a small table cost as much as a large one (issue #32: 1,000
        iterations are 900 passes over 569 rows), and more, as its decoder had more bins.
        """
        if self.n_iter != "auto":
            return int(self.n_iter)
        bs = self.batch_rows(n_rows)
        wanted = math.ceil(AUTO_EPOCHS * int(n_rows) / bs)
        return int(min(max(wanted, AUTO_MIN_ITER), AUTO_MAX_ITER))

    def batch_rows(self, n_rows: int) -> int:
        """Rows per minibatch on a table of ``n_rows``: ``batch_size`` (at most the rows), or
        for ``"auto"`` AUTO_BATCH, down to a quarter of the rows (at least MIN_BATCH)."""
        if self.batch_size != "auto":
            return max(1, min(int(self.batch_size), int(n_rows)))
        quarter = max(MIN_BATCH, int(n_rows) // 4)
        return max(1, min(AUTO_BATCH, quarter, int(n_rows)))

    def bins_for(self, n_rows: int) -> int:
        """Largest number of bins of a numeric column fitted on ``n_rows`` rows:
        ``n_bins``, or fewer for a small table (one per ``rows_per_bin`` rows, at least
        MIN_BINS). A column with few distinct values has fewer still (one per value,
        :meth:`~gavae_ids.sampling.column_transform.EmpiricalCDFTransform.bins`)."""
        return int(min(int(self.n_bins), max(MIN_BINS, int(n_rows) // int(self.rows_per_bin))))

    @property
    def binned(self) -> bool:
        """Whether this is the library's generator (the autoregressive decoder).

        True: numbers modelled as bins of their training values, rows drawn from the
        decoder at :attr:`temperature`, numbers placed by donor rows, z from each class's
        latent mixture, and the manifold check. False (the paper's plain decoder, §4 and
        Eq. 7 read literally): min-max numbers scored by binary cross-entropy, the
        decoder's most likely row, z ~ N(0, I), Eq. 9 alone.
        """
        return self.decoder == "autoregressive"

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
