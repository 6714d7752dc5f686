"""Build every compared method by name; users can add their own.

>>> from gavae_ids.classifiers import get_method, register_method
>>> get_method("rf", random_state=0)
RFClassifier(n_jobs=-1, random_state=0)
>>> from sklearn.linear_model import LogisticRegression
>>> register_method("logreg", LogisticRegression)
>>> "logreg" in available_methods()
True
"""

from __future__ import annotations

import importlib.util
from collections.abc import Callable
from dataclasses import dataclass

from gavae_ids.classifiers.baselines import make_knn, make_random_forest, make_svm
from gavae_ids.classifiers.cnn import CNNClassifier
from gavae_ids.classifiers.dnn import DNNClassifier
from gavae_ids.classifiers.gavae_dnn import GAVAEDNNClassifier
from gavae_ids.classifiers.peers import make_ctgan_dnn, make_smote_dnn, make_tvae_dnn
from gavae_ids.classifiers.resampled import (
    make_gavae_lgbm,
    make_gavae_rf,
    make_smote_lgbm,
    make_smote_rf,
)
from gavae_ids.classifiers.trees import make_lightgbm
from gavae_ids.exceptions import ModelFileError


@dataclass(frozen=True)
class _Entry:
    factory: Callable
    requires: str | None = None  # a module that must be importable
    display: str | None = None  # the spelling of reports and tables (default: the name)


_METHODS: dict[str, _Entry] = {}


def register_method(name: str, factory: Callable, *, requires: str | None = None,
                    display: str | None = None, overwrite: bool = False) -> None:  # fmt: skip
    """Make ``factory(**params)`` available as ``get_method(name, **params)``.

    Parameters
    ----------
    name : str
        Method name (case-insensitive), e.g. ``"gavae-dnn"``.
    factory : callable
        Returns an unfitted scikit-learn classifier; an estimator class works.
    requires : str, optional
        A module the method needs; without it the method is left out of
        :func:`available_methods`.
    display : str, optional
        How reports and tables spell it (``"GAVAE+LightGBM"``); default ``name``.
        Either spelling is accepted wherever a method name is.
    overwrite : bool, default=False
        Replace an existing entry instead of raising ``ValueError``.
    """
    key = name.lower()
    if key in _METHODS and not overwrite:
        raise ValueError(f"method {name!r} is already registered; pass overwrite=True")
    _METHODS[key] = _Entry(factory, requires, display)


def method_key(name: str) -> str:
    """The registry name of ``name``, given either spelling (``"SMOTE+DNN"`` → ``"smote-dnn"``);
    an unknown name comes back lower-cased."""
    key = name.strip().lower()
    if key in _METHODS:
        return key
    by_display = {(e.display or k).lower(): k for k, e in _METHODS.items()}
    return by_display.get(key, key)


def display_name(name: str) -> str:
    """How reports spell the method ``name`` (either spelling); unknown names unchanged."""
    entry = _METHODS.get(method_key(name))
    return name if entry is None else (entry.display or method_key(name))


def unregister_method(name: str) -> None:
    """Remove the method ``name`` (case-insensitive); ``KeyError`` when it is not registered."""
    key = name.lower()
    if key not in _METHODS:
        raise KeyError(f"unknown method {name!r}")
    del _METHODS[key]


def get_method(name: str, **params):
    """A new, unfitted classifier for method ``name`` built with ``params``.

    Raises
    ------
    KeyError
        ``name`` is not registered (the message lists the known names).
    ImportError
        The method's optional dependency is missing.
    """
    key = method_key(name)
    if key not in _METHODS:
        raise KeyError(f"unknown method {name!r}; known: {', '.join(sorted(_METHODS))}")
    entry = _METHODS[key]
    if entry.requires and importlib.util.find_spec(entry.requires) is None:
        raise ImportError(f"method {name!r} needs the module {entry.requires!r}, not installed")
    return entry.factory(**params)


def available_methods(*, include_unavailable: bool = False) -> list[str]:
    """Registered method names in registration order (usable ones only, by default)."""
    return [
        k for k, e in _METHODS.items()
        if include_unavailable or not e.requires or importlib.util.find_spec(e.requires)
    ]  # fmt: skip


def loadable_class(name: str) -> type:
    """The classifier class ``name`` that a saved model (or a bundle's manifest) may name.

    Only classes exported by :mod:`gavae_ids.classifiers` that have ``save`` and
    ``load`` are accepted — the one allow-list of loadable classifiers — so a
    file cannot make us import or run anything else.

    Raises
    ------
    ModelFileError
        ``name`` is not such a class.
    """
    import gavae_ids.classifiers as classifiers

    cls = getattr(classifiers, name, None) if name.isidentifier() else None
    if not (isinstance(cls, type) and callable(getattr(cls, "load", None))
            and callable(getattr(cls, "save", None))):  # fmt: skip
        raise ModelFileError(
            f"classifier class {name!r} is not a gavae-ids classifier this version can load"
        )
    return cls


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
