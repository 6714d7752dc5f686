"""Saving models as safetensors weights (or another data-only format) + a JSON config.

A saved torch model is a folder holding ``weights.safetensors`` and ``config.json``.
The JSON records the format version, the library versions it was written with
and a SHA-256 of the weights file, checked on load. Nothing in the folder is
ever executed or unpickled: safetensors holds raw tensors and JSON holds data.

Tree models keep their trees in a format of their own beside the same
``config.json`` (:func:`save_config`, :func:`verified_file`): LightGBM's text
model, or a skops file whose every type is checked against an allow-list
before anything in it is built (:mod:`gavae_ids.classifiers.skops_files`).
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import torch

from gavae_ids._hashing import sha256_file
from gavae_ids._version import __version__
from gavae_ids.exceptions import ModelFileError

FORMAT_VERSION = 1
WEIGHTS_FILE = "weights.safetensors"
CONFIG_FILE = "config.json"


def library_versions() -> dict:
    import numpy
    import sklearn

    return {
        "gavae_ids": __version__,
        "torch": torch.__version__.split("+")[0],
        "numpy": numpy.__version__,
        "scikit-learn": sklearn.__version__,
    }


def save_model(path, tensors: dict[str, torch.Tensor], config: dict, kind: str) -> Path:
    """Write ``tensors`` and ``config`` (JSON-serialisable) to the folder ``path``."""
    from safetensors.torch import save_file

    path = Path(path)
    path.mkdir(parents=True, exist_ok=True)
    weights = path / WEIGHTS_FILE
    save_file({k: v.detach().cpu().contiguous() for k, v in tensors.items()}, str(weights))
    meta = {
        "format": "gavae-ids-model",
        "format_version": FORMAT_VERSION,
        "kind": kind,
        "versions": library_versions(),
        "weights_sha256": sha256_file(weights),
        "config": config,
    }
    (path / CONFIG_FILE).write_text(json.dumps(meta, indent=2, sort_keys=True))
    return path


def read_config(path, kind: str | None = None) -> dict:
    """Read and validate ``config.json`` of a saved model folder; returns the whole document."""
    path = Path(path)
    cfg_path = path / CONFIG_FILE
    if not cfg_path.is_file():
        raise ModelFileError(f"{cfg_path}: missing; {path} is not a saved gavae-ids model")
    try:
        meta = json.loads(cfg_path.read_text())
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise ModelFileError(f"{cfg_path}: not valid JSON ({e}); the file is damaged") from None
    if not isinstance(meta, dict) or meta.get("format") != "gavae-ids-model":
        raise ModelFileError(f"{cfg_path}: not a gavae-ids model config")
    if meta.get("format_version") != FORMAT_VERSION:
        raise ModelFileError(
            f"{cfg_path}: format version {meta.get('format_version')!r} is not supported "
            f"(this gavae-ids reads version {FORMAT_VERSION})"
        )
    if kind is not None and meta.get("kind") != kind:
        raise ModelFileError(f"{cfg_path}: holds a {meta.get('kind')!r}, expected a {kind!r}")
    saved = meta.get("versions", {}).get("gavae_ids", "?")
    if saved.split(".")[:2] != __version__.split(".")[:2]:
        warnings.warn(
            f"{cfg_path}: written by gavae-ids {saved}, read by {__version__}", stacklevel=2
        )
    return meta


def save_config(path, config: dict, kind: str, files=(), versions=None) -> Path:
    """Write ``config.json`` for a model whose data sit in ``files`` of the folder ``path``.

    The SHA-256 of every file is recorded, and checked by :func:`verified_file`.
    ``versions`` adds library versions (e.g. ``{"lightgbm": "4.6.0"}``) to the usual ones.
    """
    path = Path(path)
    meta = {
        "format": "gavae-ids-model",
        "format_version": FORMAT_VERSION,
        "kind": kind,
        "versions": {**library_versions(), **(versions or {})},
        "files": {name: sha256_file(path / name) for name in files},
        "config": config,
    }
    (path / CONFIG_FILE).write_text(json.dumps(meta, indent=2, sort_keys=True))
    return path


def verified_file(path, meta: dict, name: str) -> Path:
    """``path / name`` after checking it against the SHA-256 recorded in ``meta``."""
    f = Path(path) / name
    digest = (meta.get("files") or {}).get(name)
    if digest is None:
        raise ModelFileError(f"{Path(path) / CONFIG_FILE}: damaged (no checksum of {name})")
    if not f.is_file():
        raise ModelFileError(f"{f}: missing")
    if sha256_file(f) != digest:
        raise ModelFileError(
            f"{f}: checksum does not match config.json; the file was altered or truncated"
        )
    return f


def load_model(path, kind: str | None = None) -> tuple[dict[str, torch.Tensor], dict]:
    """Load a folder written by :func:`save_model`; returns ``(tensors, config)``.

    Raises :class:`ModelFileError` when a file is missing, truncated, altered
    (checksum mismatch) or of another kind or format version.
    """
    from safetensors import SafetensorError
    from safetensors.torch import load_file

    path = Path(path)
    meta = read_config(path, kind)
    weights = path / WEIGHTS_FILE
    if not weights.is_file():
        raise ModelFileError(f"{weights}: missing")
    if sha256_file(weights) != meta.get("weights_sha256"):
        raise ModelFileError(
            f"{weights}: checksum does not match config.json; the file was altered or truncated"
        )
    try:
        tensors = load_file(str(weights))
    except (SafetensorError, OSError, ValueError) as e:
        raise ModelFileError(f"{weights}: cannot be read ({e})") from None
    return tensors, meta["config"]
