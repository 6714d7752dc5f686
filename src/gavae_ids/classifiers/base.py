"""The scikit-learn face of every torch classifier: validation split, resampling, save/load.

A subclass says which network to build (:meth:`TorchClassifier._net_config`,
:meth:`TorchClassifier._make_net`) and, if it trains in more than one phase,
how (:meth:`TorchClassifier._train`). Everything else — input validation,
label encoding, the stratified validation split carved *before* any
resampling, local randomness, ``predict_proba`` under ``eval()``/``no_grad``,
and safetensors + JSON persistence — lives here once.
"""

from __future__ import annotations

import logging

import numpy as np
import torch
from sklearn.base import BaseEstimator, ClassifierMixin, clone
from sklearn.utils import check_random_state
from sklearn.utils.class_weight import compute_class_weight
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import validate_data

from gavae_ids._util.persistence import load_model, save_model
from gavae_ids._util.split import validation_split  # noqa: F401 (re-exported)
from gavae_ids._util.torch_helpers import (
    init_module_,
    make_generator,
    resolve_device,
    torch_seed_from,
)
from gavae_ids.classifiers._mixins import ArgmaxPredictMixin
from gavae_ids.classifiers._params import from_json, to_json
from gavae_ids.exceptions import DataError, ModelFileError, NotFittedError
from gavae_ids.training.engine import as_tensors, fit_supervised, predict_logits

logger = logging.getLogger(__name__)


class TorchClassifier(ArgmaxPredictMixin, ClassifierMixin, BaseEstimator):
    """Base class of the torch classifiers; not used directly.

    Subclasses define ``__init__`` with their parameters (stored unchanged),
    among them ``sampler``, ``validation_fraction``, ``class_weight``,
    ``device`` and ``random_state``; the default :meth:`_train` also reads
    ``epochs``, ``batch_size``, ``lr``, ``patience`` and ``verbose``.

    Attributes
    ----------
    classes_ : ndarray
        Class labels, sorted.
    n_features_in_ : int
        Width of ``X``.
    net_ : torch.nn.Module
        The trained network (in eval mode).
    net_config_ : dict
        What :meth:`_make_net` needs to rebuild ``net_`` (saved with the model).
    sampler_ : imblearn sampler or None
        The fitted sampler that resampled the training part.
    history_ : list of dict
        One record per epoch (``phase``, ``epoch``, ``train_loss``, ``val_loss``,
        ``val_accuracy``, ``seconds``, ``best``).
    n_train_, n_val_ : int
        Rows trained on (after resampling) and held out for early stopping.
    """

    # -- what subclasses provide -------------------------------------------------------
    def _net_config(self, n_features: int) -> dict:
        raise NotImplementedError

    def _make_net(self, n_features: int, n_classes: int, config: dict) -> torch.nn.Module:
        raise NotImplementedError

    def _prepare_net(self, net, generator) -> None:
        """Hook run after random initialisation (GAVAE-DNN copies the encoder here)."""

    def _train(self, net, X, y, validation, generator, class_weight) -> list[dict]:
        return fit_supervised(
            net, X, y, generator=generator, n_epochs=self.epochs, batch_size=self.batch_size,
            lr=self.lr, class_weight=class_weight, validation=validation,
            patience=self.patience, phase="train", verbose=self.verbose,
        )  # fmt: skip

    def _make_sampler(self):
        return None if self.sampler is None else clone(self.sampler)

    # -- fit -----------------------------------------------------------------------------
    def fit(self, X, y):
        """Split off validation rows, resample the rest with ``sampler``, train the network.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Encoded features (e.g. the output of ``TabularPreprocessor``).
        y : array-like of shape (n_samples,)
            Class labels (strings or integers).

        Returns
        -------
        self
        """
        X, y = validate_data(self, X, y, dtype=np.float32)
        check_classification_targets(y)
        self.classes_, y_idx = np.unique(y, return_inverse=True)
        if len(self.classes_) < 2:
            raise DataError(
                f"y holds one class ({self.classes_[0]!r}); a classifier needs two or more"
            )
        rng = check_random_state(self.random_state)
        device = resolve_device(self.device)
        train_idx, val_idx = validation_split(y_idx, self.validation_fraction, rng)
        X_tr, y_tr = X[train_idx], self.classes_[y_idx[train_idx]]
        self.sampler_ = self._make_sampler()
        if self.sampler_ is not None:
            self._seed_sampler(self.sampler_, rng)
            X_tr, y_tr = self.sampler_.fit_resample(X_tr, y_tr)
            X_tr = np.asarray(X_tr, dtype=np.float32)
        y_tr = np.searchsorted(self.classes_, np.asarray(y_tr))
        self.n_train_, self.n_val_ = len(X_tr), len(val_idx)

        generator = make_generator(torch_seed_from(rng))
        self.net_config_ = self._net_config(X.shape[1])
        net = self._make_net(X.shape[1], len(self.classes_), self.net_config_)
        init_module_(net, generator)
        self._prepare_net(net, generator)
        net.to(device)
        validation = None
        if len(val_idx):
            validation = as_tensors(X[val_idx], y_idx[val_idx], device)
        self.history_ = self._train(
            net, *as_tensors(X_tr, y_tr, device), validation, generator,
            self._class_weight_tensor(y_tr, device),
        )  # fmt: skip
        self.net_ = net.eval()
        self.device_ = device
        return self

    def _seed_sampler(self, sampler, rng) -> None:
        # One seed fixes the whole run: a sampler left unseeded takes its seed from ours.
        params = sampler.get_params(deep=False)
        if "random_state" in params and params["random_state"] is None:
            sampler.set_params(random_state=int(rng.randint(0, 2**31 - 1)))

    def _class_weight_tensor(self, y_idx: np.ndarray, device) -> torch.Tensor | None:
        if self.class_weight is None:
            return None
        present = np.unique(y_idx)
        if isinstance(self.class_weight, dict):
            cw = {int(np.searchsorted(self.classes_, k)): v for k, v in self.class_weight.items()}
        else:
            cw = self.class_weight
        w = np.ones(len(self.classes_))
        w[present] = compute_class_weight(cw, classes=present, y=y_idx)
        return torch.as_tensor(w, dtype=torch.float32, device=device)

    # -- predict -------------------------------------------------------------------------
    def _check_fitted(self) -> None:
        if not hasattr(self, "net_"):
            raise NotFittedError(
                f"this {type(self).__name__} is not fitted yet; call fit(X, y) or load() first"
            )

    def predict_proba(self, X) -> np.ndarray:
        """Class probabilities (softmax of the output layer), columns in ``classes_`` order."""
        self._check_fitted()
        X = validate_data(self, X, dtype=np.float32, reset=False)
        logits = predict_logits(self.net_, as_tensors(X, device=self.device_))
        return torch.softmax(logits, dim=1).cpu().numpy().astype(np.float64)

    # -- persistence ---------------------------------------------------------------------

    def save(self, path):
        """Write weights (safetensors) and parameters/classes (JSON) to the folder ``path``.

        The fitted sampler is not saved (save it on its own); the parameters
        that built it are, so ``load`` gives an estimator that refits alike.
        """
        self._check_fitted()
        config = {
            "params": {k: to_json(v) for k, v in self.get_params(deep=False).items()},
            "classes": self.classes_.tolist(),
            "classes_dtype": self.classes_.dtype.str if self.classes_.dtype != object else "O",
            "n_features_in": int(self.n_features_in_),
            "feature_names_in": (
                self.feature_names_in_.tolist() if hasattr(self, "feature_names_in_") else None
            ),
            "net_config": self.net_config_,
            "history": self.history_,
        }
        return save_model(path, self.net_.state_dict(), config, kind=self._kind())

    @classmethod
    def load(cls, path, *, device: str | None = None):
        """Rebuild a classifier written by :meth:`save`; ``device`` overrides the saved one.

        Raises
        ------
        ModelFileError
            The folder is missing, damaged, or holds another kind of model.
        """
        tensors, config = load_model(path, kind=cls._kind())
        try:
            params = {k: from_json(v) for k, v in config["params"].items()}
            if device is not None:
                params["device"] = device
            est = cls(**params)
            est.classes_ = np.asarray(config["classes"], dtype=config["classes_dtype"])
            est.n_features_in_ = int(config["n_features_in"])
            if config.get("feature_names_in") is not None:
                est.feature_names_in_ = np.asarray(config["feature_names_in"], dtype=object)
            est.net_config_ = config["net_config"]
            est.history_ = config.get("history", [])
            net = est._make_net(est.n_features_in_, len(est.classes_), est.net_config_)
            net.load_state_dict(tensors)
        except (KeyError, TypeError, ValueError, RuntimeError) as e:
            raise ModelFileError(f"{path}: saved {cls.__name__} cannot be rebuilt ({e})") from None
        est.device_ = resolve_device(est.device)
        est.net_ = net.to(est.device_).eval()
        est.sampler_ = None
        return est
