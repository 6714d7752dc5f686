"""What the package offers by name: the built-in methods (:func:`get_method`) and the
allow-list of classes a saved file may name (:func:`loadable_class`), both kept in
:mod:`gavae_ids.classifiers.registry` and filled here, the one module that imports
every classifier.
"""

from __future__ import annotations

from imblearn.combine import SMOTEENN
from imblearn.over_sampling import ADASYN, SMOTE, RandomOverSampler

from gavae_ids.classifiers.baselines import make_knn, make_random_forest, make_svm
from gavae_ids.classifiers.cnn import CNNClassifier
from gavae_ids.classifiers.dnn import DNNClassifier
from gavae_ids.classifiers.gavae_dnn import GAVAEDNNClassifier
from gavae_ids.classifiers.peers import (
    SynthesizerOverSampler,
    make_ctgan_dnn,
    make_smote_dnn,
    make_tvae_dnn,
)
from gavae_ids.classifiers.registry import register_loadable, register_method
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
from gavae_ids.preprocessing.layout import FeatureLayout
from gavae_ids.sampling.gavae_sampler import GAVAESampler

# The paper's Tables 6–7 rows, then the peers beyond the paper, then tree models.
register_method("knn", make_knn, display="KNN")
register_method("svm", make_svm, display="SVM")
register_method("rf", make_random_forest, display="RF")
register_method("cnn", CNNClassifier, display="CNN")
register_method("dnn", DNNClassifier, display="DNN")
register_method("gavae-dnn", GAVAEDNNClassifier, display="GAVAE-DNN")
register_method("smote-dnn", make_smote_dnn, display="SMOTE+DNN")
register_method("ctgan-dnn", make_ctgan_dnn, requires="ctgan", display="CTGAN+DNN")
register_method("tvae-dnn", make_tvae_dnn, requires="ctgan", display="TVAE+DNN")
register_method("lgbm", make_lightgbm, requires="lightgbm", display="LightGBM")
register_method("smote-lgbm", make_smote_lgbm, requires="lightgbm", display="SMOTE+LightGBM")
register_method("gavae-lgbm", make_gavae_lgbm, requires="lightgbm", display="GAVAE+LightGBM")
register_method("smote-rf", make_smote_rf, display="SMOTE+RF")
register_method("gavae-rf", make_gavae_rf, display="GAVAE+RF")

# Classifiers a bundle (or a ResampledClassifier) may hold: each reads its own files.
register_loadable(DNNClassifier, CNNClassifier, GAVAEDNNClassifier, RFClassifier,
                  HGBClassifier, LightGBMClassifier, ResampledClassifier)  # fmt: skip
# The GAVAE a bundle may hold, and what saved parameters may name: samplers, the GAVAE's
# FeatureLayout, the classifier a ResampledClassifier wraps.
register_loadable(GAVAESampler, SynthesizerOverSampler, SMOTE, ADASYN, RandomOverSampler,
                  SMOTEENN, FeatureLayout)  # fmt: skip
