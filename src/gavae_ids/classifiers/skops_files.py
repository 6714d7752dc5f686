"""scikit-learn forests saved as skops files, and the allow-list that guards loading them.

A skops file (``model.skops``, a zip of JSON and ``.npy`` arrays) holds data only.
Before anything in it is built, every type the file names that skops does not trust
by default (``skops.io.get_untrusted_types``) is checked against :data:`SKOPS_TYPES`
and the one allow-list of loadable classes (:mod:`gavae_ids.classifiers.registry`);
a file naming any other type is refused with the type's name, unread. Only then is
it loaded, trusting exactly those types — never ``trusted=True``, never pickle.

Why skops rather than ONNX for the scikit-learn models: skops stores the fitted
estimator itself, so a loaded forest is the same scikit-learn object and its
probabilities are bit-identical (ONNX runs a float32 re-implementation whose
probabilities differ in the last digits, and needs skl2onnx + onnxruntime,
two large binary dependencies, against skops' small pure-Python one).
"""

from __future__ import annotations

import zipfile
from pathlib import Path

from sklearn.utils.validation import check_is_fitted

from gavae_ids._util.persistence import read_config, save_config, verified_file
from gavae_ids.classifiers._optional import _require, _version, _warn_other_version
from gavae_ids.classifiers.registry import loadable_class, qualified_name
from gavae_ids.exceptions import ModelFileError

SKOPS_FILE = "model.skops"

#: Types of scikit-learn a skops file of ours may hold beyond those skops trusts by default
#: (scikit-learn's estimators, numpy arrays and dtypes, Python builtins): the trees' array
#: containers. Our own classes (RFClassifier, HGBClassifier) pass when they are on the one
#: allow-list of loadable classes (:func:`~gavae_ids.classifiers.registry.loadable_class`).
#: Anything else is refused unread.
SKOPS_TYPES = frozenset({
    "sklearn.tree._tree.Tree",
    "sklearn.ensemble._hist_gradient_boosting.predictor.TreePredictor",
})  # fmt: skip


def _allowed(type_name: str) -> bool:
    if type_name in SKOPS_TYPES:
        return True
    try:
        return qualified_name(loadable_class(type_name, files=False)) == type_name
    except ModelFileError:
        return False


def load_skops(file: Path, expected: type):
    """The estimator of the skops file ``file``, refused unless every type is allowed.

    Raises
    ------
    ModelFileError
        The file is not a skops file, names a type outside scikit-learn's own
        and :data:`SKOPS_TYPES` (nothing of it is built then), or holds
        something other than an ``expected``.
    """
    sio = _require("skops.io", f"loading {file}", ModelFileError)

    unreadable = (zipfile.BadZipFile, KeyError, ValueError, TypeError, OSError, AttributeError)
    try:
        untrusted = sio.get_untrusted_types(file=file)
    except unreadable as e:
        raise ModelFileError(f"{file}: not a readable skops model file ({e!r})") from None
    refused = sorted(t for t in set(untrusted) if not _allowed(t))
    if refused:
        raise ModelFileError(
            f"{file}: holds the type(s) {', '.join(refused)}, which gavae-ids never loads "
            "(a model file may hold only scikit-learn's estimators, "
            f"{', '.join(sorted(SKOPS_TYPES))} and gavae-ids' loadable classes); the file "
            "was not loaded"
        )
    try:
        est = sio.load(file, trusted=sorted(untrusted))
    except unreadable as e:
        raise ModelFileError(f"{file}: skops model cannot be rebuilt ({e!r})") from None
    if type(est) is not expected:
        raise ModelFileError(
            f"{file}: holds a {type(est).__name__}, expected a {expected.__name__}"
        )
    return est


class _SkopsSaved:
    """``save``/``load`` of a scikit-learn estimator subclass through a skops file."""

    #: Modules ``save`` needs (checked by ``check_bundleable`` before training).
    _saving_requires = ("skops",)
    #: ``verbose`` is scikit-learn's log level here, not our progress bar.
    _sklearn_verbose = True

    @classmethod
    def _kind(cls) -> str:
        return f"classifier/{cls.__name__}"

    def save(self, path) -> Path:
        """Write ``model.skops`` (the fitted estimator) and ``config.json`` to ``path``."""
        check_is_fitted(self)
        sio = _require("skops.io", f"saving a {type(self).__name__}")
        path = Path(path)
        path.mkdir(parents=True, exist_ok=True)
        sio.dump(self, path / SKOPS_FILE)
        config = {"class": type(self).__name__, "n_features_in": int(self.n_features_in_)}
        return save_config(path, config, self._kind(), files=[SKOPS_FILE],
                           versions={"skops": _version("skops")})  # fmt: skip

    @classmethod
    def load(cls, path, *, device: str | None = None, n_jobs: int | None = None):
        """Rebuild an estimator written by :meth:`save`.

        ``device`` is accepted for the bundle API and ignored (trees run on the
        CPU); ``n_jobs`` overrides the saved number of threads of ``predict``.

        Raises
        ------
        ModelFileError
            A file is missing, altered (checksum), of another kind, or names a type
            outside the allow-list (see :func:`load_skops`).
        """
        meta = read_config(path, kind=cls._kind())
        est = load_skops(verified_file(path, meta, SKOPS_FILE), cls)
        _warn_other_version(path, meta, "skops")
        if n_jobs is not None and "n_jobs" in est.get_params(deep=False):
            est.set_params(n_jobs=n_jobs)
        return est
