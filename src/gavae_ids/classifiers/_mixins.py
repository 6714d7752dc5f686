"""What every probabilistic classifier of the library shares: ``predict`` and its file kind."""

from __future__ import annotations

import numpy as np


class ArgmaxPredictMixin:
    """``predict`` = the class of highest ``predict_proba``; ``_kind`` = the model-file kind.

    Put it before scikit-learn's ``ClassifierMixin`` and ``BaseEstimator`` in the bases.
    """

    def predict(self, X) -> np.ndarray:
        """Most probable class of each row."""
        proba = self.predict_proba(X)
        return self.classes_[proba.argmax(axis=1)]

    @classmethod
    def _kind(cls) -> str:
        return f"classifier/{cls.__name__}"
