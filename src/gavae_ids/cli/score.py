"""``gavae-ids score``: score a traffic CSV with a model bundle (see :mod:`gavae_ids.scoring`).

Exit status: 0 when scored; 2 on an input error (nothing written); 3 when the
share of rejected rows exceeds ``--max-reject-rate`` (everything written).
"""

from __future__ import annotations

import sys

import typer

from gavae_ids.cli._common import QuietOption, guarded
from gavae_ids.scoring import AUTO_MAX_TRAILING, DEFAULT_CHUNK_ROWS, DEFAULT_MAX_REJECT_RATE

EXIT_TOO_MANY_REJECTS = 3


def register(app: typer.Typer) -> None:
    app.command("score")(score_cmd)


@guarded
def score_cmd(
    model_dir: str = typer.Argument(..., help="Model bundle folder (from gavae-ids train)."),
    input_csv: str = typer.Argument(
        ..., metavar="INPUT", help="CSV to score, plain or gzip; '-' reads stdin."
    ),
    out: str = typer.Option(
        "-",
        "--out",
        "-o",
        help="Output file ('-': stdout); .gz compresses; .jsonl/.ndjson selects JSON Lines.",
    ),
    fmt: str = typer.Option(None, "--format", "-f", help="csv or jsonl (default: from --out)."),
    rejects: str = typer.Option(
        None,
        "--rejects",
        help="Rejected rows (CSV: row, reason, "
        "record); default <out>.rejects.csv beside a file output.",
    ),
    threshold: float = typer.Option(
        None,
        "--threshold",
        "-t",
        min=0.0,
        max=1.0,
        help="Attack when 1 - P(normal) >= this (default: when the predicted class is not normal).",
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
        help="Torch threads for the classifier (reading and parsing use one more).",
    ),
    quiet: bool = QuietOption,
) -> None:
    """Score every row of INPUT: class, class probabilities, attack flag, unseen categories.

    Exit status 3 when more than --max-reject-rate of the rows were rejected.
    """
    from gavae_ids.scoring import score_file

    summary = score_file(
        model_dir, input_csv, out, rejects=rejects, fmt=fmt, threshold=threshold,
        header=not no_header, trailing_fields=trailing_fields, extra_columns=extra_columns,
        chunk_size=chunk_size, torch_threads=threads, verbose=not quiet,
    )  # fmt: skip
    for note in summary.notes:
        sys.stderr.write(f"note: {note}\n")
    sys.stderr.write(summary.line() + "\n")
    if summary.rejected:
        sys.stderr.write("rejected rows by reason (most common first):\n")
        sys.stderr.write(summary.reasons_text(5) + "\n")
    if summary.reject_rate > max_reject_rate:
        sys.stderr.write(
            f"error: {summary.rejected:,} of {summary.total:,} rows rejected "
            f"({summary.reject_rate:.1%}), more than --max-reject-rate {max_reject_rate:g}; "
            "the file may be misread (header? --no-header? --trailing-fields?) — see the "
            "reasons above\n"
        )
        raise typer.Exit(EXIT_TOO_MANY_REJECTS)
