"""gavae-ids: intrusion detection on imbalanced network traffic with a GAVAE.

The package follows the data flow of the paper (Saranya & Jayalakshmi):
``datasets`` → ``preprocessing`` → ``sampling`` (GAVAE) → ``classifiers`` →
``detection`` (pipeline, detector, bundle) → ``scoring`` / ``experiments``;
``nn`` holds the pure torch modules and ``training`` their training loops.

>>> from gavae_ids import Detector          # doctest: +SKIP
>>> det = Detector.load("model_dir")        # doctest: +SKIP
>>> det.predict(flows_dataframe)            # doctest: +SKIP

Modules that moved when the flat top level was grouped by job (``gavae_ids.detector`` →
``gavae_ids.detection.detector``, …; the table is :data:`gavae_ids._util.moved.MOVED`)
still import under their old names, with a :class:`DeprecationWarning`.
"""

from gavae_ids._util import moved as _moved
from gavae_ids._version import __version__

_moved.install()

#: Public name → the module that defines it; imported on first use, since these modules
#: import torch, which the data-only parts of the package don't need.
_PUBLIC = {
    "Detector": "gavae_ids.detection.detector",
    "TrainingSchema": "gavae_ids.detection.schema",
    "DetectionPipeline": "gavae_ids.detection.pipeline",
    "build_pipeline": "gavae_ids.detection.pipeline",
    "ModelCard": "gavae_ids.detection.model_card",
    "NoveltyThresholds": "gavae_ids.detection.novelty",
    "train_detector": "gavae_ids.detection.train",
    "GAVAESampler": "gavae_ids.sampling.gavae_sampler",
}

__all__ = [*sorted(_PUBLIC), "__version__"]


def __getattr__(name):
    if name in _PUBLIC:
        import importlib

        return getattr(importlib.import_module(_PUBLIC[name]), name)
    raise AttributeError(f"module 'gavae_ids' has no attribute {name!r}")


def __dir__():
    return sorted([*globals(), *_PUBLIC])
