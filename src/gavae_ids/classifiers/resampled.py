"""Resample, then fit a classifier: :class:`ResampledClassifier` and the registered
methods built on it (``GAVAE+RF``, ``SMOTE+LightGBM``, …)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from imblearn.over_sampling import SMOTE
from sklearn.base import BaseEstimator, ClassifierMixin, clone
from sklearn.utils import check_random_state
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted, validate_data

from gavae_ids._util.persistence import read_config, save_config
from gavae_ids.classifiers._mixins import ArgmaxPredictMixin
from gavae_ids.classifiers._params import from_json, to_json
from gavae_ids.classifiers.baselines import make_random_forest
from gavae_ids.classifiers.registry import loadable_class
from gavae_ids.classifiers.trees import LightGBMClassifier
from gavae_ids.exceptions import DataError, ModelFileError
from gavae_ids.sampling.gavae_sampler import GAVAESampler

INNER_DIR = "classifier"


def _seed_params(est, seed: int) -> None:
    """Give ``est`` the seed ``seed`` when its ``random_state`` is left unset."""
    params = est.get_params(deep=False)
    if "random_state" in params and params["random_state"] is None:
        est.set_params(random_state=seed)


def _fit_neighbours(sampler, y) -> None:
    """Shrink an integer ``k_neighbors`` to what the smallest class can give (warned)."""
    from numbers import Integral

    k = sampler.get_params(deep=False).get("k_neighbors")
    if not isinstance(k, Integral) or isinstance(k, bool):
        return
    labels, counts = np.unique(y, return_counts=True)
    grown = counts < counts.max()  # "auto"/"not majority": the classes SMOTE interpolates
    smallest = int(counts[grown].min()) if grown.any() else int(counts.min())
    if 2 <= smallest <= k:
        import warnings

        label = str(labels[grown][counts[grown].argmin()]) if grown.any() else "?"
        warnings.warn(
            f"{type(sampler).__name__}: class {label!r} has {smallest} rows, not more than "
            f"k_neighbors={k}; using k_neighbors={smallest - 1}",
            UserWarning,
            stacklevel=3,
        )
        sampler.set_params(k_neighbors=smallest - 1)


class ResampledClassifier(ArgmaxPredictMixin, ClassifierMixin, BaseEstimator):
    """Fit ``classifier`` on the training data as resampled by ``sampler``.

    ``fit`` clones both, resamples ``(X, y)`` with the sampler (an
    imbalanced-learn sampler such as ``SMOTE`` or :class:`~gavae_ids.sampling.GAVAESampler`)
    and fits the classifier on the result; prediction is the classifier's. A
    sampler or classifier left with ``random_state=None`` is seeded from this
    estimator's ``random_state``, so one seed fixes the run.

    Parameters
    ----------
    sampler : imblearn sampler or None, default=None
        ``None``: no resampling. A :class:`~gavae_ids.sampling.GAVAESampler`
        without a ``layout`` gets the preprocessing's one-hot layout from
        :func:`gavae_ids.detection.methods.build_method`. A neighbour-based sampler (SMOTE,
        ADASYN: an integer ``k_neighbors``) whose smallest class to grow has no more
        rows than ``k_neighbors`` uses that class's row count − 1 instead, with a
        warning (SMOTE itself would stop with an error); a class of one row still
        cannot be interpolated.
    classifier : classifier or None, default=None
        ``None``: :func:`~gavae_ids.classifiers.make_random_forest`. To be saved in
        a bundle it must be one with ``save``/``load`` (the tree classes of this
        module or the torch classifiers).
    random_state : int, RandomState or None

    Attributes
    ----------
    sampler_ : fitted sampler or None
        E.g. the fitted GAVAE (a bundle keeps it in ``gavae/``).
    classifier_ : fitted classifier
    classes_ : ndarray
    n_features_in_ : int
    n_train_ : int
        Rows the classifier was fitted on (after resampling).

    Examples
    --------
    >>> from imblearn.over_sampling import SMOTE
    >>> from gavae_ids.classifiers import ResampledClassifier, make_random_forest
    >>> clf = ResampledClassifier(sampler=SMOTE(), classifier=make_random_forest())
    """

    def __init__(self, *, sampler=None, classifier=None, random_state=None):
        self.sampler = sampler
        self.classifier = classifier
        self.random_state = random_state

    def _classifier(self):
        if self.classifier is not None:
            return clone(self.classifier)
        return make_random_forest()

    def _bundle_parts(self) -> list:
        """The estimators ``save`` stores (``check_bundleable`` checks each)."""
        return [self._classifier()]

    def fit(self, X, y):
        """Resample ``(X, y)`` with ``sampler``, then fit ``classifier`` on the result."""
        X, y = validate_data(self, X, y, dtype=[np.float32, np.float64])
        check_classification_targets(y)
        if len(np.unique(y)) < 2:
            raise DataError(f"y holds one class ({y[0]!r}); a classifier needs two or more")
        rng = check_random_state(self.random_state)
        sampler_seed, classifier_seed = (int(s) for s in rng.randint(0, 2**31 - 1, size=2))
        self.sampler_ = None if self.sampler is None else clone(self.sampler)
        Xr, yr = X, y
        if self.sampler_ is not None:
            _seed_params(self.sampler_, sampler_seed)
            _fit_neighbours(self.sampler_, y)
            try:
                Xr, yr = self.sampler_.fit_resample(X, y)
            except ValueError as e:  # e.g. SMOTE on a class with fewer rows than neighbours
                if isinstance(e, DataError):
                    raise
                labels, counts = np.unique(y, return_counts=True)
                raise DataError(
                    f"{type(self.sampler_).__name__} could not resample the training data "
                    f"({e}); smallest class: {str(labels[counts.argmin()])!r} with "
                    f"{int(counts.min())} row(s)"
                ) from None
        classifier = self._classifier()
        _seed_params(classifier, classifier_seed)
        self.classifier_ = classifier.fit(Xr, yr)
        self.classes_ = np.asarray(self.classifier_.classes_)
        self.n_train_ = int(len(yr))
        return self

    def predict_proba(self, X) -> np.ndarray:
        """The fitted classifier's class probabilities (columns in ``classes_`` order)."""
        check_is_fitted(self, "classifier_")
        X = validate_data(self, X, reset=False, dtype=None)
        return self.classifier_.predict_proba(X)

    def save(self, path) -> Path:
        """Write the fitted classifier (its own ``save``, in ``classifier/``) and the
        parameters (``config.json``). The fitted sampler is not saved (save it on its
        own, as bundles do for a GAVAE); the parameters that built it are."""

        check_is_fitted(self, "classifier_")
        if not callable(getattr(self.classifier_, "save", None)):
            raise ModelFileError(
                f"{type(self.classifier_).__name__} cannot be saved without pickle; use a "
                "classifier of gavae_ids.classifiers (RFClassifier, LightGBMClassifier, …)"
            )
        path = Path(path)
        path.mkdir(parents=True, exist_ok=True)
        self.classifier_.save(path / INNER_DIR)
        config = {
            "params": {k: to_json(v) for k, v in self.get_params(deep=False).items()},
            "classifier_class": type(self.classifier_).__name__,
            "n_features_in": int(self.n_features_in_),
            "n_train": self.n_train_,
        }
        return save_config(path, config, self._kind())

    @classmethod
    def load(cls, path, *, device: str | None = None):
        """Rebuild an estimator written by :meth:`save`; ``device`` goes to the classifier.

        The fitted classifier's class is looked up among the loadable classes of
        :mod:`gavae_ids.classifiers` only (see :func:`~gavae_ids.classifiers.loadable_class`).
        """

        path = Path(path)
        meta = read_config(path, kind=cls._kind())
        config = meta["config"]
        try:
            inner_cls = loadable_class(str(config["classifier_class"]))
            kw = {} if device is None else {"device": device}
            inner = inner_cls.load(path / INNER_DIR, **kw)
            est = cls(**{k: from_json(v) for k, v in config["params"].items()})
            est.n_features_in_ = int(config["n_features_in"])
            est.n_train_ = int(config.get("n_train", 0))
        except (KeyError, TypeError, ValueError) as e:
            raise ModelFileError(f"{path}: saved {cls.__name__} cannot be rebuilt ({e})") from None
        if int(getattr(inner, "n_features_in_", est.n_features_in_)) != est.n_features_in_:
            raise ModelFileError(f"{path}: the classifier and config.json disagree on features")
        est.classifier_ = inner
        est.classes_ = np.asarray(inner.classes_)
        est.sampler_ = None
        return est


def _smote(k_neighbors: int):
    return SMOTE(k_neighbors=k_neighbors)


def _gavae():
    return GAVAESampler()


def _resampled(sampler, classifier, random_state) -> ResampledClassifier:
    return ResampledClassifier(sampler=sampler, classifier=classifier, random_state=random_state)


def make_smote_lgbm(*, k_neighbors: int = 5, random_state=None,
                    **lgbm_params) -> ResampledClassifier:  # fmt: skip
    """SMOTE (5 neighbours, every class up to the majority count) + LightGBM."""
    return _resampled(_smote(k_neighbors), LightGBMClassifier(**lgbm_params), random_state)


def make_gavae_lgbm(*, random_state=None, **lgbm_params) -> ResampledClassifier:
    """The GAVAE oversampler (every class up to the majority count) + LightGBM."""
    return _resampled(_gavae(), LightGBMClassifier(**lgbm_params), random_state)


def make_smote_rf(*, k_neighbors: int = 5, random_state=None,
                  **rf_params) -> ResampledClassifier:  # fmt: skip
    """SMOTE (5 neighbours) + the paper's random forest."""
    return _resampled(_smote(k_neighbors), make_random_forest(**rf_params), random_state)


def make_gavae_rf(*, random_state=None, **rf_params) -> ResampledClassifier:
    """The GAVAE oversampler + the paper's random forest."""
    return _resampled(_gavae(), make_random_forest(**rf_params), random_state)
