"""Parquet as a reader and a writer stage of :func:`gavae_ids.scoring.score_file`.

Reading (:class:`ParquetReader`) replaces the CSV stages "split into lines" and
"parse": the file's columns are matched by name exactly as a CSV header is
(missing → one :class:`~gavae_ids.exceptions.DataError` naming the file and the
columns, before any output; extra → ignored and noted, or refused with
``extra_columns="error"``; another order → reordered), then record batches of
``chunk_size`` rows are validated with the CSV rules and reject reasons:

* a null numeric cell (or an empty text cell in a text column) → ``empty value``;
* NaN, ±inf, or text that is not a number → ``not a finite number``;
* a null or empty categorical value → ``empty value``;
* an unseen categorical value is scored and flagged (``unseen_category``).

Row numbers count the file's rows from 1. A rejected row's *record* in the
rejects file is its model columns, in training order, as one CSV line (null as an
empty field): a Parquet file has no raw line to copy.

Writing (:class:`ParquetScoreWriter`) stores the same columns as the CSV output
— ``row`` (int64), ``prediction`` (string), ``p_<class>`` (float64, rounded to
``decimals`` digits like the CSV text), ``is_attack`` and ``unseen_category``
(bool) — one row group per chunk.

pyarrow is an optional dependency (``pip install 'gavae-ids[parquet]'``),
imported only when a Parquet file is read or written.
"""

from __future__ import annotations

import csv
import io
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from gavae_ids._util.validate import to_finite
from gavae_ids.detection.schema import TrainingSchema
from gavae_ids.exceptions import DataError, require_extra
from gavae_ids.scoring._parse import _Chunk, _empty_value, _Reason, numeric_rejects
from gavae_ids.scoring._write import score_columns

if TYPE_CHECKING:  # the detector brings torch; the CLI reads this module's defaults without it
    from gavae_ids.detection.detector import Detector

MAGIC = b"PAR1"
SUFFIXES = (".parquet", ".pq")


def pyarrow():
    """``(pyarrow, pyarrow.parquet, pyarrow.compute)``, or a clear error naming the extra."""
    what = "Parquet input or output"
    return tuple(require_extra(m, "parquet", what)
                 for m in ("pyarrow", "pyarrow.parquet", "pyarrow.compute"))  # fmt: skip


def is_parquet_name(path) -> bool:
    return str(path).lower().endswith(SUFFIXES)


def plan_columns(schema: TrainingSchema, names: list[str], *, extra_columns: str,
                 name: str) -> list[str]:  # fmt: skip
    """Match a Parquet file's column names against the schema; returns the notes."""
    dup = sorted({c for c in names if names.count(c) > 1})
    if dup:
        raise DataError(f"duplicate column name(s) {', '.join(dup[:10])}", path=name)
    missing, extra = schema.match_columns(names)
    if missing:
        raise DataError(schema.missing_columns_message(missing, names), path=name)
    notes = []
    if extra:
        if extra_columns == "error":
            raise DataError(f"column(s) not in the model's schema: {', '.join(extra)}", path=name)
        notes.append(f"ignored {len(extra)} column(s) not used by the model: "
                     + ", ".join(extra[:10]) + (" …" if len(extra) > 10 else ""))  # fmt: skip
    cols = list(schema.columns)
    if [c for c in names if c in set(cols)] != cols:
        notes.append("columns reordered by name to the training order")
    return notes


class ParquetReader:
    """The reader stage for a Parquet file: column plan first, then validated chunks.

    Parameters
    ----------
    schema : TrainingSchema
    source : path-like or seekable binary file object
    name : str
        How errors name the file.
    extra_columns : {"ignore", "error"}
    chunk_size : int
        Rows per record batch.
    """

    def __init__(self, schema: TrainingSchema, source, name: str, *, extra_columns: str,
                 chunk_size: int):  # fmt: skip
        self.pa, pq, self.pc = pyarrow()
        if hasattr(source, "seekable") and not source.seekable():
            raise DataError("Parquet input must be a file, not a pipe or stdin", path=name)
        self.name = name
        self.schema = schema
        self.chunk_size = chunk_size
        try:
            self.file = pq.ParquetFile(source)
            names = [str(c) for c in self.file.schema_arrow.names]
        except (self.pa.ArrowException, OSError) as e:
            raise DataError(f"not a readable Parquet file ({e})", path=name) from None
        self.notes = plan_columns(schema, names, extra_columns=extra_columns, name=name)
        self.trailing = None

    def chunks(self, det: Detector):
        """Yield :class:`gavae_ids.scoring._Chunk` per record batch, encoded for ``det``."""
        first_row = 1
        batches = self.file.iter_batches(batch_size=self.chunk_size,
                                         columns=list(self.schema.columns))  # fmt: skip
        while True:
            try:
                batch = next(batches, None)
            except (self.pa.ArrowException, OSError) as e:
                raise DataError(f"damaged Parquet file near row {first_row:,} ({e})",
                                path=self.name) from None  # fmt: skip
            if batch is None:
                return
            yield self._chunk(det, batch, first_row)
            first_row += batch.num_rows

    # -- one batch ---------------------------------------------------------------------
    def _numbers(self, col, c: str) -> tuple[np.ndarray, np.ndarray, pd.Series | None]:
        """``(values as float64 with NaN for null, empty mask, text or None)`` of a column."""
        pa, pc = self.pa, self.pc
        t = col.type
        if pa.types.is_dictionary(t):
            col, t = col.cast(t.value_type), t.value_type
        if pa.types.is_null(t):  # a column of nulls only (pandas writes all-None so)
            return np.full(len(col), np.nan), np.ones(len(col), dtype=bool), None
        if pa.types.is_string(t) or pa.types.is_large_string(t):
            text = col.to_pandas()
            num = to_finite(text)[0]
            empty = (text.isna() | (text == "")).to_numpy()
            return num, empty, text
        if not (pa.types.is_integer(t) or pa.types.is_floating(t) or pa.types.is_boolean(t)
                or pa.types.is_decimal(t)):  # fmt: skip
            raise DataError(f"column {c!r} holds {t}, not numbers", path=self.name)
        num = pc.cast(col, pa.float64()).to_numpy(zero_copy_only=False)
        empty = col.is_null().to_numpy(zero_copy_only=False) if col.null_count else None
        return num, empty, None

    def _categories(self, col) -> tuple[pd.Series, np.ndarray]:
        pa, pc = self.pa, self.pc
        t = col.type
        if pa.types.is_dictionary(t):
            col, t = col.cast(t.value_type), t.value_type
        if not (pa.types.is_string(t) or pa.types.is_large_string(t)):
            col = pc.cast(col, pa.string())
        empty = (pc.fill_null(pc.equal(col, ""), True)).to_numpy(zero_copy_only=False)
        # As categories, like the CSV parser: each distinct value is looked up once.
        return pc.dictionary_encode(col).to_pandas(), empty

    def _chunk(self, det: Detector, batch, first_row: int) -> _Chunk:
        n = batch.num_rows
        numeric, categorical = self.schema.numeric, self.schema.categorical
        reason: dict[int, _Reason] = {}
        ok = np.ones(n, dtype=bool)
        data = {}
        if numeric:
            # Column-major: each column is one contiguous copy, and a column of the frame
            # below is a view of it.
            num = np.empty((n, len(numeric)), dtype=np.float64, order="F")
            empty = np.zeros((n, len(numeric)), dtype=bool, order="F")
            texts = {}
            for j, c in enumerate(numeric):
                v, e, text = self._numbers(batch.column(c), c)
                num[:, j] = v
                if e is not None:
                    empty[:, j] = e
                if text is not None:
                    texts[c] = text
            bad = numeric_rejects(
                num, numeric, reason,
                value=lambda r, j: (texts[numeric[j]].iat[r] if numeric[j] in texts
                                    else num[r, j]),
                empty=lambda r, j, v: empty[r, j],
            )  # fmt: skip
            ok &= ~bad
            for j, c in enumerate(numeric):
                data[c] = num[:, j]
        for c in categorical:
            values, e = self._categories(batch.column(c))
            if e.any():
                for r in np.flatnonzero(e & ok).tolist():
                    reason[r] = _empty_value(c)
                ok &= ~e
            data[c] = values
        frame = pd.DataFrame(data)[list(self.schema.columns)]
        good = np.flatnonzero(ok)
        if not ok.all():
            frame = frame[ok]
        if len(frame):
            Xt, unseen = det.encode(frame)
        else:
            Xt, unseen = np.zeros((0, 0), dtype=np.float32), np.zeros(0, dtype=bool)
        rejected = []
        if reason:
            idx = sorted(reason)
            records = _records(batch.select(list(self.schema.columns)).take(idx))
            rejected = [(i + first_row, reason[i], rec) for i, rec in zip(idx, records,
                                                                          strict=True)]  # fmt: skip
        # Encoded here, on the reader thread: decoding Parquet is cheap, and the classifier's
        # thread would otherwise be the one waited on (docs/results/scoring-profile).
        return _Chunk(first_row, n, good + first_row, Xt, unseen, rejected)


def _records(table) -> list[str]:
    """Rows of a small Arrow table as CSV lines (null as an empty field)."""
    cols = [c.to_pylist() for c in table.columns]
    out = []
    for values in zip(*cols, strict=True):
        buf = io.StringIO()
        csv.writer(buf, lineterminator="").writerow(["" if v is None else v for v in values])
        out.append(buf.getvalue())
    return out


class ParquetScoreWriter:
    """Writes scored rows as Parquet, one row group per chunk (see the module docstring)."""

    def __init__(self, stream, classes, decimals: int, novelty: bool = False, id_columns=(),
                 tail_columns=()):  # fmt: skip
        self.pa, self.pq, _ = pyarrow()
        self.id_columns = list(id_columns)
        self.tail_columns = list(tail_columns)
        self.stream = stream
        self.decimals = decimals
        self.novelty = novelty
        self.classes = [str(c) for c in classes]
        self.writer = None

    def columns(self) -> list[str]:
        return score_columns(self.classes, self.novelty, self.id_columns, self.tail_columns)

    def _schema(self):
        pa = self.pa
        types = [pa.int64(), *[pa.string()] * len(self.id_columns), pa.string(),
                 *[pa.float64()] * len(self.classes), pa.bool_(), pa.bool_(),
                 *([pa.bool_()] if self.novelty else []),
                 *[pa.string()] * len(self.tail_columns)]  # fmt: skip
        return pa.schema(list(zip(self.columns(), types, strict=True)))

    def header(self) -> None:
        self.writer = self.pq.ParquetWriter(self.stream, self._schema())

    def write(self, rows, pred, proba, attack, unseen, novel=None, ids=None, tail=None) -> None:
        if not len(rows):
            return
        scale = 10.0**self.decimals
        p = np.rint(np.clip(proba, 0.0, 1.0) * scale) / scale
        # Taken from an Arrow array of the class names: no Python string per row.
        names = self.pa.array(self.classes, type=self.pa.string())
        labels = names.take(np.asarray(pred, dtype=np.int64))
        probs = [p[:, j] for j in range(p.shape[1])]
        idv = [ids[c].to_numpy(dtype=object) for c in self.id_columns]
        arrays = [np.asarray(rows, dtype=np.int64), *idv, labels, *probs,
                  np.asarray(attack, dtype=bool), np.asarray(unseen, dtype=bool)]  # fmt: skip
        if self.novelty:
            arrays.append(np.asarray(novel, dtype=bool))
        arrays += [np.asarray(tail[c], dtype=object) for c in self.tail_columns]
        schema = self._schema()
        table = self.pa.Table.from_arrays(
            [a if isinstance(a, self.pa.Array) else self.pa.array(a, type=t)
             for a, t in zip(arrays, schema.types, strict=True)],
            schema=schema,
        )  # fmt: skip
        self.writer.write_table(table)

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            self.writer = None
