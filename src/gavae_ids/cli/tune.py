"""``gavae-ids tune``: grid/random search with stratified k-fold CV
(:mod:`gavae_ids.experiments.tuning`)."""

from __future__ import annotations

from pathlib import Path

import typer

from gavae_ids.cli._common import DataDirOption, QuietOption, guarded


def register(app: typer.Typer) -> None:
    app.command("tune")(tune_cmd)


@guarded
def tune_cmd(
    grid: Path = typer.Option(
        ..., "--grid", "-g", help="TOML grid file (see docs).", dir_okay=False
    ),  # fmt: skip
    dataset: str = typer.Option("nsl-kdd", "--dataset", "-d", help="nsl-kdd, unsw-nb15 or csv."),
    cv: int = typer.Option(5, "--cv", help="Number of stratified folds."),
    n_jobs: int = typer.Option(1, "--n-jobs", "-j", help="Folds run in parallel."),
    seed: int = typer.Option(0, "--seed"),
    quick: bool = typer.Option(False, "--quick", help="≤500 training rows per class."),
    full_train: bool = typer.Option(False, "--full-train", help="NSL-KDD: KDDTrain+."),
    input_csv: Path = typer.Option(None, "--input", "-i", help="--dataset csv: the file."),
    label: str = typer.Option("label", help="--dataset csv: the class column."),
    out: Path = typer.Option(Path("runs/tune"), "--out", "-o", help="Output folder."),
    data_dir: str = DataDirOption,
    quiet: bool = QuietOption,
) -> None:
    """Cross-validate a grid on the training data; write cv_results.csv and best_config.json."""
    from gavae_ids.experiments.tuning import load_grid, tune

    extra = {"csv_path": input_csv, "label": label} if dataset == "csv" else {}
    if dataset == "nsl-kdd":
        extra["train_split"] = "train" if full_train else "train20"
    res = tune(dataset, load_grid(grid), data_home=data_dir, out_dir=out, cv=cv, n_jobs=n_jobs,
               random_state=seed, quick=quick, verbose=not quiet, **extra)  # fmt: skip
    b = res["best"]
    typer.echo(f"best {b['scoring']} {b['mean_score']:.4f} ± {b['std_score']:.4f}: "
               f"{b['params']} → {out / 'best_config.json'}")  # fmt: skip
