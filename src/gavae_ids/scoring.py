"""Score traffic files with a saved detector: chunked, streaming, every input row accounted for.

:func:`score_file` reads a CSV (plain, gzip, or stdin) a chunk of lines at a
time, so memory stays flat whatever the file size, and writes one output
record per scorable row: its row number, the predicted class, the probability
of every class, whether it is an attack and whether it held a categorical
value unseen in training. Rows that cannot be scored go to a rejects file
with their row number, the reason and the raw record (the bytes of the line,
invalid UTF-8 included, without its line end); a summary counts both, and
the rejections per reason.

Row numbers count data rows from 1: with a header line, row ``r`` is line
``r + 1`` of the file.

How a chunk is read (vectorised; no per-row Python for well-formed rows):

1. Field counts. The commas of every line are counted with numpy, and lines
   with the wrong count (or empty lines) are rejected.
2. The good lines are parsed by pandas' C parser with float64 numeric columns.
   If a numeric cell is not a number, the chunk is parsed again as text and
   converted column by column, and the rows with empty, non-numeric, NaN or
   infinite numbers are rejected; so are rows with an empty categorical value.
3. The rest is one-hot encoded and min-max scaled, and the classifier runs on
   the whole chunk; the output text is assembled with numpy, not per row.

Input with quote characters (``"``) is parsed line by line with the
:mod:`csv` module instead (correct, slower); a record must sit on one line.

The field layout is fixed once per file, before anything is written, and
the same rule then holds for every chunk and for both parsing paths:

* With a header line (``header=True``): the header must name every training
  column; columns in another order are reordered by name; extra columns are
  ignored (``extra_columns="ignore"``, noted in the summary) or refused
  (``"error"``). Every line must have as many fields as the header.
* Without one (``header=False``, e.g. NSL-KDD): fields are taken in the
  training column order, and every line must have exactly ``n + t`` fields,
  ``n`` the width of the model's schema and ``t`` the number of *trailing
  fields* that are ignored (NSL-KDD files carry ``attack`` and
  ``difficulty``: ``t = 2``). ``t`` is ``trailing_fields`` when it is a
  number; with ``trailing_fields="auto"`` (the default) it is decided by a
  vote over the first 1,000 lines: the most common field count between ``n``
  and ``n + 2`` (ties: the smaller), ``n`` when no line has one. No single
  line decides: a damaged first line is rejected like any other.
  ``extra_columns="error"`` refuses trailing fields (a ``DataError`` before
  any output when the vote finds some).

Stages, so that a new format or engine plugs in at one of them: a *reader*
(:class:`_CsvReader`, or :class:`gavae_ids.scoring_parquet.ParquetReader` for
Parquet input) yields parsed, validated and encoded chunks; the classifier
scores them; a *writer* (:class:`_ScoreWriter`, or
:class:`gavae_ids.scoring_parquet.ParquetScoreWriter`) writes them.
:func:`score_file` scores one input into one output; :mod:`gavae_ids.scoring_jobs`
scores many files as one job, locally or with Dask, by calling it once per file.

A share of rejected rows above what is expected of a clean file means the
file was misread, not that its rows are bad: :attr:`ScoreSummary.reject_rate`
and :meth:`ScoreSummary.top_reasons` tell the caller, and ``gavae-ids score``
exits with status 3 when the share exceeds ``--max-reject-rate``
(:data:`DEFAULT_MAX_REJECT_RATE`).
"""

from __future__ import annotations

import contextlib
import csv
import gzip
import io
import json
import logging
import sys
import time
import zlib
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

import numpy as np
import pandas as pd

from gavae_ids._progress import progress_bar
from gavae_ids.exceptions import DataError

if TYPE_CHECKING:  # the detector brings torch; the CLI reads this module's defaults without it
    from gavae_ids.detector import Detector, TrainingSchema

log = logging.getLogger(__name__)

DEFAULT_CHUNK_ROWS = 100_000
FORMATS = ("csv", "jsonl", "parquet")
EXTRA_COLUMNS = ("ignore", "error")
# The largest number of trailing fields that trailing_fields="auto" accepts: NSL-KDD has
# two (attack, difficulty), KDD Cup 99 one (label). Wider files need an explicit number.
AUTO_MAX_TRAILING = 2
# Clean files reject no rows (KDDTest+: 0 of 22,544), and a file read with the wrong
# layout or model rejects nearly all; 5 % leaves room for a few damaged lines in a
# capture while any systematic misreading stands out.
DEFAULT_MAX_REJECT_RATE = 0.05
_VOTE_LINES = 1000  # lines whose field counts decide trailing_fields="auto"
_VOTE_BYTES = 1 << 20  # ... read from at most this many leading bytes
_READ_BYTES = 1 << 22
_SEP = b","
_BOM = b"\xef\xbb\xbf"
_MAX_LOGGED_REJECTS = 5


# -- the summary ---------------------------------------------------------------------------
@dataclass
class ScoreSummary:
    """What :func:`score_file` did.

    Attributes
    ----------
    total, scored, rejected : int
        Input data rows; ``scored + rejected == total``.
    attacks : int
        Scored rows flagged as attacks.
    unseen : int
        Scored rows with a categorical value unseen in training.
    novel : int or None
        With the novelty flag (``novelty=True``): scored rows flagged novel (also
        counted in ``attacks``); ``None`` without it.
    seconds : float
        Wall time, reading to last write.
    source : str or None
        The input read (``"<stdin>"`` for stdin).
    output, rejects : str or None
        Where the scores and the rejected rows went (``"-"``: stdout).
    reject_reasons : dict of str → int
        Rejected rows per kind of reason: ``"wrong field count"``, ``"empty
        line"``, ``"malformed CSV"``, ``"empty value"``, ``"not a finite number"``.
    reject_details : dict of str → dict of str → int
        Rejected rows of each kind per detail: the expected and found field
        counts, the column, the CSV error; most common first.
    trailing_fields : int or None
        Header-less input: the trailing fields ignored on every line; ``None``
        with a header.
    notes : list of str
        Remarks on the input (ignored columns, reordering, trailing fields).
    """

    total: int = 0
    scored: int = 0
    rejected: int = 0
    attacks: int = 0
    unseen: int = 0
    novel: int | None = None
    seconds: float = 0.0
    source: str | None = None
    output: str | None = None
    rejects: str | None = None
    reject_reasons: dict[str, int] = field(default_factory=dict)
    reject_details: dict[str, dict[str, int]] = field(default_factory=dict)
    trailing_fields: int | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def rows_per_second(self) -> float:
        return self.total / self.seconds if self.seconds > 0 else float("nan")

    @property
    def reject_rate(self) -> float:
        """Share of input rows rejected (0 for an empty input)."""
        return self.rejected / self.total if self.total else 0.0

    def top_reasons(self, k: int = 5) -> list[tuple[str, int]]:
        """The ``k`` most common kinds of reject reason with their row counts."""
        return Counter(self.reject_reasons).most_common(k)

    def reasons_text(self, k: int = 5, details: int = 3) -> str:
        """The ``k`` most common reject reasons, one indented line each, with their
        ``details`` most common details::

                      73  wrong field count: expected 43, found 44 (61); expected 43, found 24 (5)
        """
        lines = []
        for kind, n in self.top_reasons(k):
            top = Counter(self.reject_details.get(kind, {})).most_common()
            shown = [f"{d} ({c:,})" for d, c in top[:details] if d]
            if len(top) > details:
                shown.append(f"{len(top) - details} more")
            lines.append(f"  {n:>12,}  {kind}" + (": " + "; ".join(shown) if shown else ""))
        return "\n".join(lines)

    def line(self) -> str:
        """One human-readable line: scored / rejected / total, rate, attacks."""
        s = (
            f"scored {self.scored:,} / rejected {self.rejected:,} / total {self.total:,} rows "
            f"in {self.seconds:.2f} s ({self.rows_per_second:,.0f} rows/s); "
            f"{self.attacks:,} attacks, {self.unseen:,} with unseen categories"
        )
        if self.novel is not None:
            s += f", {self.novel:,} novel (counted as attacks)"
        if self.rejected and self.rejects:
            s += f"; rejects in {self.rejects}"
        return s

    def to_dict(self) -> dict:
        d = {k: getattr(self, k) for k in self.__dataclass_fields__}
        d["rows_per_second"] = self.rows_per_second
        return d


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


# -- parsing a block -----------------------------------------------------------------------
class _Reason(NamedTuple):
    """Why a row was rejected: its kind and a detail, counted in the summary, and the text
    of the rejects file."""

    kind: str
    detail: str
    text: str


_EMPTY_LINE = _Reason("empty line", "", "empty line")


def _wrong_count(expected: int, found: int) -> _Reason:
    return _Reason("wrong field count", f"expected {expected}, found {found}",
                   f"expected {expected} fields, found {found}")  # fmt: skip


def _malformed(e: csv.Error) -> _Reason:
    # The csv module's advice on a bare "\r" ("open the file in universal-newline
    # mode") does not apply here: the line was split already.
    why = str(e).split(" - ")[0]
    return _Reason("malformed CSV", why, f"malformed CSV ({why})")


def _empty_value(column: str) -> _Reason:
    return _Reason("empty value", f"column {column!r}", f"empty value in column {column!r}")


def _not_finite(column: str, value) -> _Reason:
    return _Reason("not a finite number", f"column {column!r}",
                   f"value {str(value)!r} in column {column!r} is not a finite number")  # fmt: skip


@dataclass
class _Parsed:
    """One block: the good rows as a frame, and the reasons of the rejected lines."""

    frame: pd.DataFrame  # schema columns, numeric as float64
    good: np.ndarray  # line index (within the block) of each frame row
    rejected: dict[int, _Reason]  # line index → reason


class _BlockParser:
    def __init__(self, schema: TrainingSchema, inp: _Input):
        self.schema = schema
        self.names = inp.names
        self.n_fields = inp.n_fields
        self.usecols = list(schema.columns)
        self.numeric = schema.numeric
        self.categorical = schema.categorical
        # Categorical columns as pandas categories: the parser hashes each distinct
        # value once, and the one-hot lookup then runs on the few categories.
        self.fast_dtypes = {c: np.float64 for c in self.numeric} | {
            c: "category" for c in self.categorical
        }

    # field counts ---------------------------------------------------------------------
    def _count_np(self, arr: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        nl = np.flatnonzero(arr == 10)
        commas = np.flatnonzero(arr == _SEP[0])
        counts = np.diff(np.searchsorted(commas, nl), prepend=0) + 1
        starts = np.concatenate(([0], nl[:-1] + 1))
        length = nl - starts
        empty = (length == 0) | ((length == 1) & (arr[np.maximum(nl - 1, 0)] == 13))
        return counts, empty

    def _read(self, data: bytes, dtype) -> pd.DataFrame:
        return pd.read_csv(
            io.BytesIO(data), header=None, names=self.names, usecols=self.usecols, dtype=dtype,
            na_filter=False, engine="c", skip_blank_lines=False, encoding_errors="replace",
        )  # fmt: skip

    def parse(self, block: bytes, n_lines: int) -> _Parsed:
        if b'"' in block:
            return self._parse_lines(block)
        arr = np.frombuffer(block, dtype=np.uint8)
        # Count every line's fields (vectorised): a comma total that happens to be right
        # can hide one line too long and another too short.
        counts, empty = self._count_np(arr)
        bad = counts != self.n_fields
        rejected = {
            i: _EMPTY_LINE if empty[i] else _wrong_count(self.n_fields, int(counts[i]))
            for i in np.flatnonzero(bad).tolist()
        }
        good = np.flatnonzero(~bad)
        data = _select_lines(arr, ~bad) if bad.any() else block
        try:
            return self._parse_good(data, good, rejected)
        except pd.errors.ParserError:
            # Lines pandas splits differently (a bare carriage return): go line by line.
            return self._parse_lines(block)

    def _parse_good(self, data: bytes, good: np.ndarray,
                    rejected: dict[int, _Reason]) -> _Parsed:  # fmt: skip
        """Parse lines that have the right field count; ``good`` are their line indices."""
        if not len(good):
            return _Parsed(pd.DataFrame(columns=self.usecols), good, rejected)
        try:
            frame, typed = self._read(data, self.fast_dtypes), True
        except pd.errors.ParserError:
            raise
        except ValueError:  # a numeric cell is not a number: read as text, convert per column
            frame, typed = self._read(data, object), False
        if len(frame) != len(good):
            raise pd.errors.ParserError(f"parsed {len(frame)} rows from {len(good)} lines")
        return self._validate(frame, good, rejected, typed)

    def _parse_lines(self, block: bytes) -> _Parsed:
        """Line by line with the csv module: for quoted fields and odd line ends."""
        lines = block.split(b"\n")[:-1]
        rows, good, rejected = [], [], {}
        for i, line in enumerate(lines):
            text = line.decode("utf-8", errors="replace").removesuffix("\r")
            if not text:
                rejected[i] = _EMPTY_LINE
                continue
            try:
                fields = next(csv.reader([text], strict=True))
            except csv.Error as e:
                rejected[i] = _malformed(e)
                continue
            if len(fields) != self.n_fields:
                rejected[i] = _wrong_count(self.n_fields, len(fields))
                continue
            rows.append(fields)
            good.append(i)
        frame = pd.DataFrame(rows, columns=self.names, dtype=object)[self.usecols]
        return self._validate(frame, np.asarray(good, dtype=np.int64), rejected, False)

    def _validate(self, frame: pd.DataFrame, good: np.ndarray, rejected: dict[int, _Reason],
                  typed: bool) -> _Parsed:  # fmt: skip
        n = len(frame)
        ok = np.ones(n, dtype=bool)
        reason: dict[int, _Reason] = {}
        if self.numeric:
            if typed:
                num = frame[self.numeric].to_numpy(dtype=np.float64)
            else:
                raw = frame[self.numeric]
                num = np.column_stack(
                    [pd.to_numeric(raw[c], errors="coerce").to_numpy(dtype=np.float64)
                     for c in self.numeric]
                )  # fmt: skip
            finite = np.isfinite(num)
            bad = ~finite.all(axis=1)
            if bad.any():
                rows = np.flatnonzero(bad)
                cols = (~finite[rows]).argmax(axis=1)
                for r, j in zip(rows.tolist(), cols.tolist(), strict=True):
                    c = self.numeric[j]
                    value = num[r, j] if typed else frame[c].iat[r]
                    reason[r] = _empty_value(c) if value == "" else _not_finite(c, value)
                ok &= ~bad
            if not typed:
                frame = frame.copy()
                for j, c in enumerate(self.numeric):
                    frame[c] = num[:, j]
        for c in self.categorical:
            empty = _empty_cells(frame[c])
            if empty.any():
                for r in np.flatnonzero(empty & ok).tolist():
                    reason[r] = _empty_value(c)
                ok &= ~empty
        for r, why in reason.items():
            rejected[int(good[r])] = why
        if not ok.all():
            frame, good = frame[ok], good[ok]
        return _Parsed(frame, good, rejected)


def _empty_cells(col: pd.Series) -> np.ndarray:
    if isinstance(col.dtype, pd.CategoricalDtype):
        cats = col.cat.categories
        if "" not in cats:
            return np.zeros(len(col), dtype=bool)
        return col.cat.codes.to_numpy() == cats.get_loc("")
    return col.to_numpy() == ""


def _select_lines(arr: np.ndarray, keep: np.ndarray) -> bytes:
    """The bytes of the lines where ``keep`` is true (every line ends in ``\\n``)."""
    nl = np.flatnonzero(arr == 10)
    lengths = np.diff(nl, prepend=-1)
    return arr[np.repeat(keep, lengths)].tobytes()


def _line_text(block: bytes, index: list[int]) -> dict[int, str]:
    """The raw lines ``index`` without their line end; bytes that are not UTF-8 are kept
    as surrogates, which the rejects file writes back as the same bytes."""
    nl = np.flatnonzero(np.frombuffer(block, dtype=np.uint8) == 10)
    out = {}
    for i in index:
        start = int(nl[i - 1]) + 1 if i else 0
        line = block[start : int(nl[i])].removesuffix(b"\r")
        out[i] = line.decode("utf-8", errors="surrogateescape")
    return out


# -- writing -------------------------------------------------------------------------------
def _int_field(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Decimal digits of non-negative ints, left-aligned, with a validity mask."""
    v = np.asarray(values, dtype=np.int64)
    width = len(str(int(v.max()))) if len(v) else 1
    lengths = np.ones(len(v), dtype=np.int64)
    for k in range(1, width):
        lengths += v >= 10**k
    exp = lengths[:, None] - 1 - np.arange(width)[None, :]
    valid = exp >= 0
    digits = (v[:, None] // (10 ** np.maximum(exp, 0))) % 10
    return (digits + 48).astype(np.uint8), valid


def _prob_field(p: np.ndarray, decimals: int) -> np.ndarray:
    """``p`` in [0, 1] as fixed-point text with ``decimals`` digits (``0.123456``)."""
    scale = 10**decimals
    q = np.rint(np.clip(p, 0.0, 1.0) * scale).astype(np.int64)
    out = np.empty((len(q), decimals + 2 if decimals else 1), dtype=np.uint8)
    out[:, 0] = 48 + q // scale
    if decimals:
        out[:, 1] = ord(".")
        pw = 10 ** np.arange(decimals - 1, -1, -1)
        out[:, 2:] = 48 + (q % scale)[:, None] // pw % 10
    return out


def _lookup_field(index: np.ndarray, table: list[bytes]) -> tuple[np.ndarray, np.ndarray]:
    width = max(len(t) for t in table)
    tab = np.zeros((len(table), width), dtype=np.uint8)
    for i, t in enumerate(table):
        tab[i, : len(t)] = np.frombuffer(t, dtype=np.uint8)
    lens = np.asarray([len(t) for t in table])
    return tab[index], np.arange(width)[None, :] < lens[index][:, None]


def _assemble(parts: list, n: int) -> bytes:
    """Concatenate per-row fields into text: ``parts`` are literal bytes or (matrix, mask)."""
    mats, masks, variable = [], [], False
    for p in parts:
        if isinstance(p, bytes):
            m = np.broadcast_to(np.frombuffer(p, dtype=np.uint8), (n, len(p)))
            mask = None
        elif isinstance(p, tuple):
            m, mask = p
            variable = True
        else:
            m, mask = p, None
        mats.append(m)
        masks.append(mask)
    text = np.concatenate(mats, axis=1)
    if not variable:
        return text.tobytes()
    full = np.concatenate(
        [np.ones(m.shape, bool) if k is None else k for m, k in zip(mats, masks, strict=True)],
        axis=1,
    )
    return text[full].tobytes()


def _csv_cell(s: str) -> str:
    buf = io.StringIO()
    csv.writer(buf, lineterminator="").writerow([s])
    return buf.getvalue()


def score_columns(classes, novelty: bool = False) -> list[str]:
    """Columns of the scored output, in order (``novel`` last, with the novelty flag)."""
    cols = ["row", "prediction", *[f"p_{c}" for c in classes], "is_attack", "unseen_category"]
    return [*cols, "novel"] if novelty else cols


class _ScoreWriter:
    """Writes scored rows as CSV or JSON Lines, assembling the text with numpy."""

    def __init__(self, stream, classes, fmt: str, decimals: int, novelty: bool = False):
        self.stream = stream
        self.fmt = fmt
        self.decimals = decimals
        self.novelty = novelty
        self.classes = [str(c) for c in classes]
        if fmt == "csv":
            self.labels = [_csv_cell(c).encode() for c in self.classes]
            self.flags = [b"0", b"1"]
        else:
            self.labels = [json.dumps(c).encode() for c in self.classes]
            self.flags = [b"false", b"true"]

    def columns(self) -> list[str]:
        return score_columns(self.classes, self.novelty)

    def header(self) -> None:
        if self.fmt == "csv":
            self.stream.write((",".join(_csv_cell(c) for c in self.columns()) + "\n").encode())

    def write(self, rows, pred, proba, attack, unseen, novel=None) -> None:
        n = len(rows)
        if not n:
            return
        fields = [
            _int_field(rows),
            _lookup_field(pred, self.labels),
            *[_prob_field(proba[:, j], self.decimals) for j in range(proba.shape[1])],
            _lookup_field(attack.astype(np.int64), self.flags),
            _lookup_field(unseen.astype(np.int64), self.flags),
        ]
        if self.novelty:
            fields.append(_lookup_field(novel.astype(np.int64), self.flags))
        if self.fmt == "csv":
            seps = [b","] * (len(fields) - 1) + [b"\n"]
            parts = [x for f, s in zip(fields, seps, strict=True) for x in (f, s)]
        else:
            keys = [json.dumps(c) for c in self.columns()]
            parts = []
            for i, (k, f) in enumerate(zip(keys, fields, strict=True)):
                parts += [("{" if i == 0 else ",").encode() + k.encode() + b":", f]
            parts.append(b"}\n")
        self.stream.write(_assemble(_merge_literals(parts), n))

    def close(self) -> None:
        pass


def _merge_literals(parts: list) -> list:
    out: list = []
    for p in parts:
        if isinstance(p, bytes) and out and isinstance(out[-1], bytes):
            out[-1] += p
        else:
            out.append(p)
    return out


class _RejectWriter:
    """Rejected rows as CSV ``row,reason,record``, or only logged when there is no file.

    The record is the input line byte for byte (without its line end): bytes that
    are not UTF-8 are written back unchanged (``surrogateescape``), so the file
    is UTF-8 wherever the input was.
    """

    def __init__(self, stream):
        self.stream = stream
        self.writer = None
        if stream is not None:
            self.text = io.TextIOWrapper(stream, encoding="utf-8", errors="surrogateescape",
                                         newline="", write_through=True)  # fmt: skip
            self.writer = csv.writer(self.text, lineterminator="\n")
            # The csv module quotes a field with a bare "\r" only when "\r" ends its lines.
            self.quoted = csv.writer(self.text, lineterminator="\n", quoting=csv.QUOTE_ALL)
            self.writer.writerow(["row", "reason", "record"])
        self.logged = 0

    def write(self, items: list[tuple[int, _Reason, str]]) -> None:
        if self.writer is not None:
            for row, why, record in items:
                (self.quoted if "\r" in record else self.writer).writerow((row, why.text, record))
            return
        for row, why, _ in items:
            if self.logged < _MAX_LOGGED_REJECTS:
                log.warning("row %d rejected: %s", row, why.text)
            self.logged += 1

    def close(self) -> None:
        if self.writer is not None:
            self.text.flush()
            self.text.detach()
        elif self.logged > _MAX_LOGGED_REJECTS:
            log.warning("… %d more rejected rows; pass a rejects file to keep them all",
                        self.logged - _MAX_LOGGED_REJECTS)  # fmt: skip


def _is_stdio(x) -> bool:
    return x is None or str(x) == "-"


def output_format(out, fmt: str | None = None) -> str:
    """``fmt`` when given, else from the output's extension: ``.jsonl``/``.ndjson`` → jsonl,
    ``.parquet``/``.pq`` → parquet (never to stdout, never gzip-wrapped)."""
    stream = _is_stdio(out) or hasattr(out, "write")
    if fmt is None:
        name = "" if stream else Path(out).name.lower()
        if name.removesuffix(".gz").endswith((".parquet", ".pq")):
            fmt = "parquet"
        elif name.removesuffix(".gz").endswith((".jsonl", ".ndjson", ".json")):
            fmt = "jsonl"
        else:
            fmt = "csv"
    if fmt not in FORMATS:
        raise DataError(f"unknown output format {fmt!r}; choose one of {', '.join(FORMATS)}")
    if fmt == "parquet" and _is_stdio(out):
        raise DataError("Parquet output needs a file (--out scored.parquet), not stdout")
    if fmt == "parquet" and not hasattr(out, "write") and str(out).lower().endswith(".gz"):
        raise DataError("Parquet output is compressed inside the file; drop the .gz", path=out)
    return fmt


def default_rejects_path(out) -> Path | None:
    """``scored.csv`` → ``scored.rejects.csv``; ``None`` for stdout or a stream."""
    if _is_stdio(out) or hasattr(out, "write"):
        return None
    p = Path(out)
    stem = p.name
    for suffix in (".gz", ".csv", ".jsonl", ".ndjson", ".json", ".txt", ".parquet", ".pq"):
        stem = stem.removesuffix(suffix)
    return p.with_name(stem + ".rejects.csv")


@contextlib.contextmanager
def _open_output(target):
    if _is_stdio(target):
        sys.stdout.flush()
        yield sys.stdout.buffer, "-"
        sys.stdout.buffer.flush()
    elif hasattr(target, "write"):
        yield target, getattr(target, "name", "<stream>")
    else:
        path = Path(target)
        path.parent.mkdir(parents=True, exist_ok=True)
        opener = gzip.open if path.name.lower().endswith(".gz") else open
        with opener(path, "wb") as f:
            yield f, str(path)


def _same_file(a, b) -> bool:
    if _is_stdio(a) or _is_stdio(b) or hasattr(a, "read") or hasattr(b, "write"):
        return False
    try:
        return Path(a).resolve() == Path(b).resolve()
    except OSError:
        return False


@contextlib.contextmanager
def _model_threads(det, n: int):
    """Run the classifier on ``n`` threads: torch's, and ``n_jobs`` of a tree model."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(n)
    tree_jobs = []
    for est in (det.classifier, getattr(det.classifier, "classifier_", None)):
        if est is not None and "n_jobs" in getattr(est, "get_params", dict)(deep=False):
            tree_jobs.append((est, est.get_params(deep=False)["n_jobs"]))
            est.set_params(n_jobs=n)
    try:
        yield
    finally:
        torch.set_num_threads(before)
        for est, jobs in tree_jobs:
            est.set_params(n_jobs=jobs)


# -- the driver ----------------------------------------------------------------------------
def check_options(*, extra_columns: str, chunk_size: int, threshold: float | None,
                  decimals: int) -> None:  # fmt: skip
    """Refuse scoring options out of range, one line each (before anything is read)."""
    if extra_columns not in EXTRA_COLUMNS:
        raise DataError(f"extra_columns must be one of {EXTRA_COLUMNS}, got {extra_columns!r}")
    if chunk_size < 1:
        raise DataError(f"chunk_size must be positive, got {chunk_size}")
    if threshold is not None and not 0.0 <= threshold <= 1.0:
        raise DataError(f"threshold must lie in [0, 1], got {threshold}")
    if not 0 <= decimals <= 15:
        raise DataError(f"decimals must lie in 0..15, got {decimals}")


def score_file(
    model,
    source,
    out="-",
    *,
    rejects=None,
    fmt: str | None = None,
    threshold: float | None = None,
    header: bool = True,
    trailing_fields: int | str = "auto",
    extra_columns: str = "ignore",
    chunk_size: int = DEFAULT_CHUNK_ROWS,
    decimals: int = 6,
    torch_threads: int | None = 1,
    novelty: bool = False,
    verbose: bool = True,
) -> ScoreSummary:
    """Score every row of a traffic CSV with a detector; see the module docstring.

    Parameters
    ----------
    model : Detector or path-like
        A detector, or the folder of a saved bundle.
    source : path-like, ``"-"`` or binary file object
        The input CSV, plain or gzip-compressed (detected from its first bytes);
        ``"-"`` reads stdin. A Parquet file (its magic bytes) is read by
        :mod:`gavae_ids.scoring_parquet`: columns matched by name, the same
        validation and reject reasons; ``header`` and ``trailing_fields`` do not
        apply.
    out : path-like, ``"-"`` or binary file object, default="-"
        Where the scores go; a path ending in ``.gz`` is gzip-compressed,
        one ending in ``.parquet`` is written as Parquet.
    rejects : path-like or binary file object, optional
        Where rejected rows go (CSV ``row,reason,record``). By default
        ``<out stem>.rejects.csv`` beside a file output; with stdout output,
        the first rejected rows are logged as warnings and all are counted.
    fmt : {"csv", "jsonl", "parquet"}, optional
        Output format; by default from ``out``'s extension, else CSV.
    threshold : float, optional
        A row is an attack when 1 − P(normal) ≥ ``threshold``; by default when
        its predicted class is not the normal class. ``prediction`` is always
        the most probable class.
    header : bool, default=True
        Whether the first line names the columns; without it fields are taken
        in the training column order.
    trailing_fields : int or "auto", default="auto"
        Header-less input only: how many fields follow the schema's on every
        line, ignored (NSL-KDD: 2). ``"auto"`` lets the first 1,000 lines vote
        for 0, 1 or 2 (see the module docstring). Lines with another field
        count are rejected.
    extra_columns : {"ignore", "error"}
        What to do with input columns (or trailing fields) the model does not use.
    chunk_size : int
        Lines read, parsed and scored at a time (memory ∝ ``chunk_size``).
    decimals : int, default=6
        Digits after the point of the written probabilities.
    torch_threads : int or None, default=1
        Threads of the classifier while scoring (restored afterwards): torch's
        intra-op threads, and ``n_jobs`` of a tree model (RF, LightGBM). Reading,
        parsing and encoding run on a thread of their own, so one torch thread
        keeps two cores busy; more torch threads than free cores make torch's
        thread pool spin and scoring several times slower. ``None`` keeps
        torch's setting.
    novelty : bool, default=False
        Add a ``novel`` column (the bundle's novelty flag,
        :meth:`gavae_ids.detector.Detector.novel_mask_encoded`: the GAVAE's
        reconstruction loss under the predicted class above that class's
        threshold) and count novel rows as attacks in ``is_attack``. Needs a
        bundle saved with novelty thresholds.
    verbose : bool
        Progress bar with rows/s on stderr.

    Returns
    -------
    ScoreSummary
        Counts, the rejections per reason (:meth:`ScoreSummary.top_reasons`)
        and :attr:`ScoreSummary.reject_rate`; deciding whether that rate is too
        high is the caller's (``gavae-ids score --max-reject-rate``).

    Raises
    ------
    DataError
        The input is empty, its header lacks training columns, or the options
        contradict each other — raised before anything is written.

    Examples
    --------
    >>> s = score_file("model_dir", "flows.csv", "scored.csv")  # doctest: +SKIP
    >>> print(s.line())  # doctest: +SKIP
    scored 22,543 / rejected 1 / total 22,544 rows in 0.31 s (72,000 rows/s); ...
    """
    check_options(extra_columns=extra_columns, chunk_size=chunk_size, threshold=threshold,
                  decimals=decimals)  # fmt: skip
    trailing_fields = check_trailing_fields(trailing_fields)
    fmt = output_format(out, fmt)
    if rejects is None:
        rejects = default_rejects_path(out)
    if _same_file(source, out) or (rejects is not None and _same_file(source, rejects)):
        raise DataError("the output would overwrite the input", path=source)
    from gavae_ids.detector import Detector

    det = model if isinstance(model, Detector) else Detector.load(model)
    if novelty and getattr(det, "novelty_", None) is None:
        raise DataError(
            "the bundle has no novelty thresholds: the novelty flag needs a GAVAE detector "
            "whose thresholds were chosen on its training data (Detector.fit_novelty, then save)",
            path=model if not isinstance(model, Detector) else None,
        )
    t0 = time.perf_counter()
    summary = ScoreSummary(novel=0 if novelty else None)
    try:
        with contextlib.ExitStack() as stack:
            if torch_threads is not None:
                stack.enter_context(_model_threads(det, torch_threads))
            stream, name = stack.enter_context(_open_input(source))
            reader = _reader(det.schema, stream, name, header=header,
                             trailing_fields=trailing_fields, extra_columns=extra_columns,
                             chunk_size=chunk_size)  # fmt: skip
            summary.source = name
            summary.notes = reader.notes
            summary.trailing_fields = reader.trailing
            for note in reader.notes:
                log.info("%s: %s", name, note)
            # Only now, with the header checked, is anything created or written.
            ostream, summary.output = stack.enter_context(_open_output(out))
            rstream = None
            if rejects is not None:
                rstream, summary.rejects = stack.enter_context(_open_output(rejects))
            writer = _score_writer(ostream, det.classes_, fmt, decimals, novelty)
            writer.header()
            stack.callback(writer.close)
            rejects_out = _RejectWriter(rstream)
            stack.callback(rejects_out.close)
            reasons: Counter[str] = Counter()
            details: dict[str, Counter[str]] = {}
            with progress_bar("scoring", None, verbose) as task:
                for chunk in _prefetch(reader.chunks(det)):
                    _write_chunk(det, chunk, summary, writer, rejects_out, reasons, details,
                                 threshold, novelty)  # fmt: skip
                    rate = summary.total / max(time.perf_counter() - t0, 1e-9)
                    status = f"{rate:,.0f} rows/s, {summary.rejected:,} rejected"
                    task.advance(chunk.n_lines, status=status)
    except (EOFError, zlib.error, gzip.BadGzipFile) as e:
        raise DataError(f"compressed input is damaged or truncated ({e})", path=source) from None
    summary.reject_reasons = dict(reasons.most_common())
    summary.reject_details = {k: dict(details[k].most_common()) for k in summary.reject_reasons}
    summary.seconds = time.perf_counter() - t0
    return summary


class _CsvReader:
    """The reader stage for CSV text: the layout of the whole file, then encoded chunks."""

    def __init__(self, schema: TrainingSchema, stream, name: str, *, header: bool,
                 trailing_fields, extra_columns: str, chunk_size: int):  # fmt: skip
        self.stream = stream
        self.chunk_size = chunk_size
        self.input, self.prefix = _plan_input(schema, stream, header=header,
                                              trailing_fields=trailing_fields,
                                              extra_columns=extra_columns, name=name)  # fmt: skip
        self.parser = _BlockParser(schema, self.input)
        self.notes = self.input.notes
        self.trailing = self.input.trailing

    def chunks(self, det: Detector):
        blocks = _line_blocks(self.stream, self.chunk_size, self.prefix)
        return _prepared_chunks(det, self.parser, blocks)


def _reader(schema: TrainingSchema, stream, name: str, *, header: bool, trailing_fields,
            extra_columns: str, chunk_size: int):  # fmt: skip
    """The reader stage for ``stream``: Parquet (from its magic bytes) or CSV.

    A reader has ``notes``, ``trailing`` (header-less CSV only) and
    ``chunks(det)``, which yields :class:`_Chunk` objects; a new input format
    plugs in here.
    """
    if stream.peek(4)[:4] == b"PAR1":
        from gavae_ids.scoring_parquet import ParquetReader

        return ParquetReader(schema, stream, name, extra_columns=extra_columns,
                             chunk_size=chunk_size)  # fmt: skip
    return _CsvReader(schema, stream, name, header=header, trailing_fields=trailing_fields,
                      extra_columns=extra_columns, chunk_size=chunk_size)  # fmt: skip


def _score_writer(stream, classes, fmt: str, decimals: int, novelty: bool = False):
    """The writer stage: ``header()``, ``write(rows, pred, proba, attack, unseen[, novel])``,
    ``close()``."""
    if fmt == "parquet":
        from gavae_ids.scoring_parquet import ParquetScoreWriter

        return ParquetScoreWriter(stream, classes, decimals, novelty)
    return _ScoreWriter(stream, classes, fmt, decimals, novelty)


@dataclass
class _Chunk:
    """A block of input lines, parsed and encoded, ready for the classifier."""

    first_row: int
    n_lines: int
    rows: np.ndarray  # row numbers of the scorable rows
    Xt: np.ndarray
    unseen: np.ndarray
    rejected: list[tuple[int, _Reason, str]]  # (row, reason, raw record)


def _prepared_chunks(det: Detector, parser: _BlockParser, blocks):
    """Parse and encode each block (the part of scoring that needs no model)."""
    first_row = 1
    for block, n_lines in blocks:
        parsed = parser.parse(block, n_lines)
        if len(parsed.frame):
            Xt, unseen = det.encode(parsed.frame)
        else:
            Xt, unseen = np.zeros((0, 0), dtype=np.float32), np.zeros(0, dtype=bool)
        rejected = []
        if parsed.rejected:
            idx = sorted(parsed.rejected)
            text = _line_text(block, idx)
            rejected = [(i + first_row, parsed.rejected[i], text[i]) for i in idx]
        yield _Chunk(first_row, n_lines, parsed.good + first_row, Xt, unseen, rejected)
        first_row += n_lines


def _prefetch(iterator, depth: int = 2):
    """Run ``iterator`` in a background thread, ``depth`` items ahead of the consumer.

    Reading, CSV parsing and encoding (pandas' C parser and numpy release the
    GIL) then overlap with the classifier and the writing, using a second core.
    Exceptions of the producer are re-raised in the consumer.
    """
    import queue
    import threading

    q: queue.Queue = queue.Queue(maxsize=depth)
    stop = threading.Event()
    done = object()

    def put(item) -> bool:
        while not stop.is_set():
            try:
                q.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def run():
        try:
            for item in iterator:
                if not put(("item", item)):
                    return
            put(("done", done))
        except BaseException as e:  # handed to the consumer
            put(("error", e))

    thread = threading.Thread(target=run, name="gavae-ids-reader", daemon=True)
    thread.start()
    try:
        while True:
            kind, item = q.get()
            if kind == "item":
                yield item
            elif kind == "error":
                raise item
            else:
                return
    finally:
        stop.set()
        thread.join()


def _write_chunk(det, chunk: _Chunk, summary, writer, rejects_out, reasons, details,
                 threshold, novelty: bool = False):  # fmt: skip
    if len(chunk.rows):
        proba = det.predict_proba_encoded(chunk.Xt)
        pred = proba.argmax(axis=1)
        attack = det.attack_mask(proba, threshold)
        novel = None
        if novelty:
            novel = det.novel_mask_encoded(chunk.Xt, pred)
            attack = attack | novel
            summary.novel += int(novel.sum())
        writer.write(chunk.rows, pred, proba, attack, chunk.unseen, novel)
        summary.scored += len(chunk.rows)
        summary.attacks += int(attack.sum())
        summary.unseen += int(chunk.unseen.sum())
    if chunk.rejected:
        rejects_out.write(chunk.rejected)
        for _, why, _ in chunk.rejected:
            reasons[why.kind] += 1
            details.setdefault(why.kind, Counter())[why.detail] += 1
        summary.rejected += len(chunk.rejected)
    summary.total += chunk.n_lines
