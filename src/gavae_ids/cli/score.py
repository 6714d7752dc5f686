"""``gavae-ids score``: score a traffic CSV with a model bundle (see :mod:`gavae_ids.scoring`)."""

from __future__ import annotations

import sys

import typer

from gavae_ids.cli._common import QuietOption, guarded


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
    extra_columns: str = typer.Option(
        "ignore",
        "--extra-columns",
        help="ignore or error: input columns/trailing fields the model does not use.",
    ),
    chunk_size: int = typer.Option(100_000, "--chunk-size", min=1, help="Rows per chunk."),
    threads: int = typer.Option(
        1,
        "--threads",
        min=1,
        help="Torch threads for the classifier (reading and parsing use one more).",
    ),
    quiet: bool = QuietOption,
) -> None:
    """Score every row of INPUT: class, class probabilities, attack flag, unseen categories."""
    from gavae_ids.scoring import score_file

    summary = score_file(
        model_dir, input_csv, out, rejects=rejects, fmt=fmt, threshold=threshold,
        header=not no_header, extra_columns=extra_columns, chunk_size=chunk_size,
        torch_threads=threads, verbose=not quiet,
    )  # fmt: skip
    for note in summary.notes:
        sys.stderr.write(f"note: {note}\n")
    sys.stderr.write(summary.line() + "\n")
