"""``gavae-ids merge``: join runs that trained different seeds
(:mod:`gavae_ids.experiments.merge`)."""

from __future__ import annotations

from pathlib import Path

import typer

from gavae_ids.cli._common import guarded


def register(app: typer.Typer) -> None:
    app.command("merge")(merge_cmd)


@guarded
def merge_cmd(
    run_dirs: list[Path] = typer.Argument(
        ..., help="Run directories of one configuration, each with other seeds (--first-seed)."
    ),
    out: Path = typer.Option(..., "--out", "-o", help="Directory of the merged run."),
) -> None:
    """Merge reproduce runs that trained different seeds into one run directory and report."""
    from gavae_ids.experiments.merge import merge_runs, seeds_text
    from gavae_ids.experiments.reproduce import command_line

    res = merge_runs(run_dirs, out, command=command_line())
    typer.echo(f"{seeds_text(res.seeds)} merged from {len(run_dirs)} runs; "
               f"report: {out / 'report.md'}")  # fmt: skip
