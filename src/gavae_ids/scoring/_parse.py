"""Parsing stage: a block of lines → a validated frame, and a reason for every rejected line.

Two paths give the same frame. The fast one (:class:`_ArrowBlock`, with the optional
pyarrow) parses a whole block with ``pyarrow.csv`` and strict types, and is used only
when the block is clean: every line has the right field count, every number is finite,
no value is empty, the text is UTF-8 without NUL, quotes or bare carriage returns. Any
other block is parsed by the exact path (numpy field counts, ``pandas.read_csv``,
validation), which describes every rejected line.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
import pandas as pd

from gavae_ids._util.validate import to_finite
from gavae_ids.detection.schema import TrainingSchema
from gavae_ids.scoring._common import _SEP
from gavae_ids.scoring._read import _Input


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
        self.arrow = _ArrowBlock.create(schema, inp)

    # field counts ---------------------------------------------------------------------
    def _count_np(self, arr: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        nl = np.flatnonzero(arr == 10)
        if not len(nl):
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=bool)
        starts = np.concatenate(([0], nl[:-1] + 1))
        # Commas per line as sums of the comma mask between line starts (faster than the
        # positions of all commas); bytes after the last newline belong to no line.
        commas = (arr[: nl[-1] + 1] == _SEP[0]).view(np.uint8)
        acc = np.int32 if len(commas) < 2**31 else np.int64
        counts = np.add.reduceat(commas, starts, dtype=acc).astype(np.int64) + 1
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
        if self.arrow is not None and (clean := self.arrow.parse(block, n_lines)) is not None:
            return clean
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
                    [to_finite(raw[c])[0] for c in self.numeric]
                )  # fmt: skip
            bad = numeric_rejects(
                num, self.numeric, reason,
                value=lambda r, j: num[r, j] if typed else frame[self.numeric[j]].iat[r],
                empty=lambda r, j, v: v == "",
            )  # fmt: skip
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


class _ArrowBlock:
    """The fast path: a clean block parsed by ``pyarrow.csv`` (C++, ``threads`` threads).

    :meth:`parse` returns ``None`` for any block it cannot vouch for; the exact path then
    parses it and names the reason of every rejected line.
    """

    def __init__(self, pa, pcsv, schema: TrainingSchema, inp: _Input, threads: bool):
        self.pa, self.pcsv = pa, pcsv
        self.numeric = schema.numeric
        self.categorical = schema.categorical
        types = {c: pa.float64() for c in schema.numeric} | {
            c: pa.dictionary(pa.int32(), pa.string()) for c in schema.categorical
        }
        self.read_options = pcsv.ReadOptions(column_names=inp.names, use_threads=threads,
                                             block_size=1 << 20)  # fmt: skip
        # No quoting (blocks with quotes take the exact path), empty lines kept (an error
        # here), no text read as null, invalid UTF-8 an error.
        self.parse_options = pcsv.ParseOptions(quote_char=False, ignore_empty_lines=False)
        self.convert_options = pcsv.ConvertOptions(
            column_types=types, include_columns=list(schema.columns), null_values=[],
            strings_can_be_null=False, quoted_strings_can_be_null=False, check_utf8=True,
        )  # fmt: skip

    @classmethod
    def create(cls, schema: TrainingSchema, inp: _Input, threads: bool = False):
        """The fast path, or ``None`` without pyarrow. One thread by default: the reader
        thread already shares the two cores of the target machine with the classifier,
        and pyarrow's own threads cost CPU there (docs/results/scoring-profile)."""
        try:
            import pyarrow as pa
            import pyarrow.csv as pcsv
        except ImportError:
            return None
        return cls(pa, pcsv, schema, inp, threads)

    def parse(self, block: bytes, n_lines: int) -> _Parsed | None:
        # A bare "\r" ends a line for pyarrow, not for the exact path; NUL is text to
        # pyarrow and may not be to pandas: both go the exact way. (``in`` first: a scan
        # for one byte is ~40x cheaper than counting a pair, 0.18 s per 1 M rows.)
        if b"\x00" in block or (b"\r" in block and block.count(b"\r") != block.count(b"\r\n")):
            return None
        try:
            table = self.pcsv.read_csv(self.pa.py_buffer(block), read_options=self.read_options,
                                       parse_options=self.parse_options,
                                       convert_options=self.convert_options)  # fmt: skip
        except self.pa.ArrowInvalid:  # a field count, a number, UTF-8: described exactly
            return None
        if table.num_rows != n_lines:
            return None
        frame = table.to_pandas()
        if self.numeric and not np.isfinite(frame[self.numeric].to_numpy(np.float64)).all():
            return None
        if any(_empty_cells(frame[c]).any() for c in self.categorical):
            return None
        return _Parsed(frame, np.arange(n_lines, dtype=np.int64), {})


def numeric_rejects(num: np.ndarray, columns, reason: dict, *, value, empty) -> np.ndarray:
    """Rows of ``num`` holding a cell that is not a finite number: True in the returned mask,
    and ``reason[row]`` names the first such cell (``value(r, j)`` gives its text, ``empty(r,
    j, text)`` whether it was empty). CSV and Parquet input share this rule."""
    finite = np.isfinite(num)
    bad = ~finite.all(axis=1)
    if bad.any():
        rows = np.flatnonzero(bad)
        cols = (~finite[rows]).argmax(axis=1)
        for r, j in zip(rows.tolist(), cols.tolist(), strict=True):
            v = value(r, j)
            c = columns[j]
            reason[r] = _empty_value(c) if empty(r, j, v) else _not_finite(c, v)
    return bad


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


@dataclass
class _Chunk:
    """A block of input lines, parsed and encoded, ready for the classifier."""

    first_row: int
    n_lines: int
    rows: np.ndarray  # row numbers of the scorable rows
    Xt: np.ndarray | None  # None: not encoded yet, see frame
    unseen: np.ndarray | None
    rejected: list[tuple[int, _Reason, str]]  # (row, reason, raw record)
    ids: pd.DataFrame | None = None  # identifier columns of the scorable rows (Zeek), as text
    frame: pd.DataFrame | None = None  # the scorable rows, until :meth:`encode`

    def encode(self, det, buffer: _EncodeBuffer | None = None) -> None:
        """Encode :attr:`frame` into :attr:`Xt` and :attr:`unseen` (once), into ``buffer``
        when given: :attr:`Xt` is then valid until the buffer's next use. The CSV reader
        leaves this to the classifier's thread, which would otherwise wait on the reader
        thread (parsing CSV is the larger half of the work)."""
        if self.Xt is not None:
            return
        if self.frame is not None and len(self.frame):
            out = None if buffer is None else buffer.get(len(self.frame), det)
            self.Xt, self.unseen = det.encode(self.frame, out=out)
        else:
            self.Xt, self.unseen = np.zeros((0, 0), dtype=np.float32), np.zeros(0, dtype=bool)
        self.frame = None


class _EncodeBuffer:
    """The matrix that one thread's chunks are encoded into, one chunk after the other. A
    fresh matrix per chunk (100,000 rows × 118 float32, 47 MB) cost 0.2–0.3 CPU s per 1 M
    rows in the kernel's page faults, about as much as the encoding itself."""

    def __init__(self):
        self.array: np.ndarray | None = None

    def get(self, n: int, det) -> np.ndarray:
        width = det.preprocessor.layout_.n_features
        a = self.array
        if a is None or a.shape[0] < n or a.shape[1] != width:
            self.array = a = np.empty((n, width), dtype=np.float32)
        return a
