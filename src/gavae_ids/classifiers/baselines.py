"""The paper's classical baselines KNN, SVM and RF (Tables 6–7), with documented defaults.

The paper gives no hyperparameters for them; the defaults are scikit-learn's
usual ones, written out here so a report can state them.
"""

from __future__ import annotations

import numpy as np
from scipy.special import expit, softmax
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.kernel_approximation import Nystroem
from sklearn.neighbors import KNeighborsClassifier
from sklearn.pipeline import make_pipeline
from sklearn.svm import SVC, LinearSVC
from sklearn.utils import check_random_state
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted, validate_data

from gavae_ids.classifiers._mixins import ArgmaxPredictMixin
from gavae_ids.classifiers.trees import RFClassifier


def make_knn(*, n_neighbors: int = 5, weights: str = "uniform", n_jobs: int | None = None,
             random_state=None, **params) -> KNeighborsClassifier:  # fmt: skip
    """K-nearest neighbours: 5 neighbours, uniform weights, Euclidean distance.

    ``predict_proba`` is the share of the neighbours in each class. KNN is
    deterministic; ``random_state`` is accepted (and ignored) so that every
    method can be built with the same keywords.
    """
    return KNeighborsClassifier(n_neighbors=n_neighbors, weights=weights, n_jobs=n_jobs, **params)


def make_random_forest(*, n_estimators: int = 100, max_features: str = "sqrt",
                       n_jobs: int | None = -1, random_state=None,
                       **params):  # fmt: skip
    """Random forest: 100 fully grown trees, √F features per split, Gini impurity.

    An :class:`~gavae_ids.classifiers.RFClassifier` (scikit-learn's forest, savable
    in a model bundle). ``n_jobs=-1`` fits and predicts on all cores; the trees do
    not depend on it.
    """
    return RFClassifier(
        n_estimators=n_estimators, max_features=max_features, n_jobs=n_jobs,
        random_state=random_state, **params,
    )  # fmt: skip


class SVMClassifier(ArgmaxPredictMixin, ClassifierMixin, BaseEstimator):
    """RBF support vector machine that stays practical on large training sets.

    Up to ``max_exact_samples`` training rows it is an exact RBF ``SVC``
    (one-vs-one, libsvm). Above, libsvm's roughly quadratic-to-cubic cost in
    the number of rows makes the exact SVC impractical on 2 cores (the
    UNSW-NB15 training split has ≈55k rows × 196 features), so the RBF kernel
    is approximated by a ``Nystroem`` map of ``n_components`` landmarks and a
    ``LinearSVC`` (one-vs-rest, dual solver) is trained on it: linear time in
    the rows, same kernel and ``gamma``. ``solver_`` says which was used.

    Measured on the UNSW-NB15 split (54,888 × 190 training rows, 27,444 test
    rows, 2 busy cores): exact SVC fit 198 s + predict 110 s, accuracy 0.799;
    Nyström-500 + LinearSVC fit 27–49 s (dual; the primal solver took 109 s) +
    predict 1 s, accuracy 0.829.

    ``predict_proba`` returns the softmax of the one-vs-rest decision values
    (a sigmoid for two classes): uncalibrated scores that rank like the
    decision function, which is what ROC/AUC needs, at no extra cost (Platt
    scaling would refit the SVM five times). ``predict`` is their arg-max, so
    the two always agree.

    Parameters
    ----------
    C : float, default=1.0
        Regularisation (both solvers).
    gamma : "scale" or float, default="scale"
        RBF width; ``"scale"`` is ``1 / (n_features · X.var())`` as in ``SVC``.
    max_exact_samples : int, default=30000
        Largest training set fitted with the exact ``SVC``. On NSL-KDD 20 %
        (25k rows) the exact SVC fits in ≈5 s on 2 cores.
    n_components : int, default=500
        Nyström landmarks above the threshold.
    random_state : int, RandomState or None
        Seeds the Nyström landmarks and ``LinearSVC``.

    Attributes
    ----------
    estimator_ : SVC or Pipeline
        The fitted model.
    solver_ : {"exact", "nystroem"}
    classes_ : ndarray
    """

    def __init__(self, *, C=1.0, gamma="scale", max_exact_samples=30_000, n_components=500,
                 random_state=None):  # fmt: skip
        self.C = C
        self.gamma = gamma
        self.max_exact_samples = max_exact_samples
        self.n_components = n_components
        self.random_state = random_state

    def fit(self, X, y):
        X, y = validate_data(self, X, y)
        check_classification_targets(y)
        self.classes_ = np.unique(y)
        if len(self.classes_) < 2:
            raise ValueError(f"y holds one class ({self.classes_[0]!r}); need two or more")
        rng = check_random_state(self.random_state)
        seed = int(rng.randint(0, 2**31 - 1))
        gamma = self.gamma
        if gamma == "scale":
            var = X.var()
            gamma = 1.0 / (X.shape[1] * var) if var > 0 else 1.0
        if len(X) <= self.max_exact_samples:
            self.solver_ = "exact"
            self.estimator_ = SVC(C=self.C, kernel="rbf", gamma=gamma, cache_size=500,
                                  decision_function_shape="ovr", random_state=seed)  # fmt: skip
        else:
            self.solver_ = "nystroem"
            self.estimator_ = make_pipeline(
                Nystroem(kernel="rbf", gamma=gamma, n_components=min(self.n_components, len(X)),
                         random_state=seed),
                LinearSVC(C=self.C, dual=True, max_iter=2000, random_state=seed),
            )  # fmt: skip
        self.estimator_.fit(X, y)
        return self

    def decision_function(self, X) -> np.ndarray:
        """One-vs-rest decision values, shape (n, n_classes); (n,) for two classes."""
        check_is_fitted(self)
        X = validate_data(self, X, reset=False)
        return self.estimator_.decision_function(X)

    def predict_proba(self, X) -> np.ndarray:
        """Softmax (sigmoid for two classes) of the decision values; uncalibrated."""
        d = self.decision_function(X)
        if d.ndim == 1:
            p = expit(d)
            return np.column_stack([1.0 - p, p])
        return softmax(d, axis=1)


def make_svm(**params) -> SVMClassifier:
    """The SVM baseline; see :class:`SVMClassifier` for the defaults and the size threshold."""
    return SVMClassifier(**params)
