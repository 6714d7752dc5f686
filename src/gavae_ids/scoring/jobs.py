"""Score many traffic files as one job: a folder, a glob or a list of files, locally or with Dask.

A job is a list of *units*, one per input file; each unit is scored by
:func:`score_unit`, which calls :func:`gavae_ids.scoring.score_file` — so column
matching, validation, reject reasons, row numbers (counted per input file) and
the rejects file are exactly those of a single file. Both engines run that same
function: ``engine="local"`` one file after another in this process,
``engine="dask"`` one task per file on a Dask cluster
(:mod:`gavae_ids.scoring.dask_cluster`). The outputs are byte for byte the same.

Layout of the output folder::

    scored/
      flows-1.parquet             one output per input file (same stem), so a folder of
      flows-2.parquet             Parquet outputs is also one Parquet dataset
      _rejects/flows-1.csv        the rejected rows of each input (row, reason, record);
      _rejects/flows-2.csv        "_" keeps them out of a Parquet dataset read of the folder

Each output and rejects file is written under a temporary name (``.name.part-…``)
and renamed into place once the whole file has been scored, so a file in the
folder is always complete: a task that dies mid-file (a Dask worker killed) leaves
no short output, and its retry starts the file again. Every unit must account for
its rows (``scored + rejected == total``) or the job fails.

Before anything is scored, every input's layout is checked (header, columns,
Parquet schema), so a missing column stops the job with one error naming the file
and the column and no output.
"""

from __future__ import annotations

import glob
import logging
import os
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from gavae_ids._util.progress import progress_bar
from gavae_ids.datasets.zeek import check_input_format
from gavae_ids.detection.detector import Detector
from gavae_ids.detection.explain import AlertExplainer
from gavae_ids.exceptions import DataError
from gavae_ids.scoring._common import DEFAULT_CHUNK_ROWS
from gavae_ids.scoring._driver import _reader, check_options
from gavae_ids.scoring._read import _open_input, check_trailing_fields
from gavae_ids.scoring._summary import ScoreSummary
from gavae_ids.scoring._units import (  # noqa: F401 (re-exported)
    ScoreOptions,
    ScoringJobError,
    ScoringUnit,
    score_unit,
)
from gavae_ids.scoring._write import output_format
from gavae_ids.scoring.dask_cluster import run_dask

log = logging.getLogger(__name__)

ENGINES = ("local", "dask")
REJECTS_DIR = "_rejects"
# Files a folder input picks up (a glob or a list takes any file).
INPUT_SUFFIXES = (".csv", ".txt", ".csv.gz", ".txt.gz", ".gz", ".parquet", ".pq", ".log")
_EXTENSIONS = {"csv": ".csv", "jsonl": ".jsonl", "parquet": ".parquet"}
_GLOB_CHARS = set("*?[")


@dataclass
class JobSummary(ScoreSummary):
    """A :class:`~gavae_ids.scoring.ScoreSummary` over every file, plus one per file.

    The totals, reasons and :meth:`line` read as for one file; ``seconds`` is the
    wall time of the whole job; ``output`` is the output folder and ``rejects``
    its ``_rejects`` folder.
    """

    files: list[ScoreSummary] = field(default_factory=list)
    engine: str = "local"

    def to_dict(self) -> dict:
        d = super().to_dict()
        d["files"] = [f.to_dict() for f in self.files]
        return d


# -- planning ------------------------------------------------------------------------------
def is_multi_input(inputs) -> bool:
    """Whether ``inputs`` name a job rather than one file: several, a folder or a glob."""
    inputs = [inputs] if isinstance(inputs, str | os.PathLike) else list(inputs)
    if len(inputs) != 1:
        return True
    s = str(inputs[0])
    return s != "-" and (Path(s).is_dir() or (_GLOB_CHARS & set(s) and not Path(s).exists()))


def expand_inputs(inputs) -> list[Path]:
    """The input files of a job, in order: folders give their data files (sorted),
    globs their matches (sorted), files themselves; duplicates once."""
    inputs = [inputs] if isinstance(inputs, str | os.PathLike) else list(inputs)
    files: list[Path] = []
    for spec in inputs:
        s = str(spec)
        if s == "-":
            raise DataError("stdin ('-') is one stream: score it alone, with the local engine")
        p = Path(s)
        if p.is_dir():
            found = sorted(q for q in p.iterdir() if q.is_file() and _is_data_file(q))
            if not found:
                raise DataError(f"the folder holds no input file ({', '.join(INPUT_SUFFIXES)})",
                                path=p)  # fmt: skip
        elif p.exists():
            found = [p]
        elif _GLOB_CHARS & set(s):
            found = sorted(Path(m) for m in glob.glob(s) if Path(m).is_file())
            if not found:
                raise DataError("no file matches this pattern", path=s)
        else:
            raise DataError("no such file", path=p)
        files += found
    seen: set[Path] = set()
    unique = []
    for f in files:
        if (r := f.resolve()) not in seen:
            seen.add(r)
            unique.append(f)
    return unique


def _is_data_file(p: Path) -> bool:
    name = p.name.lower()
    return not name.startswith((".", "_")) and name.endswith(INPUT_SUFFIXES)


def stem(path) -> str:
    """``flows.csv.gz`` → ``flows``: the name of a file's outputs."""
    name = Path(path).name
    for suffix in (".gz", ".csv", ".txt", ".parquet", ".pq", ".jsonl", ".log"):
        name = name.removesuffix(suffix)
    return name or Path(path).name


def plan_units(sources, out_dir, fmt: str) -> list[ScoringUnit]:
    """One :class:`ScoringUnit` per source: ``out_dir/<stem>.<ext>`` and
    ``out_dir/_rejects/<stem>.csv``; two inputs of one stem, or an output that would
    overwrite an input, are refused."""
    out_dir = Path(out_dir)
    if out_dir.exists() and not out_dir.is_dir():
        raise DataError("with several inputs, --out names a folder; this is a file",
                        path=out_dir)  # fmt: skip
    by_stem: dict[str, Path] = {}
    units = []
    inputs = {Path(s).resolve() for s in sources}
    for s in sources:
        st = stem(s)
        if st in by_stem:
            raise DataError(f"{by_stem[st]} and {s} would both be written to "
                            f"{out_dir / (st + _EXTENSIONS[fmt])}; rename one", path=s)  # fmt: skip
        by_stem[st] = Path(s)
        unit = ScoringUnit(str(s), str(out_dir / (st + _EXTENSIONS[fmt])),
                           str(out_dir / REJECTS_DIR / f"{st}.csv"))  # fmt: skip
        for target in (unit.out, unit.rejects):
            if Path(target).resolve() in inputs:
                raise DataError(f"the output {target} would overwrite an input", path=s)
        units.append(unit)
    return units


def check_inputs(schema, units, opts: ScoreOptions) -> list[list[str]]:
    """Plan the layout of every input (header or Parquet schema, the trailing-field vote):
    the first bad file raises its :class:`DataError` before anything is written.
    Returns the notes of each file."""
    notes = []
    for u in units:
        with _open_input(u.source) as (stream, name):
            r = _reader(schema, stream, name, header=opts.header,
                        trailing_fields=opts.trailing_fields,
                        extra_columns=opts.extra_columns, chunk_size=opts.chunk_size,
                        input_format=opts.input_format)  # fmt: skip
            notes.append(list(r.notes))
    return notes


# -- one unit --------------------------------------------------------------------------------
def remove_parts(units) -> None:
    """Delete temporary files that dead tasks left beside the outputs of ``units``."""
    for u in units:
        for target in (u.out, u.rejects):
            p = Path(target)
            for part in p.parent.glob(f".{glob.escape(p.name)}.part-*"):
                part.unlink(missing_ok=True)


def combine(summaries: list[ScoreSummary], *, seconds: float, output, rejects,
            engine: str) -> JobSummary:  # fmt: skip
    """Totals over the files' summaries (reasons and details summed)."""
    job = JobSummary(files=list(summaries), engine=engine, seconds=seconds,
                     output=None if output is None else str(output),
                     rejects=None if rejects is None else str(rejects))  # fmt: skip
    reasons: Counter[str] = Counter()
    details: dict[str, Counter[str]] = {}
    for s in summaries:
        job.total += s.total
        job.scored += s.scored
        job.rejected += s.rejected
        job.attacks += s.attacks
        job.unseen += s.unseen
        if s.novel is not None:
            job.novel = (job.novel or 0) + s.novel
        reasons.update(s.reject_reasons)
        for kind, d in s.reject_details.items():
            details.setdefault(kind, Counter()).update(d)
    job.reject_reasons = dict(reasons.most_common())
    job.reject_details = {k: dict(details[k].most_common()) for k in job.reject_reasons}
    return job


# -- the job ---------------------------------------------------------------------------------
def score_files(
    model,
    inputs,
    out_dir,
    *,
    engine: str = "local",
    scheduler: str | None = None,
    workers: int | None = None,
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
    _task=None,
) -> JobSummary:
    """Score a folder, a glob or a list of traffic files (CSV, gzip CSV, Parquet) as one job.

    Parameters
    ----------
    model : Detector or path-like
        A detector or a bundle folder. The Dask engine needs the folder (workers
        load it themselves, once each, and verify its checksums); it must be
        readable at the same path on every worker, like the inputs and ``out_dir``.
    inputs : str, path-like, or a list of them
        Files, folders (their ``.csv``, ``.txt``, ``.gz``, ``.parquet``, ``.log`` files) or
        glob patterns (``"flows/*.parquet"``).
    out_dir : path-like
        The output folder (see the module docstring for its layout).
    engine : {"local", "dask"}
        ``"local"``: the files one after another in this process. ``"dask"``: one
        task per file on a Dask cluster.
    scheduler : str, optional
        Dask only: the address of a running scheduler (``tcp://host:8786``);
        without it a local cluster of ``workers`` processes on 127.0.0.1.
    workers : int, optional
        Dask local cluster only: worker processes (default: the CPU cores).
    fmt : {"csv", "jsonl", "parquet"}, optional
        Output format; by default Parquet when every input is Parquet, else CSV.
    threshold, header, trailing_fields, extra_columns, chunk_size, decimals, torch_threads,
    novelty, input_format, explain
        As for :func:`gavae_ids.scoring.score_file`, applied to every file.
    verbose : bool
        A progress bar over files on stderr.

    Returns
    -------
    JobSummary
        Totals over all files, and ``files``: each file's own summary.

    Raises
    ------
    DataError
        No input, an input whose header or schema does not fit the model, two
        inputs with one output name — before anything is written.
    ScoringJobError
        A Dask worker died while scoring a file more often than the scheduler
        allows, or a unit lost rows; finished files stay, no partial file does.
    MissingExtraError
        Dask or pyarrow is needed and not installed (``pip install 'gavae-ids[dask]'``).
    """
    # Long by its parameters and their docs only; each step is a helper below.
    _check_engine(engine, scheduler, workers)
    check_options(extra_columns=extra_columns, chunk_size=chunk_size, threshold=threshold,
                  decimals=decimals)  # fmt: skip
    if _is_stdio(out_dir):
        raise DataError("scoring several files needs an output folder (--out scored/)")
    sources = expand_inputs(inputs)
    if fmt is None:
        fmt = "parquet" if all(_is_parquet(s) for s in sources) else "csv"
    fmt = output_format(Path(out_dir) / "x", fmt)
    opts = ScoreOptions(fmt=fmt, threshold=threshold, header=header,
                        trailing_fields=check_trailing_fields(trailing_fields),
                        extra_columns=extra_columns, chunk_size=chunk_size, decimals=decimals,
                        torch_threads=torch_threads, novelty=novelty,
                        input_format=check_input_format(input_format),
                        explain=explain)  # fmt: skip
    units = plan_units(sources, out_dir, fmt)
    det = _job_detector(model, engine=engine, novelty=novelty)
    if explain:  # a method without explanation is refused before anything is written
        AlertExplainer(det, explain)
    check_inputs(det.schema, units, opts)
    t0 = time.perf_counter()
    (Path(out_dir) / REJECTS_DIR).mkdir(parents=True, exist_ok=True)
    try:
        if engine == "local":
            summaries = _run_local(det, units, opts, verbose)
        else:
            summaries = run_dask(model, units, opts, scheduler=scheduler, workers=workers,
                                 verbose=verbose, task=_task)  # fmt: skip
    finally:
        remove_parts(units)
    job = combine(summaries, seconds=time.perf_counter() - t0, output=out_dir,
                  rejects=Path(out_dir) / REJECTS_DIR, engine=engine)  # fmt: skip
    return _checked_job(job, units, summaries)


def _check_engine(engine: str, scheduler, workers) -> None:
    """Refuse an unknown engine and Dask options that do not go together."""
    if engine not in ENGINES:
        raise DataError(f"engine must be one of {', '.join(ENGINES)}, got {engine!r}")
    if engine != "dask" and (scheduler is not None or workers is not None):
        raise DataError("--scheduler and --workers apply to --engine dask only")
    if scheduler is not None and workers is not None:
        raise DataError("--workers sizes the local Dask cluster; a --scheduler's cluster "
                        "has the workers it has")  # fmt: skip
    if workers is not None and workers < 1:
        raise DataError(f"workers must be at least 1, got {workers}")


def _job_detector(model, *, engine: str, novelty: bool):
    """The detector of a job: ``model`` itself or the bundle it names (the Dask engine
    needs the folder: each worker loads it)."""
    if engine == "dask" and isinstance(model, Detector):
        raise DataError("the Dask engine loads the model on each worker: pass the bundle "
                        "folder, not a Detector")  # fmt: skip
    det = model if isinstance(model, Detector) else Detector.load(model)
    if novelty and getattr(det, "novelty_", None) is None:
        raise DataError("the bundle has no novelty thresholds: the novelty flag needs a GAVAE "
                        "detector whose thresholds were chosen on its training data")  # fmt: skip
    return det


def _checked_job(job: JobSummary, units, summaries) -> JobSummary:
    """``job`` with the files' notes, once every unit came back with all its rows."""
    for u, s in zip(units, summaries, strict=False):
        job.notes += [f"{Path(u.source).name}: {n}" for n in s.notes]
    if job.scored + job.rejected != job.total or len(summaries) != len(units):
        raise ScoringJobError(f"{len(summaries)} of {len(units)} files came back, "
                              f"{job.scored + job.rejected:,} of {job.total:,} rows")  # fmt: skip
    return job


def _run_local(det, units, opts, verbose) -> list[ScoreSummary]:
    out = []
    with progress_bar("scoring files", len(units), verbose) as task:
        for u in units:
            out.append(score_unit(det, u, opts))
            task.advance(1)
    return out


def _is_parquet(path) -> bool:
    try:
        with open(path, "rb") as f:
            return f.read(4) == b"PAR1"
    except OSError:
        return False


def _is_stdio(x) -> bool:
    return x is None or str(x) == "-"
