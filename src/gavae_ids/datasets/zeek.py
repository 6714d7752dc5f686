"""Zeek ``conn.log`` as input: the TSV log with its ``#`` header, and Zeek's JSON logging.

One parser (:class:`ZeekParser`) serves both the training loader (:func:`load_zeek`,
``gavae-ids train --dataset zeek``) and the scoring reader
(:mod:`gavae_ids.scoring._zeek`). The rules, the same in both:

* **Header.** ``#separator`` (escaped, e.g. ``\\x09``), ``#set_separator``,
  ``#empty_field``, ``#unset_field``, ``#path``, ``#fields``, ``#types`` are
  honoured; ``#open``, ``#close`` and any other ``#`` line are not data and are
  not counted as rows. A ``#fields`` entry holding whitespace is split on it
  (IoT-23 / CTU-13 ``conn.log.labeled`` write ``tunnel_parents   label
  detailed-label`` as one tab-separated entry).
* **Rotation.** A new header block in the middle of the file (``cat`` of rotated
  logs) starts a new *segment*: its fields and markers apply to the lines after
  it, and the columns are planned again from them. Rows of a segment that lacks
  a column the model needs are rejected, each with that reason.
* **Field count.** A data line must have one field per ``#fields`` entry; else
  it is rejected (``wrong field count``). IoT-23 quirk: a line short by exactly
  two fields whose last field splits on whitespace into three is read as those
  three (``tunnel_parents``, ``label``, ``detailed-label``).
* **Missing values.** Numeric columns (``count``, ``int``, ``double``,
  ``interval``, ``time``, ``port``): the unset marker ``-`` (or the empty marker)
  is read as **0** and counted per column in a note. Zeek leaves ``duration``
  and the byte counts unset when a connection saw no reply or one packet, so 0
  is the measured amount, and rejecting such rows would reject most scans. The
  preprocessing refuses NaN, so no other missing number reaches the model.
  A numeric field holding anything else that is not a finite number rejects the
  row (``not a finite number``). Categorical columns (``string``, ``enum``,
  ``bool``): ``-`` and ``(empty)`` are kept as categories of their own (an unset
  ``service`` means Zeek did not recognise one, a fact worth a category).
* **Identifiers.** ``ts``, ``uid``, ``id.orig_h``, ``id.orig_p``, ``id.resp_h``,
  ``id.resp_p``, ``tunnel_parents`` and every column of type ``addr``, ``set``,
  ``vector`` or ``table`` are never features unless named as categorical
  explicitly; the scorer copies the identifiers into its output so an analyst
  can find the flow.
* **JSON.** One object per line (Zeek's ``LogAscii::use_json``). Unset fields
  are absent from the object and read as unset; ``true``/``false`` are read as
  Zeek's ``T``/``F``, lists as a set joined by ``,``. Types: those of the
  standard ``conn.log`` (:data:`CONN_LOG_TYPES`), else numbers numeric and
  everything else categorical. A line that is not a JSON object is rejected.
* **Empty.** A file without data lines (only headers, or nothing) raises one
  :class:`~gavae_ids.exceptions.DataError` naming the file; so does a damaged
  or truncated gzip file.
"""

from __future__ import annotations

import codecs
import csv
import gzip
import io
import json
import logging
import zlib
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.utils import Bunch

from gavae_ids._util.validate import to_finite
from gavae_ids.exceptions import DataError, DatasetNotFoundError

log = logging.getLogger(__name__)

#: Input formats: ``auto`` tells them apart by content (:func:`sniff_format`).
INPUT_FORMATS = ("auto", "csv", "zeek", "zeek-json")
#: The fields and types of Zeek's standard ``conn.log`` (used for JSON logs, which carry none).
CONN_LOG_TYPES = {
    "ts": "time", "uid": "string", "id.orig_h": "addr", "id.orig_p": "port",
    "id.resp_h": "addr", "id.resp_p": "port", "proto": "enum", "service": "string",
    "duration": "interval", "orig_bytes": "count", "resp_bytes": "count",
    "conn_state": "string", "local_orig": "bool", "local_resp": "bool",
    "missed_bytes": "count", "history": "string", "orig_pkts": "count",
    "orig_ip_bytes": "count", "resp_pkts": "count", "resp_ip_bytes": "count",
    "tunnel_parents": "set[string]", "label": "string", "detailed-label": "string",
}  # fmt: skip
#: Columns that identify a flow: copied to the scored output, never features by default.
IDENTIFIERS = ("ts", "uid", "id.orig_h", "id.orig_p", "id.resp_h", "id.resp_p", "tunnel_parents")
#: The label columns of IoT-23 / CTU-13 ``conn.log.labeled``: never features.
LABEL_COLUMNS = ("label", "detailed-label")
NUMERIC_TYPES = frozenset({"count", "int", "double", "interval", "time", "port"})
_NOT_FEATURE_TYPES = ("addr", "subnet", "set[", "vector[", "table[")


def sniff_format(head: bytes) -> str:
    """``"zeek"``, ``"zeek-json"`` or ``"csv"`` from the first bytes of a (decompressed) file."""
    head = head.removeprefix(b"\xef\xbb\xbf").lstrip()
    if head.startswith((b"#separator", b"#fields")):
        return "zeek"
    if head.startswith(b"{"):
        return "zeek-json"
    return "csv"


def sniff_file(path) -> str:
    """:func:`sniff_format` of a file's first bytes (plain or gzip)."""
    try:
        with open(path, "rb") as f:
            head = f.read(4096)
            if head[:2] == b"\x1f\x8b":
                f.seek(0)
                head = gzip.GzipFile(fileobj=f).read(4096)
    except (EOFError, zlib.error, gzip.BadGzipFile) as e:
        raise DataError(f"compressed input is damaged or truncated ({e})", path=path) from None
    except OSError as e:
        raise DataError(f"cannot be read ({e})", path=path) from None
    return sniff_format(head)


def check_input_format(fmt: str) -> str:
    if fmt not in INPUT_FORMATS:
        raise DataError(f"unknown input format {fmt!r}; choose one of {', '.join(INPUT_FORMATS)}")
    return fmt


# -- header --------------------------------------------------------------------------------
@dataclass
class ZeekHeader:
    """The ``#`` directives in force for the data lines that follow them."""

    separator: str = "\t"
    set_separator: str = ","
    empty_field: str = "(empty)"
    unset_field: str = "-"
    path: str | None = None
    fields: list[str] = field(default_factory=list)
    types: list[str] = field(default_factory=list)

    def apply(self, line: str) -> str:
        """Apply one ``#`` line; returns its directive name (``fields``, ``close``, …)."""
        if line.startswith("#separator"):
            value = line[len("#separator") :].strip()
            self.separator = codecs.decode(value, "unicode_escape") if value else "\t"
            return "separator"
        key, found, rest = line[1:].partition(self.separator)
        if not found:  # a directive written with spaces instead of the separator
            key, _, rest = line[1:].partition(" ")
        key = key.strip()
        entries = [e for part in rest.split(self.separator) for e in part.split()]
        if key in ("fields", "types"):  # lists of names; the other directives are one value
            setattr(self, key, entries)
        elif key in ("set_separator", "empty_field", "unset_field", "path"):
            setattr(self, key, rest)
        return key

    def type_of(self, column: str) -> str:
        """The declared Zeek type (a JSON log: the standard ``conn.log``'s, else ``""``)."""
        if column in self.fields and self.fields.index(column) < len(self.types):
            return self.types[self.fields.index(column)]
        return CONN_LOG_TYPES.get(column, "")


def is_numeric_type(zeek_type: str) -> bool:
    return zeek_type in NUMERIC_TYPES


def feature_roles(header: ZeekHeader, columns: Sequence[str], *, categorical=None,
                  drop: Sequence[str] = ()) -> tuple[list[str], list[str], list[str]]:  # fmt: skip
    """``(identifiers, numeric, categorical)`` of ``columns`` by the rules of the module
    docstring; a column named in ``categorical`` is a categorical feature whatever its type."""
    named = list(categorical or ())
    ids, num, cat = [], [], []
    for c in columns:
        t = header.type_of(c)
        if c in named:
            cat.append(c)
        elif c in LABEL_COLUMNS or c in drop:
            continue
        elif c in IDENTIFIERS or t.startswith(_NOT_FEATURE_TYPES):
            ids.append(c)
        elif is_numeric_type(t):
            num.append(c)
        else:
            cat.append(c)
    return ids, num, cat


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
    """Data lines under one header: their fields as text frames, rows, lines and raw bytes."""

    header: ZeekHeader
    rows: list[int] = field(default_factory=list)
    lines: list[int] = field(default_factory=list)
    raw: list[bytes] = field(default_factory=list)  # for a rejects file
    parts: list[pd.DataFrame] = field(default_factory=list)

    def frame(self) -> pd.DataFrame:
        """The fields of every line, as text (JSON: a field an object lacks is unset)."""
        fields = self.header.fields
        parts = [p if list(p.columns) == fields
                 else p.reindex(columns=fields, fill_value=self.header.unset_field)
                 for p in self.parts]  # fmt: skip
        if not parts:
            return pd.DataFrame(columns=fields, dtype=object)
        return parts[0] if len(parts) == 1 else pd.concat(parts, ignore_index=True)

    def text(self, i: int) -> str:
        """Line ``i`` as read (bytes that are not UTF-8 as surrogates)."""
        return _text(self.raw[i])


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
    joined labels, a carriage return or NUL byte — and JSON lines go line by line.

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

    def feed(self, lines: Sequence[bytes]) -> Batch:
        """Parse ``lines`` (without their line ends)."""
        self._segments: list[Segment] = []
        self._rejected: list[Rejected] = []
        self._seg = None
        n_rows = 0
        run: list[bytes] = []  # data lines in a row, parsed together
        for raw in lines:
            if raw[:1] != b"#":
                run.append(raw)
                continue
            n_rows += self._run(run)
            run = []
            self.line += 1
            text = _text(raw)
            # Zeek starts a header block with #separator; after data lines, that (or a
            # bare #fields line) is a rotation: new fields for the lines that follow.
            if self._data_seen and text.startswith(("#separator", "#fields")):
                self.header = replace(self.header, fields=[], types=[])
                self.changes.append(self.row)
                self._data_seen = False
            self.header.apply(text)
        n_rows += self._run(run)
        self._rejected.sort(key=lambda r: r.row)
        return Batch(self._segments, self._rejected, n_rows)

    def _run(self, run: list[bytes]) -> int:
        """Parse consecutive data lines: with pandas' C parser when the field counts allow,
        else line by line; returns their number."""
        if not run:
            return 0
        self._data_seen = True
        first_row, first_line = self.row + 1, self.line + 1
        self.row += len(run)
        self.line += len(run)
        if self._seg is None or self._seg.header is not self.header:
            self._seg = Segment(self.header)
            self._segments.append(self._seg)
        parsed = self._fast(run) if self._fast_ok() else None
        if parsed is None:
            parsed = self._slow(run)
        keep, frame, why = parsed
        seg = self._seg
        for i, reason in why.items():
            self._rejected.append(Rejected(first_row + i, first_line + i, *reason,
                                           _text(run[i])))  # fmt: skip
        if len(keep):
            seg.rows.extend((first_row + keep).tolist())
            seg.lines.extend((first_line + keep).tolist())
            seg.raw.extend(run[i] for i in keep.tolist())
            seg.parts.append(frame)
        return len(run)

    def _fast_ok(self) -> bool:
        sep = self.header.separator
        return (not self.json_lines and bool(self.header.fields) and len(sep) == 1
                and sep.isascii() and sep not in "\r\n\"")  # fmt: skip

    def _fast(self, run: list[bytes]):
        """``(kept positions, text frame, {position: reason})``, or None to go line by line
        (a carriage return or NUL byte, or lines pandas splits otherwise)."""
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


# -- values --------------------------------------------------------------------------------
def model_frame(raw: pd.DataFrame, header: ZeekHeader, numeric: Sequence[str],
                categorical: Sequence[str]):  # fmt: skip
    """The features of a segment's text frame: ``(frame, bad, filled)``.

    ``frame`` holds ``numeric`` as float64 (unset → 0) and ``categorical`` as text
    (``-`` and ``(empty)`` kept); ``bad`` maps a position of ``raw`` to the reason
    ``(kind, detail, text)`` of its first bad cell; ``filled`` counts unset numeric
    cells read as 0, per column.
    """
    missing_markers = [header.unset_field, header.empty_field]
    out = {}
    bad: dict[int, tuple[str, str, str]] = {}
    filled: Counter[str] = Counter()
    for c in numeric:
        col = raw[c]
        unset = col.isin(missing_markers).to_numpy()
        if unset.any():
            filled[c] += int(unset.sum())
            col = col.where(~unset, "0")
        arr, first = to_finite(col)
        if first is not None:
            for r in np.flatnonzero(~np.isfinite(arr)).tolist():
                v = str(col.iat[r])
                bad.setdefault(r, ("empty value", f"column {c!r}", f"empty value in column {c!r}")
                               if v == "" else
                               ("not a finite number", f"column {c!r}",
                                f"value {v!r} in column {c!r} is not a finite number"))  # fmt: skip
        out[c] = arr
    for c in categorical:
        col = raw[c]
        for r in np.flatnonzero((col == "").to_numpy()).tolist():
            bad.setdefault(r, ("empty value", f"column {c!r}", f"empty value in column {c!r}"))
        out[c] = col.to_numpy(dtype=object)
    frame = pd.DataFrame(out, index=raw.index)[[*numeric, *categorical]]
    return frame, bad, filled


def filled_note(filled: Counter) -> str | None:
    """The note on unset numeric cells read as 0 (``None`` when there were none)."""
    if not filled:
        return None
    parts = ", ".join(f"{c} {n:,}" for c, n in filled.most_common())
    return f"unset numeric Zeek fields ('-') read as 0: {parts}"


# -- the training loader -------------------------------------------------------------------
def read_zeek_bytes(path: Path) -> bytes:
    """The whole (decompressed) file; a damaged gzip file is a one-line DataError."""
    try:
        data = Path(path).read_bytes()
        if data[:2] == b"\x1f\x8b":
            data = gzip.decompress(data)
    except (EOFError, zlib.error, gzip.BadGzipFile) as e:
        raise DataError(f"compressed input is damaged or truncated ({e})", path=path) from None
    except OSError as e:
        raise DataError(f"cannot be read ({e})", path=path) from None
    return data


def load_zeek(
    path,
    *,
    label: str = "label",
    categorical: Sequence[str] | None = None,
    drop: Sequence[str] = (),
    input_format: str = "auto",
) -> Bunch:
    """Load a labelled Zeek ``conn.log`` (TSV or JSON lines; plain or gzip).

    IoT-23 / CTU-13 ``conn.log.labeled`` carry ``label`` and ``detailed-label``:
    name one as ``label``; the other is dropped (it would give the answer away).
    Feature roles, missing values and rotation follow the module docstring; a bad
    data line raises a :class:`DataError` naming its line (as for CSV training).

    Parameters
    ----------
    path : path-like
    label : str, default="label"
        The class column.
    categorical : list of str, optional
        Extra categorical features, e.g. an identifier such as ``id.resp_p``.
    drop : list of str
        Columns to ignore besides the identifiers.
    input_format : {"auto", "zeek", "zeek-json"}

    Returns
    -------
    sklearn.utils.Bunch
        ``X``, ``y``, ``categorical``, ``numeric``, ``identifiers``, ``classes``,
        ``notes``, ``path``, ``name``.

    Examples
    --------
    >>> b = load_zeek("conn.log.labeled", label="label")  # doctest: +SKIP
    >>> b.numeric[:3]  # doctest: +SKIP
    ['duration', 'orig_bytes', 'resp_bytes']
    """
    path = Path(path)
    if not path.is_file():
        raise DatasetNotFoundError("file not found", path=path)
    data = read_zeek_bytes(path)
    fmt = sniff_format(data[:4096]) if input_format == "auto" else input_format
    if fmt == "csv":
        raise DataError("not a Zeek log: no #separator/#fields header and not JSON lines",
                        path=path)  # fmt: skip
    parser = ZeekParser(json_lines=fmt == "zeek-json", name=str(path))
    lines = data.split(b"\n")
    if lines and lines[-1] == b"":
        lines.pop()
    batch = parser.feed(lines)
    if batch.rejected:
        r = batch.rejected[0]
        raise DataError(r.text, path=path, row=r.line)
    if not batch.n_rows:
        raise DataError("no data lines: the Zeek log holds only its header" if data.strip()
                        else "the file is empty", path=path)  # fmt: skip
    header = parser.header
    frames = [s.frame() for s in batch.segments]
    if fmt == "zeek-json":
        json_types(pd.concat(frames, ignore_index=True), header)
    raw, header = _join_segments(batch.segments, frames, header)
    if label not in raw.columns:
        raise DataError(f"no column {label!r}; the log has {', '.join(raw.columns)}", path=path)
    for c in [*drop, *(categorical or ())]:
        if c not in raw.columns:
            raise DataError(f"no column {c!r}; the log has {', '.join(raw.columns)}", path=path)
    columns = [c for c in raw.columns if c not in (label, "_line")]
    ids, numeric, cats = feature_roles(header, columns, categorical=categorical, drop=drop)
    if not numeric and not cats:
        raise DataError("no feature columns besides the label and the identifiers", path=path)
    X, bad, filled = model_frame(raw, header, numeric, cats)
    if bad:
        r = min(bad)
        raise DataError(bad[r][2], path=path, row=int(raw["_line"].iat[r]))
    X = X[[c for c in raw.columns if c in set(numeric) | set(cats)]]
    y = raw[label].astype(str).str.strip()
    notes = [n for n in [filled_note(filled)] if n]
    for note in notes:
        log.info("%s: %s", path.name, note)
    return Bunch(X=X.reset_index(drop=True), y=y.rename(label).reset_index(drop=True),
                 categorical=cats, numeric=numeric, identifiers=ids,
                 classes=sorted(y.unique()), notes=notes, path=str(path),
                 name=path.name)  # fmt: skip


def _join_segments(segments: list[Segment], frames: list[pd.DataFrame], header: ZeekHeader):
    """All segments as one text frame (columns of the first segment first, a column absent
    from a segment unset there) with each row's ``_line``, and the header that types them."""
    columns: list[str] = []
    types: dict[str, str] = {}
    for s in segments:
        for c in s.header.fields:
            if c not in columns:
                columns.append(c)
                types[c] = s.header.type_of(c)
    parts = []
    for s, f in zip(segments, frames, strict=True):
        f = f.reindex(columns=columns, fill_value=s.header.unset_field)
        f.loc[:, "_line"] = s.lines
        parts.append(f)
    raw = pd.concat(parts, ignore_index=True)
    typed = replace(header, fields=columns, types=[types[c] for c in columns])
    return raw, typed
