"""The driver: :func:`score_file` — options checked, stages wired, a reader thread ahead of
the classifier, every row accounted for."""

from __future__ import annotations

import contextlib
import gzip
import logging
import time
import zlib
from collections import Counter
from typing import TYPE_CHECKING

from gavae_ids._util.progress import progress_bar
from gavae_ids.datasets.zeek import check_input_format, sniff_format
from gavae_ids.detection.explain import AlertExplainer
from gavae_ids.detection.schema import TrainingSchema
from gavae_ids.exceptions import DataError
from gavae_ids.scoring._common import DEFAULT_CHUNK_ROWS, EXTRA_COLUMNS
from gavae_ids.scoring._parse import _BlockParser, _Chunk, _EncodeBuffer, _line_text
from gavae_ids.scoring._pcap import flows_reader
from gavae_ids.scoring._read import _line_blocks, _open_input, _plan_input, check_trailing_fields
from gavae_ids.scoring._summary import ScoreSummary
from gavae_ids.scoring._write import (
    _open_output,
    _RejectWriter,
    _same_file,
    _ScoreWriter,
    default_rejects_path,
    output_format,
)
from gavae_ids.scoring._zeek import ZeekReader
from gavae_ids.scoring.parquet import ParquetReader, ParquetScoreWriter

if TYPE_CHECKING:  # the detector brings torch; the CLI reads this module's defaults without it
    from gavae_ids.detection.detector import Detector

log = logging.getLogger(__name__)


@contextlib.contextmanager
def _model_threads(det, n: int):
    """Run the classifier on ``n`` threads: torch's, and ``n_jobs`` of a tree model."""
    from gavae_ids._util.torch_helpers import torch_threads

    tree_jobs = []
    for est in (det.classifier, getattr(det.classifier, "classifier_", None)):
        if est is not None and "n_jobs" in getattr(est, "get_params", dict)(deep=False):
            tree_jobs.append((est, est.get_params(deep=False)["n_jobs"]))
            est.set_params(n_jobs=n)
    try:
        with torch_threads(n):
            yield
    finally:
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
    input_format: str = "auto",
    explain: int = 0,
) -> ScoreSummary:
    """Score every row of a traffic CSV with a detector; see the module docstring.

    Parameters
    ----------
    model : Detector or path-like
        A detector, or the folder of a saved bundle.
    source : path-like, ``"-"`` or binary file object
        The input CSV, plain or gzip-compressed (detected from its first bytes);
        ``"-"`` reads stdin. A Parquet file (its magic bytes) is read by
        :mod:`gavae_ids.scoring.parquet`: columns matched by name, the same
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
        :meth:`gavae_ids.detection.detector.Detector.novel_mask_encoded`: the GAVAE's
        reconstruction loss under the predicted class above that class's
        threshold) and count novel rows as attacks in ``is_attack``. Needs a
        bundle saved with novelty thresholds.
    verbose : bool
        Progress bar with rows/s on stderr.
    input_format : {"auto", "csv", "zeek", "zeek-json"}, default="auto"
        The input's format; ``"auto"`` tells by its first bytes: Parquet's magic,
        a Zeek header (``#separator``/``#fields``), a JSON object (Zeek's JSON
        logging), else CSV. A Zeek log is read by :mod:`gavae_ids.scoring._zeek`:
        data lines are the rows, ``header`` and ``trailing_fields`` do not apply,
        and its identifier columns (``ts``, ``uid``, ``id.*``) are copied into the
        output after ``row``.
    explain : int, default=0
        Add the columns ``why_1 … why_<explain>``: for every alert, the fields that
        contributed most toward its attack class, as ``field=value (+contribution)``
        (:mod:`gavae_ids.detection.explain`); empty for other rows. LightGBM, forests
        (with ``shap``) and the torch networks only.

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
    check_input_format(input_format)
    fmt = output_format(out, fmt)
    if rejects is None:
        rejects = default_rejects_path(out)
    if _same_file(source, out) or (rejects is not None and _same_file(source, rejects)):
        raise DataError("the output would overwrite the input", path=source)
    # Long by its parameters and their docs only; the stages are wired in the helpers below.
    det = _file_detector(model, novelty)
    explainer = AlertExplainer(det, explain) if explain else None
    t0 = time.perf_counter()
    summary = ScoreSummary(novel=0 if novelty else None)
    reasons: Counter[str] = Counter()
    details: dict[str, Counter[str]] = {}
    try:
        with contextlib.ExitStack() as stack:
            if torch_threads is not None:
                stack.enter_context(_model_threads(det, torch_threads))
            reader, writer, rejects_out = _open_stages(
                stack, det, source, out, rejects, summary, header=header,
                trailing_fields=trailing_fields, extra_columns=extra_columns,
                chunk_size=chunk_size, fmt=fmt, decimals=decimals, novelty=novelty,
                input_format=input_format,
                tail_columns=explainer.columns if explainer else ())  # fmt: skip
            with progress_bar("scoring", None, verbose) as task:
                for chunk in _encoded(det, _prefetch(reader.chunks(det))):
                    _write_chunk(det, chunk, summary, writer, rejects_out, reasons, details,
                                 threshold, novelty, explainer)  # fmt: skip
                    rate = summary.total / max(time.perf_counter() - t0, 1e-9)
                    status = f"{rate:,.0f} rows/s, {summary.rejected:,} rejected"
                    task.advance(chunk.n_lines, status=status)
    except (EOFError, zlib.error, gzip.BadGzipFile) as e:
        raise DataError(f"compressed input is damaged or truncated ({e})", path=source) from None
    summary.reject_reasons = dict(reasons.most_common())
    summary.reject_details = {k: dict(details[k].most_common()) for k in summary.reject_reasons}
    summary.seconds = time.perf_counter() - t0
    summary.decision = decision_note(det, threshold)
    return summary


def decision_note(det, threshold) -> str:
    """How the attack flag was decided, in one line (printed by ``score``)."""
    rule = det.decision_
    if threshold is not None:
        over = " (overriding the bundle's rule)" if rule is not None and rule.threshold else ""
        return f"attack when 1 - P({det.normal_label}) >= {threshold:g}{over}"
    if rule is None:
        return f"attack when the most probable class is not {det.normal_label}"
    return rule.describe()


def _file_detector(model, novelty: bool):
    """``model`` itself or the bundle it names; refused when the novelty flag is asked of a
    bundle without thresholds."""
    from gavae_ids.detection.detector import Detector  # lazily: it brings torch (see above)

    det = model if isinstance(model, Detector) else Detector.load(model)
    if novelty and getattr(det, "novelty_", None) is None:
        raise DataError(
            "the bundle has no novelty thresholds: the novelty flag needs a GAVAE detector "
            "whose thresholds were chosen on its training data (Detector.fit_novelty, then save)",
            path=model if not isinstance(model, Detector) else None,
        )
    return det


def _open_stages(stack: contextlib.ExitStack, det, source, out, rejects, summary: ScoreSummary,
                 *, header: bool, trailing_fields, extra_columns: str, chunk_size: int,
                 fmt: str, decimals: int, novelty: bool, input_format: str,
                 tail_columns=()):  # fmt: skip
    """Open the input and plan it (header checked), then — only then — the outputs; the
    stages closed by ``stack``: ``(reader, score writer, rejects writer)``."""
    stream, name = stack.enter_context(_open_input(source))
    # A capture, or a flows file whose feature set is checked against the bundle's first.
    reader = flows_reader(det, stream, name, source, input_format=input_format,
                          extra_columns=extra_columns, chunk_size=chunk_size)  # fmt: skip
    if reader is None:
        reader = _reader(det.schema, stream, name, header=header,
                         trailing_fields=trailing_fields, extra_columns=extra_columns,
                         chunk_size=chunk_size, input_format=input_format)  # fmt: skip
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
    writer = _score_writer(ostream, det.classes_, fmt, decimals, novelty,
                           getattr(reader, "id_columns", ()), tail_columns)  # fmt: skip
    writer.header()
    stack.callback(writer.close)
    rejects_out = _RejectWriter(rstream)
    stack.callback(rejects_out.close)
    return reader, writer, rejects_out


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
            extra_columns: str, chunk_size: int, input_format: str = "auto"):  # fmt: skip
    """The reader stage for ``stream``: Parquet (from its magic bytes), a Zeek log (its
    header, or JSON lines) or CSV; ``input_format`` names one instead of telling by content.

    A reader has ``notes``, ``trailing`` (header-less CSV only), optionally
    ``id_columns`` (copied to the output), and ``chunks(det)``, which yields
    :class:`_Chunk` objects; a new input format plugs in here.
    """
    if input_format == "auto":
        if stream.peek(4)[:4] == b"PAR1":
            return ParquetReader(schema, stream, name, extra_columns=extra_columns,
                                 chunk_size=chunk_size)  # fmt: skip
        input_format = sniff_format(stream.peek(64)[:64])
    if input_format in ("zeek", "zeek-json"):
        return ZeekReader(schema, stream, name, json_lines=input_format == "zeek-json",
                          extra_columns=extra_columns, chunk_size=chunk_size)  # fmt: skip
    return _CsvReader(schema, stream, name, header=header, trailing_fields=trailing_fields,
                      extra_columns=extra_columns, chunk_size=chunk_size)  # fmt: skip


def _score_writer(stream, classes, fmt: str, decimals: int, novelty: bool = False,
                  id_columns=(), tail_columns=()):  # fmt: skip
    """The writer stage: ``header()``, ``write(rows, pred, proba, attack, unseen[, novel,
    ids, tail])``, ``close()``; ``tail`` maps ``tail_columns`` to text per row."""
    if fmt == "parquet":
        return ParquetScoreWriter(stream, classes, decimals, novelty, id_columns, tail_columns)
    return _ScoreWriter(stream, classes, fmt, decimals, novelty, id_columns, tail_columns)


def _prepared_chunks(det: Detector, parser: _BlockParser, blocks):
    """Parse each block (encoding is left to the consumer: :meth:`_Chunk.encode`)."""
    first_row = 1
    for block, n_lines in blocks:
        parsed = parser.parse(block, n_lines)
        rejected = []
        if parsed.rejected:
            idx = sorted(parsed.rejected)
            text = _line_text(block, idx)
            rejected = [(i + first_row, parsed.rejected[i], text[i]) for i in idx]
        yield _Chunk(first_row, n_lines, parsed.good + first_row, None, None, rejected,
                     frame=parsed.frame)  # fmt: skip
        first_row += n_lines


def _encoded(det: Detector, chunks):
    """``chunks``, each encoded on this (the classifier's) thread into one reused matrix
    where the reader left the encoding to it (CSV): :attr:`_Chunk.Xt` is valid until the
    next chunk is taken."""
    buffer = _EncodeBuffer()
    for chunk in chunks:
        chunk.encode(det, buffer)
        yield chunk


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
                 threshold, novelty: bool = False, explainer=None):  # fmt: skip
    chunk.encode(det)
    if len(chunk.rows):
        proba = det.predict_proba_encoded(chunk.Xt)
        pred, attack = det.decide(proba, threshold, novelty=novelty)
        novel = None
        if novelty:
            novel = det.novel_mask_encoded(chunk.Xt, pred)
            attack = attack | novel
            summary.novel += int(novel.sum())
        # The hook of --explain: reasons computed on the alert rows only.
        tail = None if explainer is None else explainer(chunk.Xt, proba, pred, attack)
        writer.write(chunk.rows, pred, proba, attack, chunk.unseen, novel, chunk.ids, tail)
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
