"""A trained detector and its Python API: raw records in, classes, attack flags and novelty out.

:class:`Detector` holds the fitted preprocessing, the classifier and (optionally)
the GAVAE; :meth:`Detector.save` / :meth:`Detector.load` write and read it as a
model bundle, whose format and checks live in :mod:`gavae_ids.detection.bundle`.
"""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pandas as pd

from gavae_ids.detection import bundle
from gavae_ids.detection import novelty as N
from gavae_ids.detection.bundle import (  # noqa: F401 (re-exported: the public names of bundles)
    BUNDLE_FORMAT,
    MANIFEST,
    NOVELTY_FILE,
    BundleVersionWarning,
    ModelQualityWarning,
    check_bundleable,
    read_manifest,
)
from gavae_ids.detection.decision import DecisionRule
from gavae_ids.detection.pipeline import DetectionPipeline
from gavae_ids.detection.schema import (  # noqa: F401 (re-exported)
    CATEGORICAL,
    NUMERIC,
    TrainingSchema,
)
from gavae_ids.exceptions import DataError, NotFittedError

log = logging.getLogger(__name__)

#: What :meth:`Detector.predict` returns for a novel row when asked to (``novelty=True``).
NOVEL_LABEL = "novel"


# -- the detector ----------------------------------------------------------------------------
class Detector:
    """Fitted preprocessing + classifier: scores raw traffic records.

    Usually obtained from :func:`gavae_ids.detection.train.train_detector` or
    :meth:`Detector.load`. ``predict``/``predict_proba`` take raw records — a
    DataFrame with the training columns (any order; extra columns are ignored)
    — and do the one-hot encoding and scaling themselves.

    Parameters
    ----------
    preprocessor : TabularPreprocessor
        Fitted on the training data.
    classifier : estimator
        Fitted on the preprocessor's output; must have ``predict_proba``,
        ``classes_`` and, to be saved, ``save``/``load``.
    normal_label : str
        The class of benign traffic; every other class is an attack.
    method : str, optional
        Registry name of the method (recorded in the manifest).
    sampler : GAVAESampler, optional
        The fitted GAVAE, saved in ``gavae/`` when given.
    info : dict, optional
        JSON-serialisable notes on how the detector was trained (dataset,
        rows, parameters); stored in the manifest under ``training``.
    model_card : ModelCard, optional
        Validation figures (:mod:`gavae_ids.detection.model_card`), saved as
        ``model_card.json`` + ``model_card.md``; its warnings are listed in the
        manifest and repeated by :meth:`load` (:attr:`quality_warnings`).

    Examples
    --------
    >>> det = Detector.load("model_dir")  # doctest: +SKIP
    >>> det.predict(test.X)[:3]  # doctest: +SKIP
    array(['Normal', 'DoS', 'DoS'], dtype=object)
    """

    def __init__(self, preprocessor, classifier, *, normal_label, method=None, sampler=None,
                 info=None, model_card=None):  # fmt: skip
        if not hasattr(preprocessor, "layout_"):
            raise NotFittedError("the preprocessor is not fitted")
        if not hasattr(classifier, "classes_"):
            raise NotFittedError("the classifier is not fitted")
        self.preprocessor = preprocessor
        self.classifier = classifier
        self.method = method
        self.sampler = sampler
        self.info = dict(info or {})
        self.model_card = model_card
        self.classes_ = np.asarray([str(c) for c in classifier.classes_], dtype=object)
        if str(normal_label) not in set(self.classes_):
            raise DataError(
                f"normal label {normal_label!r} is not one of the classes "
                f"{', '.join(self.classes_)}"
            )
        self.normal_label = str(normal_label)
        self.normal_index_ = int(np.flatnonzero(self.classes_ == self.normal_label)[0])
        self.schema = TrainingSchema.from_preprocessor(preprocessor)
        self.manifest_: dict | None = None
        #: The novelty flag's thresholds (:meth:`fit_novelty`), or None.
        self.novelty_ = None
        #: The decision rule (:class:`~gavae_ids.detection.decision.DecisionRule`: prior correction,
        #: false-alarm budget), or None for argmax.
        self.decision_ = None

    @classmethod
    def from_pipeline(cls, pipeline, **kw) -> Detector:
        """A detector of a fitted :class:`~gavae_ids.detection.pipeline.DetectionPipeline`."""
        return cls(pipeline.preprocessor_, pipeline.classifier_, **kw)

    @property
    def pipeline(self):
        """This detector's preprocessing + classifier as a fitted
        :class:`~gavae_ids.detection.pipeline.DetectionPipeline`."""
        return DetectionPipeline.from_fitted(self.preprocessor, self.classifier)

    @property
    def quality_warnings(self) -> list[str]:
        """The model card's warnings (e.g. not clearly better than the majority baseline)."""
        return list(self.model_card.warnings) if self.model_card is not None else []

    def __repr__(self) -> str:
        return (
            f"Detector(method={self.method!r}, classes={list(self.classes_)}, "
            f"normal_label={self.normal_label!r}, columns={len(self.schema.columns)})"
        )

    # -- inference -------------------------------------------------------------------------
    def _frame(self, X) -> pd.DataFrame:
        cols = self.schema.columns
        if isinstance(X, pd.DataFrame):
            names = [str(c) for c in X.columns]
            missing, _ = self.schema.match_columns(names)
            if missing:
                raise DataError(self.schema.missing_columns_message(missing, names))
            if names != list(X.columns):
                X = X.set_axis(names, axis=1)
            return X if names == list(cols) else X[list(cols)]
        arr = np.asarray(X, dtype=object)
        if arr.ndim != 2 or arr.shape[1] != len(cols):
            raise DataError(
                f"expected a DataFrame with the training columns, or a 2-D array of "
                f"{len(cols)} columns in training order; got shape {arr.shape}"
            )
        return pd.DataFrame(arr, columns=list(cols))

    def encode(self, X, out: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Preprocess raw records (into ``out``, when given: see
        :meth:`gavae_ids.preprocessing.TabularPreprocessor.encode`).

        Returns
        -------
        Xt : ndarray of float32, shape (n_rows, n_features)
            What the classifier reads.
        unseen : ndarray of bool, shape (n_rows,)
            True where a categorical value was not seen in training (its
            one-hot block is all zeros).
        """
        frame = self._frame(X)
        Xt, unseen = self.preprocessor.encode(frame, out=out)
        unseen = unseen.any(axis=1)
        if unseen.any():
            # The loaders strip categorical values before training; do the same for
            # new records, but only where it matters (rows not matched as they are).
            rows = np.flatnonzero(unseen)
            sub = frame.iloc[rows].copy()
            changed = False
            for c in self.schema.categorical:
                if not pd.api.types.is_numeric_dtype(sub[c]):
                    stripped = sub[c].astype(str).str.strip()
                    changed |= bool((stripped != sub[c]).any())
                    sub[c] = stripped
            if changed:
                Xs, us = self.preprocessor.encode(sub)
                Xt[rows], unseen[rows] = Xs, us.any(axis=1)
        return Xt, unseen

    def predict_proba_encoded(self, Xt) -> np.ndarray:
        """Class probabilities (columns in ``classes_`` order) of already encoded rows.

        With a decision rule that corrects the priors (:attr:`decision_`), the
        corrected probabilities: those the rule decides on.
        """
        if len(Xt) == 0:
            return np.zeros((0, len(self.classes_)), dtype=np.float64)
        proba = np.asarray(self.classifier.predict_proba(Xt))
        return proba if self.decision_ is None else self.decision_.proba(proba)

    def decide(self, proba, threshold: float | None = None, *,
               novelty: bool = False) -> tuple[np.ndarray, np.ndarray]:  # fmt: skip
        """``(class index, attack flag)`` of rows with probabilities ``proba``
        (:meth:`predict_proba_encoded`), by the detector's decision rule.

        Without a rule: the most probable class, an attack when it is not the
        normal class. With a threshold (the rule's, or ``threshold``, which
        overrides it): an attack when 1 − P(normal) ≥ threshold, labelled with
        its most probable attack class; every other row is normal. ``novelty=True``:
        the novelty flag is on too, and the rule's joint threshold applies (alerts and
        novel rows together within the false-alarm budget).
        """
        rule = self.decision_
        if rule is None:
            rule = DecisionRule(list(self.classes_), self.normal_label)
        if threshold is not None and not 0.0 <= threshold <= 1.0:
            raise DataError(f"threshold must lie in [0, 1], got {threshold}")
        return rule.decide(proba, threshold, novelty=novelty)

    def predict_proba(self, X) -> np.ndarray:
        """Class probabilities of raw records; columns follow ``classes_``."""
        return self.predict_proba_encoded(self.encode(X)[0])

    def predict(self, X, *, novelty: bool = False) -> np.ndarray:
        """Predicted class of every raw record.

        With ``novelty=True`` a novel record (:meth:`novel`) is labelled
        :data:`NOVEL_LABEL` (``"novel"``) instead of its predicted class.
        """
        Xt = self.encode(X)[0]
        pred_idx, _ = self.decide(self.predict_proba_encoded(Xt), novelty=novelty)
        labels = self.classes_[pred_idx]
        if novelty:
            labels = labels.copy()
            labels[self.novel_mask_encoded(Xt, pred_idx)] = NOVEL_LABEL
        return labels

    def attack_mask(self, proba: np.ndarray, threshold: float | None = None) -> np.ndarray:
        """Which rows are attacks, given their class probabilities (:meth:`decide`).

        Without ``threshold`` the detector's decision rule decides (argmax when it
        has none); with it, a row is an attack when 1 − P(normal) ≥ ``threshold``.
        """
        return self.decide(np.asarray(proba), threshold)[1]

    def is_attack(self, X, threshold: float | None = None, *, novelty: bool = False) -> np.ndarray:
        """Boolean attack flag of every raw record (see :meth:`attack_mask`).

        With ``novelty=True`` a novel record (:meth:`novel`) is an attack too.
        """
        Xt = self.encode(X)[0]
        pred, flags = self.decide(self.predict_proba_encoded(Xt), threshold, novelty=novelty)
        if novelty:
            flags = flags | self.novel_mask_encoded(Xt, pred)
        return flags

    # -- novelty ---------------------------------------------------------------------------
    def _novelty_sampler(self):
        sampler = self.sampler
        if sampler is None:
            sampler = getattr(self.classifier, "sampler_", None)
        if sampler is None or not callable(getattr(sampler, "reconstruction_error", None)):
            raise NotFittedError(
                "the novelty flag needs the fitted GAVAE: this detector has none (train a "
                "gavae-dnn detector, or load the bundle with load_gavae=True)"
            )
        return sampler

    def fit_novelty(self, X, y, *, fpr_budget: float | None = None, quantile: float | None = None,
                    X_validation=None, y_validation=None):  # fmt: skip
        """Choose the novelty flag's per-class thresholds on training records.

        Parameters
        ----------
        X, y
            Raw training records and their classes. Without ``X_validation`` they
            must be the very rows a GAVAE-DNN classifier was fitted on (seeded
            with an integer): its validation split is re-drawn, the GAVAE's rows
            give the thresholds and the held-out rows choose the quantile.
        fpr_budget : float, optional
            Largest share of normal validation rows (called normal by the
            classifier) that the flag may mark (default
            :data:`gavae_ids.detection.novelty.DEFAULT_FPR_BUDGET`).
        quantile : float, optional
            Use this quantile of the training rows' losses instead of choosing one.
        X_validation, y_validation : optional
            Held-out training records that choose the quantile; ``X, y`` then give
            the thresholds.

        Returns
        -------
        NoveltyThresholds
            Also kept as ``novelty_`` and saved with the bundle.
        """
        sampler = self._novelty_sampler()
        budget = N.DEFAULT_FPR_BUDGET if fpr_budget is None else fpr_budget
        Xt = self.encode(X)[0]
        y = np.asarray(y).astype(str)
        if len(y) != len(Xt):
            raise DataError(f"X has {len(Xt)} rows but y has {len(y)}")
        if X_validation is None:
            thr, _ = N.calibrate_for_classifier(self.classifier, Xt, y, self.normal_label,
                                                fpr_budget=budget, quantile=quantile)  # fmt: skip
        else:
            Xv = self.encode(X_validation)[0]
            yv = np.asarray(y_validation).astype(str)
            if len(yv) != len(Xv):
                raise DataError(f"X_validation has {len(Xv)} rows but y_validation has {len(yv)}")
            pred = self.classes_[self.decide(self.predict_proba_encoded(Xv))[0]]
            thr, _ = N.calibrate(sampler, list(self.classes_), self.normal_label, Xt, y, Xv, yv,
                                 pred, fpr_budget=budget, quantile=quantile)  # fmt: skip
        self.novelty_ = thr
        return thr

    def novel_mask_encoded(self, Xt, pred_idx) -> np.ndarray:
        """Novel rows among already encoded rows, given their predicted class indices.

        A row is novel when its GAVAE reconstruction loss under its predicted class
        (index into ``classes_``) exceeds that class's threshold (:meth:`fit_novelty`).
        """
        if self.novelty_ is None:
            raise NotFittedError("no novelty thresholds: call fit_novelty(X_train, y_train) "
                                 "first, or load a bundle saved with them")  # fmt: skip
        pred_idx = np.asarray(pred_idx, dtype=np.intp)
        if len(pred_idx) != len(Xt):
            raise DataError(f"{len(Xt)} rows but {len(pred_idx)} predicted classes")
        if len(pred_idx) == 0:
            return np.zeros(0, dtype=bool)
        if pred_idx.min() < 0 or pred_idx.max() >= len(self.classes_):
            raise DataError(f"predicted class indices must lie in 0..{len(self.classes_) - 1}")
        sampler = self._novelty_sampler()
        losses = sampler.reconstruction_error(Xt, self.classes_[pred_idx].astype(str))
        return self.novelty_.mask(losses, pred_idx)

    def novel(self, X) -> np.ndarray:
        """Boolean novelty flag of every raw record (see :mod:`gavae_ids.detection.novelty`),
        under the classes ``decide(..., novelty=True)`` gives, as ``score --novelty`` does."""
        Xt = self.encode(X)[0]
        pred = self.decide(self.predict_proba_encoded(Xt), novelty=True)[0]
        return self.novel_mask_encoded(Xt, pred)

    # -- saving ----------------------------------------------------------------------------
    def manifest(self) -> dict:
        """The manifest document of this detector (without file checksums)."""
        return bundle.manifest_of(self)

    def save(self, path, *, overwrite: bool = False) -> Path:
        """Write the bundle to the folder ``path`` (:func:`gavae_ids.detection.bundle.save_bundle`).

        The bundle is assembled in a temporary sibling folder and moved into
        place, so a failure never leaves a half-written bundle behind.
        ``overwrite=True`` replaces an existing *bundle* (a folder holding a
        ``manifest.json``); any other existing, non-empty folder is refused.
        """
        return bundle.save_bundle(self, path, overwrite=overwrite)

    # -- loading ---------------------------------------------------------------------------
    @classmethod
    def load(cls, path, *, load_gavae: bool | None = None, device: str | None = None) -> Detector:
        """Read a bundle written by :meth:`save`.

        Parameters
        ----------
        path : path-like
            The bundle folder.
        load_gavae : bool, optional
            Also load the GAVAE sampler (``gavae/``), when the bundle has one.
            Its files are checksum-verified either way. Default: only when the
            bundle holds novelty thresholds (the flag needs the GAVAE).
        device : str, optional
            Where the classifier runs (``"cpu"``, ``"cuda"``, ``"auto"``); by
            default the device setting it was trained with (``"auto"``).

        Raises
        ------
        ModelFileError
            A file is missing, truncated or altered (checksum), the manifest is
            damaged, or the bundle's format version is not the one this version
            of gavae-ids reads.

        Warns
        -----
        BundleVersionWarning
            The bundle was written with other major.minor versions of gavae-ids,
            torch, numpy or scikit-learn.
        ModelQualityWarning
            One per warning of the bundle's model card (also in
            :attr:`quality_warnings`), e.g. when its validation macro-F1 was no
            better than always predicting the majority class.
        """
        return bundle.load_bundle(cls, path, load_gavae=load_gavae, device=device)
