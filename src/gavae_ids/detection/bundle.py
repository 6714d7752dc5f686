"""The model bundle: one self-contained folder holding a trained detector, written and read here.

A bundle holds everything needed to score raw traffic records, and nothing
that could run code when read::

    model_dir/
      manifest.json       format + version, library versions, creation time, method,
                          classes (label map), normal label, training schema
                          (columns in order, numeric/categorical, category vocabularies),
                          SHA-256 of every other file
      model_card.json     optional: validation figures vs the majority baseline, and
      model_card.md       warnings when the model is no better
                          (:mod:`gavae_ids.detection.model_card`)
      dr_fpr.png          optional: the card's DR-FPR curve on the validation rows
                          (:mod:`gavae_ids.detection.false_alarms`)
      preprocessor.json   the fitted TabularPreprocessor (one-hot + min-max, JSON)
      classifier/         the classifier's own save folder: config.json plus
                          weights.safetensors (torch classifiers), model.txt
                          (LightGBM's text format) or model.skops (scikit-learn
                          forests); a ResampledClassifier nests its classifier's
      gavae/              optional: the fitted GAVAE sampler's save folder
      novelty.json        optional: the novelty flag's per-class loss thresholds
                          (:mod:`gavae_ids.detection.novelty`; needs gavae/)
      decision.json       optional: the decision rule (prior correction, false-alarm
                          budget threshold; :mod:`gavae_ids.detection.decision`); without it,
                          argmax

:meth:`Detector.load` checks that every listed file is present and unaltered
(checksums), refuses a bundle of another format version, warns when it was
written by other library versions, and reads weights with safetensors, trees
with LightGBM's text parser or skops, and everything else as JSON — no pickle,
no ``torch.load``. The manifest can name only classes on the one allow-list of
loadable classes (:func:`~gavae_ids.classifiers.loadable_class`), and
a skops file only scikit-learn's estimators, the types of
:data:`gavae_ids.classifiers.skops_files.SKOPS_TYPES` and classes on that allow-list:
any other type is refused
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
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath

from gavae_ids._util.persistence import checked_files, library_versions, major_minor, sha256_file
from gavae_ids.classifiers.registry import (  # noqa: F401 (check_bundleable: re-exported)
    check_bundleable,
    loadable_class,
)
from gavae_ids.detection.decision import DecisionRule
from gavae_ids.detection.false_alarms import FIGURE
from gavae_ids.detection.model_card import CARD_JSON, CARD_MARKDOWN, ModelCard
from gavae_ids.detection.novelty import NoveltyThresholds
from gavae_ids.detection.schema import TrainingSchema
from gavae_ids.exceptions import DataError, ModelFileError, NotFittedError
from gavae_ids.preprocessing import TabularPreprocessor

log = logging.getLogger(__name__)

BUNDLE_FORMAT = "gavae-ids-bundle"
BUNDLE_FORMAT_VERSION = 1
MANIFEST = "manifest.json"
PREPROCESSOR = "preprocessor.json"
CLASSIFIER_DIR = "classifier"
GAVAE_DIR = "gavae"
NOVELTY_FILE = "novelty.json"
DECISION_FILE = "decision.json"


class BundleVersionWarning(UserWarning):
    """The bundle was written by other versions of gavae-ids or its libraries."""


class ModelQualityWarning(RuntimeWarning):
    """The bundle's model card found the model wanting (e.g. no better than always
    predicting the majority class); see :attr:`Detector.quality_warnings`."""


# -- writing ---------------------------------------------------------------------------------
def manifest_of(det) -> dict:
    """The manifest document of the detector ``det`` (without file checksums)."""
    gavae = None
    if det.sampler is not None:
        gavae = {"class": type(det.sampler).__name__, "path": GAVAE_DIR}
    return {
        "format": BUNDLE_FORMAT,
        "format_version": BUNDLE_FORMAT_VERSION,
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "versions": library_versions(),
        "method": det.method,
        "classifier": {"class": type(det.classifier).__name__, "path": CLASSIFIER_DIR},
        "gavae": gavae,
        "novelty": None if det.novelty_ is None else {"path": NOVELTY_FILE},
        "decision": None if det.decision_ is None else {
            "path": DECISION_FILE, "rule": det.decision_.describe()},
        "classes": list(det.classes_),
        "label_map": {str(i): c for i, c in enumerate(det.classes_)},
        "normal_label": det.normal_label,
        "schema": det.schema.to_dict(),
        "n_features_encoded": int(det.preprocessor.layout_.n_features),
        "training": det.info,
        "model_card": None if det.model_card is None else {
            "json": CARD_JSON, "markdown": CARD_MARKDOWN,
            "below_baseline": det.model_card.below_baseline,
            "warnings": list(det.model_card.warnings),
            "figure": FIGURE if det.model_card.curve is not None else None,
        },
    }  # fmt: skip


def save_bundle(det, path, *, overwrite: bool = False) -> Path:
    """Write the bundle to the folder ``path``.

    The bundle is assembled in a temporary sibling folder and moved into
    place, so a failure never leaves a half-written bundle behind.
    ``overwrite=True`` replaces an existing *bundle* (a folder holding a
    ``manifest.json``); any other existing, non-empty folder is refused.
    """
    check_bundleable(det.classifier, det.method)
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
        det.preprocessor.save_json(tmp / PREPROCESSOR)
        det.classifier.save(tmp / CLASSIFIER_DIR)
        if det.model_card is not None:
            det.model_card.save(tmp)
        if det.sampler is not None:
            det.sampler.save(tmp / GAVAE_DIR)
        if det.novelty_ is not None:
            if det.sampler is None:
                raise ModelFileError("novelty thresholds need the GAVAE in the bundle; "
                                     "build the Detector with sampler=")  # fmt: skip
            det.novelty_.save(tmp / NOVELTY_FILE)
        if det.decision_ is not None:
            det.decision_.save(tmp / DECISION_FILE)
        manifest = manifest_of(det)
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
    det.manifest_ = manifest
    log.info("wrote model bundle %s", path)
    return path


# -- reading ---------------------------------------------------------------------------------
def load_bundle(cls, path, *, load_gavae: bool | None = None, device: str | None = None):
    """Read the bundle at ``path`` into a ``cls`` (:class:`~gavae_ids.detection.detector.Detector`);
    see :meth:`Detector.load <gavae_ids.detection.detector.Detector.load>`."""
    path = Path(path)
    manifest = read_manifest(path)
    verify_files(path, manifest)  # the one integrity check: the parts' loaders hash nothing again
    checked = {_inside(path, rel): digest for rel, digest in manifest["files"].items()}
    other_versions: dict[str, tuple[str, str]] = {}
    try:
        with checked_files(checked) as other_versions:
            det = _read_parts(cls, path, manifest, load_gavae=load_gavae, device=device)
    finally:  # one version warning: the manifest's libraries and those the parts were saved with
        _warn_versions(path, manifest.get("versions", {}), other_versions)
    _check_consistent(path, det, manifest)
    det.manifest_ = manifest
    for w in det.quality_warnings:
        warnings.warn(f"{path}: {w}", ModelQualityWarning, stacklevel=2)
    return det


def _read_parts(cls, path: Path, manifest: dict, *, load_gavae, device):
    """The detector built from the bundle's files (checked already against ``manifest``)."""
    try:
        pre = TabularPreprocessor.load_json(path / PREPROCESSOR)
        clf_info = manifest["classifier"]
        clf_dir = _inside(path, clf_info.get("path", CLASSIFIER_DIR))
        kw = {} if device is None else {"device": device}
        classifier = loadable_class(str(clf_info["class"])).load(clf_dir, **kw)
        sampler = None
        gavae = manifest.get("gavae")
        novelty = manifest.get("novelty")
        if load_gavae is None:
            load_gavae = bool(novelty)
        if load_gavae and gavae:
            sampler_cls = loadable_class(str(gavae.get("class", "GAVAESampler")))
            sampler = sampler_cls.load(_inside(path, gavae.get("path", GAVAE_DIR)))
        card = None
        if manifest.get("model_card"):
            if CARD_JSON not in manifest["files"]:
                raise ModelFileError(f"{path}/{MANIFEST}: damaged manifest ({CARD_JSON} "
                                     "is not listed)")  # fmt: skip
            figure = manifest["model_card"].get("figure")
            if figure and figure not in manifest["files"]:
                raise ModelFileError(f"{path}/{MANIFEST}: damaged manifest ({figure} "
                                     "is not listed)")  # fmt: skip
            card = ModelCard.load(path)
        det = cls(pre, classifier, normal_label=manifest["normal_label"],
                  method=manifest.get("method"), sampler=sampler,
                  info=manifest.get("training") or {}, model_card=card)  # fmt: skip
    except (KeyError, TypeError, AttributeError) as e:
        raise ModelFileError(f"{path}/{MANIFEST}: damaged manifest ({e!r})") from None
    except (DataError, NotFittedError) as e:
        raise ModelFileError(f"{path}: inconsistent bundle ({e})") from None
    if novelty:
        rel = novelty.get("path", NOVELTY_FILE) if isinstance(novelty, dict) else NOVELTY_FILE
        det.novelty_ = NoveltyThresholds.load(_inside(path, str(rel)))
        if det.novelty_.classes != list(det.classes_):
            raise ModelFileError(f"{path}: the novelty thresholds' classes differ from the "
                                 "classifier's")  # fmt: skip
    decision = manifest.get("decision")
    if decision:
        rel = decision.get("path", DECISION_FILE) if isinstance(decision, dict) else DECISION_FILE
        if str(rel) not in manifest["files"]:
            raise ModelFileError(f"{path}/{MANIFEST}: damaged manifest ({rel} is not listed)")
        rule = DecisionRule.load(_inside(path, str(rel)))
        if rule.classes != list(det.classes_) or rule.normal_label != det.normal_label:
            raise ModelFileError(f"{path}: the decision rule's classes differ from the "
                                 "classifier's")  # fmt: skip
        det.decision_ = rule
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


def _warn_versions(path: Path, saved: dict, parts: dict[str, tuple[str, str]]) -> None:
    """One :class:`BundleVersionWarning` for the libraries of the manifest whose major.minor
    version differs from the running one, and for ``parts`` (``{library: (saved, running)}``,
    what the parts' loaders found, e.g. LightGBM's version)."""
    current = library_versions()
    diffs = {
        lib: (saved[lib], current[lib])
        for lib in current
        if lib in saved and major_minor(saved[lib]) != major_minor(current[lib])
    }
    for lib, versions in parts.items():
        diffs.setdefault(lib, versions)
    if diffs:
        listed = ", ".join(f"{lib} {was} (running {now})" for lib, (was, now) in diffs.items())
        warnings.warn(
            f"{path}: bundle written with {listed}; predictions may differ slightly",
            BundleVersionWarning,
            stacklevel=3,
        )


def _check_consistent(path: Path, det, manifest: dict) -> None:
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
