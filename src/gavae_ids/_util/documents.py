"""The format check every saved JSON document of gavae-ids shares (no torch needed)."""

from __future__ import annotations

from gavae_ids.exceptions import ModelFileError


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
