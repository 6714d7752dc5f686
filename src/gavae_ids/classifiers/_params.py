"""Constructor parameters ↔ JSON, for the classifiers' ``config.json``.

Estimator-valued parameters (a sampler, its FeatureLayout, a wrapped tree classifier) are
saved as class path + parameters. On load only the classes on the allow-list
(:func:`~gavae_ids.classifiers.registry.loadable_class`) are rebuilt, looked up there
(nothing is imported by a name read from the file): a file naming any other callable — a
function that deletes files, say — gets None, so loading never runs its code.
"""

from __future__ import annotations

import warnings

import numpy as np
from sklearn.base import BaseEstimator

from gavae_ids.classifiers.registry import loadable_class, qualified_name
from gavae_ids.exceptions import ModelFileError


def to_json(value):
    """Constructor parameter → JSON value (estimators as ``{"__estimator__", "params"}``)."""
    if isinstance(value, BaseEstimator):
        cls = type(value)
        return {
            "__estimator__": qualified_name(cls),
            "params": {k: to_json(v) for k, v in value.get_params(deep=False).items()},
        }
    if hasattr(value, "to_dict") and hasattr(type(value), "from_dict"):
        cls = type(value)  # e.g. a FeatureLayout given to a GAVAESampler
        return {"__object__": qualified_name(cls), "dict": value.to_dict()}
    if isinstance(value, (list, tuple)):
        return [to_json(v) for v in value]
    if isinstance(value, dict) and all(isinstance(k, str) for k in value):
        return {k: to_json(v) for k, v in value.items()}
    if isinstance(value, np.generic):
        return value.item()
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    return {"__repr__": repr(value)}


def from_json(value):
    """Inverse of :func:`to_json`; lists come back as tuples, unknown objects as ``None``."""
    if isinstance(value, list):
        return tuple(from_json(v) for v in value)
    if not isinstance(value, dict):
        return value
    if "__repr__" in value:
        warnings.warn(f"parameter {value['__repr__']} was not saved; set to None", stacklevel=3)
        return None
    if "__estimator__" in value or "__object__" in value:
        path = value.get("__estimator__") or value["__object__"]
        try:
            cls = loadable_class(path, files=False)
        except ModelFileError:
            cls = None
        is_object = "__object__" in value
        if cls is None or is_object != hasattr(cls, "from_dict"):
            warnings.warn(f"{path} is not rebuilt on load; set to None", stacklevel=3)
            return None
        try:
            if is_object:
                return cls.from_dict(value["dict"])
            params = {k: from_json(v) for k, v in value["params"].items()}
            if hasattr(cls, "from_saved_params"):  # estimators whose parameters changed
                return cls.from_saved_params(params)
            return cls(**params)
        except (AttributeError, TypeError, ValueError, KeyError, ModelFileError) as e:
            warnings.warn(f"{path} could not be rebuilt ({e}); set to None", stacklevel=3)
            return None
    return {k: from_json(v) for k, v in value.items()}
