"""``gavae-ids score``: score traffic files with a model bundle.

One file: :func:`gavae_ids.scoring.score_file`; several, a folder, a glob or
``--engine dask``: :func:`gavae_ids.scoring.jobs.score_files`.

Exit status: 0 when scored; 2 on an input error (nothing written); 3 when the
share of rejected rows exceeds ``--max-reject-rate`` (everything written) — in a
job of several files, over all rows or in any one file.
"""

from __future__ import annotations

import sys

import typer

from gavae_ids.cli._common import QuietOption, guarded
from gavae_ids.exceptions import DataError
from gavae_ids.scoring import AUTO_MAX_TRAILING, DEFAULT_CHUNK_ROWS, DEFAULT_MAX_REJECT_RATE

EXIT_TOO_MANY_REJECTS = 3


def register(app: typer.Typer) -> None:
    app.command("score")(score_cmd)


@guarded
def score_cmd(
    model_dir: str = typer.Argument(..., help="Model bundle folder (from gavae-ids train)."),
    inputs: list[str] = typer.Argument(
        ...,
        metavar="INPUT...",
        help="CSV (plain or gzip), Parquet or Zeek conn.log file to score; '-' reads stdin. "
        "Several files, a folder or a quoted glob ('flows/*.parquet') are scored as one job "
        "into the --out folder, one output per input.",
    ),
    out: str = typer.Option(
        "-",
        "--out",
        "-o",
        help="Output file ('-': stdout); .gz compresses; .jsonl/.ndjson selects JSON Lines, "
        ".parquet Parquet. With several inputs or --engine dask: a folder.",
    ),
    fmt: str = typer.Option(
        None,
        "--format",
        "-f",
        help="csv, jsonl or parquet (default: from --out; for a folder, parquet when every "
        "input is Parquet, else csv).",
    ),
    rejects: str = typer.Option(
        None,
        "--rejects",
        help="Rejected rows (CSV: row, reason, "
        "record); default <out>.rejects.csv beside a file output, <out>/_rejects/ for a folder.",
    ),
    threshold: float = typer.Option(
        None,
        "--threshold",
        "-t",
        min=0.0,
        max=1.0,
        help="Attack when 1 - P(normal) >= this (default: the bundle's decision rule, e.g. "
        "its --max-fpr threshold; argmax without one).",
    ),
    input_format: str = typer.Option(
        "auto",
        "--input-format",
        help="csv, zeek (TSV conn.log), zeek-json or pcap (flows made by nfstream with the "
        "bundle's settings; needs gavae-ids[flows]); auto tells by the content (pcap/pcapng or "
        "Parquet magic, a #separator/#fields header, a JSON object per line, else CSV). "
        "(--format names the output format.)",
    ),
    no_header: bool = typer.Option(
        False,
        "--no-header",
        help="No header line (e.g. NSL-KDD): fields in the model's training column order.",
    ),
    trailing_fields: str = typer.Option(
        "auto",
        "--trailing-fields",
        metavar="N|auto",
        help="With --no-header: every line holds the model's fields, then N trailing fields, "
        "ignored (NSL-KDD: 2, attack and difficulty); lines with another count are rejected. "
        f"auto: the field count of most of the first 1,000 lines, 0 to {AUTO_MAX_TRAILING} "
        "trailing fields; never the first line alone.",
    ),
    extra_columns: str = typer.Option(
        "ignore",
        "--extra-columns",
        help="ignore or error: input columns/trailing fields the model does not use.",
    ),
    max_reject_rate: float = typer.Option(
        DEFAULT_MAX_REJECT_RATE,
        "--max-reject-rate",
        min=0.0,
        max=1.0,
        help="Exit with status 3 (after writing everything) when a larger share of rows is "
        "rejected: clean files reject none, a misread file nearly all. 1 never fails.",
    ),
    chunk_size: int = typer.Option(
        DEFAULT_CHUNK_ROWS, "--chunk-size", min=1, help="Rows per chunk."
    ),
    threads: int = typer.Option(
        1,
        "--threads",
        min=1,
        help="Threads of the classifier: torch threads, or n_jobs of a tree model "
        "(reading and parsing use one more).",
    ),
    novelty: bool = typer.Option(
        False,
        "--novelty",
        help="Add a 'novel' column (the GAVAE reconstructs the row worse than its training "
        "rows of the predicted class) and count novel rows as attacks; needs a bundle with "
        "novelty thresholds (gavae-dnn).",
    ),
    explain: int = typer.Option(
        0,
        "--explain",
        min=0,
        metavar="K",
        help="Add columns why_1 ... why_K: for every alert, the K fields that contributed "
        "most toward its attack class, as field=value (+contribution); empty for other "
        "rows. LightGBM, forests (with shap: the 'explain' extra) and the torch networks.",
    ),
    engine: str = typer.Option(
        "local",
        "--engine",
        help="local (this process) or dask (one task per file on a Dask cluster; needs "
        "pip install 'gavae-ids[dask]').",
    ),
    scheduler: str = typer.Option(
        None,
        "--scheduler",
        help="--engine dask: address of a running Dask scheduler (tcp://host:8786); "
        "default: a local cluster on 127.0.0.1.",
    ),
    workers: int = typer.Option(
        None,
        "--workers",
        min=1,
        help="--engine dask without --scheduler: worker processes (default: CPU cores).",
    ),
    quiet: bool = QuietOption,
) -> None:
    """Score every row of INPUT: class, class probabilities, attack flag, unseen categories
    (and, with --novelty, a novel flag).

    Several inputs (files, a folder, a quoted glob) make one job, written to the --out
    folder: one output per input file, row numbers and rejects per file.

    Exit status 3 when more than --max-reject-rate of the rows were rejected.
    """
    # Long only by its typer options (each with its help); the work is in score_file /
    # score_files and _report.
    from gavae_ids.scoring import score_file
    from gavae_ids.scoring.jobs import is_multi_input, score_files

    kw = dict(fmt=fmt, threshold=threshold, header=not no_header,
              trailing_fields=trailing_fields, extra_columns=extra_columns,
              chunk_size=chunk_size, torch_threads=threads, novelty=novelty,
              verbose=not quiet, input_format=input_format, explain=explain)  # fmt: skip
    if is_multi_input(inputs) or engine != "local" or scheduler or workers:
        if rejects is not None:
            raise DataError("--rejects names one file; a job writes <out>/_rejects/<input>.csv")
        summary = score_files(model_dir, inputs, out, engine=engine, scheduler=scheduler,
                              workers=workers, **kw)  # fmt: skip
    else:
        summary = score_file(model_dir, inputs[0], out, rejects=rejects, **kw)
    if not _report(summary, max_reject_rate):
        raise typer.Exit(EXIT_TOO_MANY_REJECTS)


def _report(summary, max_reject_rate: float) -> bool:
    """Write the notes, counts and reject reasons of a file's or a job's summary to stderr;
    False (with the error line) when too many rows were rejected."""
    for note in summary.notes:
        sys.stderr.write(f"note: {note}\n")
    if getattr(summary, "decision", None):
        sys.stderr.write(f"decision: {summary.decision}\n")
    sys.stderr.write(summary.line() + "\n")
    if summary.rejected:
        sys.stderr.write("rejected rows by reason (most common first):\n")
        sys.stderr.write(summary.reasons_text(5) + "\n")
    # A job fails when all its rows together or any one file exceed the rate: a misread
    # file among many good ones must not hide in the total.
    over = [f for f in getattr(summary, "files", []) if f.reject_rate > max_reject_rate]
    for f in over:
        sys.stderr.write(f"  {f.rejected:>12,} of {f.total:,} rows rejected "
                         f"({f.reject_rate:.1%}) from {f.source}\n")  # fmt: skip
    if summary.reject_rate > max_reject_rate or over:
        where = f"; {len(over)} file(s) listed above" if over else ""
        sys.stderr.write(
            f"error: {summary.rejected:,} of {summary.total:,} rows rejected "
            f"({summary.reject_rate:.1%}){where}, more than --max-reject-rate "
            f"{max_reject_rate:g}; the file may be misread (header? --no-header? "
            "--trailing-fields?) — see the reasons above\n"
        )
        return False
    return True
