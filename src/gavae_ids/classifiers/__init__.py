"""Every classifier the paper compares, as scikit-learn classifiers (paper §4.2, §5.5).

* :class:`GAVAEDNNClassifier` — the proposed GAVAE-DNN, end to end;
* :class:`DNNClassifier`, :class:`CNNClassifier` — the torch baselines;
* :func:`make_knn`, :class:`SVMClassifier`, :func:`make_random_forest` — the classical ones;
* peers: :func:`make_smote_dnn`, :func:`make_ctgan_dnn`, :func:`make_tvae_dnn`;
* tree models a bundle can hold: :class:`RFClassifier`, :class:`HGBClassifier`,
  :class:`LightGBMClassifier`, and :class:`ResampledClassifier` (resample, then fit
  a classifier: GAVAE+RF, SMOTE+LightGBM, …);
* :func:`get_method` / :func:`register_method` / :func:`unregister_method` /
  :func:`available_methods` — by name;
* :func:`loadable_class` / :func:`check_bundleable` — the one allow-list of classes a
  saved file may name (filled by :mod:`gavae_ids.classifiers.catalog`).
"""

from gavae_ids.classifiers import catalog as _catalog  # noqa: F401 (registers the built-ins)
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
from gavae_ids.classifiers.registry import (
    available_methods,
    check_bundleable,
    get_method,
    loadable_class,
    register_loadable,
    register_method,
    unregister_method,
)
from gavae_ids.classifiers.resampled import (
    ResampledClassifier,
    make_gavae_lgbm,
    make_gavae_rf,
    make_smote_lgbm,
    make_smote_rf,
)
from gavae_ids.classifiers.trees import (
    HGBClassifier,
    LightGBMClassifier,
    RFClassifier,
    make_lightgbm,
)

__all__ = [
    "CNNClassifier",
    "DNNClassifier",
    "EncoderMismatchError",
    "GAVAEDNNClassifier",
    "HGBClassifier",
    "LightGBMClassifier",
    "RFClassifier",
    "ResampledClassifier",
    "SVMClassifier",
    "SynthesizerOverSampler",
    "TorchClassifier",
    "available_methods",
    "check_bundleable",
    "ctgan_available",
    "get_method",
    "init_from_encoder",
    "loadable_class",
    "make_ctgan_dnn",
    "make_gavae_lgbm",
    "make_gavae_rf",
    "make_lightgbm",
    "make_knn",
    "make_random_forest",
    "make_smote_dnn",
    "make_smote_lgbm",
    "make_smote_rf",
    "make_svm",
    "make_tvae_dnn",
    "register_loadable",
    "register_method",
    "unregister_method",
    "validation_split",
]
