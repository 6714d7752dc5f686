"""Preprocessing of the paper's §3.5: MAD outlier removal, one-hot encoding, min-max scaling."""

from gavae_ids.preprocessing.fit import fit_preprocessing
from gavae_ids.preprocessing.layout import FeatureLayout, OneHotBlock
from gavae_ids.preprocessing.outliers import MADOutlierFilter
from gavae_ids.preprocessing.transformer import TabularPreprocessor

__all__ = [
    "FeatureLayout",
    "MADOutlierFilter",
    "OneHotBlock",
    "TabularPreprocessor",
    "fit_preprocessing",
]
