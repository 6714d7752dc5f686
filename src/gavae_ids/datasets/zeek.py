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

import gzip
import logging
import zlib
from collections import Counter
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.utils import Bunch

from gavae_ids._util.validate import to_finite
from gavae_ids.datasets._zeek_header import (  # noqa: F401 (re-exported)
    _NOT_FEATURE_TYPES,
    CONN_LOG_TYPES,
    IDENTIFIERS,
    LABEL_COLUMNS,
    NUMERIC_TYPES,
    ZeekHeader,
    is_numeric_type,
)
from gavae_ids.datasets._zeek_lines import (  # noqa: F401 (ZeekParser, Rejected: re-exported)
    Rejected,
    Segment,
    ZeekParser,
    json_types,
)
from gavae_ids.exceptions import DataError, DatasetNotFoundError

log = logging.getLogger(__name__)

#: Input formats: ``auto`` tells them apart by content (:func:`sniff_format`).
#: ``pcap`` is for scoring only (:mod:`gavae_ids.scoring._pcap`): a capture has no labels.
INPUT_FORMATS = ("auto", "csv", "zeek", "zeek-json", "pcap")


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
        if col.dtype.kind == "f":  # ZeekParser.typed: parsed, NaN where a marker was
            v = col.to_numpy(np.float64)
            unset = np.isnan(v)
            if unset.any():
                filled[c] += int(unset.sum())
            out[c] = np.where(unset, 0.0, v)
            continue
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
        typed = isinstance(col.dtype, pd.CategoricalDtype)  # ZeekParser.typed
        out[c] = col if typed else col.to_numpy(dtype=object)
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
