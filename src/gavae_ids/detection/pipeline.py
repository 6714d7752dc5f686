"""One estimator for "preprocess → (filter) → sample → classify", on raw traffic frames.

:class:`DetectionPipeline` is what ``reproduce``, ``train``, ``tune`` and the
model bundle all fit: the per-class MAD outlier filter (optional, paper §3.5),
the one-hot + min-max :class:`~gavae_ids.preprocessing.TabularPreprocessor`,
then the method's classifier (which may hold an oversampler). It takes raw
DataFrames, so it works unchanged in scikit-learn's ``cross_validate`` and
``GridSearchCV`` — each fold fits the preprocessing, the sampler and the
classifier on its training part only — with nested parameters such as
``classifier__epochs`` or ``classifier__sampler__n_iter``.

The GAVAE sampler needs the preprocessing's one-hot layout, which exists only
once the preprocessing is fitted; the pipeline hands it over at fit time, to a
copy of the classifier, so the unfitted pipeline stays ``clone``-safe.

>>> from gavae_ids.detection.pipeline import build_pipeline
>>> pipe = build_pipeline("dnn", quick=True, verbose=False)
>>> pipe.fit(train.X, train.y).predict(test.X)  # doctest: +SKIP
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, ClassifierMixin, clone
from sklearn.utils.metaestimators import available_if
from sklearn.utils.validation import check_is_fitted

from gavae_ids.classifiers import GAVAEDNNClassifier
from gavae_ids.detection.methods import build_method
from gavae_ids.exceptions import DataError
from gavae_ids.preprocessing import MADOutlierFilter, TabularPreprocessor
from gavae_ids.preprocessing.transformer import _as_frame
from gavae_ids.sampling import GAVAESampler


def _classifier_has(attr: str):
    def check(self) -> bool:
        clf = getattr(self, "classifier_", None)
        clf = self.classifier if clf is None else clf
        return clf is None or hasattr(clf, attr)  # None: the default GAVAE-DNN has it

    return check


class DetectionPipeline(ClassifierMixin, BaseEstimator):
    """Outlier filter (optional) → one-hot + min-max preprocessing → classifier.

    Parameters
    ----------
    classifier : estimator, optional
        An unfitted scikit-learn classifier reading the encoded matrix (a
        :mod:`gavae_ids.classifiers` estimator, or any other). It is cloned in
        :meth:`fit`. Any :class:`~gavae_ids.sampling.GAVAESampler` it holds
        without a layout gets the fitted preprocessing's layout; a
        :class:`~gavae_ids.classifiers.GAVAEDNNClassifier` without a sampler gets
        a default GAVAE sampler with it. Default: ``GAVAEDNNClassifier()``.
    categorical : list of str, optional
        Nominal columns (default: the non-numeric ones), for the preprocessing.
    categories : dict of str → list of str, optional
        Fixed vocabulary per nominal column (so the folds of a cross-validation
        share one layout); default: the one seen in :meth:`fit`.
    outlier_filter : bool, default=False
        Drop per-class MAD outliers (:class:`~gavae_ids.preprocessing.MADOutlierFilter`)
        from the training rows before anything else is fitted.
    numeric : list of str, optional
        Columns the outlier filter looks at (default: the numeric-dtype ones).

    Attributes
    ----------
    preprocessor_ : TabularPreprocessor
        Fitted on the training rows the filter kept.
    classifier_ : estimator
        The fitted copy of ``classifier``.
    classes_ : ndarray
    outlier_report_ : DataFrame or None
        The filter's per-class report (``rows``, ``removed``, ``kept``, ``note``).
    class_counts_ : dict of str → int
        Training rows per class given to the classifier (after the filter).
    n_features_in_ : int
    feature_names_in_ : ndarray of str

    Examples
    --------
    >>> import pandas as pd
    >>> from gavae_ids.classifiers import DNNClassifier
    >>> X = pd.DataFrame({"proto": ["tcp", "udp"] * 20, "bytes": range(40)})
    >>> y = ["a", "b"] * 20
    >>> pipe = DetectionPipeline(DNNClassifier(epochs=2, random_state=0)).fit(X, y)
    >>> pipe.predict(X.head(2)).shape
    (2,)
    """

    def __init__(self, classifier=None, *, categorical=None, categories=None,
                 outlier_filter=False, numeric=None):  # fmt: skip
        self.classifier = classifier
        self.categorical = categorical
        self.categories = categories
        self.outlier_filter = outlier_filter
        self.numeric = numeric

    # -- fitting ---------------------------------------------------------------------------
    def fit(self, X, y):
        """Fit the filter, the preprocessing and the classifier on raw rows ``X``, labels ``y``."""
        X = _as_frame(X)
        y = np.asarray(y)
        if y.ndim != 1 or len(y) != len(X):
            raise DataError(f"X has {len(X)} rows but y has shape {y.shape}")
        self.outlier_report_ = None
        if self.outlier_filter:
            filt = MADOutlierFilter()
            X, y = filt.fit_resample(X, y, self.numeric)
            self.outlier_report_ = filt.report_
        self.preprocessor_ = TabularPreprocessor(categorical=self.categorical,
                                                 categories=self.categories).fit(X)  # fmt: skip
        self.classifier_ = with_layout(self._base_classifier(), self.preprocessor_.layout_)
        self.classifier_.fit(self.preprocessor_.transform(X), y)
        self._set_fitted_attrs()
        labels, counts = np.unique(y, return_counts=True)
        self.class_counts_ = {str(c): int(n) for c, n in zip(labels, counts, strict=True)}
        return self

    def _base_classifier(self):
        if self.classifier is None:
            return GAVAEDNNClassifier()
        return clone(self.classifier)

    def _set_fitted_attrs(self):
        self.classes_ = self.classifier_.classes_
        self.feature_names_in_ = np.asarray(self.preprocessor_.columns_, dtype=object)
        self.n_features_in_ = len(self.feature_names_in_)

    @classmethod
    def from_fitted(cls, preprocessor, classifier) -> DetectionPipeline:
        """A fitted pipeline made of an already fitted preprocessor and classifier
        (e.g. those a model bundle holds)."""
        self = cls(clone(classifier), categorical=list(preprocessor.categorical_))
        self.preprocessor_ = preprocessor
        self.classifier_ = classifier
        self.outlier_report_ = None
        self._set_fitted_attrs()
        return self

    # -- predicting ------------------------------------------------------------------------
    def transform(self, X) -> np.ndarray:
        """The encoded matrix the classifier reads (float32 in [0, 1])."""
        check_is_fitted(self, "classifier_")
        return self.preprocessor_.transform(_as_frame(X))

    @available_if(_classifier_has("predict_proba"))
    def predict_proba(self, X) -> np.ndarray:
        """Class probabilities of raw rows; columns follow ``classes_``."""
        return np.asarray(self.classifier_.predict_proba(self.transform(X)))

    def predict(self, X) -> np.ndarray:
        """Predicted class of every raw row (the classifier's ``predict``)."""
        return np.asarray(self.classifier_.predict(self.transform(X)))

    @property
    def layout_(self):
        """The fitted preprocessing's :class:`~gavae_ids.preprocessing.FeatureLayout`."""
        check_is_fitted(self, "preprocessor_")
        return self.preprocessor_.layout_

    def augmentation_counts(self) -> pd.DataFrame | None:
        """Per class, rows the classifier's sampler was given and generated, when it has one.

        From the GAVAE's ``augmentation_report_`` (``real``, ``generated``) or an
        imbalanced-learn sampler's ``sampling_strategy_`` (rows added per class).
        The sampler sees the classifier's training part only (after its own
        early-stopping validation split). None without a sampler.
        """
        check_is_fitted(self, "classifier_")
        report = getattr(self.classifier_, "augmentation_report_", None)
        if report is not None:
            rep = pd.DataFrame(report)
            return rep.set_index(rep["class"].astype(str))[["real", "generated"]]
        sampler = getattr(self.classifier_, "sampler_", None)
        added = getattr(sampler, "sampling_strategy_", None)
        if not isinstance(added, dict):
            return None
        added = {str(c): int(n) for c, n in added.items()}
        classes = [str(c) for c in self.classes_]
        return pd.DataFrame(
            {"real": np.nan, "generated": [added.get(c, 0) for c in classes]}, index=classes
        )


def with_layout(classifier, layout):
    """``classifier`` with ``layout`` given to every GAVAE sampler it holds that has none.

    A :class:`~gavae_ids.classifiers.GAVAEDNNClassifier` without a sampler gets
    the GAVAE sampler it would build itself (same device and verbosity), with
    the layout, so its decoder generates valid one-hot blocks. Changes
    ``classifier`` in place (pass a clone) and returns it.
    """
    params = classifier.get_params(deep=True)
    if isinstance(classifier, GAVAEDNNClassifier) and params.get("sampler") is None:
        classifier.set_params(sampler=GAVAESampler(layout=layout, device=classifier.device,
                                                   verbose=classifier.verbose))  # fmt: skip
        return classifier
    missing = {f"{k}__layout": layout for k, v in params.items()
               if isinstance(v, GAVAESampler) and v.layout is None}  # fmt: skip
    if missing:
        classifier.set_params(**missing)
    return classifier


def build_pipeline(method: str = "gavae-dnn", *, categorical=None, categories=None,
                   outlier_filter: bool = False, numeric=None, quick: bool = False,
                   paper: bool = False, random_state=0, verbose: bool = True,
                   device: str | None = None, **params) -> DetectionPipeline:  # fmt: skip
    """The unfitted :class:`DetectionPipeline` of a registered method.

    The classifier comes from :func:`gavae_ids.detection.methods.build_method` (presets
    ``paper``/``quick``, ``random_state``, ``verbose``, ``device``; ``params``
    are the method's own, e.g. ``epochs=20`` or ``sampler__n_iter=500``); the
    GAVAE sampler gets its layout when the pipeline is fitted.
    """
    clf = build_method(method, quick=quick, paper=paper, random_state=random_state,
                       verbose=verbose, device=device, **params)  # fmt: skip
    return DetectionPipeline(clf, categorical=categorical, categories=categories,
                             outlier_filter=outlier_filter, numeric=numeric)  # fmt: skip
