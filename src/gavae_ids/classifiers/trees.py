"""Tree models that a model bundle can hold.

* :class:`RFClassifier` — scikit-learn's random forest (the paper's RF baseline);
* :class:`HGBClassifier` — scikit-learn's histogram gradient boosting;
* :class:`LightGBMClassifier` — LightGBM (optional ``lightgbm`` package).

All save themselves as a folder (``save(path)`` / ``load(path)``, like the torch
classifiers) holding ``config.json`` plus their trees in a format that holds
data only: LightGBM its own text model format (``model.txt``), parsed by
LightGBM's C++ reader; the scikit-learn forests a skops file, loaded only after
every type it names passed an allow-list (:mod:`gavae_ids.classifiers.skops_files`).
:class:`~gavae_ids.classifiers.resampled.ResampledClassifier` fits any of them on
an oversampler's output (``GAVAE+RF``, ``SMOTE+LightGBM``, …).

The classes stay in this module: saved files name them by their import path
(``gavae_ids.classifiers.trees.RFClassifier``), so moving one would orphan the
models already written.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.ensemble import HistGradientBoostingClassifier, RandomForestClassifier
from sklearn.utils import check_random_state
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted, validate_data

from gavae_ids._util.persistence import read_config, save_config, verified_file
from gavae_ids.classifiers._mixins import ArgmaxPredictMixin
from gavae_ids.classifiers._optional import TREES_EXTRA, _require, _version, _warn_other_version
from gavae_ids.classifiers._params import from_json, to_json
from gavae_ids.classifiers.compiled_trees import compiled_forest, from_lightgbm, from_sklearn_forest
from gavae_ids.classifiers.skops_files import SKOPS_FILE, SKOPS_TYPES, _SkopsSaved, load_skops
from gavae_ids.exceptions import DataError, ModelFileError

__all__ = [
    "LIGHTGBM_FILE",
    "SKOPS_FILE",
    "SKOPS_TYPES",
    "TREES_EXTRA",
    "HGBClassifier",
    "LightGBMClassifier",
    "RFClassifier",
    "load_skops",
    "make_lightgbm",
]

LIGHTGBM_FILE = "model.txt"


class RFClassifier(_SkopsSaved, RandomForestClassifier):
    """scikit-learn's ``RandomForestClassifier`` that can be saved in a model bundle.

    Same parameters, attributes and results as the scikit-learn class (it is a
    subclass); adds :meth:`save` / :meth:`load` through a skops file, and a
    ``predict_proba`` that gives the same numbers for every ``n_jobs``. Build the
    paper's baseline with :func:`~gavae_ids.classifiers.make_random_forest`.
    """

    #: Rows per block of ``predict_proba``.
    predict_block_rows = 8192

    @classmethod
    def load(cls, path, *, device: str | None = None, n_jobs: int | None = None):
        """Rebuild a forest written by :meth:`save`, scored by compiled trees
        (:mod:`~gavae_ids.classifiers.compiled_trees`) when numba is there."""
        est = super().load(path, device=device, n_jobs=n_jobs)
        meta = read_config(path, kind=cls._kind())
        if est.n_outputs_ == 1:
            est._compiled = compiled_forest(
                Path(path) / SKOPS_FILE, meta["files"][SKOPS_FILE],
                lambda: from_sklearn_forest(est), est._native_proba, int(est.n_features_in_),
            )  # fmt: skip
        return est

    def __getstate__(self):
        state = super().__getstate__()
        state.pop("_compiled", None)  # rebuilt from the trees on load, never saved
        return state

    def predict_proba(self, X) -> np.ndarray:
        """Mean class probabilities of the trees, as scikit-learn's.

        A loaded forest runs its compiled trees (same numbers: each row adds its trees
        in order, on float32 rows as scikit-learn); otherwise :meth:`_native_proba`.
        """
        compiled = getattr(self, "_compiled", None)
        if compiled is None:
            return self._native_proba(X)
        check_is_fitted(self)
        from joblib import effective_n_jobs

        return compiled.predict_proba(self._validate_X_predict(X), effective_n_jobs(self.n_jobs))

    def _native_proba(self, X) -> np.ndarray:
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
class LightGBMClassifier(ArgmaxPredictMixin, ClassifierMixin, BaseEstimator):
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
    min_child_weight : float, default=1.0
        Smallest sum of hessians in a leaf. LightGBM's own default (1e-3) lets a leaf
        of a tiny class take an enormous value: on NSL-KDD-20 % (9 U2R training rows)
        the boosting diverged on 2 of 3 validation splits (macro-F1 0.38 and 0.51, 80 %
        of probabilities exactly 0) and reached 0.92-0.93 with 1.0 (seeds 0-2, 20 %
        stratified validation split of the training rows).
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
                 min_child_samples=20, min_child_weight=1.0, subsample=1.0, subsample_freq=0,
                 colsample_bytree=1.0,
                 reg_alpha=0.0, reg_lambda=0.0, class_weight=None, n_jobs=-1,
                 random_state=None):  # fmt: skip
        self.n_estimators = n_estimators
        self.learning_rate = learning_rate
        self.num_leaves = num_leaves
        self.max_depth = max_depth
        self.min_child_samples = min_child_samples
        self.min_child_weight = min_child_weight
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
            min_child_samples=self.min_child_samples, min_child_weight=self.min_child_weight,
            subsample=self.subsample,
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
        compiled = getattr(self, "compiled_", None)
        if compiled is not None:
            return compiled.predict_proba(X, self._threads())
        return self._native_proba(X)

    def _native_proba(self, X) -> np.ndarray:
        raw = np.asarray(self.booster_.predict(X, num_threads=self._threads()))
        if raw.ndim == 1:  # binary objective: P(second class)
            return np.column_stack([1.0 - raw, raw])
        return raw

    def save(self, path) -> Path:
        """Write ``model.txt`` (LightGBM's text model) and ``config.json`` to ``path``."""

        check_is_fitted(self, "booster_")
        path = Path(path)
        path.mkdir(parents=True, exist_ok=True)
        self.booster_.save_model(str(path / LIGHTGBM_FILE))
        config = {
            "params": {k: to_json(v) for k, v in self.get_params(deep=False).items()},
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

        lgb = _require("lightgbm", f"loading {path}", ModelFileError)
        meta = read_config(path, kind=cls._kind())
        f = verified_file(path, meta, LIGHTGBM_FILE)
        config = meta["config"]
        try:
            booster = lgb.Booster(model_str=f.read_text(encoding="utf-8"))
        except (lgb.basic.LightGBMError, UnicodeDecodeError, ValueError) as e:
            raise ModelFileError(f"{f}: not a readable LightGBM model ({e})") from None
        try:
            est = cls(**{k: from_json(v) for k, v in config["params"].items()})
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
        est.compiled_ = compiled_forest(f, meta["files"][LIGHTGBM_FILE],
                                        lambda: from_lightgbm(booster), est._native_proba,
                                        est.n_features_in_)  # fmt: skip
        return est


def make_lightgbm(**params) -> LightGBMClassifier:
    """LightGBM with its usual defaults (100 rounds, 31 leaves, learning rate 0.1)."""
    return LightGBMClassifier(**params)
