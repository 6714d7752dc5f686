"""Peers beyond the paper: the same DNN trained on data balanced by other augmenters.

Each peer is a :class:`~gavae_ids.classifiers.DNNClassifier` with a ``sampler``,
so the validation split, the network and the training are those of the DNN
baseline and only the training data differ — a fair comparison of augmenters.

* SMOTE + DNN (imbalanced-learn's ``SMOTE``);
* CTGAN + DNN and TVAE + DNN, through :class:`SynthesizerOverSampler`, which
  needs the optional ``ctgan`` package (``pip install gavae-ids[ctgan]``).
"""

from __future__ import annotations

import importlib.util
from numbers import Integral

import numpy as np
import pandas as pd
from imblearn.over_sampling import SMOTE
from imblearn.over_sampling.base import BaseOverSampler
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, StrOptions

from gavae_ids.classifiers.dnn import DNNClassifier


def ctgan_available() -> bool:
    """Whether the optional ``ctgan`` package can be imported."""
    return importlib.util.find_spec("ctgan") is not None


class SynthesizerOverSampler(BaseOverSampler):
    """Oversample with a CTGAN or TVAE (``ctgan`` package) fitted per class to oversample.

    For every class the sampling strategy asks to grow, one synthesizer is
    trained on that class's rows only and asked for the missing count; the
    synthetic rows carry that class's label. (TVAE has no conditional
    sampling, and CTGAN's conditional vector does not guarantee the label, so
    one model per class is the way to hit per-class targets exactly.) Columns
    holding only 0/1 are passed as discrete (one-hot blocks, flags), the
    others as continuous.

    The ``ctgan`` package draws from the global numpy/torch RNGs; it saves and
    restores them around its calls when seeded, which this sampler always does.

    Parameters
    ----------
    synthesizer : {"ctgan", "tvae"}, default="ctgan"
    sampling_strategy : str, dict or callable, default="auto"
        As in imbalanced-learn.
    epochs : int, default=300
        Training epochs of each synthesizer (the ``ctgan`` default).
    batch_size : int, default=500
        Synthesizer batch size (CTGAN needs a multiple of its ``pac``, 10).
    synthesizer_params : dict, optional
        Further keyword arguments of ``ctgan.CTGAN`` / ``ctgan.TVAE``.
    random_state : int, RandomState or None

    Attributes
    ----------
    synthesizers_ : dict
        Class label → fitted synthesizer.
    """

    _parameter_constraints: dict = {
        **BaseOverSampler._parameter_constraints,
        "synthesizer": [StrOptions({"ctgan", "tvae"})],
        "epochs": [Interval(Integral, 1, None, closed="left")],
        "batch_size": [Interval(Integral, 2, None, closed="left")],
        "synthesizer_params": [dict, None],
        "random_state": ["random_state"],
    }

    def __init__(self, *, synthesizer="ctgan", sampling_strategy="auto", epochs=300,
                 batch_size=500, synthesizer_params=None, random_state=None):  # fmt: skip
        super().__init__(sampling_strategy=sampling_strategy)
        self.synthesizer = synthesizer
        self.epochs = epochs
        self.batch_size = batch_size
        self.synthesizer_params = synthesizer_params
        self.random_state = random_state

    def _build(self):
        import ctgan

        cls = ctgan.CTGAN if self.synthesizer == "ctgan" else ctgan.TVAE
        return cls(epochs=self.epochs, batch_size=self.batch_size,
                   **(self.synthesizer_params or {}))  # fmt: skip

    def _fit_resample(self, X, y):
        if not ctgan_available():
            raise ImportError(
                f"the {self.synthesizer} peer needs the optional 'ctgan' package: "
                "pip install 'gavae-ids[ctgan]'"
            )
        rng = check_random_state(self.random_state)
        columns = [f"x{i}" for i in range(X.shape[1])]
        X_new, y_new = [X], [y]
        self.synthesizers_ = {}
        for label, n_new in self.sampling_strategy_.items():
            if n_new <= 0:
                continue
            rows = pd.DataFrame(X[y == label], columns=columns)
            discrete = [c for c in columns if rows[c].isin((0.0, 1.0)).all()]
            model = self._build()
            model.set_random_state(int(rng.randint(0, 2**31 - 1)))
            model.fit(rows, discrete_columns=discrete)
            fake = model.sample(int(n_new))
            X_new.append(fake[columns].to_numpy(dtype=X.dtype))
            y_new.append(np.full(int(n_new), label, dtype=y.dtype))
            self.synthesizers_[label] = model
        return np.vstack(X_new), np.concatenate(y_new)


def make_smote_dnn(*, k_neighbors: int = 5, **dnn_params) -> DNNClassifier:
    """SMOTE (``k_neighbors`` = 5, every class up to the majority count) + the DNN baseline."""
    return DNNClassifier(sampler=SMOTE(k_neighbors=k_neighbors), **dnn_params)


def make_ctgan_dnn(*, epochs: int = 300, synthesizer_params: dict | None = None,
                   **dnn_params) -> DNNClassifier:  # fmt: skip
    """CTGAN (per class, ``ctgan`` defaults) + the DNN baseline; needs ``ctgan``."""
    sampler = SynthesizerOverSampler(synthesizer="ctgan", epochs=epochs,
                                     synthesizer_params=synthesizer_params)  # fmt: skip
    return DNNClassifier(sampler=sampler, **dnn_params)


def make_tvae_dnn(*, epochs: int = 300, synthesizer_params: dict | None = None,
                  **dnn_params) -> DNNClassifier:  # fmt: skip
    """TVAE (per class, ``ctgan`` defaults) + the DNN baseline; needs ``ctgan``."""
    sampler = SynthesizerOverSampler(synthesizer="tvae", epochs=epochs,
                                     synthesizer_params=synthesizer_params)  # fmt: skip
    return DNNClassifier(sampler=sampler, **dnn_params)
