"""Build every compared method by name; users can add their own. Also the one allow-list of
classes a saved file may name (:func:`loadable_class`).

The built-in methods and loadable classes are registered by
:mod:`gavae_ids.classifiers.catalog`; this module only keeps the two tables, so
every classifier module can use it without importing the others.

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

from gavae_ids._util.moved import current_path
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


# -- the allow-list of loadable classes ------------------------------------------------------
#: Every class a saved file may name, by ``module.qualname``. Loading looks names up here
#: and never imports by a name read from a file, so a file naming any other callable (a
#: function that deletes files, say) cannot make us run it.
_LOADABLE: dict[str, type] = {}


def qualified_name(cls: type) -> str:
    """``module.qualname`` of ``cls``, the way saved parameters name it."""
    return f"{cls.__module__}.{cls.__qualname__}"


def register_loadable(*classes: type) -> None:
    """Allow saved files to name ``classes`` (see :func:`loadable_class`)."""
    for cls in classes:
        _LOADABLE[qualified_name(cls)] = cls


def loadable_class(name: str, *, files: bool = True) -> type:
    """The class ``name`` that a saved file may name: the one allow-list of loadable classes.

    Parameters
    ----------
    name : str
        A class name (``"DNNClassifier"``: what a bundle's manifest and a
        ResampledClassifier's config record) or a dotted ``module.Class`` path (what
        saved estimator parameters record; a module path from before a move, such as
        ``gavae_ids.persistence``, is read as its new one).
    files : bool, default=True
        Also require that the class reads and writes its own files (``save`` and
        ``load``): what a bundle's classifier or GAVAE part must be.

    Raises
    ------
    ModelFileError
        ``name`` is not such a class.
    """
    if "." in name:
        cls = _LOADABLE.get(current_path(name))
    else:
        found = [c for c in _LOADABLE.values() if c.__qualname__ == name]
        cls = found[0] if len(found) == 1 else None
    if cls is not None and files and not (callable(getattr(cls, "load", None))
                                          and callable(getattr(cls, "save", None))):  # fmt: skip
        cls = None
    if cls is None:
        raise ModelFileError(
            f"class {name!r} is not a gavae-ids classifier this version can load from a file"
        )
    return cls


def _is_bundleable(estimator) -> bool:
    return callable(getattr(estimator, "save", None)) and callable(
        getattr(type(estimator), "load", None)
    )


def check_bundleable(estimator, method: str | None = None) -> None:
    """Raise :class:`ModelFileError` when ``estimator`` cannot be stored in a model bundle.

    A bundle stores weights (safetensors), tree models (LightGBM text, skops with
    an allow-list) and JSON only. Estimators without ``save``/``load`` in such a
    form — scikit-learn's KNN, SVM — would need pickle, which is refused because
    loading a pickle executes code from the file. Checked too: that the class is
    on the allow-list (:func:`loadable_class`) under its name, the optional
    packages saving needs (``skops``, ``lightgbm``), and the classifier a
    :class:`~gavae_ids.classifiers.ResampledClassifier` wraps.
    """
    name = method or type(estimator).__name__
    if not _is_bundleable(estimator):
        raise ModelFileError(
            f"method {name!r} ({type(estimator).__name__}) cannot be saved in a model bundle: "
            "bundles hold only safetensors weights, LightGBM/skops tree files and JSON, and "
            "this model could only be stored by pickling, which would run code from the file "
            "when loaded. Use a method such as gavae-dnn, dnn, rf, gavae-rf or lgbm for a "
            "detector you want to save"
        )
    try:
        exported = loadable_class(type(estimator).__name__) is type(estimator)
    except ModelFileError:
        exported = False
    if not exported:
        raise ModelFileError(
            f"method {name!r}: class {type(estimator).__name__} is not exported by "
            "gavae_ids.classifiers, so a bundle could not name it safely for loading"
        )
    for module in getattr(estimator, "_saving_requires", ()):
        if importlib.util.find_spec(module) is None:
            raise ModelFileError(
                f"method {name!r}: saving a {type(estimator).__name__} needs the optional "
                f"package {module!r}: pip install 'gavae-ids[trees]'"
            )
    for part in getattr(estimator, "_bundle_parts", list)():
        check_bundleable(part, method)
