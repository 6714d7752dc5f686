"""``gavae-ids data``: inspect the datasets."""

from __future__ import annotations

import json

import typer
from rich.console import Console
from rich.table import Table

from gavae_ids.cli._common import DataDirOption, QuietOption, guarded
from gavae_ids.datasets import fetch_datasets, get_data_home, verify_datasets
from gavae_ids.exceptions import DataError, DownloadError
from gavae_ids.experiments.summary import summarize_dataset

data_app = typer.Typer(help="Inspect, fetch and verify the datasets.", no_args_is_help=True)


@data_app.command("summary")
@guarded
def summary(
    dataset: str = typer.Option("nsl-kdd", "--dataset", "-d", help="nsl-kdd or unsw-nb15."),
    data_dir: str = DataDirOption,
    train_split: str = typer.Option(
        "train20", help="NSL-KDD training file: train20 (KDDTrain+_20Percent) or train."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print JSON instead of tables."),
) -> None:
    """Class counts per split, seen/unseen attacks, encoded width, outlier-filter removals."""
    s = summarize_dataset(dataset, data_home=data_dir, train_split=train_split)
    if as_json:
        typer.echo(json.dumps(s, indent=2))
        return
    con = Console()
    con.print(f"[bold]{dataset}[/bold] — {s['protocol']}")
    names = list(s["splits"])
    for n in names:
        info = s["splits"][n]
        con.print(f"{n}: {info['origin']} {info['file']}", highlight=False, soft_wrap=True)
    classes = list(next(iter(s["splits"].values()))["classes"])
    t = Table(title="Records per class")
    t.add_column("class")
    for n in names:
        t.add_column(n, justify="right")
    for c in classes:
        t.add_row(c, *[f"{s['splits'][n]['classes'][c]:,}" for n in names])
    t.add_row("[bold]total", *[f"[bold]{s['splits'][n]['rows']:,}" for n in names])
    con.print(t)
    for n in names[1:]:
        info = s["splits"][n]
        if "unseen_attack_rows" in info:
            con.print(
                f"{n}: {info['seen_attack_rows']:,} attack records of types seen in training, "
                f"{info['unseen_attack_rows']:,} of unseen types "
                f"({len(info['unseen_attack_names'])} names)"
            )
        con.print(f"{n}: {info['rows_with_unseen_category']:,} rows with an unseen category")
        if "accuracy_ceiling" in info:
            con.print(
                f"{n}: duplicate-vector accuracy ceiling {info['accuracy_ceiling']:.2%} (10-class)"
            )
    blocks = ", ".join(f"{k} {v}" for k, v in s["onehot_blocks"].items())
    con.print(
        f"Encoded width: {s['encoded_width']} ({s['numeric_columns']} numeric + one-hot {blocks})"
    )
    t = Table(title="MAD outlier filter (10·σ̂, per class, training data)")
    for col in ("class", "rows", "removed", "note"):
        t.add_column(col)
    for c, r in s["outliers"].items():
        t.add_row(c, f"{r['rows']:,}", f"{r['removed']:,}", r["note"])
    con.print(t)


@data_app.command("fetch")
@guarded
def fetch(
    files: list[str] = typer.Argument(
        None, help="Files to fetch, e.g. KDDTrain+.txt (default: every file not shipped)."
    ),
    dataset: str = typer.Option(None, "--dataset", "-d", help="Only nsl-kdd or unsw-nb15."),
    mirror: str = typer.Option(
        None, "--from", help="Your own copy, tried first: an http(s) base URL or a folder."
    ),
    data_dir: str = DataDirOption,
    retries: int = typer.Option(3, min=0, help="Extra attempts after a transient failure."),
    quiet: bool = QuietOption,
) -> None:
    """Download dataset files into the data directory: checked, atomic, never twice."""
    try:
        results = fetch_datasets(files, dataset=dataset, data_home=data_dir, mirror=mirror,
                                 retries=retries, verbose=not quiet)  # fmt: skip
    except DownloadError as e:
        _print_fetched(e.results)
        raise
    _print_fetched(results)


def _print_fetched(results) -> None:
    if not results:
        typer.echo("nothing to fetch")
    for r in results:
        if r.status == "downloaded":
            typer.echo(f"{r.name}: downloaded from {r.source}, checks pass → {r.path}")
        elif r.status == "cached":
            typer.echo(f"{r.name}: already there, checks pass → {r.path}")


@data_app.command("verify")
@guarded
def verify(data_dir: str = DataDirOption) -> None:
    """Check the data directory's files (SHA-256, rows, columns); say what is missing."""
    home = get_data_home(data_dir)
    statuses = verify_datasets(home)
    typer.echo(f"Data directory: {home}")
    for s in statuses:
        where = "" if s.path is None else f" {s.path}"
        typer.echo(f"{s.name}: {s.state}{where} — {s.detail}")
    bad = [s for s in statuses if s.state == "failed checks"]
    if bad:
        raise DataError(f"{len(bad)} file(s) fail their checks: "
                        + "; ".join(f"{s.path}: {s.detail}" for s in bad))  # fmt: skip
