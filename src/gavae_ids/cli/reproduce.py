"""``gavae-ids reproduce``: the paper end to end (see :mod:`gavae_ids.experiments.reproduce`)."""

from __future__ import annotations

from pathlib import Path

import typer

from gavae_ids.cli._common import DataDirOption, QuietOption, guarded


def register(app: typer.Typer) -> None:
    app.command("reproduce")(reproduce_cmd)
    app.command("report")(report_cmd)


@guarded
def reproduce_cmd(
    dataset: str = typer.Option("nsl-kdd", "--dataset", "-d", help="nsl-kdd or unsw-nb15."),
    seeds: int = typer.Option(None, help="Seeds (default 3; 1 with --quick)."),
    first_seed: int = typer.Option(
        0, "--first-seed", help="Run seeds first..first+seeds-1 (join runs: 'gavae-ids merge')."
    ),
    quick: bool = typer.Option(
        False,
        "--quick",
        help="Slices of the data, few iterations "
        "(about a minute); a smoke run, not a reproduction.",
    ),
    full_train: bool = typer.Option(
        False, "--full-train", help="NSL-KDD: train on KDDTrain+ instead of the 20 % file."
    ),
    methods: str = typer.Option(None, help="Comma-separated methods (default: all available)."),
    outliers: bool = typer.Option(
        False,
        "--outliers/--no-outliers",
        help="Apply the §3.5 MAD outlier filter to training data "
        "(off by default: the paper's Table 4 counts every row).",
    ),
    hyperparameters: str = typer.Option(
        "paper",
        "--hyperparameters",
        help="paper (the paper's DNN learning rate) or defaults (the library's "
        "cross-validated defaults).",
    ),
    novelty: bool = typer.Option(
        True,
        "--novelty/--no-novelty",
        help="Also evaluate GAVAE-DNN's novelty flag (rows its GAVAE reconstructs worse than "
        "its training rows count as attacks).",
    ),
    novelty_fpr_budget: float = typer.Option(
        0.02,
        "--novelty-fpr-budget",
        help="Largest share of normal validation (training) rows the novelty flag may mark; "
        "chooses its quantile.",
    ),
    budgets: bool = typer.Option(
        False,
        "--budgets",
        help="Also refit every method on 80 % of the training rows and report it at false-alarm "
        "budgets of 1 % and 5 % chosen on the other 20 % (about twice the time).",
    ),
    device: str = typer.Option("auto", help="auto, cpu or cuda."),
    config: Path = typer.Option(
        None,
        "--config",
        dir_okay=False,
        help="best_config.json from 'gavae-ids tune': parameters of its method.",
    ),
    out: Path = typer.Option(
        None, "--out", "-o", help="Run directory (default runs/<dataset>[-quick])."
    ),
    data_dir: str = DataDirOption,
    quiet: bool = QuietOption,
) -> None:
    """Reproduce the paper: Tables 4-7, Figs. 7-11, per-class DR, seen vs unseen attacks."""
    import logging

    from gavae_ids.experiments.reproduce import (
        ReproduceConfig,
        command_line,
        reproduce,
        tuned_params,
    )

    if not quiet:
        logging.getLogger("gavae_ids").setLevel(logging.INFO)
    cfg = ReproduceConfig(
        dataset=dataset,
        train_split="train" if full_train else "train20",
        seeds=seeds if seeds is not None else (1 if quick else 3),
        first_seed=first_seed,
        quick=quick,
        methods=tuple(m.strip() for m in methods.split(",")) if methods else None,
        outlier_filter=outliers,
        device=device,
        hyperparameters=hyperparameters,
        method_params=tuned_params(config, dataset) if config is not None else {},
        novelty=novelty,
        novelty_fpr_budget=novelty_fpr_budget,
        budgets=budgets,
    )
    out = out or Path("runs") / (dataset + ("-quick" if quick else ""))
    reproduce(cfg, data_home=data_dir, out_dir=out, verbose=not quiet, command=command_line())
    typer.echo(f"report: {out / 'report.md'}")


@guarded
def report_cmd(
    run_dir: Path = typer.Argument(
        ..., exists=True, file_okay=False, help="A run directory of 'gavae-ids reproduce'."
    ),
) -> None:
    """Rewrite the report sections computed from metrics.csv alone (paper conventions, prior art).

    Re-trains nothing: a committed run gets the sections of a newer gavae-ids.
    """
    from gavae_ids.evaluation.report_sections import update_report_sections

    typer.echo(f"report: {update_report_sections(run_dir)}")
