"""Zeek ``conn.log`` (TSV or JSON lines) as a reader stage of
:func:`gavae_ids.scoring.score_file`.

The log is read with :class:`gavae_ids.datasets.zeek.ZeekParser`, the parser the
training loader uses, so header, rotation, missing-value and identifier rules are
the same in both (see :mod:`gavae_ids.datasets.zeek`). What scoring adds:

* **Rows.** Data lines are the rows, numbered from 1; ``#`` lines (header,
  ``#close``) are neither scored nor rejected nor counted.
* **Plan.** Before anything is written, the header (TSV) or the keys of the
  first 1,000 objects (JSON) must hold every column of the model; else one
  :class:`~gavae_ids.exceptions.DataError`. So does a log without data lines or
  a TSV log whose data comes before any ``#fields`` line.
* **JSON.** Zeek leaves unset fields out of an object, so a model column of the
  standard ``conn.log`` that none of the first objects holds is read as unset
  (noted), not refused.
* **Types.** The model's schema says which columns are numeric: an unset numeric
  value is read as 0 (counted in a note), a categorical ``-`` is the category
  ``-``.
* **Rotation.** A new header block re-plans the columns for the lines after it;
  if it lacks a model column, those lines are rejected with that reason.
* **Identifiers.** ``ts``, ``uid``, ``id.orig_h``, ``id.orig_p``, ``id.resp_h``,
  ``id.resp_p`` and ``tunnel_parents`` that are not model columns are copied
  into the scored output after ``row``, as text, so an alert names its flow.
"""

from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from gavae_ids.datasets.zeek import (
    CONN_LOG_TYPES,
    IDENTIFIERS,
    ZeekParser,
    filled_note,
    model_frame,
)
from gavae_ids.detection.schema import TrainingSchema
from gavae_ids.exceptions import DataError
from gavae_ids.scoring._common import _VOTE_BYTES, _VOTE_LINES
from gavae_ids.scoring._parse import _Chunk, _Reason
from gavae_ids.scoring._read import _line_blocks

if TYPE_CHECKING:  # the detector brings torch
    from gavae_ids.detection.detector import Detector


class ZeekReader:
    """The reader stage for a Zeek log: the column plan first, then encoded chunks.

    Parameters
    ----------
    schema : TrainingSchema
    stream : binary file object (decompressed)
    name : str
        How errors name the file.
    json_lines : bool
        Zeek's JSON logging instead of the TSV log.
    extra_columns : {"ignore", "error"}
        Columns that are neither model columns nor identifiers.
    chunk_size : int
        Lines (header lines included) read at a time.
    """

    def __init__(self, schema: TrainingSchema, stream, name: str, *, json_lines: bool,
                 extra_columns: str, chunk_size: int):  # fmt: skip
        self.schema = schema
        self.stream = stream
        self.name = name
        self.json_lines = json_lines
        self.chunk_size = chunk_size
        self.trailing = None
        self.notes: list[str] = []
        fields, self.prefix = self._plan()
        missing, extra = schema.match_columns(fields)
        if json_lines:
            # Zeek's JSON leaves unset fields out: a standard conn.log field absent from
            # the first objects is unset there, not missing.
            self.absent = [c for c in missing if c in CONN_LOG_TYPES]
            missing = [c for c in missing if c not in CONN_LOG_TYPES]
            if self.absent:
                self.notes.append("absent from the first JSON objects, read as unset: "
                                  + ", ".join(self.absent))  # fmt: skip
        self.fields = [*fields, *(self.absent if json_lines else ())]
        if missing:
            raise DataError(schema.missing_columns_message(missing, fields), path=name)
        self.id_columns = [c for c in IDENTIFIERS if c in fields and c not in schema.columns]
        extra = [c for c in extra if c not in self.id_columns]
        if extra and extra_columns == "error":
            raise DataError(f"column(s) not in the model's schema: {', '.join(extra)}", path=name)
        if extra:
            more = " …" if len(extra) > 10 else ""
            self.notes.append(f"ignored {len(extra)} column(s) not used by the model: "
                              + ", ".join(extra[:10]) + more)  # fmt: skip
        if self.id_columns:
            self.notes.append("identifiers copied to the output: " + ", ".join(self.id_columns))
        self.filled: Counter[str] = Counter()

    def _plan(self) -> tuple[list[str], bytes]:
        """The fields of the first header block (JSON: the keys of the first objects) and
        the bytes read to find them, which :meth:`chunks` reads again."""
        parser = ZeekParser(json_lines=self.json_lines, name=self.name)
        read: list[bytes] = []
        size = 0
        while parser.row < (_VOTE_LINES if self.json_lines else 1) and size < _VOTE_BYTES:
            line = self.stream.readline()
            if not line:
                break
            read.append(line)
            size += len(line)
            batch = parser.feed([line.rstrip(b"\n")])
            if batch.rejected and batch.rejected[0].kind == "no #fields line":
                raise DataError("a Zeek log without a #fields line before its first data line",
                                path=self.name, row=parser.line)  # fmt: skip
        if not parser.row:
            what = "the input is empty" if not b"".join(read).strip() else (
                "no data lines: the Zeek log holds only its header")  # fmt: skip
            raise DataError(what, path=self.name)
        return list(parser.header.fields), b"".join(read)

    def chunks(self, det: Detector):
        """Yield :class:`gavae_ids.scoring._Chunk` per block of lines, encoded for ``det``."""
        parser = ZeekParser(json_lines=self.json_lines, name=self.name)
        if self.json_lines:
            parser.header.fields = list(self.fields)
        else:
            parser.typed(self.schema.numeric, self.schema.categorical, self.id_columns)
        first_row = 1
        for block, _ in _line_blocks(self.stream, self.chunk_size, self.prefix):
            batch = parser.feed_block(block)
            yield self._chunk(det, batch, first_row)
            first_row += batch.n_rows
        self._final_notes(parser)

    def _chunk(self, det: Detector, batch, first_row: int) -> _Chunk:
        rejected = [(r.row, _Reason(r.kind, r.detail, r.text), r.record) for r in batch.rejected]
        frames, rows, ids = [], [], []
        cols = list(self.schema.columns)
        for seg in batch.segments:
            h = seg.header
            seg_rows = seg.rows
            missing = [c for c in cols if c not in h.fields]
            if missing:  # a rotated header without a model column
                why = _Reason("column missing after a header change", missing[0],
                              f"the header block above this row lacks column(s) "
                              f"{', '.join(missing[:5])}")  # fmt: skip
                rejected += [(r, why, seg.text(i)) for i, r in enumerate(seg_rows.tolist())]
                continue
            raw = seg.frame()
            X, bad, filled = model_frame(raw, h, self.schema.numeric, self.schema.categorical)
            self.filled.update(filled)
            ok = np.ones(len(raw), dtype=bool)
            for i, (kind, detail, text) in bad.items():
                ok[i] = False
                rejected.append((int(seg_rows[i]), _Reason(kind, detail, text), seg.text(i)))
            X = X[cols]
            idf = raw.reindex(columns=self.id_columns, fill_value="") if self.id_columns else None
            if bad:  # else every row is kept: no copies
                X, seg_rows = X[ok], seg_rows[ok]
                idf = None if idf is None else idf[ok]
            frames.append(X)
            rows.append(seg_rows)
            if idf is not None:
                ids.append(idf)
        rejected.sort(key=lambda t: t[0])
        good = np.concatenate(rows) if rows else np.zeros(0, dtype=np.int64)
        if len(frames) == 1:  # no concat: one segment, the usual case
            frame = frames[0].reset_index(drop=True)
        else:
            frame = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=cols)
        if len(frame):
            Xt, unseen = det.encode(frame)
        else:
            Xt, unseen = np.zeros((0, 0), dtype=np.float32), np.zeros(0, dtype=bool)
        id_frame = None
        if ids and len(good):
            id_frame = (ids[0].reset_index(drop=True) if len(ids) == 1
                        else pd.concat(ids, ignore_index=True))  # fmt: skip
        return _Chunk(first_row, batch.n_rows, good, Xt, unseen, rejected, ids=id_frame)

    def _final_notes(self, parser: ZeekParser) -> None:
        """Notes known only at the end: unset numbers read as 0, header changes."""
        note = filled_note(self.filled)
        if note:
            self.notes.append(note)
        if parser.changes:
            at = ", ".join(f"{r:,}" for r in parser.changes[:5])
            self.notes.append(f"the Zeek header changed {len(parser.changes)} time(s) (after "
                              f"row {at}): columns planned again from each new header")  # fmt: skip
