"""GAVAE oversampling as an imbalanced-learn sampler (paper §4 and §4.1, Eq. 7–9).

:class:`GAVAESampler` trains a label-conditioned GAVAE on the whole training
set, sets a reconstruction threshold per class (Eq. 8), then fills each class
up to its target with decoder samples that pass the threshold (Eq. 9).

The Eq. 7 loss is :func:`gavae_ids.nn.gavae.reconstruction_loss`: per-block
categorical cross-entropy on one-hot blocks, and on numeric columns either
cross-entropy over bins of their observed values (the autoregressive decoder, the
default) or binary cross-entropy on min-max scaled values (the paper's plain decoder).
The same loss, computed the same way, scores the real rows (thresholds) and the
candidates (filter): a row ``x`` of class ``y`` is encoded to its mean μ(x)
(deterministic, no sampling noise), decoded with its label, and scored against
itself.

The sampler owns its helpers: ``value_space_`` (:mod:`._value_space`: scaling, bins,
donor rows), ``generator_`` (:mod:`._generation`: Eq. 9 and the manifold check) and,
for a table with categories, ``table_`` (:mod:`._raw_table`); :mod:`._gavae_files` is
the file format.
"""

from __future__ import annotations

import math
import numbers
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import torch
from imblearn.over_sampling.base import BaseOverSampler
from imblearn.utils import check_target_type
from scipy import sparse
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_is_fitted, validate_data

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
from gavae_ids.sampling._gavae_files import load_sampler, params_of_format1, save_sampler
from gavae_ids.sampling._generation import AcceptanceWarning as AcceptanceWarning  # re-exported
from gavae_ids.sampling._generation import (
    CandidateGenerator,
    py_value,
    reconstruction_scores,
    territory_of,
)
from gavae_ids.sampling._raw_table import RawTable, categorical_columns
from gavae_ids.sampling._value_space import ValueSpace
from gavae_ids.sampling.latent_prior import class_mixtures
from gavae_ids.training.gavae_config import GAVAEConfig
from gavae_ids.training.gavae_loop import (
    discriminator_accuracy_frame,
    history_frame,
    train_gavae,
)

__all__ = ["AcceptanceWarning", "GAVAESampler", "SmallClassWarning"]

_D = GAVAEConfig()
_COUNT_OR_AUTO = [Interval(numbers.Integral, 1, None, closed="left"), StrOptions({"auto"})]


class SmallClassWarning(UserWarning):
    """A class has a single row and is left out of oversampling."""


class GAVAESampler(BaseOverSampler):
    """Oversample with a GAVAE and the reconstruction-error filter of Eq. 7–9.

    ``fit_resample`` trains a label-conditioned VAE whose latent codes are
    matched to the N(0, I) prior by a WGAN-GP latent critic (paper §4), sets
    each class's threshold, the largest reconstruction loss of its real rows
    (Eq. 8), and generates candidates z → decoder(z, y). A candidate is kept only
    if its own reconstruction loss through the trained GAVAE is at most its class
    threshold (Eq. 9). Candidates are drawn in batches until the class reaches its
    target or 10 × (rows wanted) candidates have been tried; then an
    :class:`AcceptanceWarning` says so and the accepted rows are returned.

    Two configurations exist (docs/results/sampler-default):

    * ``decoder="autoregressive"`` (the default): each column is drawn given (z, y) and
      the columns drawn before it; numbers are modelled as bins of their training
      values and placed inside the drawn bin from the nearest real row of the class;
      z comes from a Gaussian mixture fitted to each class's latent codes; after Eq. 9
      a candidate must also lie within the 5-NN radius of a real row of its class.
    * ``decoder="mlp"`` with :data:`gavae_ids.detection.methods.PAPER_GAVAE`
      (``--hyperparameters paper``): the paper as written — columns independent given
      (z, y), min-max scaled numbers scored by binary cross-entropy (Eq. 7), the
      decoder's most likely row, z ~ N(0, I), Eq. 9 alone.

    Input: an encoded matrix (numbers; ``layout`` names its one-hot blocks, which must
    hold 0/1 values), or a raw table with categorical columns (``categorical_features``,
    or a DataFrame's object/category/string columns), encoded internally by the
    project's :class:`~gavae_ids.preprocessing.TabularPreprocessor` and decoded back:
    ``fit_resample`` then returns the same columns and dtypes, and generated categories
    come only from the training vocabulary. Generated numbers are values the column
    holds in the training data (autoregressive) or lie within its range (plain);
    integer columns are rounded.

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
        Which columns of an encoded matrix form one-hot blocks. None: every column is a
        number (or the table is raw; see ``categorical_features``).
    categorical_features : list of str or int, array of bool, or None, default=None
        The categorical columns of a raw table (names, positions or a mask), as in
        imbalanced-learn's SMOTENC. None: a DataFrame's object, category and string
        columns when ``layout`` is None. Not with ``layout``.
    decoder : {"autoregressive", "mlp"}, default="autoregressive"
        The generator (see above): ``"autoregressive"`` (the library's) or ``"mlp"``
        (the paper's plain decoder and outputs).
    hidden : tuple of int, default=(128, 64)
        Encoder hidden layers (the plain decoder mirrors them; the autoregressive one
        has 256-256).
    latent_dim : int, default=10
        Size of z.
    n_iter : int or "auto", default="auto"
        Minibatch iterations of training; each does a VAE step, ``critic_steps``
        critic steps and one encoder adversarial step (paper §4). ``"auto"``: 32 passes
        over the rows, between 200 and 1,000 iterations (1,000 from 15,985 rows at
        batch 512; :meth:`GAVAEConfig.iterations <gavae_ids.training.GAVAEConfig.iterations>`).
    batch_size : int or "auto", default="auto"
        Rows per minibatch (at most the table's rows). ``"auto"``: 512, or a quarter of
        the rows of a table under 2,048 rows (at least 32).
    lr : float, default=4e-3
        Adam learning rate of encoder and decoder.
    beta : float, default=0.1
        KL weight.
    adv_weight : float, default=0.1
        Weight of the encoder's adversarial loss.
    critic_steps : int, default=2
        Latent-critic updates per minibatch.
    device : str or torch.device, default="auto"
        Training device; ``"auto"`` uses CUDA when present. Thresholds and
        generation always run on the CPU, so samples do not depend on it once
        the model is trained.
    territory_k : int, "auto" or None, default=None
        k of the territory check (:mod:`._generation`); None: off; "auto": 5, off for "mlp".
    verbose : bool, default=False
        Show a progress bar over the training iterations. The method's constants
        (critic sizes, gradient penalty, minibatch balancing, bins, temperature, …)
        are fields of :class:`gavae_ids.training.GAVAEConfig`; :meth:`config` gives
        them with these parameters.

    Attributes
    ----------
    sampling_strategy_ : dict
        Class label → number of synthetic rows wanted.
    classes_ : ndarray
        Class labels, sorted; the decoder's one-hot label follows this order.
    layout_ : FeatureLayout
        The layout of the matrix the GAVAE sees (``layout``, the preprocessing's, or
        all numeric).
    table_ : RawTable or None
        The raw table's columns, dtypes and fitted preprocessing; None for a matrix.
    value_space_ : ValueSpace
        Scaling, the numeric columns' bins and the donor rows.
    generator_ : CandidateGenerator
        Latent draws, the Eq. 9 filter and the manifold check.
    model_ : GAVAE
        The trained networks, on the CPU, in eval mode.
    history_ : pandas.DataFrame
        One row per iteration: ``recon_loss``, ``kl``, ``critic_loss``,
        ``gradient_penalty``, ``adversarial_loss``, ``disc_accuracy`` and
        ``disc_accuracy[<class>]``; see :mod:`gavae_ids.training.gavae_loop`.
    thresholds_ : dict
        Class label → reconstruction threshold max L_j (Eq. 8).
    manifold_k_ : int or None
        The k of the manifold check; None when candidates are not checked.
    augmentation_report_ : pandas.DataFrame
        One row per class: ``class``, ``real`` (rows in the input),
        ``generated`` (synthetic rows added), ``attempts`` (candidates decoded),
        ``passed_eq9`` (those that passed Eq. 9), ``passed_manifold`` (and the manifold
        check), ``accepted`` (and the territory check) and ``acceptance_rate``
        (accepted / attempts; NaN when nothing was tried).
    encoder_config_ : dict
        ``in_features``, ``hidden``, ``latent_dim``, ``activation`` of the encoder.
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
        "categorical_features": ["array-like", None],
        "decoder": [StrOptions({"mlp", "autoregressive"})],
        "hidden": ["array-like"],
        "latent_dim": [Interval(numbers.Integral, 1, None, closed="left")],
        "n_iter": _COUNT_OR_AUTO,
        "batch_size": _COUNT_OR_AUTO,
        "lr": [Interval(numbers.Real, 0, None, closed="neither")],
        "beta": [Interval(numbers.Real, 0, None, closed="left")],
        "adv_weight": [Interval(numbers.Real, 0, None, closed="left")],
        "critic_steps": [Interval(numbers.Integral, 1, None, closed="left")],
        "device": [str, torch.device],
        "territory_k": [StrOptions({"auto"}), numbers.Integral, None],
        "verbose": ["verbose"],
    }

    def __init__(
        self,
        *,
        sampling_strategy="auto",
        random_state=None,
        layout=None,
        categorical_features=None,
        decoder=_D.decoder,
        hidden=_D.hidden,
        latent_dim=_D.latent_dim,
        n_iter=_D.n_iter,
        batch_size=_D.batch_size,
        lr=_D.lr,
        beta=_D.beta,
        adv_weight=_D.adv_weight,
        critic_steps=_D.critic_steps,
        device="auto",
        territory_k=None,
        verbose=False,
    ):
        super().__init__(sampling_strategy=sampling_strategy)
        self.random_state = random_state
        self.layout = layout
        self.categorical_features = categorical_features
        self.decoder = decoder
        self.hidden = hidden
        self.latent_dim = latent_dim
        self.n_iter = n_iter
        self.batch_size = batch_size
        self.lr = lr
        self.beta = beta
        self.adv_weight = adv_weight
        self.critic_steps = critic_steps
        self.device = device
        self.territory_k = territory_k
        self.verbose = verbose

    def config(self) -> GAVAEConfig:
        """The :class:`~gavae_ids.training.GAVAEConfig` these parameters describe."""
        return GAVAEConfig(
            decoder=str(self.decoder),
            hidden=tuple(int(h) for h in self.hidden),
            latent_dim=int(self.latent_dim),
            n_iter=self.n_iter if self.n_iter == "auto" else int(self.n_iter),
            batch_size=self.batch_size if self.batch_size == "auto" else int(self.batch_size),
            lr=float(self.lr),
            beta=float(self.beta),
            adv_weight=float(self.adv_weight),
            critic_steps=int(self.critic_steps),
        )

    # -------------------------------------------------------------- validation

    def _check_X_y(self, X, y, accept_sparse=None):
        if self.layout is not None and self.categorical_features is not None:
            raise ValueError("pass layout (an encoded matrix) or categorical_features (a raw "
                             "table), not both")  # fmt: skip
        dtypes = list(X.dtypes) if isinstance(X, pd.DataFrame) else None
        n_features = X.shape[1] if getattr(X, "ndim", 2) == 2 and hasattr(X, "shape") else None
        categorical = None
        if self.layout is None and n_features is not None and not sparse.issparse(X):
            categorical = categorical_columns(X, self.categorical_features, n_features)
        # imblearn/sklearn raise plain ValueErrors; ours carry the project's type
        # (still a ValueError) and only the first line of the message.
        try:
            if categorical is None:
                X, y, binarize_y = super()._check_X_y(X, y, accept_sparse)
            else:  # as imbalanced-learn's SMOTENC: any dtype, categories as they are
                y, binarize_y = check_target_type(y, indicate_one_vs_all=True)
                X, y = validate_data(self, X=X, y=y, reset=True, dtype=None)
        except DataError:
            raise
        except ValueError as e:
            raise DataError(str(e).strip().splitlines()[0]) from None
        self._raw_spec = None
        if categorical is not None:
            names = (list(self.feature_names_in_) if hasattr(self, "feature_names_in_")
                     else [f"x{i}" for i in range(X.shape[1])])  # fmt: skip
            dtypes = dtypes or ["object" if i in categorical else "float64"
                                for i in range(X.shape[1])]  # fmt: skip
            self._raw_spec = (names, categorical, [str(d) for d in dtypes])
        labels = np.unique(y)
        if labels.size < 2:
            raise DataError(
                f"y holds 1 class ({py_value(labels[0])!r}); GAVAESampler needs at least 2 "
                "classes to balance"
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
        config = self.config()
        if self._raw_spec is not None:
            self.table_ = RawTable(*self._raw_spec)
            X_enc = self.table_.fit_encode(X)
            self.layout_ = self.table_.layout
        else:
            self.table_ = None
            X_enc = X.toarray() if sparse.issparse(X) else np.asarray(X)
            self.layout_ = self._resolve_layout(X_enc.shape[1])
            self._check_onehot_columns(X_enc, self.layout_)
        self.classes_, y_index = np.unique(y, return_inverse=True)
        n_classes = len(self.classes_)
        counts = np.bincount(y_index, minlength=n_classes)
        self._check_class_sizes(counts)

        space = ValueSpace(self.layout_, config, X_enc.dtype).fit(X_enc, y_index, n_classes)
        self.value_space_ = space
        Xs = space.scale(X_enc)
        rs = check_random_state(self.random_state)
        self._train(Xs, y_index, space, config, torch_seed_from(rs), torch_seed_from(rs))
        generation_seed = torch_seed_from(rs)
        # Eq. 8: max L_j = k · the largest Eq. 7 loss of class j's real rows.
        losses = reconstruction_scores(self.model_, Xs, y_index, n_classes)
        k = np.float32(config.k)
        thresholds = [float(k * losses[y_index == i].max()) for i in range(n_classes)]
        self.thresholds_ = dict(zip(self.classes_, thresholds, strict=True))
        mixtures = None
        if config.binned:
            mixtures = class_mixtures(
                self.model_, Xs, y_index, n_classes=n_classes, latent_dim=config.latent_dim,
                n_components=config.prior_components, rs=rs,
            )  # fmt: skip
        space.fit_donors(Xs, y_index, n_classes, rs)
        self.manifold_k_ = config.manifold_k if space.donors is not None else None
        self.generator_ = CandidateGenerator(self.model_, space, thresholds, config, mixtures,
                                             seed=generation_seed,
                                             territory=territory_of(self, Xs, y_index))  # fmt: skip
        rows, self.augmentation_report_ = self.generator_.augment(
            self.classes_, counts, self.sampling_strategy_
        )
        X_new = space.to_output(np.concatenate(rows))
        y_new = np.concatenate([np.full(len(r), c, dtype=y.dtype)
                                for r, c in zip(rows, self.classes_, strict=True)])  # fmt: skip
        if self.table_ is not None:
            X_res = np.concatenate([np.asarray(X, dtype=object), self.table_.decode(X_new)])
        elif sparse.issparse(X):
            X_res = sparse.vstack([X, sparse.csr_matrix(X_new)], format=X.format)
        else:
            X_res = np.concatenate([X, X_new])
        return X_res, np.concatenate([y, y_new])

    def _check_class_sizes(self, counts: np.ndarray) -> None:
        """Leave classes of a single row out of oversampling, with a warning."""
        self.skipped_classes_ = []
        for label, n_new in list(self.sampling_strategy_.items()):
            n_real = int(counts[self._class_index(label)])
            if n_new > 0 and n_real < 2:
                warnings.warn(
                    f"GAVAESampler: class {py_value(label)!r} has {n_real} row; it is left out "
                    "of oversampling (its Eq. 8 threshold is the largest loss of its rows, "
                    "which one row cannot set) and kept as it is. Add rows of it to have it "
                    "generated",
                    SmallClassWarning,
                    # _check_class_sizes ← _fit_resample ← imblearn ← sklearn ← imblearn ← caller
                    stacklevel=6,
                )
                self.sampling_strategy_[label] = 0
                self.skipped_classes_.append(label)

    def _train(self, Xs, y_index, space, config, init_seed: int, train_seed: int) -> None:
        """Build and train the GAVAE (paper §4): sets model_, history_, encoder_config_."""
        device = resolve_device(self.device)
        model = GAVAE(self.layout_, len(self.classes_), bins=space.numeric_bins(),
                      **config.network())  # fmt: skip
        init_module_(model, make_generator(init_seed))
        model.to(device)
        X_t = torch.as_tensor(Xs, device=device)
        y_t = torch.as_tensor(y_index, dtype=torch.long, device=device)
        generator = make_generator(train_seed, device=device)

        records = []
        n_iter = config.iterations(len(Xs))
        with progress_bar("GAVAE training", n_iter, bool(self.verbose)) as task:
            for rec in train_gavae(model, X_t, y_t, config, generator):
                records.append(rec)
                if not math.isnan(rec.disc_accuracy):  # the iterations that measure it
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

    # -------------------------------------------------------------- public API

    def sample(self, n: int, label, *, random_state=None):
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
        ndarray of shape (n_accepted, n_features), or DataFrame for a raw table
            Rows in the units of the fit input; fewer than ``n`` (with an
            :class:`AcceptanceWarning`) if the attempt cap was reached.
        """
        self._check_fitted()
        if not isinstance(n, numbers.Integral) or n < 0:
            raise ValueError(f"n must be a non-negative integer, got {n!r}")
        index = self._class_index(label)
        rows = np.empty((0, self.layout_.n_features), dtype=np.float32)
        if n > 0:
            rs = check_random_state(self.random_state if random_state is None else random_state)
            rows, _ = self.generator_.generate(index, int(n), make_generator(torch_seed_from(rs)),
                                               label)  # fmt: skip
        out = self.value_space_.to_output(rows)
        if self.table_ is not None:
            return self.table_.frame(self.table_.decode(out))
        return out

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
        if self.table_ is not None:
            X = self.table_.encode(X)
        X = np.asarray(X.toarray() if sparse.issparse(X) else X, dtype=np.float64)
        if X.ndim != 2 or X.shape[1] != self.layout_.n_features:
            raise DataError(f"X must have {self.n_features_in_} columns, got shape {X.shape}")
        y = np.asarray(y).ravel()
        if len(y) != len(X):
            raise DataError(f"X has {len(X)} rows but y has {len(y)}")
        # classes_ is sorted (np.unique), so labels map to indices by binary search.
        y_index = np.clip(np.searchsorted(self.classes_, y), 0, len(self.classes_) - 1)
        unknown = self.classes_[y_index] != y
        if unknown.any():
            self._class_index(y[np.flatnonzero(unknown)[0]])  # raises, naming the label
        return reconstruction_scores(self.model_, self.value_space_.scale(X), y_index,
                                     len(self.classes_))  # fmt: skip

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

    def _class_index(self, label) -> int:
        idx = np.flatnonzero(self.classes_ == label)
        if idx.size == 0:
            raise ValueError(
                f"unknown class {py_value(label)!r}; the sampler was fitted on "
                f"{[py_value(c) for c in self.classes_]}"
            )
        return int(idx[0])

    def save(self, path) -> Path:
        """Save the fitted sampler to the folder ``path`` (safetensors + JSON, no pickle):
        weights, parameters, layout, scaling, thresholds, class labels, training history,
        augmentation report and the library versions (checked on :meth:`load`)."""
        self._check_fitted()
        return save_sampler(self, path)

    @classmethod
    def load(cls, path) -> GAVAESampler:
        """Load a sampler written by :meth:`save`; it samples exactly as the saved one did.

        A file of format 1 (gavae-ids before the two configurations) loads when its
        parameters are one of them; otherwise it is refused.

        Raises
        ------
        ModelFileError
            The folder is missing, damaged, altered, holds another kind of model, or a
            format-1 sampler this version can no longer express.
        """
        return load_sampler(cls, path)

    @classmethod
    def from_saved_params(cls, params: dict) -> GAVAESampler:
        """An unfitted sampler with saved constructor ``params``, of either format: the
        33 parameters of gavae-ids 0.1 are accepted when they are one of the two
        configurations (as a classifier saved by 0.1 names its sampler), else
        :class:`ModelFileError`."""
        if set(params) - set(cls._get_param_names()):
            params = params_of_format1(params)
        return cls(**{"territory_k": None, **params})  # saved before the check: off

    def label_of(self, value):
        """Map a JSON label back onto the matching entry of ``classes_``."""
        return self.classes_[self._class_index(np.asarray([value], dtype=self.classes_.dtype)[0])]
