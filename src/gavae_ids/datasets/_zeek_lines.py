"""Zeek log lines: the parser that turns raw bytes into frames and rejected lines (see
:mod:`gavae_ids.datasets.zeek`)."""

from __future__ import annotations

import bisect
import csv
import io
import json
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd

from gavae_ids._util.validate import to_finite
from gavae_ids.datasets._zeek_header import CONN_LOG_TYPES, ZeekHeader


# -- lines ---------------------------------------------------------------------------------
@dataclass
class Rejected:
    """A data line that cannot be used: its row (data lines from 1), line in the file,
    why (``kind``, ``detail``, ``text``, as the scorer's reasons) and the raw line."""

    row: int
    line: int
    kind: str
    detail: str
    text: str
    record: str


@dataclass
class Segment:
    """Data lines under one header: their fields as text frames, rows, lines and raw bytes.

    ``rows`` and ``lines`` are int64 arrays (data rows from 1, lines in the file); the raw
    lines, kept for a rejects file, are read back with :meth:`text`.
    """

    header: ZeekHeader
    parts: list[pd.DataFrame] = field(default_factory=list)
    _rows: list[np.ndarray] = field(default_factory=list, repr=False)
    _lines: list[np.ndarray] = field(default_factory=list, repr=False)
    _raw: list = field(default_factory=list, repr=False)  # per part: raw lines
    _ends: list[int] = field(default_factory=list, repr=False)  # lines up to each part

    def add(self, keep: np.ndarray, first_row: int, first_line: int, frame: pd.DataFrame,
            raw) -> None:  # fmt: skip
        """Lines ``keep`` (positions in a run starting at ``first_row``, ``first_line``):
        their frame and raw lines (a sequence of bytes, one per kept line)."""
        self._rows.append(first_row + keep)
        self._lines.append(first_line + keep)
        self._raw.append(raw)
        self._ends.append(len(keep) + (self._ends[-1] if self._ends else 0))
        self.parts.append(frame)

    @property
    def rows(self) -> np.ndarray:  # the parts' arrays joined once, on first use
        self._rows = [_concat(self._rows)]
        return self._rows[0]

    @property
    def lines(self) -> np.ndarray:
        self._lines = [_concat(self._lines)]
        return self._lines[0]

    def frame(self) -> pd.DataFrame:
        """The fields of every line, as text (JSON: a field an object lacks is unset);
        when every block took :meth:`ZeekParser.typed`'s path, its typed columns."""
        fields = self.header.fields
        typed = [_is_typed(p) for p in self.parts]
        if typed and all(typed):
            return self.parts[0] if len(typed) == 1 else pd.concat(self.parts, ignore_index=True)
        parts = [_as_text(p, self.header) if t else p
                 for p, t in zip(self.parts, typed, strict=True)]  # fmt: skip
        parts = [p if list(p.columns) == fields
                 else p.reindex(columns=fields, fill_value=self.header.unset_field)
                 for p in parts]  # fmt: skip
        if not parts:
            return pd.DataFrame(columns=fields, dtype=object)
        return parts[0] if len(parts) == 1 else pd.concat(parts, ignore_index=True)

    def text(self, i: int) -> str:
        """Line ``i`` as read (bytes that are not UTF-8 as surrogates)."""
        k = bisect.bisect_right(self._ends, i)
        return _text(self._raw[k][i - (self._ends[k - 1] if k else 0)])


def _concat(arrays: list[np.ndarray]) -> np.ndarray:
    if len(arrays) == 1:
        return arrays[0]
    return np.concatenate(arrays) if arrays else np.zeros(0, dtype=np.int64)


class _BlockLines:
    """The lines of a run kept as one slice of bytes (each line ending in ``\\n``), split
    only when one is asked for (a rejects file)."""

    def __init__(self, data: bytes, n: int):
        self.data = data
        self.n = n
        self.ends: np.ndarray | None = None

    def __len__(self) -> int:
        return self.n

    def __getitem__(self, i: int) -> bytes:
        if self.ends is None:
            self.ends = np.flatnonzero(np.frombuffer(self.data, dtype=np.uint8) == 10)
        start = int(self.ends[i - 1]) + 1 if i else 0
        return self.data[start : int(self.ends[i])]


def _is_typed(frame: pd.DataFrame) -> bool:
    return any(d.kind == "f" for d in frame.dtypes)


def _as_text(frame: pd.DataFrame, header: ZeekHeader) -> pd.DataFrame:
    """A typed block as the exact path's text (``repr`` of a float reads back the same
    number; NaN, an unset or empty marker, as the unset marker)."""
    out = frame.copy()
    for c in frame.columns:
        if frame[c].dtype.kind == "f":
            v = frame[c].to_numpy()
            out[c] = np.where(np.isnan(v), header.unset_field, v.astype(str)).astype(object)
    return out


def _text(raw: bytes) -> str:
    return raw.decode("utf-8", errors="surrogateescape").removesuffix("\r")


@dataclass
class Batch:
    """What one call of :meth:`ZeekParser.feed` found."""

    segments: list[Segment]
    rejected: list[Rejected]
    n_rows: int  # data lines (scored or rejected)


NO_FIELDS = ("no #fields line", "", "no #fields line before this data line")


def _wrong_count(expected: int, found: int) -> tuple[str, str, str]:
    return ("wrong field count", f"expected {expected}, found {found}",
            f"expected {expected} fields, found {found}")  # fmt: skip


class ZeekParser:
    """Reads a Zeek log (header directives, data lines, rotation), keeping the row and line
    numbers across calls of :meth:`feed`.

    Runs of TSV data lines with the declared field count are read by pandas' C parser
    (the separators counted with numpy first); other lines — a wrong count, IoT-23's
    joined labels, a carriage return or NUL byte — and JSON lines go line by line. With
    :meth:`typed` (scoring), a clean block is read by pyarrow with its numbers parsed;
    :meth:`feed_block` hands it the runs of a block of bytes without splitting their lines.

    Parameters
    ----------
    json_lines : bool
        Zeek's JSON logging (one object per line) instead of the TSV log.
    name : str
        How errors name the file.
    """

    def __init__(self, *, json_lines: bool, name: str):
        self.json_lines = json_lines
        self.name = name
        self.header = ZeekHeader()
        self.row = 0
        self.line = 0
        self.changes: list[int] = []  # rows after which a new header block began
        self._data_seen = False  # data lines since the last header block
        self._typed: tuple[list[str], list[str], list[str]] | None = None

    def typed(self, numeric: Sequence[str], categorical: Sequence[str],
              text: Sequence[str]) -> None:  # fmt: skip
        """Read clean TSV blocks with pyarrow (scoring), only these columns: ``numeric``
        as float64 with NaN for the unset or empty marker, ``categorical`` as pandas
        categoricals, ``text`` as strings. A block it cannot vouch for goes the exact text
        path (#29)."""
        self._typed = (list(numeric), list(categorical), list(text))

    def feed(self, lines: Sequence[bytes]) -> Batch:
        """Parse ``lines`` (without their line ends)."""
        self._begin()
        n_rows = 0
        run: list[bytes] = []  # data lines in a row, parsed together
        for raw in lines:
            if raw[:1] != b"#":
                run.append(raw)
                continue
            n_rows += self._run(run)
            run = []
            self._header_line(raw)
        n_rows += self._run(run)
        return self._batch(n_rows)

    def feed_block(self, block: bytes) -> Batch:
        """:meth:`feed` of the lines of ``block`` (each ending in ``\\n``; a last line
        without one gets it), the same batch. With :meth:`typed`, each run of data lines
        between ``#`` lines is offered to the typed reader as one slice of ``block``: no
        Python step per line, and the lines split only if the typed reader declines."""
        if block and not block.endswith(b"\n"):
            block += b"\n"
        if self._typed is None or self.json_lines or not block:
            return self.feed(block.split(b"\n")[:-1])
        arr = np.frombuffer(block, dtype=np.uint8)
        ends = np.flatnonzero(arr == 10)
        starts = np.concatenate(([0], ends[:-1] + 1))
        heads = np.flatnonzero(arr[starts] == ord("#")).tolist()
        self._begin()
        n_rows, first = 0, 0
        for h in [*heads, len(ends)]:
            if h > first:
                n_rows += self._run_block(block[starts[first] : ends[h - 1] + 1], h - first)
            if h < len(ends):
                self._header_line(block[starts[h] : ends[h]])
            first = h + 1
        return self._batch(n_rows)

    def _begin(self) -> None:
        self._segments: list[Segment] = []
        self._rejected: list[Rejected] = []
        self._seg = None

    def _batch(self, n_rows: int) -> Batch:
        self._rejected.sort(key=lambda r: r.row)
        return Batch(self._segments, self._rejected, n_rows)

    def _header_line(self, raw: bytes) -> None:
        self.line += 1
        text = _text(raw)
        # Zeek starts a header block with #separator; after data lines, that (or a
        # bare #fields line) is a rotation: new fields for the lines that follow.
        if self._data_seen and text.startswith(("#separator", "#fields")):
            self.header = replace(self.header, fields=[], types=[])
            self.changes.append(self.row)
            self._data_seen = False
        self.header.apply(text)

    def _open_run(self, n: int) -> tuple[Segment, int, int]:
        """Count ``n`` data lines: the segment they join, their first row and line."""
        self._data_seen = True
        first_row, first_line = self.row + 1, self.line + 1
        self.row += n
        self.line += n
        if self._seg is None or self._seg.header is not self.header:
            self._seg = Segment(self.header)
            self._segments.append(self._seg)
        return self._seg, first_row, first_line

    def _run_block(self, data: bytes, n: int) -> int:
        """``n`` consecutive data lines as one slice (each ending in ``\\n``): read typed
        when the typed reader takes them all, else :meth:`_run` on their lines (which
        then does not ask the typed reader again). No separator count first, as
        :meth:`_fast` does: pyarrow reads one row per line (no quoting, no carriage return
        here) and refuses a row with another number of fields."""
        if self._fast_ok() and b"\r" not in data and b"\x00" not in data:
            frame = self._read_typed(data, n)
            if frame is not None:
                seg, first_row, first_line = self._open_run(n)
                seg.add(np.arange(n, dtype=np.int64), first_row, first_line, frame,
                        _BlockLines(data, n))  # fmt: skip
                return n
        return self._run(data.split(b"\n")[:-1], typed=False)

    def _run(self, run: list[bytes], typed: bool = True) -> int:
        """Parse consecutive data lines: with pandas' C parser when the field counts allow,
        else line by line; returns their number."""
        if not run:
            return 0
        seg, first_row, first_line = self._open_run(len(run))
        parsed = self._fast(run, typed) if self._fast_ok() else None
        if parsed is None:
            parsed = self._slow(run)
        keep, frame, why = parsed
        for i, reason in why.items():
            self._rejected.append(Rejected(first_row + i, first_line + i, *reason,
                                           _text(run[i])))  # fmt: skip
        if len(keep):
            raw = run if len(keep) == len(run) else [run[i] for i in keep.tolist()]
            seg.add(keep, first_row, first_line, frame, raw)
        return len(run)

    def _fast_ok(self) -> bool:
        sep = self.header.separator
        return (not self.json_lines and bool(self.header.fields) and len(sep) == 1
                and sep.isascii() and sep not in "\r\n\"")  # fmt: skip

    def _fast(self, run: list[bytes], typed: bool = True):
        """``(kept positions, text frame, {position: reason})``, or None to go line by line
        (a carriage return or NUL byte, or lines pandas splits otherwise); ``typed=False``:
        the typed reader declined these lines already."""
        block = b"\n".join(run) + b"\n"
        if b"\r" in block or b"\x00" in block:
            return None
        n = len(self.header.fields)
        arr = np.frombuffer(block, dtype=np.uint8)
        nl = np.flatnonzero(arr == 10)
        seps = np.flatnonzero(arr == ord(self.header.separator))
        counts = np.diff(np.searchsorted(seps, nl), prepend=0) + 1
        good = counts == n
        if good.all():
            frame = self._read_typed(block, len(run)) if self._typed and typed else None
            if frame is None:
                frame = self._read_csv(block, len(run))
            return None if frame is None else (np.arange(len(run)), frame, {})
        # Lines with another count (wrong, or IoT-23's joined labels) go line by line;
        # the rest through the C parser, then both back in line order.
        fast = np.flatnonzero(good)
        other = np.flatnonzero(~good)
        frame = self._read_csv(b"".join(run[i] + b"\n" for i in fast.tolist()), len(fast))
        if frame is None:
            return None
        keep_o, frame_o, why_o = self._slow([run[i] for i in other.tolist()])
        keep = np.concatenate([fast, other[keep_o]])
        order = np.argsort(keep, kind="stable")
        frame = pd.concat([frame, frame_o], ignore_index=True).iloc[order]
        why = {int(other[k]): r for k, r in why_o.items()}
        return keep[order], frame.reset_index(drop=True), why

    def _read_csv(self, block: bytes, n_lines: int) -> pd.DataFrame | None:
        """Lines of the right field count as a text frame; None when pandas reads another
        number of rows (then they go line by line)."""
        if not n_lines:
            return pd.DataFrame(columns=list(self.header.fields), dtype=object)
        try:
            frame = pd.read_csv(
                io.BytesIO(block), sep=self.header.separator, header=None,
                names=self.header.fields, dtype=object, na_filter=False, engine="c",
                quoting=csv.QUOTE_NONE, skip_blank_lines=False, encoding_errors="replace",
            )  # fmt: skip
        except (pd.errors.ParserError, ValueError):
            return None
        return frame if len(frame) == n_lines else None

    def _read_typed(self, block: bytes, n_lines: int) -> pd.DataFrame | None:
        """The columns :meth:`typed` names of a clean block, numbers parsed; None
        for a block with a non-ASCII byte, a field that is not a finite number or the
        markers, or any other doubt."""
        num, cats, text = self._typed
        wanted = list(dict.fromkeys([*num, *cats, *text]))
        h, fields = self.header, self.header.fields
        if (len(fields) < 2 or len(set(fields)) != len(fields) or not block.isascii()
                or any(c not in fields for c in wanted)):  # fmt: skip
            return None
        try:
            import pyarrow as pa
            import pyarrow.csv as pcsv
        except ImportError:
            return None
        types = {c: pa.string() for c in text} | {
            c: pa.dictionary(pa.int32(), pa.string()) for c in cats} | {
            c: pa.float64() for c in num}  # fmt: skip
        try:
            table = pcsv.read_csv(
                pa.py_buffer(block),
                read_options=pcsv.ReadOptions(column_names=fields, use_threads=False),
                parse_options=pcsv.ParseOptions(delimiter=h.separator, quote_char=False,
                                                escape_char=False, ignore_empty_lines=False),
                convert_options=pcsv.ConvertOptions(
                    column_types=types, include_columns=wanted,
                    null_values=[h.unset_field, h.empty_field], strings_can_be_null=False,
                    quoted_strings_can_be_null=False),
            )  # fmt: skip
        except pa.ArrowInvalid:
            return None
        if table.num_rows != n_lines:
            return None
        frame = table.to_pandas()
        for c in num:  # NaN only where a marker was (not the text "nan"), no infinity
            v = frame[c].to_numpy(np.float64)
            if np.isinf(v).any() or int(np.isnan(v).sum()) != table.column(c).null_count:
                return None
        return frame

    def _slow(self, run: list[bytes]):
        keep, values, why = [], [], {}
        for i, raw in enumerate(run):
            text = _text(raw)
            # Bytes that are not UTF-8 read as U+FFFD, as the CSV reader does; the
            # rejects file gets the raw line.
            v, reason = self._split(text if raw.isascii() else _replace_surrogates(text))
            if reason is not None:
                why[i] = reason
            else:
                keep.append(i)
                values.append(v)
        fields = self.header.fields
        pad = [self.header.unset_field]
        # JSON objects may name fields later lines add: those are unset in earlier lines.
        values = [v if len(v) == len(fields) else v + pad * (len(fields) - len(v))
                  for v in values]  # fmt: skip
        frame = pd.DataFrame(values, columns=list(fields), dtype=object)
        return np.asarray(keep, dtype=np.int64), frame, why

    def _split(self, text: str):
        """``(values, None)`` or ``(None, (kind, detail, text))`` for one data line."""
        if not text.strip():
            return None, ("empty line", "", "empty line")
        if self.json_lines:
            return self._split_json(text)
        h = self.header
        if not h.fields:
            return None, NO_FIELDS
        values = text.split(h.separator)
        n = len(h.fields)
        if len(values) == n - 2:  # IoT-23: the last three fields joined by spaces
            tail = values[-1].split()
            if len(tail) == 3:
                values = values[:-1] + tail
        if len(values) != n:
            return None, _wrong_count(n, len(values))
        return values, None

    def _split_json(self, text: str):
        try:
            obj = json.loads(text)
        except json.JSONDecodeError as e:
            return None, ("malformed JSON", e.msg, f"malformed JSON ({e.msg})")
        if not isinstance(obj, dict):
            return None, ("malformed JSON", "not an object", "malformed JSON (not an object)")
        h = self.header
        for k in obj:
            if k not in h.fields:
                h.fields.append(k)
        return [_json_text(obj.get(k), h) for k in h.fields], None


def _replace_surrogates(text: str) -> str:
    return text.encode("utf-8", errors="surrogateescape").decode("utf-8", errors="replace")


def _json_text(v, h: ZeekHeader) -> str:
    """A JSON value as Zeek's TSV would write it."""
    if v is None:
        return h.unset_field
    if isinstance(v, bool):
        return "T" if v else "F"
    if isinstance(v, list):
        return h.set_separator.join(map(str, v)) if v else h.empty_field
    return str(v)


def json_types(frame: pd.DataFrame, header: ZeekHeader) -> None:
    """Give a JSON log's header types: the standard ``conn.log``'s, else numeric when every
    set value is a number."""
    types = []
    for c in header.fields:
        t = CONN_LOG_TYPES.get(c)
        if t is None:
            col = frame[c] if c in frame else pd.Series([], dtype=object)
            col = col[~col.isin([header.unset_field, header.empty_field])]
            numeric = len(col) and to_finite(col)[1] is None
            t = "double" if numeric else "string"
        types.append(t)
    header.types = types
