"""GAVAE oversampling as an imbalanced-learn sampler (paper §4 and §4.1, Eq. 7–9).

:class:`GAVAESampler` trains a label-conditioned GAVAE on the whole training
set, sets a reconstruction threshold per class (Eq. 8), then fills each class
up to its target with decoder samples that pass the threshold (Eq. 9).

The Eq. 7 loss is :func:`gavae_ids.nn.gavae.reconstruction_loss`: per-block
categorical cross-entropy on one-hot blocks, and on numeric columns either
cross-entropy over bins of their observed values (``numeric_output="binned"``,
the default) or binary cross-entropy on min-max scaled values (the paper preset).
The same loss, computed the same way, scores the real rows (thresholds) and the
candidates (filter): a row ``x`` of class ``y`` is encoded to its mean μ(x)
(deterministic, no sampling noise), decoded with its label, and scored against
itself.
"""

# Over 500 lines only by declaring its ~30 parameters (numpydoc docstring, constraints, __init__:
# ~260 lines); the methods are ~400. The file format is _gavae_files, the latent prior
# latent_prior, the scaling and the placement of generated numbers _value_space.
from __future__ import annotations

import numbers
import warnings
from dataclasses import fields
from pathlib import Path

import numpy as np
import pandas as pd
import torch
from imblearn.over_sampling.base import BaseOverSampler
from scipy import sparse
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_is_fitted

from gavae_ids._util.progress import progress_bar
from gavae_ids._util.torch_helpers import (
    init_module_,
    make_generator,
    resolve_device,
    torch_seed_from,
)
from gavae_ids.exceptions import DataError, NotFittedError
from gavae_ids.nn.gavae import GAVAE
from gavae_ids.preprocessing.layout import FeatureLayout
from gavae_ids.sampling._gavae_files import MODEL_KIND as MODEL_KIND  # re-exported
from gavae_ids.sampling._gavae_files import load_sampler, save_sampler
from gavae_ids.sampling._gavae_files import py_value as _py
from gavae_ids.sampling._generation import REPORT_COLUMNS, GenerationMixin
from gavae_ids.sampling._generation import AcceptanceWarning as AcceptanceWarning  # re-exported
from gavae_ids.sampling._value_space import ValueSpaceMixin
from gavae_ids.sampling.latent_prior import fit_class_mixtures
from gavae_ids.training.gavae_config import GAVAEConfig
from gavae_ids.training.gavae_loop import (
    discriminator_accuracy_frame,
    history_frame,
    train_gavae,
)

__all__ = ["AcceptanceWarning", "GAVAESampler", "SmallClassWarning"]

_D = GAVAEConfig()


class SmallClassWarning(UserWarning):
    """A class has a single row and is left out of oversampling."""


class GAVAESampler(GenerationMixin, ValueSpaceMixin, BaseOverSampler):
    """Oversample with a GAVAE and the reconstruction-error filter of Eq. 7–9.

    ``fit_resample`` trains a label-conditioned VAE whose latent codes are
    matched to the N(0, I) prior by a WGAN-GP latent critic (paper §4), sets
    each class's threshold ``k · max`` reconstruction loss of its real rows
    (Eq. 8), and generates candidates z → decoder(z, y), with z from the class's
    fitted latent mixture (or N(0, I), ``latent_prior="standard"``). A candidate
    is kept only if its own reconstruction loss through the trained GAVAE is at
    most its class threshold (Eq. 9) and, with ``manifold_k`` (the default with
    binned numbers), it lies within the k-nearest-neighbour radius of a real row
    of its class. Candidates are drawn in batches until the
    class reaches its target or ``max_attempts`` × (rows wanted) candidates have
    been tried; then an :class:`AcceptanceWarning` says so and the accepted rows
    are returned.

    The input is an encoded matrix (numbers, e.g. the output of the project's
    preprocessing). Numeric columns are mapped internally through their
    training CDF (or min-max scaled, ``numeric_output="bernoulli"``) and mapped
    back on output, so generated numbers are values the column holds in the
    training data (or lie within its range); one-hot blocks named by ``layout``
    must already hold 0/1 values and are generated as exact one-hots. Integer
    or boolean input gets rounded synthetic values.

    The original rows come first in the output, unchanged, followed by the
    accepted synthetic rows, class by class.

    Parameters
    ----------
    sampling_strategy : float, str, dict or callable, default="auto"
        Target counts, as in imbalanced-learn; ``"auto"`` fills every class up
        to the majority count (the paper's Tables 4–5).
    random_state : int, RandomState instance or None, default=None
        Seeds weight initialisation, training and generation. The same integer
        gives identical samples on the same device.
    layout : FeatureLayout or None, default=None
        Which columns form one-hot blocks. None: every column is a number.
    hidden : tuple of int, default=(128, 64)
        Encoder hidden layers (the plain decoder mirrors them; see ``decoder_hidden``).
    latent_dim : int, default=10
        Size of z.
    activation : {"relu", "leaky_relu", "tanh", "elu"}, default="relu"
        Activation of encoder and decoder.
    critic_hidden : tuple of int, default=(64, 32)
        Hidden layers of the latent critic.
    decoder : {"autoregressive", "mlp"}, default="autoregressive"
        ``"mlp"``: the paper's decoder, every column drawn independently given
        (z, y). ``"autoregressive"``: the same outputs, but each column also
        given the columns drawn before it (one-hot blocks first, then the
        numbers; :class:`gavae_ids.nn.AutoregressiveDecoder`), so combinations of
        values the latent code does not carry are still kept together.
        Training and Eq. 7–9 cost one pass as before; generation one pass per
        column.
    decoder_hidden : tuple of int or None, default=None
        Decoder hidden layers; None mirrors ``hidden`` (``"mlp"``) or takes
        (256, 256) (``"autoregressive"``).
    n_iter : int, default=1000
        Minibatch iterations of training.
    batch_size : int, default=512
        Rows per minibatch.
    lr : float, default=4e-3
        Adam learning rate of encoder and decoder.
    critic_lr : float, default=1e-3
        Adam learning rate of the critic.
    critic_steps : int, default=2
        Critic updates per minibatch.
    gp_lambda : float, default=10.0
        Gradient-penalty weight λ.
    beta : float, default=0.1
        KL weight.
    adv_weight : float, default=0.1
        Weight of the encoder's adversarial loss.
    class_balance : float in [0, 1], default=1.0
        Minibatch class weighting: rows are drawn with class probability
        proportional to ``count ** (1 - class_balance)``; 0 is plain shuffled
        minibatches, 1 draws every class equally often.
    k : float, default=1.0
        Threshold scaling factor of Eq. 8.
    threshold_quantile : float in (0, 1], default=1.0
        Which loss of a class's real rows Eq. 8 scales by ``k``: 1 is the largest (the
        paper); below 1, that quantile, so a candidate must reconstruct at least as well
        as that share of the real rows. Stricter values keep rows closer to the class
        (NSL-KDD, seed 0: 0.5 brought the median synthetic→real distance from 7.1× to
        1.7× the real→real one for Probe) at the cost of coverage and of more candidates
        (docs/results/gavae-budget-nsl-kdd).
    max_attempts : float, default=10.0
        Candidate cap per class as a multiple of the rows wanted.
    disc_eval_size : int, default=32
        Per-class samples scored each iteration for the discriminator accuracy.
    numeric_output : {"binned", "bernoulli"}, default="binned"
        How the decoder models numeric columns. ``"bernoulli"`` (the paper's
        Eq. 7 read literally): min-max scaled, one sigmoid + binary cross-entropy
        per column. ``"binned"``: each column is mapped through its training
        empirical CDF (:mod:`gavae_ids.sampling.column_transform`) and the decoder
        gives it a categorical distribution over up to ``n_bins`` bins of its
        observed values, scored by cross-entropy like a one-hot block; generated
        numbers always lie on the column's observed support.
    n_bins : int, default=128
        Largest number of bins per numeric column (``numeric_output="binned"``).
    decode : {"sample", "mean"}, default="sample"
        ``"mean"``: a candidate is the decoder's most likely row (argmax
        categories; numbers at the centre of their most likely bin, or at their
        sigmoid mean with ``numeric_output="bernoulli"``; the autoregressive
        decoder takes each column's most likely value given those before it, which
        need not be the jointly most likely row). ``"sample"``: drawn from the decoder's
        distributions (categories and bins; numbers within their bin as
        ``within_bin`` says).
    temperature : float, default=0.7
        With ``decode="sample"``, logits are divided by it before drawing:
        below 1 the draws stay closer to the most likely row.
    within_bin : {"donor", "class", "global"}, default="donor"
        With ``numeric_output="binned"`` and ``decode="sample"``, which value a
        number takes inside the bin the decoder drew. ``"global"``: the bin's
        values as often as all training rows hold them. ``"class"``: as often as
        the class's own rows hold them, shrunk towards the global shares by
        ``within_bin_smoothing``. A bin holds 1/``n_bins`` of all rows or more, so
        one bin can span values that tell the classes apart
        (docs/results/gavae-within-bin). ``"donor"``: drawn as ``"class"``, then,
        in every column whose bin the row shares with its nearest real row of the
        class (most bins and categories in common), that row's value, so the
        numbers of a row fit each other; a row whose bins and categories all
        match some real row of the class keeps its ``"class"`` draws, so no row
        becomes a copy of a training row this way (:mod:`.donors`,
        docs/results/gavae-donor). The fitted sampler, and its file, then hold
        up to 4,096 distinct training rows per class (their values and categories).
    within_bin_smoothing : float, default=100.0
        With ``within_bin="class"`` or ``"donor"``, value ``u`` of bin ``b`` is drawn with
        probability ``(n_u + s · g_u) / (n_b + s)``: ``n_u`` the class's rows
        holding it, ``n_b`` those in the bin, ``g_u`` its share of the bin over
        all training rows. 0 takes only the class's values (in bins it has
        any); larger values approach ``"global"``. Small classes stay close to
        the global shares, so they are not rebuilt from their few rows' values.
    latent_prior : {"class-gmm", "standard"}, default="class-gmm"
        (The mixture is fitted in ``fit_resample``: switching to ``"class-gmm"``
        on a fitted sampler has no mixture to draw from and uses N(0, I).)
        Where candidates' latent codes come from. ``"standard"``: N(0, I), the
        paper's p(z). ``"class-gmm"``: a Gaussian mixture fitted, after
        training, to draws of q(z | x) of the class's real rows — the prior the
        latent critic is meant to make N(0, I), matched where it did not.
    prior_components : int, default=8
        Largest number of mixture components per class (one per 20 rows).
    manifold_k : int, "auto" or None, default="auto"
        After Eq. 9, keep a candidate only if it lies within the ``manifold_k``-nearest-
        neighbour radius of at least one real row of its class (the precision
        criterion of Kynkäänniemi et al., 2019; :mod:`.manifold`): Euclidean
        distance over the min-max scaled columns, against the class's donor rows
        (up to 4,096 distinct training rows, kept with the sampler). Eq. 9 alone
        passes rows no real row of the class resembles (NSL-KDD: 22 % of synthetic
        DoS rows, docs/results/gavae-manifold). ``"auto"`` is 5 with
        ``numeric_output="binned"`` and None with ``"bernoulli"`` (the paper's
        outputs, which keep no donor rows); an integer with ``"bernoulli"`` is an
        error. None skips the check (the paper). A table with no numeric column has
        no donor rows, and nothing is checked. Set it before fitting: a sampler
        fitted without the check keeps no donor rows to check against.
    device : str or torch.device, default="auto"
        Training device; ``"auto"`` uses CUDA when present. Thresholds and
        generation always run on the CPU, so samples do not depend on it once
        the model is trained.
    verbose : bool, default=False
        Show a progress bar over the training iterations.

    Attributes
    ----------
    sampling_strategy_ : dict
        Class label → number of synthetic rows wanted.
    classes_ : ndarray
        Class labels, sorted; the decoder's one-hot label follows this order.
    layout_ : FeatureLayout
        The layout used (``layout``, or all numeric).
    data_min_, data_range_ : ndarray of shape (n_features,)
        Min-max scaling of the input (0 and 1 on one-hot columns).
    model_ : GAVAE
        The trained networks, on the CPU, in eval mode.
    history_ : pandas.DataFrame
        One row per iteration: ``recon_loss``, ``kl``, ``critic_loss``,
        ``gradient_penalty``, ``adversarial_loss``, ``disc_accuracy`` and
        ``disc_accuracy[<class>]``; see :mod:`gavae_ids.training.gavae_loop`.
    thresholds_ : dict
        Class label → reconstruction threshold max L_j (Eq. 8).
    manifold_k_ : int or None
        The ``manifold_k`` in force (``"auto"`` resolved); None when unchecked.
    augmentation_report_ : pandas.DataFrame
        One row per class: ``class``, ``real`` (rows in the input),
        ``generated`` (synthetic rows added), ``attempts`` (candidates
        decoded), ``passed_eq9`` (candidates that passed Eq. 9), ``accepted``
        (those that also passed the manifold check; equal to ``passed_eq9``
        with ``manifold_k=None``) and ``acceptance_rate`` (accepted / attempts;
        NaN when nothing was tried). A sampler saved before ``passed_eq9``
        existed loads with it NaN.
    encoder_config_ : dict
        ``in_features``, ``hidden``, ``latent_dim``, ``activation`` of the encoder.
    cdf_ : EmpiricalCDFTransform or None
        The numeric columns' CDF tables (``numeric_output="binned"``).
    value_counts_ : ndarray of shape (n_classes, n_numeric, K) or None
        Rows of each class holding each value of ``cdf_`` (``within_bin="class"``).
    donors_ : DonorTable or None
        The donor rows of every class (``within_bin="donor"`` or ``manifold_k``).
    prior_weights_, prior_means_, prior_chol_ : ndarray or None
        The per-class latent mixtures (``latent_prior="class-gmm"``): weights
        (C, K), means (C, K, L) and Cholesky factors (C, K, L, L).
    skipped_classes_ : list
        Classes of a single row, left out of oversampling.
    n_features_in_ : int
        Number of input columns.
    feature_names_in_ : ndarray of str
        Column names, when fitted on a DataFrame with string column names.

    Notes
    -----
    A class to be oversampled needs at least two rows: Eq. 8 takes the maximum
    loss over a class's real rows, and a single row gives a threshold that only
    its own reconstruction can meet. Such a class is left out of oversampling
    (kept as it is, listed in ``skipped_classes_``) with a
    :class:`SmallClassWarning`.

    Examples
    --------
    >>> import numpy as np
    >>> from gavae_ids.sampling import GAVAESampler
    >>> rng = np.random.RandomState(0)
    >>> X = rng.rand(120, 4)
    >>> y = np.array([0] * 100 + [1] * 20)
    >>> sampler = GAVAESampler(n_iter=20, random_state=0)
    >>> X_res, y_res = sampler.fit_resample(X, y)
    >>> np.bincount(y_res).tolist()
    [100, 100]
    >>> sampler.sample(5, label=1).shape
    (5, 4)
    """

    _parameter_constraints: dict = {
        **BaseOverSampler._parameter_constraints,
        "layout": [FeatureLayout, None],
        "hidden": ["array-like"],
        "latent_dim": [Interval(numbers.Integral, 1, None, closed="left")],
        "activation": [StrOptions({"relu", "leaky_relu", "tanh", "elu"})],
        "critic_hidden": ["array-like"],
        "decoder": [StrOptions({"mlp", "autoregressive"})],
        "decoder_hidden": ["array-like", None],
        "n_iter": [Interval(numbers.Integral, 1, None, closed="left")],
        "batch_size": [Interval(numbers.Integral, 1, None, closed="left")],
        "lr": [Interval(numbers.Real, 0, None, closed="neither")],
        "critic_lr": [Interval(numbers.Real, 0, None, closed="neither")],
        "critic_steps": [Interval(numbers.Integral, 1, None, closed="left")],
        "gp_lambda": [Interval(numbers.Real, 0, None, closed="left")],
        "beta": [Interval(numbers.Real, 0, None, closed="left")],
        "adv_weight": [Interval(numbers.Real, 0, None, closed="left")],
        "class_balance": [Interval(numbers.Real, 0, 1, closed="both")],
        "k": [Interval(numbers.Real, 0, None, closed="neither")],
        "threshold_quantile": [Interval(numbers.Real, 0, 1, closed="right")],
        "max_attempts": [Interval(numbers.Real, 1, None, closed="left")],
        "disc_eval_size": [Interval(numbers.Integral, 1, None, closed="left")],
        "numeric_output": [StrOptions({"bernoulli", "binned"})],
        "n_bins": [Interval(numbers.Integral, 2, None, closed="left")],
        "decode": [StrOptions({"mean", "sample"})],
        "temperature": [Interval(numbers.Real, 0, None, closed="neither")],
        "within_bin": [StrOptions({"donor", "class", "global"})],
        "within_bin_smoothing": [Interval(numbers.Real, 0, None, closed="left")],
        "latent_prior": [StrOptions({"standard", "class-gmm"})],
        "prior_components": [Interval(numbers.Integral, 1, None, closed="left")],
        "manifold_k": [
            Interval(numbers.Integral, 1, None, closed="left"),
            StrOptions({"auto"}),
            None,
        ],  # fmt: skip
        "device": [str, torch.device],
        "verbose": ["verbose"],
    }

    def __init__(
        self,
        *,
        sampling_strategy="auto",
        random_state=None,
        layout=None,
        hidden=_D.hidden,
        latent_dim=_D.latent_dim,
        activation=_D.activation,
        critic_hidden=_D.critic_hidden,
        decoder=_D.decoder,
        decoder_hidden=_D.decoder_hidden,
        n_iter=_D.n_iter,
        batch_size=_D.batch_size,
        lr=_D.lr,
        critic_lr=_D.critic_lr,
        critic_steps=_D.critic_steps,
        gp_lambda=_D.gp_lambda,
        beta=_D.beta,
        adv_weight=_D.adv_weight,
        class_balance=_D.class_balance,
        k=_D.k,
        threshold_quantile=_D.threshold_quantile,
        max_attempts=_D.max_attempts,
        disc_eval_size=_D.disc_eval_size,
        numeric_output="binned",
        n_bins=128,
        decode="sample",
        temperature=0.7,
        within_bin="donor",
        within_bin_smoothing=100.0,
        latent_prior="class-gmm",
        prior_components=8,
        manifold_k="auto",
        device="auto",
        verbose=False,
    ):
        super().__init__(sampling_strategy=sampling_strategy)
        self.random_state = random_state
        self.layout = layout
        self.hidden = hidden
        self.latent_dim = latent_dim
        self.activation = activation
        self.critic_hidden = critic_hidden
        self.decoder = decoder
        self.decoder_hidden = decoder_hidden
        self.n_iter = n_iter
        self.batch_size = batch_size
        self.lr = lr
        self.critic_lr = critic_lr
        self.critic_steps = critic_steps
        self.gp_lambda = gp_lambda
        self.beta = beta
        self.adv_weight = adv_weight
        self.class_balance = class_balance
        self.k = k
        self.threshold_quantile = threshold_quantile
        self.max_attempts = max_attempts
        self.disc_eval_size = disc_eval_size
        self.numeric_output = numeric_output
        self.n_bins = n_bins
        self.decode = decode
        self.temperature = temperature
        self.within_bin = within_bin
        self.within_bin_smoothing = within_bin_smoothing
        self.latent_prior = latent_prior
        self.prior_components = prior_components
        self.manifold_k = manifold_k
        self.device = device
        self.verbose = verbose

    # ------------------------------------------------------------------ config

    def config(self) -> GAVAEConfig:
        """The :class:`~gavae_ids.training.GAVAEConfig` these parameters describe."""
        kw = {f.name: getattr(self, f.name) for f in fields(GAVAEConfig)}
        kw["hidden"] = tuple(int(h) for h in kw["hidden"])
        kw["critic_hidden"] = tuple(int(h) for h in kw["critic_hidden"])
        if kw["decoder_hidden"] is not None:
            kw["decoder_hidden"] = tuple(int(h) for h in kw["decoder_hidden"])
        return GAVAEConfig(**kw)

    # -------------------------------------------------------------- validation

    def _check_X_y(self, X, y, accept_sparse=None):
        # imblearn/sklearn raise plain ValueErrors; ours carry the project's type
        # (still a ValueError) and only the first line of the message.
        try:
            X, y, binarize_y = super()._check_X_y(X, y, accept_sparse)
        except DataError:
            raise
        except ValueError as e:
            raise DataError(str(e).strip().splitlines()[0]) from None
        labels = np.unique(y)
        if labels.size < 2:
            raise DataError(
                f"y holds 1 class ({_py(labels[0])!r}); GAVAESampler needs at least 2 classes "
                "to balance"
                if labels.size
                else "y is empty; GAVAESampler needs at least 2 classes to balance"
            )
        return X, y, binarize_y

    def _resolve_layout(self, n_features: int) -> FeatureLayout:
        if self.layout is None:
            names = getattr(self, "feature_names_in_", None)
            return FeatureLayout.all_numeric(n_features, names)
        if self.layout.n_features != n_features:
            raise DataError(
                f"layout describes {self.layout.n_features} columns but X has {n_features}"
            )
        return self.layout

    @staticmethod
    def _check_onehot_columns(X: np.ndarray, layout: FeatureLayout) -> None:
        for b in layout.onehot_blocks:
            block = X[:, b.start : b.stop]
            bad = (block < 0) | (block > 1)
            if bad.any():
                row, col = np.argwhere(bad)[0]
                raise DataError(
                    f"one-hot block {b.name!r} holds {block[row, col]!r}, outside [0, 1]; "
                    "pass the encoded matrix the layout describes",
                    row=int(row) + 1,
                    column=layout.feature_names[b.start + col],
                )

    # ---------------------------------------------------------------- training

    def _fit_resample(self, X, y):
        self.manifold_k_ = self._resolve_manifold_k()
        X_dense = X.toarray() if sparse.issparse(X) else np.asarray(X)
        self._fit_dtype = np.dtype(X_dense.dtype)
        self.layout_ = self._resolve_layout(X_dense.shape[1])
        self._check_onehot_columns(X_dense, self.layout_)
        self.classes_, y_index = np.unique(y, return_inverse=True)
        counts = np.bincount(y_index, minlength=len(self.classes_))
        self._check_class_sizes(counts)

        self._fit_scaler(X_dense, self.layout_)
        self._fit_value_counts(X_dense, y_index)
        Xs = self._scale(X_dense)
        rs = check_random_state(self.random_state)
        self._train(Xs, y_index, torch_seed_from(rs), torch_seed_from(rs))
        self._generation_seed = torch_seed_from(rs)
        self._set_thresholds(Xs, y_index)
        self._fit_latent_prior(Xs, y_index, rs)
        self._fit_donors(Xs, y_index, rs)
        X_new, y_new = self._augment(counts, y.dtype)

        if sparse.issparse(X):
            X_res = sparse.vstack([X, sparse.csr_matrix(X_new)], format=X.format)
        else:
            X_res = np.concatenate([X, X_new])
        return X_res, np.concatenate([y, y_new])

    def _resolve_manifold_k(self) -> int | None:
        """``manifold_k`` with "auto" resolved; an integer needs binned numbers."""
        if self.manifold_k == "auto":
            return 5 if self.numeric_output == "binned" else None
        if self.manifold_k is not None and self.numeric_output != "binned":
            raise ValueError(
                "manifold_k needs numeric_output='binned' (it measures candidates against the "
                "donor rows, which are kept on the CDF's values); pass manifold_k=None or "
                f"'auto' with numeric_output={self.numeric_output!r}"
            )
        return None if self.manifold_k is None else int(self.manifold_k)

    def _check_class_sizes(self, counts: np.ndarray) -> None:
        """Leave classes of a single row out of oversampling, with a warning."""
        self.skipped_classes_ = []
        for label, n_new in list(self.sampling_strategy_.items()):
            n_real = int(counts[self._class_index(label)])
            if n_new > 0 and n_real < 2:
                warnings.warn(
                    f"GAVAESampler: class {_py(label)!r} has {n_real} row; it is left out of "
                    "oversampling (its Eq. 8 threshold is the largest loss of its rows, which "
                    "one row cannot set) and kept as it is. Add rows of it to have it generated",
                    SmallClassWarning,
                    # _check_class_sizes ← _fit_resample ← imblearn ← sklearn ← imblearn ← caller
                    stacklevel=6,
                )
                self.sampling_strategy_[label] = 0
                self.skipped_classes_.append(label)

    def _train(self, Xs: np.ndarray, y_index: np.ndarray, init_seed: int, train_seed: int):
        """Build and train the GAVAE (paper §4): sets model_, history_, encoder_config_."""
        config = self.config()
        device = resolve_device(self.device)
        model = GAVAE(
            self.layout_, len(self.classes_), bins=self._numeric_bins(), **config.network()
        )
        init_module_(model, make_generator(init_seed))
        model.to(device)
        X_t = torch.as_tensor(Xs, device=device)
        y_t = torch.as_tensor(y_index, dtype=torch.long, device=device)
        generator = make_generator(train_seed, device=device)

        records = []
        every = max(1, config.n_iter // 100)
        with progress_bar("GAVAE training", config.n_iter, bool(self.verbose)) as task:
            for rec in train_gavae(model, X_t, y_t, config, generator):
                records.append(rec)
                if rec.iteration % every == 0 or rec.iteration == config.n_iter:
                    task.update(
                        status=f"recon {rec.recon_loss:.3f}  disc acc {rec.disc_accuracy:.2f}"
                    )
                task.advance(1)
        # Thresholds and generation run on the CPU, so samples never depend on
        # the device once the weights exist.
        self.model_ = model.cpu().eval()
        self.history_ = history_frame(records, self.classes_)
        self.encoder_config_ = {
            "in_features": int(Xs.shape[1]),
            "hidden": [int(h) for h in config.hidden],
            "latent_dim": int(config.latent_dim),
            "activation": str(config.activation),
        }

    def _set_thresholds(self, Xs: np.ndarray, y_index: np.ndarray) -> None:
        """Eq. 8: max L_j = k · the largest (or ``threshold_quantile``) Eq. 7 loss of class j."""
        losses = self._scores_scaled(Xs, y_index)
        k, q = np.float32(self.k), float(self.threshold_quantile)
        self.thresholds_ = {}
        for i, label in enumerate(self.classes_):
            own = losses[y_index == i]
            self.thresholds_[label] = float(k * (own.max() if q >= 1.0 else np.quantile(own, q)))

    def _fit_latent_prior(self, Xs: np.ndarray, y_index: np.ndarray, rs) -> None:
        """With ``latent_prior="class-gmm"``: a Gaussian mixture per class on its latent codes.

        Sets ``prior_weights_`` (C, K), ``prior_means_`` (C, K, L) and
        ``prior_chol_`` (C, K, L, L), the Cholesky factors of the covariances;
        unused components have weight 0 (:func:`.latent_prior.fit_class_mixtures`).
        """
        self.prior_weights_ = self.prior_means_ = self.prior_chol_ = None
        if self.latent_prior != "class-gmm":
            return
        self.prior_weights_, self.prior_means_, self.prior_chol_ = fit_class_mixtures(
            self.model_,
            Xs,
            y_index,
            n_classes=len(self.classes_),
            latent_dim=int(self.latent_dim),
            n_components=int(self.prior_components),
            rs=rs,
        )

    # -------------------------------------------------------------- public API

    def sample(self, n: int, label, *, random_state=None) -> np.ndarray:
        """Generate up to ``n`` filtered synthetic rows of class ``label``.

        Parameters
        ----------
        n : int
            Rows wanted.
        label
            A class label seen in fit.
        random_state : int, RandomState instance or None, default=None
            Seed of the latent draws; None uses the sampler's ``random_state``,
            so a sampler with an integer seed returns the same rows every call.

        Returns
        -------
        ndarray of shape (n_accepted, n_features)
            Rows in the units of the fit input; fewer than ``n`` (with an
            :class:`AcceptanceWarning`) if the attempt cap was reached.
        """
        self._check_fitted()
        if not isinstance(n, numbers.Integral) or n < 0:
            raise ValueError(f"n must be a non-negative integer, got {n!r}")
        index = self._class_index(label)
        if n == 0:
            return np.empty((0, self.n_features_in_), dtype=self._fit_dtype)
        rs = check_random_state(self.random_state if random_state is None else random_state)
        rows, _ = self._generate(index, int(n), make_generator(torch_seed_from(rs)))
        return self._to_output(rows)

    def reconstruction_error(self, X, y) -> np.ndarray:
        """Per-row Eq. 7 loss of ``X`` (fit units) with labels ``y``, as the filter scores it.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : array-like of shape (n_samples,)
            Labels seen in fit.

        Returns
        -------
        ndarray of shape (n_samples,)
        """
        self._check_fitted()
        X = np.asarray(X.toarray() if sparse.issparse(X) else X, dtype=np.float64)
        if X.ndim != 2 or X.shape[1] != self.n_features_in_:
            raise DataError(f"X must have {self.n_features_in_} columns, got shape {X.shape}")
        y = np.asarray(y).ravel()
        if len(y) != len(X):
            raise DataError(f"X has {len(X)} rows but y has {len(y)}")
        # classes_ is sorted (np.unique), so labels map to indices by binary search.
        y_index = np.clip(np.searchsorted(self.classes_, y), 0, len(self.classes_) - 1)
        unknown = self.classes_[y_index] != y
        if unknown.any():
            self._class_index(y[np.flatnonzero(unknown)[0]])  # raises, naming the label
        return self._scores_scaled(self._scale(X), y_index)

    def encoder_state_dict(self) -> dict[str, torch.Tensor]:
        """The trained encoder's ``state_dict`` on the CPU (``backbone.*``, ``mu.*``, ``logvar.*``).

        A GAVAE-DNN copies the ``backbone.*`` tensors into its own
        :class:`~gavae_ids.nn.common.MLPBackbone` (paper §4.2); the shapes are
        given by :attr:`encoder_config_`.
        """
        self._check_fitted()
        return {k: v.detach().cpu().clone() for k, v in self.model_.encoder.state_dict().items()}

    def discriminator_history(self) -> pd.DataFrame:
        """Per-class discriminator accuracy: columns iteration, class, accuracy (Fig. 7).

        One row per (iteration, class); the overall accuracy per iteration is
        ``history_["disc_accuracy"]``.
        """
        self._check_fitted()
        return discriminator_accuracy_frame(self.history_, self.classes_)

    def _check_fitted(self) -> None:
        try:
            check_is_fitted(self, ["model_", "thresholds_"])
        except Exception:
            raise NotFittedError(
                "this GAVAESampler is not fitted yet; call fit_resample first"
            ) from None

    # ------------------------------------------------------------- persistence

    def save(self, path) -> Path:
        """Save the fitted sampler to the folder ``path`` (safetensors + JSON, no pickle).

        Holds the weights, constructor parameters, layout, scaling, thresholds,
        class labels, training history and augmentation report, plus the
        library versions (checked on :meth:`load`).
        """
        self._check_fitted()
        return save_sampler(self, path)

    @classmethod
    def load(cls, path) -> GAVAESampler:
        """Load a sampler written by :meth:`save`; it samples exactly as the saved one did.

        Raises
        ------
        ModelFileError
            The folder is missing, damaged, altered or holds another kind of model.
        """
        return load_sampler(cls, path, REPORT_COLUMNS)

    def _label(self, value):
        """Map a JSON label back onto the matching entry of ``classes_``."""
        return self.classes_[self._class_index(np.asarray([value], dtype=self.classes_.dtype)[0])]
