"""The format check every saved JSON document of gavae-ids shares (no torch needed)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from gavae_ids.exceptions import ModelFileError

T = TypeVar("T")


def check_document(doc, fmt: str, version: int, what: str, *, source=None) -> None:
    """Refuse a JSON document that is not a ``fmt`` document of format ``version``.

    ``what`` names it in the message (``"model card"``); ``source`` (a path) prefixes it.
    """
    prefix = f"{source}: " if source is not None else ""
    if not isinstance(doc, dict) or doc.get("format") != fmt:
        raise ModelFileError(f"{prefix}not a gavae-ids {what}")
    if doc.get("format_version") != version:
        raise ModelFileError(f"{prefix}{what} format version {doc.get('format_version')!r} is "
                             f"not supported (this gavae-ids reads version {version})")  # fmt: skip


def read_document(path, from_dict: Callable[[dict], T]) -> T:
    """``from_dict`` of the JSON document at ``path``; every error names the file."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as e:
        raise ModelFileError(f"{path}: cannot be read ({e})") from None
    try:
        return from_dict(json.loads(text))
    except json.JSONDecodeError as e:
        raise ModelFileError(f"{path}: not valid JSON ({e})") from None
    except ModelFileError as e:
        raise ModelFileError(f"{path}: {e}") from None


def write_document(path, doc: dict, indent: int = 1) -> Path:
    """Write ``doc`` to ``path`` as strict JSON (no NaN); returns the path."""
    path = Path(path)
    path.write_text(json.dumps(doc, indent=indent, allow_nan=False))
    return path
