"""gavae-ids: intrusion detection on imbalanced network traffic with a GAVAE.

The package follows the data flow of the paper (Saranya & Jayalakshmi):
``datasets`` → ``preprocessing`` → ``sampling`` (GAVAE) → ``classifiers`` →
``evaluation``; ``nn`` holds the pure torch modules.

>>> from gavae_ids import Detector          # doctest: +SKIP
>>> det = Detector.load("model_dir")        # doctest: +SKIP
>>> det.predict(flows_dataframe)            # doctest: +SKIP
"""

from gavae_ids._version import __version__

__all__ = ["Detector", "GAVAESampler", "__version__"]


def __getattr__(name):
    # Lazy: these modules import torch, which the data-only parts of the package don't need.
    if name == "Detector":
        from gavae_ids.detector import Detector

        return Detector
    if name == "GAVAESampler":
        from gavae_ids.sampling import GAVAESampler

        return GAVAESampler
    raise AttributeError(f"module 'gavae_ids' has no attribute {name!r}")
