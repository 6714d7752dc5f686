"""Saving models as safetensors weights (or another data-only format) + a JSON config.

A saved torch model is a folder holding ``weights.safetensors`` and ``config.json``.
The JSON records the format version, the library versions it was written with
and a SHA-256 of the weights file, checked on load. Nothing in the folder is
ever executed or unpickled: safetensors holds raw tensors and JSON holds data.

Tree models keep their trees in a format of their own beside the same
``config.json`` (:func:`save_config`, :func:`verified_file`): LightGBM's text
model, or a skops file whose every type is checked against an allow-list
before anything in it is built (:mod:`gavae_ids.classifiers.skops_files`).

A model bundle checks every file against its manifest and the library versions
once, then loads its parts inside :func:`checked_files`: a file it checked is not
hashed again, and a version mismatch a part finds joins the bundle's one warning.
"""

from __future__ import annotations

import json
import warnings
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path

import torch

from gavae_ids._util.hashing import sha256_file
from gavae_ids._version import __version__
from gavae_ids.exceptions import ModelFileError

FORMAT_VERSION = 1
WEIGHTS_FILE = "weights.safetensors"
CONFIG_FILE = "config.json"

#: Inside :func:`checked_files`: (SHA-256 of every file checked already by resolved path,
#: version mismatches found so far as ``{library: (saved, running)}``).
_CHECKED: ContextVar[tuple[dict[Path, str], dict[str, tuple[str, str]]] | None] = ContextVar(
    "gavae_ids_checked_files", default=None
)


@contextmanager
def checked_files(digests: Mapping[Path, str]) -> Iterator[dict[str, tuple[str, str]]]:
    """Load models from files whose SHA-256 the caller has checked (a bundle, against its
    manifest): ``digests`` maps each such file to its checksum.

    Inside the block a file in ``digests`` is not hashed again; the checksum its
    ``config.json`` records is compared with the one already checked. Version mismatches
    the loaders find are not warned but collected in the yielded dict
    ``{library: (saved, running)}``, so the caller can give one warning for all.
    """
    found: dict[str, tuple[str, str]] = {}
    token = _CHECKED.set(({Path(p).resolve(): d for p, d in digests.items()}, found))
    try:
        yield found
    finally:
        _CHECKED.reset(token)


def _digest_matches(file: Path, recorded) -> bool:
    """Whether ``file`` has the SHA-256 ``recorded``, hashing it only when not checked yet."""
    state = _CHECKED.get()
    checked = None if state is None else state[0].get(file.resolve())
    return (checked if checked is not None else sha256_file(file)) == recorded


def major_minor(version) -> tuple[str, ...]:
    """``("2", "3")`` of ``"2.3.1+cpu"``: versions that differ only below this read the same."""
    return tuple(str(version).split("+")[0].split(".")[:2])


def warn_other_version(source, library: str, saved, running: str, message: str, *,
                       stacklevel: int = 2) -> bool:  # fmt: skip
    """Warn ``f"{source}: {message}"`` when ``saved`` and ``running`` differ in major.minor
    version of ``library``; inside :func:`checked_files`, note the mismatch for the caller's
    one warning instead. ``stacklevel`` is that of a warning issued by the caller. Returns
    whether the versions differ."""
    if major_minor(saved) == major_minor(running):
        return False
    state = _CHECKED.get()
    if state is not None:
        state[1].setdefault(library, (str(saved), running))
    else:
        warnings.warn(f"{source}: {message}", stacklevel=stacklevel + 1)
    return True


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
    warn_other_version(cfg_path, "gavae_ids", saved, __version__,
                       f"written by gavae-ids {saved}, read by {__version__}")  # fmt: skip
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
    if not _digest_matches(f, digest):
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
    if not _digest_matches(weights, meta.get("weights_sha256")):
        raise ModelFileError(
            f"{weights}: checksum does not match config.json; the file was altered or truncated"
        )
    try:
        tensors = load_file(str(weights))
    except (SafetensorError, OSError, ValueError) as e:
        raise ModelFileError(f"{weights}: cannot be read ({e})") from None
    return tensors, meta["config"]
