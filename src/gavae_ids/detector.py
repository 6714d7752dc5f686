"""A trained detector as one self-contained folder (a *bundle*), and its Python API.

A bundle holds everything needed to score raw traffic records, and nothing
that could run code when read::

    model_dir/
      manifest.json       format + version, library versions, creation time, method,
                          classes (label map), normal label, training schema
                          (columns in order, numeric/categorical, category vocabularies),
                          SHA-256 of every other file
      model_card.json     optional: validation figures vs the majority baseline, and
      model_card.md       warnings when the model is no better (:mod:`gavae_ids.model_card`)
      preprocessor.json   the fitted TabularPreprocessor (one-hot + min-max, JSON)
      classifier/         the classifier's own save folder: config.json plus
                          weights.safetensors (torch classifiers), model.txt
                          (LightGBM's text format) or model.skops (scikit-learn
                          forests); a ResampledClassifier nests its classifier's
      gavae/              optional: the fitted GAVAE sampler's save folder

:meth:`Detector.load` checks that every listed file is present and unaltered
(checksums), refuses a bundle of another format version, warns when it was
written by other library versions, and reads weights with safetensors, trees
with LightGBM's text parser or skops, and everything else as JSON — no pickle,
no ``torch.load``. The manifest can name only classifier classes exported by
:mod:`gavae_ids.classifiers` (:func:`~gavae_ids.classifiers.loadable_class`), and
a skops file only scikit-learn's estimators and the types of
:data:`gavae_ids.classifiers.trees.SKOPS_TYPES`: any other type is refused
before anything in the file is built.

Classifiers without such a ``save``/``load`` (scikit-learn's KNN and SVM, any
plain scikit-learn model) could only be stored by pickling, and unpickling a
file runs code from it, so they are refused.
"""

from __future__ import annotations

import json
import logging
import shutil
import tempfile
import warnings
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath

import numpy as np
import pandas as pd

from gavae_ids.exceptions import DataError, ModelFileError, NotFittedError
from gavae_ids.model_card import CARD_JSON, CARD_MARKDOWN, ModelCard
from gavae_ids.persistence import library_versions, sha256_file
from gavae_ids.preprocessing import TabularPreprocessor

log = logging.getLogger(__name__)

BUNDLE_FORMAT = "gavae-ids-bundle"
BUNDLE_FORMAT_VERSION = 1
MANIFEST = "manifest.json"
PREPROCESSOR = "preprocessor.json"
CLASSIFIER_DIR = "classifier"
GAVAE_DIR = "gavae"

NUMERIC = "numeric"
CATEGORICAL = "categorical"


class BundleVersionWarning(UserWarning):
    """The bundle was written by other versions of gavae-ids or its libraries."""


class ModelQualityWarning(RuntimeWarning):
    """The bundle's model card found the model wanting (e.g. no better than always
    predicting the majority class); see :attr:`Detector.quality_warnings`."""


# -- the training schema ---------------------------------------------------------------------
@dataclass(frozen=True)
class TrainingSchema:
    """The raw columns a detector was trained on.

    Attributes
    ----------
    columns : tuple of str
        Feature columns, in training order (also the field order of header-less input).
    dtypes : dict of str → {"numeric", "categorical"}
    categories : dict of str → tuple of str
        Training vocabulary of every categorical column; other values are *unseen*.
    """

    columns: tuple[str, ...]
    dtypes: dict[str, str]
    categories: dict[str, tuple[str, ...]] = field(default_factory=dict)

    @property
    def numeric(self) -> list[str]:
        return [c for c in self.columns if self.dtypes[c] == NUMERIC]

    @property
    def categorical(self) -> list[str]:
        return [c for c in self.columns if self.dtypes[c] == CATEGORICAL]

    @classmethod
    def from_preprocessor(cls, pre: TabularPreprocessor) -> TrainingSchema:
        cats = {c: tuple(v) for c, v in pre.categories_.items()}
        return cls(
            columns=tuple(pre.columns_),
            dtypes={c: CATEGORICAL if c in cats else NUMERIC for c in pre.columns_},
            categories=cats,
        )

    def to_dict(self) -> dict:
        return {
            "columns": list(self.columns),
            "dtypes": {c: self.dtypes[c] for c in self.columns},
            "categories": {c: list(v) for c, v in self.categories.items()},
        }

    @classmethod
    def from_dict(cls, d: dict) -> TrainingSchema:
        return cls(
            columns=tuple(d["columns"]),
            dtypes=dict(d["dtypes"]),
            categories={c: tuple(v) for c, v in d.get("categories", {}).items()},
        )

    def match_columns(self, columns) -> tuple[list[str], list[str]]:
        """``(missing, extra)`` column names of an input table against this schema."""
        have = set(columns)
        want = set(self.columns)
        return [c for c in self.columns if c not in have], [c for c in columns if c not in want]

    def missing_columns_message(self, missing, columns) -> str:
        head = ", ".join(missing[:12])
        if len(missing) > 12:
            head += f" … ({len(missing)} in all)"
        return (
            f"missing column(s) {head}; the model was trained on {len(self.columns)} columns "
            f"({', '.join(self.columns[:5])}, …) and the input has {len(columns)}"
        )


# -- which classifiers a bundle may hold -----------------------------------------------------
def _is_bundleable(estimator) -> bool:
    return callable(getattr(estimator, "save", None)) and callable(
        getattr(type(estimator), "load", None)
    )


def check_bundleable(estimator, method: str | None = None) -> None:
    """Raise :class:`ModelFileError` when ``estimator`` cannot be stored in a bundle.

    A bundle stores weights (safetensors), tree models (LightGBM text, skops with
    an allow-list) and JSON only. Estimators without ``save``/``load`` in such a
    form — scikit-learn's KNN, SVM — would need pickle, which is refused because
    loading a pickle executes code from the file. Checked too: the optional
    packages saving needs (``skops``, ``lightgbm``), and the classifier a
    :class:`~gavae_ids.classifiers.ResampledClassifier` wraps.
    """
    import importlib.util

    from gavae_ids.classifiers.registry import loadable_class

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


def _classifier_class(name: str):
    """The bundleable classifier class ``name`` of :mod:`gavae_ids.classifiers`.

    Only names exported there are accepted, so a manifest cannot make us import
    or run anything else.
    """
    from gavae_ids.classifiers.registry import loadable_class

    return loadable_class(name)


def _sampler_class():
    from gavae_ids.sampling import GAVAESampler

    return GAVAESampler


# -- the detector ----------------------------------------------------------------------------
class Detector:
    """Fitted preprocessing + classifier: scores raw traffic records.

    Usually obtained from :func:`gavae_ids.training_api.train_detector` or
    :meth:`Detector.load`. ``predict``/``predict_proba`` take raw records — a
    DataFrame with the training columns (any order; extra columns are ignored)
    — and do the one-hot encoding and scaling themselves.

    Parameters
    ----------
    preprocessor : TabularPreprocessor
        Fitted on the training data.
    classifier : estimator
        Fitted on the preprocessor's output; must have ``predict_proba``,
        ``classes_`` and, to be saved, ``save``/``load``.
    normal_label : str
        The class of benign traffic; every other class is an attack.
    method : str, optional
        Registry name of the method (recorded in the manifest).
    sampler : GAVAESampler, optional
        The fitted GAVAE, saved in ``gavae/`` when given.
    info : dict, optional
        JSON-serialisable notes on how the detector was trained (dataset,
        rows, parameters); stored in the manifest under ``training``.
    model_card : ModelCard, optional
        Validation figures (:mod:`gavae_ids.model_card`), saved as
        ``model_card.json`` + ``model_card.md``; its warnings are listed in the
        manifest and repeated by :meth:`load` (:attr:`quality_warnings`).

    Examples
    --------
    >>> det = Detector.load("model_dir")  # doctest: +SKIP
    >>> det.predict(test.X)[:3]  # doctest: +SKIP
    array(['Normal', 'DoS', 'DoS'], dtype=object)
    """

    def __init__(self, preprocessor, classifier, *, normal_label, method=None, sampler=None,
                 info=None, model_card=None):  # fmt: skip
        if not hasattr(preprocessor, "layout_"):
            raise NotFittedError("the preprocessor is not fitted")
        if not hasattr(classifier, "classes_"):
            raise NotFittedError("the classifier is not fitted")
        self.preprocessor = preprocessor
        self.classifier = classifier
        self.method = method
        self.sampler = sampler
        self.info = dict(info or {})
        self.model_card = model_card
        self.classes_ = np.asarray([str(c) for c in classifier.classes_], dtype=object)
        if str(normal_label) not in set(self.classes_):
            raise DataError(
                f"normal label {normal_label!r} is not one of the classes "
                f"{', '.join(self.classes_)}"
            )
        self.normal_label = str(normal_label)
        self.normal_index_ = int(np.flatnonzero(self.classes_ == self.normal_label)[0])
        self.schema = TrainingSchema.from_preprocessor(preprocessor)
        self.manifest_: dict | None = None

    @classmethod
    def from_pipeline(cls, pipeline, **kw) -> Detector:
        """A detector of a fitted :class:`~gavae_ids.pipeline.DetectionPipeline`."""
        return cls(pipeline.preprocessor_, pipeline.classifier_, **kw)

    @property
    def pipeline(self):
        """This detector's preprocessing + classifier as a fitted
        :class:`~gavae_ids.pipeline.DetectionPipeline`."""
        from gavae_ids.pipeline import DetectionPipeline

        return DetectionPipeline.from_fitted(self.preprocessor, self.classifier)

    @property
    def quality_warnings(self) -> list[str]:
        """The model card's warnings (e.g. not clearly better than the majority baseline)."""
        return list(self.model_card.warnings) if self.model_card is not None else []

    def __repr__(self) -> str:
        return (
            f"Detector(method={self.method!r}, classes={list(self.classes_)}, "
            f"normal_label={self.normal_label!r}, columns={len(self.schema.columns)})"
        )

    # -- inference -------------------------------------------------------------------------
    def _frame(self, X) -> pd.DataFrame:
        cols = self.schema.columns
        if isinstance(X, pd.DataFrame):
            names = [str(c) for c in X.columns]
            missing, _ = self.schema.match_columns(names)
            if missing:
                raise DataError(self.schema.missing_columns_message(missing, names))
            if names != list(X.columns):
                X = X.set_axis(names, axis=1)
            return X if names == list(cols) else X[list(cols)]
        arr = np.asarray(X, dtype=object)
        if arr.ndim != 2 or arr.shape[1] != len(cols):
            raise DataError(
                f"expected a DataFrame with the training columns, or a 2-D array of "
                f"{len(cols)} columns in training order; got shape {arr.shape}"
            )
        return pd.DataFrame(arr, columns=list(cols))

    def encode(self, X) -> tuple[np.ndarray, np.ndarray]:
        """Preprocess raw records.

        Returns
        -------
        Xt : ndarray of float32, shape (n_rows, n_features)
            What the classifier reads.
        unseen : ndarray of bool, shape (n_rows,)
            True where a categorical value was not seen in training (its
            one-hot block is all zeros).
        """
        frame = self._frame(X)
        Xt, unseen = self.preprocessor.encode(frame)
        unseen = unseen.any(axis=1)
        if unseen.any():
            # The loaders strip categorical values before training; do the same for
            # new records, but only where it matters (rows not matched as they are).
            rows = np.flatnonzero(unseen)
            sub = frame.iloc[rows].copy()
            changed = False
            for c in self.schema.categorical:
                if not pd.api.types.is_numeric_dtype(sub[c]):
                    stripped = sub[c].astype(str).str.strip()
                    changed |= bool((stripped != sub[c]).any())
                    sub[c] = stripped
            if changed:
                Xs, us = self.preprocessor.encode(sub)
                Xt[rows], unseen[rows] = Xs, us.any(axis=1)
        return Xt, unseen

    def predict_proba_encoded(self, Xt) -> np.ndarray:
        """Class probabilities (columns in ``classes_`` order) of already encoded rows."""
        if len(Xt) == 0:
            return np.zeros((0, len(self.classes_)), dtype=np.float64)
        return np.asarray(self.classifier.predict_proba(Xt))

    def predict_proba(self, X) -> np.ndarray:
        """Class probabilities of raw records; columns follow ``classes_``."""
        return self.predict_proba_encoded(self.encode(X)[0])

    def predict(self, X) -> np.ndarray:
        """Predicted class of every raw record."""
        return self.classes_[self.predict_proba(X).argmax(axis=1)]

    def attack_mask(self, proba: np.ndarray, threshold: float | None = None) -> np.ndarray:
        """Which rows are attacks, given their class probabilities.

        Without ``threshold`` a row is an attack when its most probable class is
        not the normal class; with it, when 1 − P(normal) ≥ ``threshold``.
        """
        proba = np.asarray(proba)
        if threshold is None:
            return proba.argmax(axis=1) != self.normal_index_
        if not 0.0 <= threshold <= 1.0:
            raise DataError(f"threshold must lie in [0, 1], got {threshold}")
        return (1.0 - proba[:, self.normal_index_]) >= threshold

    def is_attack(self, X, threshold: float | None = None) -> np.ndarray:
        """Boolean attack flag of every raw record (see :meth:`attack_mask`)."""
        return self.attack_mask(self.predict_proba(X), threshold)

    # -- saving ----------------------------------------------------------------------------
    def manifest(self) -> dict:
        """The manifest document of this detector (without file checksums)."""
        gavae = None
        if self.sampler is not None:
            gavae = {"class": type(self.sampler).__name__, "path": GAVAE_DIR}
        return {
            "format": BUNDLE_FORMAT,
            "format_version": BUNDLE_FORMAT_VERSION,
            "created": datetime.now(UTC).isoformat(timespec="seconds"),
            "versions": library_versions(),
            "method": self.method,
            "classifier": {"class": type(self.classifier).__name__, "path": CLASSIFIER_DIR},
            "gavae": gavae,
            "classes": list(self.classes_),
            "label_map": {str(i): c for i, c in enumerate(self.classes_)},
            "normal_label": self.normal_label,
            "schema": self.schema.to_dict(),
            "n_features_encoded": int(self.preprocessor.layout_.n_features),
            "training": self.info,
            "model_card": None if self.model_card is None else {
                "json": CARD_JSON, "markdown": CARD_MARKDOWN,
                "below_baseline": self.model_card.below_baseline,
                "warnings": list(self.model_card.warnings),
            },
        }  # fmt: skip

    def save(self, path, *, overwrite: bool = False) -> Path:
        """Write the bundle to the folder ``path``.

        The bundle is assembled in a temporary sibling folder and moved into
        place, so a failure never leaves a half-written bundle behind.
        ``overwrite=True`` replaces an existing *bundle* (a folder holding a
        ``manifest.json``); any other existing, non-empty folder is refused.
        """
        check_bundleable(self.classifier, self.method)
        path = Path(path)
        if path.exists():
            if not path.is_dir():
                raise ModelFileError(f"{path}: exists and is not a folder")
            if any(path.iterdir()):
                if not (path / MANIFEST).is_file():
                    raise ModelFileError(
                        f"{path}: folder exists and is not a model bundle; choose a new path"
                    )
                if not overwrite:
                    raise ModelFileError(
                        f"{path}: a model bundle is already there; pass overwrite=True "
                        "(CLI: --force) to replace it"
                    )
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{path.name}.", dir=path.parent))
        try:
            self.preprocessor.save_json(tmp / PREPROCESSOR)
            self.classifier.save(tmp / CLASSIFIER_DIR)
            if self.model_card is not None:
                self.model_card.save(tmp)
            if self.sampler is not None:
                self.sampler.save(tmp / GAVAE_DIR)
            manifest = self.manifest()
            manifest["files"] = {
                p.relative_to(tmp).as_posix(): sha256_file(p)
                for p in sorted(tmp.rglob("*"))
                if p.is_file()
            }
            (tmp / MANIFEST).write_text(json.dumps(manifest, indent=2))
            if path.exists():
                shutil.rmtree(path)
            tmp.rename(path)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        self.manifest_ = manifest
        log.info("wrote model bundle %s", path)
        return path

    # -- loading ---------------------------------------------------------------------------
    @classmethod
    def load(cls, path, *, load_gavae: bool = False, device: str | None = None) -> Detector:
        """Read a bundle written by :meth:`save`.

        Parameters
        ----------
        path : path-like
            The bundle folder.
        load_gavae : bool, default=False
            Also load the GAVAE sampler (``gavae/``), when the bundle has one.
            Its files are checksum-verified either way.
        device : str, optional
            Where the classifier runs (``"cpu"``, ``"cuda"``, ``"auto"``); by
            default the device setting it was trained with (``"auto"``).

        Raises
        ------
        ModelFileError
            A file is missing, truncated or altered (checksum), the manifest is
            damaged, or the bundle's format version is not the one this version
            of gavae-ids reads.

        Warns
        -----
        BundleVersionWarning
            The bundle was written with other major.minor versions of gavae-ids,
            torch, numpy or scikit-learn.
        ModelQualityWarning
            One per warning of the bundle's model card (also in
            :attr:`quality_warnings`), e.g. when its validation macro-F1 was no
            better than always predicting the majority class.
        """
        path = Path(path)
        manifest = read_manifest(path)
        verify_files(path, manifest)
        _warn_versions(path, manifest.get("versions", {}))
        try:
            pre = TabularPreprocessor.load_json(path / PREPROCESSOR)
            clf_info = manifest["classifier"]
            clf_dir = _inside(path, clf_info.get("path", CLASSIFIER_DIR))
            kw = {} if device is None else {"device": device}
            classifier = _classifier_class(str(clf_info["class"])).load(clf_dir, **kw)
            sampler = None
            gavae = manifest.get("gavae")
            if load_gavae and gavae:
                sampler = _sampler_class().load(_inside(path, gavae.get("path", GAVAE_DIR)))
            card = None
            if manifest.get("model_card"):
                if CARD_JSON not in manifest["files"]:
                    raise ModelFileError(f"{path}/{MANIFEST}: damaged manifest ({CARD_JSON} "
                                         "is not listed)")  # fmt: skip
                card = ModelCard.load(path)
            det = cls(pre, classifier, normal_label=manifest["normal_label"],
                      method=manifest.get("method"), sampler=sampler,
                      info=manifest.get("training") or {}, model_card=card)  # fmt: skip
        except (KeyError, TypeError, AttributeError) as e:
            raise ModelFileError(f"{path}/{MANIFEST}: damaged manifest ({e!r})") from None
        except (DataError, NotFittedError) as e:
            raise ModelFileError(f"{path}: inconsistent bundle ({e})") from None
        _check_consistent(path, det, manifest)
        det.manifest_ = manifest
        for w in det.quality_warnings:
            warnings.warn(f"{path}: {w}", ModelQualityWarning, stacklevel=2)
        return det


def read_manifest(path) -> dict:
    """Read and validate ``manifest.json`` of the bundle folder ``path``."""
    path = Path(path)
    if not path.exists():
        raise ModelFileError(f"{path}: no such model bundle")
    if not path.is_dir():
        raise ModelFileError(f"{path}: a model bundle is a folder, this is a file")
    mpath = path / MANIFEST
    if not mpath.is_file():
        raise ModelFileError(f"{mpath}: missing; {path} is not a gavae-ids model bundle")
    try:
        manifest = json.loads(mpath.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise ModelFileError(f"{mpath}: not valid JSON ({e}); the file is damaged") from None
    if not isinstance(manifest, dict) or manifest.get("format") != BUNDLE_FORMAT:
        raise ModelFileError(f"{mpath}: not a gavae-ids model bundle manifest")
    version = manifest.get("format_version")
    if version != BUNDLE_FORMAT_VERSION:
        newer = isinstance(version, int) and version > BUNDLE_FORMAT_VERSION
        raise ModelFileError(
            f"{mpath}: bundle format version {version!r} is not supported: this gavae-ids "
            f"reads version {BUNDLE_FORMAT_VERSION}"
            + ("; upgrade gavae-ids to load it" if newer else "; retrain the model")
        )
    files = manifest.get("files")
    if not isinstance(files, dict) or PREPROCESSOR not in files:
        raise ModelFileError(f"{mpath}: damaged manifest (no file list)")
    return manifest


def _inside(root: Path, rel: str) -> Path:
    """``root / rel``, refusing paths that leave the bundle folder."""
    p = PurePosixPath(str(rel))
    out = root.joinpath(*p.parts)
    if (p.is_absolute() or ".." in p.parts or not p.parts or "\\" in str(rel)
            or not out.resolve().is_relative_to(root.resolve())):  # fmt: skip
        raise ModelFileError(f"{root}/{MANIFEST}: path {rel!r} points outside the bundle")
    return out


def verify_files(path, manifest: dict) -> None:
    """Check that every file listed in the manifest is present and has its SHA-256."""
    path = Path(path)
    for rel, digest in manifest["files"].items():
        f = _inside(path, rel)
        if not f.is_file():
            raise ModelFileError(f"{f}: missing from the model bundle")
        if sha256_file(f) != digest:
            raise ModelFileError(
                f"{f}: checksum does not match the manifest; the file was altered or truncated"
            )
    clf_dir = (manifest.get("classifier") or {}).get("path", CLASSIFIER_DIR)
    for rel in (clf_dir, PREPROCESSOR):
        if not any(k == rel or k.startswith(rel + "/") for k in manifest["files"]):
            raise ModelFileError(f"{path}/{MANIFEST}: damaged manifest ({rel} is not listed)")


def _major_minor(v: str) -> tuple[str, ...]:
    return tuple(str(v).split("+")[0].split(".")[:2])


def _warn_versions(path: Path, saved: dict) -> None:
    current = library_versions()
    diffs = [
        f"{lib} {saved[lib]} (running {current[lib]})"
        for lib in current
        if lib in saved and _major_minor(saved[lib]) != _major_minor(current[lib])
    ]
    if diffs:
        warnings.warn(
            f"{path}: bundle written with {', '.join(diffs)}; predictions may differ slightly",
            BundleVersionWarning,
            stacklevel=3,
        )


def _check_consistent(path: Path, det: Detector, manifest: dict) -> None:
    if list(det.classes_) != [str(c) for c in manifest.get("classes", [])]:
        raise ModelFileError(
            f"{path}: the classifier's classes {list(det.classes_)} differ from the manifest's"
        )
    schema = TrainingSchema.from_dict(manifest["schema"])
    if schema != det.schema:
        raise ModelFileError(f"{path}: the preprocessor does not match the manifest's schema")
    width = getattr(det.classifier, "n_features_in_", None)
    if width is not None and int(width) != det.preprocessor.layout_.n_features:
        raise ModelFileError(
            f"{path}: the classifier reads {width} features but the preprocessor "
            f"writes {det.preprocessor.layout_.n_features}"
        )
