"""Every classifier the paper compares, as scikit-learn classifiers (paper §4.2, §5.5).

* :class:`GAVAEDNNClassifier` — the proposed GAVAE-DNN, end to end;
* :class:`DNNClassifier`, :class:`CNNClassifier` — the torch baselines;
* :func:`make_knn`, :class:`SVMClassifier`, :func:`make_random_forest` — the classical ones;
* peers: :func:`make_smote_dnn`, :func:`make_ctgan_dnn`, :func:`make_tvae_dnn`;
* :func:`get_method` / :func:`register_method` / :func:`available_methods` — by name.
"""

from gavae_ids.classifiers.base import TorchClassifier, validation_split
from gavae_ids.classifiers.baselines import (
    SVMClassifier,
    make_knn,
    make_random_forest,
    make_svm,
)
from gavae_ids.classifiers.cnn import CNNClassifier
from gavae_ids.classifiers.dnn import DNNClassifier
from gavae_ids.classifiers.gavae_dnn import (
    EncoderMismatchError,
    GAVAEDNNClassifier,
    init_from_encoder,
)
from gavae_ids.classifiers.peers import (
    SynthesizerOverSampler,
    ctgan_available,
    make_ctgan_dnn,
    make_smote_dnn,
    make_tvae_dnn,
)
from gavae_ids.classifiers.registry import available_methods, get_method, register_method

__all__ = [
    "CNNClassifier",
    "DNNClassifier",
    "EncoderMismatchError",
    "GAVAEDNNClassifier",
    "SVMClassifier",
    "SynthesizerOverSampler",
    "TorchClassifier",
    "available_methods",
    "ctgan_available",
    "get_method",
    "init_from_encoder",
    "make_ctgan_dnn",
    "make_knn",
    "make_random_forest",
    "make_smote_dnn",
    "make_svm",
    "make_tvae_dnn",
    "register_method",
    "validation_split",
]
