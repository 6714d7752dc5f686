"""Tree models that a model bundle can hold, and "resample, then fit a classifier".

* :class:`RFClassifier` — scikit-learn's random forest (the paper's RF baseline);
* :class:`HGBClassifier` — scikit-learn's histogram gradient boosting;
* :class:`LightGBMClassifier` — LightGBM (optional ``lightgbm`` package);
* :class:`ResampledClassifier` — fit any of them (or a torch classifier) on the output
  of an oversampler: ``GAVAE+RF``, ``SMOTE+LightGBM``, …

All save themselves as a folder (``save(path)`` / ``load(path)``, like the torch
classifiers) holding ``config.json`` plus their trees in a format that holds
data only:

* LightGBM: its own text model format (``model.txt``), parsed by LightGBM's C++
  reader;
* scikit-learn forests: a `skops <https://skops.readthedocs.io>`_ file
  (``model.skops``, a zip of JSON and ``.npy`` arrays). Before anything in it
  is built, every type the file names that skops does not trust by default
  (``skops.io.get_untrusted_types``) is checked against :data:`SKOPS_TYPES`;
  a file naming any other type is refused with the type's name, unread. Only
  then is it loaded, trusting exactly those types — never ``trusted=True``,
  never pickle.

Why skops rather than ONNX for the scikit-learn models: skops stores the fitted
estimator itself, so a loaded forest is the same scikit-learn object and its
probabilities are bit-identical (ONNX runs a float32 re-implementation whose
probabilities differ in the last digits, and needs skl2onnx + onnxruntime,
two large binary dependencies, against skops' small pure-Python one).
"""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, clone
from sklearn.ensemble import HistGradientBoostingClassifier, RandomForestClassifier
from sklearn.utils import check_random_state
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted, validate_data

from gavae_ids.exceptions import DataError, ModelFileError
from gavae_ids.persistence import read_config, save_config, verified_file

#: How to install what tree models need, named in every "missing package" message.
TREES_EXTRA = "pip install 'gavae-ids[trees]'"
SKOPS_FILE = "model.skops"
LIGHTGBM_FILE = "model.txt"
INNER_DIR = "classifier"

#: Types a skops file of ours may hold beyond those skops trusts by default
#: (scikit-learn's estimators, numpy arrays and dtypes, Python builtins): the trees'
#: array containers and our own estimator classes. Anything else is refused unread.
SKOPS_TYPES = frozenset({
    "sklearn.tree._tree.Tree",
    "sklearn.ensemble._hist_gradient_boosting.predictor.TreePredictor",
    "gavae_ids.classifiers.trees.RFClassifier",
    "gavae_ids.classifiers.trees.HGBClassifier",
})  # fmt: skip


def _require(module: str, what: str, error: type[Exception] = ImportError):
    """Import ``module`` of an optional package, or raise ``error`` naming the extra."""
    package = module.split(".")[0]
    if importlib.util.find_spec(package) is None:
        raise error(f"{what} needs the optional package {package!r}: {TREES_EXTRA}")
    return importlib.import_module(module)


def _version(module: str) -> str:
    return str(getattr(importlib.import_module(module), "__version__", "?"))


def _warn_other_version(path, meta: dict, module: str) -> None:
    import warnings

    saved = str((meta.get("versions") or {}).get(module, "?"))
    if saved.split(".")[:2] != _version(module).split(".")[:2]:
        warnings.warn(
            f"{path}: written with {module} {saved}, read with {_version(module)}; "
            "predictions may differ slightly",
            stacklevel=3,
        )


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


# -- scikit-learn forests, stored with skops ----------------------------------------------------
def load_skops(file: Path, expected: type):
    """The estimator of the skops file ``file``, refused unless every type is allowed.

    Raises
    ------
    ModelFileError
        The file is not a skops file, names a type outside scikit-learn's own
        and :data:`SKOPS_TYPES` (nothing of it is built then), or holds
        something other than an ``expected``.
    """
    sio = _require("skops.io", f"loading {file}", ModelFileError)
    import zipfile

    unreadable = (zipfile.BadZipFile, KeyError, ValueError, TypeError, OSError, AttributeError)
    try:
        untrusted = sio.get_untrusted_types(file=file)
    except unreadable as e:
        raise ModelFileError(f"{file}: not a readable skops model file ({e!r})") from None
    refused = sorted(set(untrusted) - SKOPS_TYPES)
    if refused:
        raise ModelFileError(
            f"{file}: holds the type(s) {', '.join(refused)}, which gavae-ids never loads "
            "(a model file may hold only scikit-learn's estimators and "
            f"{', '.join(sorted(SKOPS_TYPES))}); the file was not loaded"
        )
    try:
        est = sio.load(file, trusted=sorted(untrusted))
    except unreadable as e:
        raise ModelFileError(f"{file}: skops model cannot be rebuilt ({e!r})") from None
    if type(est) is not expected:
        raise ModelFileError(
            f"{file}: holds a {type(est).__name__}, expected a {expected.__name__}"
        )
    return est


class _SkopsSaved:
    """``save``/``load`` of a scikit-learn estimator subclass through a skops file."""

    #: Modules ``save`` needs (checked by ``check_bundleable`` before training).
    _saving_requires = ("skops",)
    #: ``verbose`` is scikit-learn's log level here, not our progress bar.
    _sklearn_verbose = True

    @classmethod
    def _kind(cls) -> str:
        return f"classifier/{cls.__name__}"

    def save(self, path) -> Path:
        """Write ``model.skops`` (the fitted estimator) and ``config.json`` to ``path``."""
        check_is_fitted(self)
        sio = _require("skops.io", f"saving a {type(self).__name__}")
        path = Path(path)
        path.mkdir(parents=True, exist_ok=True)
        sio.dump(self, path / SKOPS_FILE)
        config = {"class": type(self).__name__, "n_features_in": int(self.n_features_in_)}
        return save_config(path, config, self._kind(), files=[SKOPS_FILE],
                           versions={"skops": _version("skops")})  # fmt: skip

    @classmethod
    def load(cls, path, *, device: str | None = None, n_jobs: int | None = None):
        """Rebuild an estimator written by :meth:`save`.

        ``device`` is accepted for the bundle API and ignored (trees run on the
        CPU); ``n_jobs`` overrides the saved number of threads of ``predict``.

        Raises
        ------
        ModelFileError
            A file is missing, altered (checksum), of another kind, or names a type
            outside the allow-list (see :func:`load_skops`).
        """
        meta = read_config(path, kind=cls._kind())
        est = load_skops(verified_file(path, meta, SKOPS_FILE), cls)
        _warn_other_version(path, meta, "skops")
        if n_jobs is not None and "n_jobs" in est.get_params(deep=False):
            est.set_params(n_jobs=n_jobs)
        return est


class RFClassifier(_SkopsSaved, RandomForestClassifier):
    """scikit-learn's ``RandomForestClassifier`` that can be saved in a model bundle.

    Same parameters, attributes and results as the scikit-learn class (it is a
    subclass); adds :meth:`save` / :meth:`load` through a skops file, and a
    ``predict_proba`` that gives the same numbers for every ``n_jobs``. Build the
    paper's baseline with :func:`~gavae_ids.classifiers.make_random_forest`.
    """

    #: Rows per block of ``predict_proba``.
    predict_block_rows = 8192

    def predict_proba(self, X) -> np.ndarray:
        """Mean class probabilities of the trees, as scikit-learn's, in blocks of rows.

        scikit-learn hands whole trees to its threads and adds their outputs in the
        order the threads finish, so with ``n_jobs`` > 1 a probability's last bits
        can change from call to call (a saved and reloaded forest would not give
        identical scores). Here the threads take blocks of rows, and every row adds
        its trees in order: the result of ``n_jobs=1`` for any ``n_jobs``, no lock.
        """
        check_is_fitted(self)
        if self.n_outputs_ != 1:
            return super().predict_proba(X)
        X = self._validate_X_predict(X)
        n = X.shape[0]
        out = np.zeros((n, self.n_classes_), dtype=np.float64)
        step = max(1, int(self.predict_block_rows))
        blocks = [(s, min(s + step, n)) for s in range(0, n, step)]

        def run(block):
            start, stop = block
            rows, acc = X[start:stop], out[start:stop]
            for tree in self.estimators_:
                acc += tree.predict_proba(rows, check_input=False)
            acc /= len(self.estimators_)

        from joblib import effective_n_jobs

        threads = min(effective_n_jobs(self.n_jobs), len(blocks))
        if threads <= 1:
            for block in blocks:
                run(block)
        else:
            from concurrent.futures import ThreadPoolExecutor

            with ThreadPoolExecutor(threads, thread_name_prefix="gavae-ids-rf") as pool:
                list(pool.map(run, blocks))
        return out


class HGBClassifier(_SkopsSaved, HistGradientBoostingClassifier):
    """scikit-learn's ``HistGradientBoostingClassifier`` that can be saved in a model bundle.

    Same parameters and results as the scikit-learn class; adds :meth:`save` /
    :meth:`load` through a skops file.
    """


# -- LightGBM, stored in its own text format ---------------------------------------------------
class LightGBMClassifier(ClassifierMixin, BaseEstimator):
    """LightGBM gradient-boosted trees as a scikit-learn classifier that bundles can hold.

    Needs the optional ``lightgbm`` package (``pip install 'gavae-ids[trees]'``),
    imported only when fitted or loaded. Saved as LightGBM's text model
    (``model.txt``) + ``config.json``; loading parses the text, nothing else.

    Parameters
    ----------
    n_estimators : int, default=100
        Boosting rounds (no early stopping: no rows are held out).
    learning_rate : float, default=0.1
    num_leaves : int, default=31
    max_depth : int, default=-1
        ``-1``: no limit beyond ``num_leaves``.
    min_child_samples : int, default=20
    subsample : float, default=1.0
        Row fraction per round (used when ``subsample_freq`` > 0).
    subsample_freq : int, default=0
    colsample_bytree : float, default=1.0
    reg_alpha, reg_lambda : float, default=0.0
    class_weight : "balanced", dict or None, default=None
    n_jobs : int, default=-1
        Threads of fitting and of ``predict_proba``; ``-1``: ``OMP_NUM_THREADS`` when
        set, else all cores. LightGBM runs with ``deterministic=True``: the same data,
        parameters and ``n_jobs`` give the same model every time (another thread count
        can change the last bits of its histograms' sums, and so, rarely, a split).
    random_state : int, RandomState or None
        Seeds LightGBM's sampling.

    Attributes
    ----------
    booster_ : lightgbm.Booster
    classes_ : ndarray
    n_features_in_ : int
    """

    _saving_requires = ("lightgbm",)

    def __init__(self, *, n_estimators=100, learning_rate=0.1, num_leaves=31, max_depth=-1,
                 min_child_samples=20, subsample=1.0, subsample_freq=0, colsample_bytree=1.0,
                 reg_alpha=0.0, reg_lambda=0.0, class_weight=None, n_jobs=-1,
                 random_state=None):  # fmt: skip
        self.n_estimators = n_estimators
        self.learning_rate = learning_rate
        self.num_leaves = num_leaves
        self.max_depth = max_depth
        self.min_child_samples = min_child_samples
        self.subsample = subsample
        self.subsample_freq = subsample_freq
        self.colsample_bytree = colsample_bytree
        self.reg_alpha = reg_alpha
        self.reg_lambda = reg_lambda
        self.class_weight = class_weight
        self.n_jobs = n_jobs
        self.random_state = random_state

    def _threads(self) -> int:
        """Threads for LightGBM: ``n_jobs`` if positive, else OMP_NUM_THREADS when set, else
        0 (OpenMP's default: all cores)."""
        if self.n_jobs is not None and self.n_jobs >= 1:
            return int(self.n_jobs)
        env = os.environ.get("OMP_NUM_THREADS", "")
        return int(env) if env.isdigit() and int(env) > 0 else 0

    def fit(self, X, y):
        """Fit the boosted trees on ``X`` (encoded features) and ``y`` (class labels)."""
        lgb = _require("lightgbm", "LightGBMClassifier")
        X, y = validate_data(self, X, y, dtype=[np.float64, np.float32])
        check_classification_targets(y)
        self.classes_, y_idx = np.unique(y, return_inverse=True)
        if len(self.classes_) < 2:
            raise DataError(
                f"y holds one class ({self.classes_[0]!r}); a classifier needs two or more"
            )
        cw = self.class_weight
        if isinstance(cw, dict):
            cw = {int(np.searchsorted(self.classes_, k)): v for k, v in cw.items()}
        seed = int(check_random_state(self.random_state).randint(0, 2**31 - 1))
        model = lgb.LGBMClassifier(
            n_estimators=self.n_estimators, learning_rate=self.learning_rate,
            num_leaves=self.num_leaves, max_depth=self.max_depth,
            min_child_samples=self.min_child_samples, subsample=self.subsample,
            subsample_freq=self.subsample_freq, colsample_bytree=self.colsample_bytree,
            reg_alpha=self.reg_alpha, reg_lambda=self.reg_lambda, class_weight=cw,
            n_jobs=self._threads() or -1, random_state=seed, verbosity=-1,
            deterministic=True, force_col_wise=True,
        )  # fmt: skip
        model.fit(X, y_idx)
        self.booster_ = model.booster_
        return self

    def predict_proba(self, X) -> np.ndarray:
        """Class probabilities, columns in ``classes_`` order."""
        check_is_fitted(self, "booster_")
        X = validate_data(self, X, reset=False, dtype=[np.float64, np.float32])
        raw = np.asarray(self.booster_.predict(X, num_threads=self._threads()))
        if raw.ndim == 1:  # binary objective: P(second class)
            return np.column_stack([1.0 - raw, raw])
        return raw

    def predict(self, X) -> np.ndarray:
        """Most probable class of each row."""
        proba = self.predict_proba(X)
        return self.classes_[proba.argmax(axis=1)]

    @classmethod
    def _kind(cls) -> str:
        return f"classifier/{cls.__name__}"

    def save(self, path) -> Path:
        """Write ``model.txt`` (LightGBM's text model) and ``config.json`` to ``path``."""
        from gavae_ids.classifiers.base import _to_json

        check_is_fitted(self, "booster_")
        path = Path(path)
        path.mkdir(parents=True, exist_ok=True)
        self.booster_.save_model(str(path / LIGHTGBM_FILE))
        config = {
            "params": {k: _to_json(v) for k, v in self.get_params(deep=False).items()},
            "classes": self.classes_.tolist(),
            "classes_dtype": self.classes_.dtype.str if self.classes_.dtype != object else "O",
            "n_features_in": int(self.n_features_in_),
            "feature_names_in": (
                self.feature_names_in_.tolist() if hasattr(self, "feature_names_in_") else None
            ),
        }
        return save_config(path, config, self._kind(), files=[LIGHTGBM_FILE],
                           versions={"lightgbm": _version("lightgbm")})  # fmt: skip

    @classmethod
    def load(cls, path, *, device: str | None = None, n_jobs: int | None = None):
        """Rebuild a classifier written by :meth:`save` (``device`` is ignored: CPU only).

        Raises
        ------
        ModelFileError
            A file is missing, altered (checksum), not a LightGBM model, or does
            not match its config (feature count, classes).
        """
        from gavae_ids.classifiers.base import _from_json

        lgb = _require("lightgbm", f"loading {path}", ModelFileError)
        meta = read_config(path, kind=cls._kind())
        f = verified_file(path, meta, LIGHTGBM_FILE)
        config = meta["config"]
        try:
            booster = lgb.Booster(model_str=f.read_text(encoding="utf-8"))
        except (lgb.basic.LightGBMError, UnicodeDecodeError, ValueError) as e:
            raise ModelFileError(f"{f}: not a readable LightGBM model ({e})") from None
        try:
            est = cls(**{k: _from_json(v) for k, v in config["params"].items()})
            est.classes_ = np.asarray(config["classes"], dtype=config["classes_dtype"])
            est.n_features_in_ = int(config["n_features_in"])
            if config.get("feature_names_in") is not None:
                est.feature_names_in_ = np.asarray(config["feature_names_in"], dtype=object)
        except (KeyError, TypeError, ValueError) as e:
            raise ModelFileError(f"{path}: saved {cls.__name__} cannot be rebuilt ({e})") from None
        per_round = 1 if len(est.classes_) == 2 else len(est.classes_)
        if booster.num_feature() != est.n_features_in_ or \
                booster.num_model_per_iteration() != per_round:  # fmt: skip
            raise ModelFileError(
                f"{f}: the model reads {booster.num_feature()} features in "
                f"{booster.num_model_per_iteration()} trees per round; config.json says "
                f"{est.n_features_in_} features and {len(est.classes_)} classes"
            )
        _warn_other_version(path, meta, "lightgbm")
        if n_jobs is not None:
            est.n_jobs = n_jobs
        est.booster_ = booster
        return est


# -- resample, then fit ------------------------------------------------------------------------
class ResampledClassifier(ClassifierMixin, BaseEstimator):
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
        :func:`gavae_ids.methods.build_method`. A neighbour-based sampler (SMOTE,
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
        from gavae_ids.classifiers.baselines import make_random_forest

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

    def predict(self, X) -> np.ndarray:
        """Most probable class of each row."""
        proba = self.predict_proba(X)
        return self.classes_[proba.argmax(axis=1)]

    @classmethod
    def _kind(cls) -> str:
        return f"classifier/{cls.__name__}"

    def save(self, path) -> Path:
        """Write the fitted classifier (its own ``save``, in ``classifier/``) and the
        parameters (``config.json``). The fitted sampler is not saved (save it on its
        own, as bundles do for a GAVAE); the parameters that built it are."""
        from gavae_ids.classifiers.base import _to_json

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
            "params": {k: _to_json(v) for k, v in self.get_params(deep=False).items()},
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
        from gavae_ids.classifiers.base import _from_json
        from gavae_ids.classifiers.registry import loadable_class

        path = Path(path)
        meta = read_config(path, kind=cls._kind())
        config = meta["config"]
        try:
            inner_cls = loadable_class(str(config["classifier_class"]))
            kw = {} if device is None else {"device": device}
            inner = inner_cls.load(path / INNER_DIR, **kw)
            est = cls(**{k: _from_json(v) for k, v in config["params"].items()})
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


# -- the registered methods --------------------------------------------------------------------
def make_lightgbm(**params) -> LightGBMClassifier:
    """LightGBM with its usual defaults (100 rounds, 31 leaves, learning rate 0.1)."""
    return LightGBMClassifier(**params)


def _smote(k_neighbors: int):
    from imblearn.over_sampling import SMOTE

    return SMOTE(k_neighbors=k_neighbors)


def _gavae():
    # Imported here: the classifiers package must import without the sampler module.
    from gavae_ids.sampling.gavae_sampler import GAVAESampler

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
    from gavae_ids.classifiers.baselines import make_random_forest

    return _resampled(_smote(k_neighbors), make_random_forest(**rf_params), random_state)


def make_gavae_rf(*, random_state=None, **rf_params) -> ResampledClassifier:
    """The GAVAE oversampler + the paper's random forest."""
    from gavae_ids.classifiers.baselines import make_random_forest

    return _resampled(_gavae(), make_random_forest(**rf_params), random_state)
