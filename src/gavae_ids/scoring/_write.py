"""Writing stage: scored rows as CSV / JSON Lines assembled with numpy, the rejects file,
and where the output goes."""

from __future__ import annotations

import contextlib
import csv
import gzip
import io
import json
import logging
import re
import sys
from pathlib import Path

import numpy as np

from gavae_ids.exceptions import DataError
from gavae_ids.scoring._common import _MAX_LOGGED_REJECTS, FORMATS
from gavae_ids.scoring._parse import _Reason

log = logging.getLogger(__name__)


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


# "000" … "999" as bytes: fraction digits are looked up three at a time (``np.take``, several
# times faster than fancy indexing), two integer operations per three digits, not per digit.
_DIGITS3 = np.array([f"{i:03d}" for i in range(1000)], dtype="S3").view(np.uint8).reshape(1000, 3)


def _prob_field(p: np.ndarray, decimals: int) -> np.ndarray:
    """``p`` in [0, 1] as fixed-point text with ``decimals`` digits (``0.123456``)."""
    scale = 10**decimals
    q = np.rint(np.clip(p, 0.0, 1.0) * scale).astype(np.int64)
    out = np.empty((len(q), decimals + 2 if decimals else 1), dtype=np.uint8)
    whole = q // scale
    out[:, 0] = 48 + whole
    if decimals:
        out[:, 1] = ord(".")
        frac = q - whole * scale
        # Groups of three digits from the right; the leftmost group may be shorter.
        end = decimals + 2
        while end > 2:
            start = max(end - 3, 2)
            group = np.take(_DIGITS3, frac % 1000, axis=0)
            out[:, start:end] = group[:, 3 - (end - start) :]
            frac //= 1000
            end = start
    return out


def _lookup_field(index: np.ndarray, table: list[bytes]):
    """``table[index]`` as a byte matrix; with a validity mask, ``(matrix, mask)``, unless
    every entry has the same length (CSV's ``0``/``1``): then the matrix alone, which
    :func:`_assemble` copies without masking."""
    width = max(len(t) for t in table)
    tab = np.zeros((len(table), width), dtype=np.uint8)
    for i, t in enumerate(table):
        tab[i, : len(t)] = np.frombuffer(t, dtype=np.uint8)
    lens = np.asarray([len(t) for t in table])
    if (lens == width).all():
        return np.take(tab, index, axis=0)
    return tab[index], np.arange(width)[None, :] < lens[index][:, None]


def _assemble(parts: list, n: int, lengths: bool = False):
    """Concatenate per-row fields into text: ``parts`` are literal bytes or (matrix, mask).
    With ``lengths``, ``(text, bytes of each row)``."""
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
        return (text.tobytes(), np.full(n, text.shape[1])) if lengths else text.tobytes()
    full = np.concatenate(
        [np.ones(m.shape, bool) if k is None else k for m, k in zip(mats, masks, strict=True)],
        axis=1,
    )
    return (text[full].tobytes(), np.count_nonzero(full, axis=1)) if lengths else (
        text[full].tobytes())  # fmt: skip


def _csv_cell(s: str) -> str:
    buf = io.StringIO()
    csv.writer(buf, lineterminator="").writerow([s])
    return buf.getvalue()


def score_columns(classes, novelty: bool = False, id_columns=(), tail_columns=()) -> list[str]:
    """Columns of the scored output, in order: ``row``, the input's identifier columns
    (Zeek: ``ts``, ``uid``, …), the scores (``novel`` with the novelty flag), then text
    columns such as ``why_1 … why_K`` (``--explain``)."""
    cols = ["row", *id_columns, "prediction", *[f"p_{c}" for c in classes], "is_attack",
            "unseen_category"]  # fmt: skip
    return [*cols, *(["novel"] if novelty else []), *tail_columns]


_CSV_SPECIAL = re.compile(r'[,"\r\n]')
_JSON_SPECIAL = re.compile(r'["\\\x00-\x1f\x7f]')


def _text_field(values: list[str], fmt: str) -> tuple[np.ndarray, np.ndarray]:
    """Free text per row (identifiers) as CSV cells or JSON strings, left-aligned, with
    a validity mask. Text that needs no quoting or escaping (the usual identifier) is
    converted by numpy without a Python step per value."""
    joined = "".join(values)
    if fmt == "csv":
        plain = not _CSV_SPECIAL.search(joined)
        cells = values if plain else [_csv_text(v) for v in values]
    else:
        plain = joined.isascii() and not _JSON_SPECIAL.search(joined)
        cells = [b'"' + v.encode() + b'"' for v in values] if plain else [
            json.dumps(v).encode() for v in values]  # fmt: skip
    if fmt == "csv" and plain and joined.isascii() and "\x00" not in joined:
        arr = np.array(cells, dtype="S")  # ASCII: encoded by numpy
        lens = np.char.str_len(arr)
    else:
        raw = [c if isinstance(c, bytes) else c.encode("utf-8", errors="surrogateescape")
               for c in cells]  # fmt: skip
        arr = np.array(raw, dtype="S")
        # Lengths of the bytes themselves: numpy drops trailing NULs, which the zero
        # padding of the matrix then supplies.
        lens = np.fromiter(map(len, raw), dtype=np.int64, count=len(raw))
    n = len(values)
    width = max(arr.dtype.itemsize, 1)
    mat = arr.astype(f"S{width}").view(np.uint8).reshape(n, width)
    return mat, np.arange(width)[None, :] < lens[:, None]


def _id_field(col, fmt: str) -> tuple[np.ndarray, np.ndarray]:
    """An identifier column as :func:`_text_field` writes it; text that pyarrow holds (the
    Zeek reader's typed path) and CSV needs no quoting for is cut from its buffers."""
    fast = _arrow_text(col) if fmt == "csv" else None
    return fast if fast is not None else _text_field(col.tolist(), fmt)


def _arrow_text(col) -> tuple[np.ndarray, np.ndarray] | None:
    """``(matrix, mask)`` of an ASCII pyarrow string column without nulls, commas, quotes,
    line ends or NUL bytes; None for any other."""
    plain = _arrow_plain(col)
    if plain is None:
        return None
    _, offsets, data = plain
    lens = np.diff(offsets)
    width = max(int(lens.max()), 1)
    mask = np.arange(width)[None, :] < lens[:, None]
    idx = (offsets[:-1] - offsets[0]).astype(np.int32)[:, None] + np.arange(width, dtype=np.int32)
    np.minimum(idx, len(data) - 1, out=idx)
    mat = data.take(idx)
    mat[~mask] = 0
    return mat, mask


def _arrow_plain(col):
    """``(pyarrow array, offsets, data bytes)`` of a column :func:`_arrow_text` takes: its
    text is written to CSV as it is; None for any other column."""
    dtype = getattr(col, "dtype", None)
    if getattr(dtype, "storage", None) != "pyarrow" or not len(col):
        return None
    import pyarrow as pa  # the storage says it is there

    arr = pa.array(col.array)
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks()
    if arr.null_count or arr.type not in (pa.string(), pa.large_string()):
        return None
    _, off_buf, data_buf = arr.buffers()
    kind = np.int64 if arr.type == pa.large_string() else np.int32
    offsets = np.frombuffer(off_buf, dtype=kind)[arr.offset : arr.offset + len(arr) + 1]
    offsets = offsets.astype(np.int64)
    if data_buf is None or offsets[-1] == offsets[0]:
        return None
    data = np.frombuffer(data_buf, dtype=np.uint8)[offsets[0] : offsets[-1]]
    if len(data) >= 2**31 or not _plain_bytes(data.tobytes()):
        return None
    return arr, offsets, data


def _joined_csv(rows, cells: list, scores: list, n: int) -> memoryview:
    """CSV lines ``row,<cells>,<scores>``: ``cells`` pyarrow arrays of CSV text (the
    identifiers :func:`_arrow_plain` takes, the class labels), ``scores`` fields as
    :func:`_assemble` takes them. The lines are joined by pyarrow's C++ kernel, the cells
    copied from their buffers without a padded byte matrix each (#29, #32); the same bytes
    as :func:`_assemble` of all fields. Large (64-bit offset) binary throughout: pandas
    holds its strings so, and casting to it copies nothing."""
    import pyarrow as pa
    import pyarrow.compute as pc

    seps = [b","] * (len(scores) - 1) + [b"\n"]
    body, lens = _assemble(_merge_literals([x for f, s in zip(scores, seps, strict=True)
                                            for x in (f, s)]), n, lengths=True)  # fmt: skip
    offsets = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(lens, out=offsets[1:])
    tail = pa.Array.from_buffers(pa.large_binary(), n,
                                 [None, pa.py_buffer(offsets), pa.py_buffer(body)])  # fmt: skip
    head = pc.cast(pa.array(np.asarray(rows, dtype=np.int64)), pa.large_string())
    text = [pc.cast(a, pa.large_binary()) for a in (head, *cells)]
    lines = pc.binary_join_element_wise(*text, tail, pa.scalar(b",", pa.large_binary()))
    _, off_buf, data_buf = lines.buffers()
    off = np.frombuffer(off_buf, dtype=np.int64)[lines.offset : lines.offset + n + 1]
    return memoryview(data_buf)[int(off[0]) : int(off[-1])]


def _plain_bytes(b: bytes) -> bool:
    """ASCII without a byte that needs CSV quoting (comma, quote, line ends) or NUL: each
    test a C scan of the bytes, several times faster than a numpy lookup per byte."""
    return b.isascii() and not any(c in b for c in (b",", b'"', b"\r", b"\n", b"\x00"))


def _csv_text(v: str) -> str:
    return f'"{v.replace(chr(34), chr(34) * 2)}"' if _CSV_SPECIAL.search(v) else v


class _ScoreWriter:
    """Writes scored rows as CSV or JSON Lines, assembling the text with numpy."""

    def __init__(self, stream, classes, fmt: str, decimals: int, novelty: bool = False,
                 id_columns=(), tail_columns=()):  # fmt: skip
        self.tail_columns = list(tail_columns)
        self.stream = stream
        self.fmt = fmt
        self.decimals = decimals
        self.novelty = novelty
        self.classes = [str(c) for c in classes]
        self.id_columns = list(id_columns)
        self.label_array = None  # the labels as pyarrow text: CSV lines joined by pyarrow
        if fmt == "csv":
            self.labels = [_csv_cell(c).encode() for c in self.classes]
            self.flags = [b"0", b"1"]
            with contextlib.suppress(ImportError):
                import pyarrow as pa

                self.label_array = pa.array(self.labels, pa.large_binary())
        else:
            self.labels = [json.dumps(c).encode() for c in self.classes]
            self.flags = [b"false", b"true"]

    def columns(self) -> list[str]:
        return score_columns(self.classes, self.novelty, self.id_columns, self.tail_columns)

    def header(self) -> None:
        if self.fmt == "csv":
            self.stream.write((",".join(_csv_cell(c) for c in self.columns()) + "\n").encode())

    def write(self, rows, pred, proba, attack, unseen, novel=None, ids=None, tail=None) -> None:
        n = len(rows)
        if not n:
            return
        flags = [attack, unseen, *([novel] if self.novelty else [])]
        scores = [
            *[_prob_field(proba[:, j], self.decimals) for j in range(proba.shape[1])],
            *[_lookup_field(f.astype(np.int64), self.flags) for f in flags],
            *[_text_field(tail[c], self.fmt) for c in self.tail_columns],
        ]
        if self.fmt == "csv" and (lines := self._joined(rows, pred, ids, scores, n)) is not None:
            self.stream.write(lines)
            return
        fields = [_int_field(rows), *[_id_field(ids[c], self.fmt) for c in self.id_columns],
                  _lookup_field(pred, self.labels), *scores]  # fmt: skip
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

    def _joined(self, rows, pred, ids, scores: list, n: int) -> memoryview | None:
        """The CSV lines joined by pyarrow (:func:`_joined_csv`): row numbers, identifiers
        and labels as Arrow text, the fixed-width scores as one byte matrix; None without
        pyarrow or with an identifier column :func:`_arrow_plain` does not take."""
        if self.label_array is None:
            return None
        plain = [_arrow_plain(ids[c]) for c in self.id_columns]
        if any(p is None for p in plain):
            return None
        labels = self.label_array.take(np.asarray(pred, dtype=np.int64))
        return _joined_csv(rows, [*(arr for arr, _, _ in plain), labels], scores, n)

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
