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
``r + 1`` of the file. With ``explain=K``, the columns ``why_1 … why_K`` follow the
scores: the fields behind each alert (:mod:`gavae_ids.detection.explain`), computed
on the alert rows of a chunk only.

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
(:class:`_CsvReader`, :class:`gavae_ids.scoring.parquet.ParquetReader` for
Parquet input, or ``ZeekReader`` in :mod:`gavae_ids.scoring._zeek` for a Zeek
``conn.log``, told by its ``#`` header or JSON lines) yields parsed, validated and
encoded chunks; the classifier
scores them; a *writer* (:class:`_ScoreWriter`, or
:class:`gavae_ids.scoring.parquet.ParquetScoreWriter`) writes them.
:func:`score_file` scores one input into one output; :mod:`gavae_ids.scoring.jobs`
scores many files as one job, locally or with Dask, by calling it once per file.

A share of rejected rows above what is expected of a clean file means the
file was misread, not that its rows are bad: :attr:`ScoreSummary.reject_rate`
and :meth:`ScoreSummary.top_reasons` tell the caller, and ``gavae-ids score``
exits with status 3 when the share exceeds ``--max-reject-rate``
(:data:`DEFAULT_MAX_REJECT_RATE`).
"""

from __future__ import annotations

from gavae_ids.scoring._common import (
    AUTO_MAX_TRAILING,
    DEFAULT_CHUNK_ROWS,
    DEFAULT_MAX_REJECT_RATE,
    EXTRA_COLUMNS,
    FORMATS,
)
from gavae_ids.scoring._driver import check_options, score_file
from gavae_ids.scoring._read import check_trailing_fields
from gavae_ids.scoring._summary import ScoreSummary
from gavae_ids.scoring._write import default_rejects_path, output_format, score_columns

__all__ = [
    "AUTO_MAX_TRAILING",
    "DEFAULT_CHUNK_ROWS",
    "DEFAULT_MAX_REJECT_RATE",
    "EXTRA_COLUMNS",
    "FORMATS",
    "ScoreSummary",
    "check_options",
    "check_trailing_fields",
    "default_rejects_path",
    "output_format",
    "score_columns",
    "score_file",
]
