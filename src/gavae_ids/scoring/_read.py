"""Reading stage: opening the input, splitting it into blocks of lines, planning the columns
(header or header-less layout, trailing fields)."""

from __future__ import annotations

import contextlib
import csv
import gzip
import io
import sys
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from gavae_ids.detection.schema import TrainingSchema
from gavae_ids.exceptions import DataError
from gavae_ids.scoring._common import _BOM, _READ_BYTES, _VOTE_BYTES, _VOTE_LINES, AUTO_MAX_TRAILING


# -- reading -------------------------------------------------------------------------------
@contextlib.contextmanager
def _open_input(source):
    """A binary stream of the decompressed input (path, ``"-"`` for stdin, or a file object)."""
    close = None
    if source is None or str(source) == "-":
        raw = sys.stdin.buffer
        name = "<stdin>"
    elif hasattr(source, "read"):
        raw = source
        name = getattr(source, "name", "<stream>")
    else:
        path = Path(source)
        if not path.exists():
            raise DataError("no such file", path=path)
        if path.is_dir():
            raise DataError("is a folder, not a file", path=path)
        raw = close = open(path, "rb")
        name = str(path)
    try:
        if not hasattr(raw, "peek"):
            raw = io.BufferedReader(raw)
        if raw.peek(2)[:2] == b"\x1f\x8b":
            yield gzip.GzipFile(fileobj=raw, mode="rb"), name
        else:
            yield raw, name
    finally:
        if close is not None:
            close.close()


def _line_blocks(stream, chunk_rows: int, prefix: bytes = b"", read_size: int = _READ_BYTES):
    """Yield ``(block, n_lines)``: runs of ``chunk_rows`` whole lines, each ending in ``\\n``.

    Only the last block may be shorter; a last line without its newline gets one.
    """

    def pieces():
        if prefix:
            yield prefix
        while piece := stream.read(read_size):
            yield piece

    pending: list[bytes] = []
    count = 0  # newlines in pending, always < chunk_rows
    for piece in pieces():
        k = piece.count(b"\n")
        if count + k < chunk_rows:
            pending.append(piece)
            count += k
            continue
        nl = np.flatnonzero(np.frombuffer(piece, dtype=np.uint8) == 10)
        start, i = 0, chunk_rows - count - 1
        while i < len(nl):
            cut = int(nl[i]) + 1
            pending.append(piece[start:cut])
            yield b"".join(pending), chunk_rows
            pending, start, i = [], cut, i + chunk_rows
        rest = piece[start:]
        pending, count = ([rest] if rest else []), rest.count(b"\n")
    tail = b"".join(pending)
    if tail:
        if not tail.endswith(b"\n"):
            tail += b"\n"
        yield tail, tail.count(b"\n")


def _split_fields(line: bytes) -> list[str]:
    text = line.decode("utf-8", errors="replace").rstrip("\r\n")
    return next(csv.reader([text]), [])


@dataclass
class _Input:
    """How input fields map onto the training schema: one layout for the whole file."""

    names: list[str]
    n_fields: int
    notes: list[str]
    trailing: int | None = None  # header-less input: trailing fields ignored


def _plan_input(schema: TrainingSchema, stream, *, header: bool, trailing_fields,
                extra_columns: str, name: str) -> tuple[_Input, bytes]:  # fmt: skip
    """Fix the layout of the whole input from its first bytes.

    Returns the layout and the bytes read from ``stream`` that are data lines
    (to be scored before the rest of the stream).
    """
    if header:
        first = stream.readline() or None
        return _plan_header(schema, first, extra_columns=extra_columns, name=name), b""
    head = stream.read(_VOTE_BYTES)
    at_end = len(head) < _VOTE_BYTES
    head = head.removeprefix(_BOM)
    inp = _plan_headerless(schema, head, at_end=at_end,
                           trailing_fields=trailing_fields, extra_columns=extra_columns,
                           name=name)  # fmt: skip
    return inp, head


def _plan_header(schema: TrainingSchema, first: bytes | None, *, extra_columns: str,
                 name: str) -> _Input:  # fmt: skip
    cols = list(schema.columns)
    if first is None:
        raise DataError("the input is empty: no header line", path=name)
    names = [c.strip() for c in _split_fields(first.removeprefix(_BOM))]
    dup = sorted({c for c in names if names.count(c) > 1})
    missing, extra = schema.match_columns(names)
    if (dup or missing) and any(_looks_numeric(c) for c in names):
        raise DataError(
            "the first line looks like data, not a header; pass --no-header "
            "(header=False) for a file without one",
            path=name, row=1,
        )  # fmt: skip
    if dup:
        raise DataError(f"duplicate column name(s) {', '.join(dup[:10])}", path=name, row=1)
    if missing:
        raise DataError(schema.missing_columns_message(missing, names), path=name, row=1)
    notes = []
    if extra:
        if extra_columns == "error":
            raise DataError(f"column(s) not in the model's schema: {', '.join(extra)}",
                            path=name, row=1)  # fmt: skip
        notes.append(f"ignored {len(extra)} column(s) not used by the model: "
                     + ", ".join(extra[:10]) + (" …" if len(extra) > 10 else ""))  # fmt: skip
    if [c for c in names if c in set(cols)] != cols:
        notes.append("columns reordered by name to the training order")
    return _Input(names, len(names), notes)


def check_trailing_fields(trailing_fields) -> int | str:
    """``"auto"`` or a number of trailing fields ``>= 0`` (also given as text, as the CLI does)."""
    if isinstance(trailing_fields, str) and trailing_fields.strip().isdigit():
        trailing_fields = int(trailing_fields)
    if trailing_fields == "auto" or (
        isinstance(trailing_fields, int | np.integer)
        and not isinstance(trailing_fields, bool)
        and trailing_fields >= 0
    ):
        return trailing_fields
    raise DataError(f"trailing_fields must be 'auto' or a number >= 0, got {trailing_fields!r}")


def _field_count(line: bytes) -> int | None:
    """Fields of one line as the block parser counts them; ``None`` for empty or malformed."""
    text = line.decode("utf-8", errors="replace").removesuffix("\r")
    if not text:
        return None
    if '"' not in text:
        return text.count(",") + 1
    try:
        return len(next(csv.reader([text], strict=True)))
    except csv.Error:
        return None


def _plan_headerless(schema: TrainingSchema, head: bytes, *, at_end: bool, trailing_fields,
                     extra_columns: str, name: str) -> _Input:  # fmt: skip
    """Header-less layout: the schema's ``n`` fields, then ``t`` trailing fields, ignored.

    ``t`` is ``trailing_fields``, or with ``"auto"`` the vote of the first
    :data:`_VOTE_LINES` lines (see the module docstring) — never one line alone.
    """
    cols = list(schema.columns)
    n = len(cols)
    notes = []
    if trailing_fields == "auto":
        lines = head.split(b"\n")
        lines = lines if at_end else lines[:-1]  # the last piece may be a part of a line
        counts = Counter(c for c in map(_field_count, lines[:_VOTE_LINES]) if c is not None)
        fits = {w: k for w, k in counts.items() if n <= w <= n + AUTO_MAX_TRAILING}
        width = max(fits, key=lambda w: (fits[w], -w)) if fits else n
        t = width - n
        voters = sum(counts.values())
        if t and extra_columns == "error":
            raise DataError(
                f"{fits[width]:,} of the first {voters:,} lines have {width} fields, the "
                f"model's schema {n}; pass extra_columns='ignore' (CLI: --extra-columns "
                "ignore) to ignore the trailing fields",
                path=name,
            )  # fmt: skip
        if t:
            notes.append(
                f"ignored the last {t} field(s) of every row: {fits[width]:,} of the first "
                f"{voters:,} lines have {width} fields, the model's schema {n}"
            )
        elif voters and not fits:
            common, k = counts.most_common(1)[0]
            notes.append(
                f"expecting the model's {n} fields per line, but no line of the first "
                f"{voters:,} has {n} to {n + AUTO_MAX_TRAILING} ({k:,} have {common})"
            )
    else:
        t = int(trailing_fields)
        if t and extra_columns == "error":
            raise DataError(f"trailing_fields={t} and extra_columns='error' contradict each other")
        if t:
            notes.append(f"ignored the last {t} field(s) of every row (trailing_fields={t})")
    extra = [f"\x00extra{i}" for i in range(t)]
    return _Input(cols + extra, n + t, notes, trailing=t)


def _looks_numeric(s: str) -> bool:
    try:
        float(s)
    except ValueError:
        return False
    return True
