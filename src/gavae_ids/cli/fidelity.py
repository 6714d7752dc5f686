"""``gavae-ids fidelity``: how real synthetic rows look, per sampler
(:mod:`gavae_ids.experiments.fidelity_runs`)."""

from __future__ import annotations

from pathlib import Path

import typer

from gavae_ids.cli._common import DataDirOption, QuietOption, guarded


def register(app: typer.Typer) -> None:
    app.command("fidelity")(fidelity_cmd)


@guarded
def fidelity_cmd(
    dataset: str = typer.Option("nsl-kdd", "--dataset", "-d", help="nsl-kdd or unsw-nb15."),
    samplers: str = typer.Option(
        None,
        "--samplers",
        "-s",
        help="Comma-separated: gavae, gavae-paper, smote, ros, tvae, "
        "ctgan (default: all; tvae/ctgan need the ctgan package).",
    ),
    seed: int = typer.Option(0, "--seed", help="Random seed."),
    max_rows: int = typer.Option(
        3000, "--max-rows", min=10, help="Per-class cap on real and synthetic rows for the metrics."
    ),
    quick: bool = typer.Option(
        False, "--quick", help="≤500 rows per class, tiny sampler budgets: a smoke run."
    ),
    full_train: bool = typer.Option(
        False, "--full-train", help="NSL-KDD: KDDTrain+ instead of the 20 % file."
    ),
    device: str = typer.Option("auto", help="GAVAE device: auto, cpu or cuda."),
    out: Path = typer.Option(
        None, "--out", "-o", help="Output folder (default runs/fidelity-<dataset>)."
    ),
    data_dir: str = DataDirOption,
    quiet: bool = QuietOption,
) -> None:
    """Per class: C2ST AUC, coverage, density, distance ratio, exact copies; TSTR macro-F1."""
    import logging

    from gavae_ids.experiments.fidelity_runs import measure_fidelity
    from gavae_ids.experiments.reproduce import command_line

    if not quiet:
        logging.getLogger("gavae_ids").setLevel(logging.INFO)
    out = out or Path("runs") / f"fidelity-{dataset}"
    names = samplers.split(",") if samplers else None
    res = measure_fidelity(
        dataset, names, data_home=data_dir, train_split="train" if full_train else "train20",
        random_state=seed, max_rows=max_rows, quick=quick, device=device, verbose=not quiet,
        out_dir=out, command=command_line(),
    )  # fmt: skip
    cols = ["sampler", "class", "c2st_auc", "coverage", "density", "dist_ratio",
            "exact_copy_share"]  # fmt: skip
    typer.echo(res.per_class[cols].to_string(index=False, float_format=lambda v: f"{v:.3f}"))
    typer.echo(res.summary.to_string(index=False, float_format=lambda v: f"{v:.3f}"))
    typer.echo(f"report: {out / 'fidelity.md'}")
