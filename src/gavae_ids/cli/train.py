"""``gavae-ids train``: train a detector, write its model bundle
(:mod:`gavae_ids.detection.train`)."""

from __future__ import annotations

import contextlib
import warnings
from pathlib import Path

import typer

from gavae_ids.cli._common import DataDirOption, QuietOption, guarded
from gavae_ids.exceptions import DataError


def register(app: typer.Typer) -> None:
    app.command("train")(train_cmd)


@guarded
def train_cmd(
    out: Path = typer.Option(..., "--out", "-o", help="Bundle folder to write.", file_okay=False),
    dataset: str = typer.Option(
        "nsl-kdd",
        "--dataset",
        "-d",
        help="nsl-kdd, unsw-nb15, csv, zeek (a labelled Zeek conn.log) or flows "
        "('gavae-ids flows' output with a label column joined).",
    ),
    method: str = typer.Option(
        None,
        "--method",
        "-m",
        help="gavae-lgbm (default; gavae-dnn without LightGBM), lgbm, rf, gavae-rf, gavae-dnn, "
        "dnn, cnn, smote-dnn, …, or auto: pick one by stratified k-fold CV on the training rows.",
    ),
    candidates: str = typer.Option(
        None,
        "--candidates",
        help="--method auto: comma-separated methods to compare "
        "(default gavae-dnn,dnn,rf,lgbm,gavae-lgbm,smote-lgbm, those installed).",
    ),
    scoring: str = typer.Option(
        "f1_macro",
        "--scoring",
        help="--method auto: scikit-learn scorer to rank by (f1_macro, balanced_accuracy, …), "
        "on the out-of-fold predictions after the --decision rule.",
    ),
    auto_folds: int = typer.Option(3, "--auto-folds", min=2, help="--method auto: CV folds."),
    time_budget: float = typer.Option(
        None,
        "--time-budget",
        min=0.0,
        help="--method auto: seconds for the comparison; candidates run cheapest first "
        "(networks and GAVAE methods raced: a pilot, then fold 1, beside the leader) and one "
        "projected to overrun is skipped (listed as such).",
    ),
    cv_max_rows_per_class: int = typer.Option(
        5000,
        "--cv-max-rows-per-class",
        min=0,
        help="--method auto: compare on at most N random rows per class (0: all rows); the "
        "winner is then trained on all rows.",
    ),
    n_jobs: int = typer.Option(
        None,
        "--n-jobs",
        "-j",
        help="--method auto: cores for the comparison's fits, run side by side in worker "
        "processes (default: all this process may use; 1: one fit at a time, here).",
    ),
    input_csv: Path = typer.Option(
        None,
        "--input",
        "-i",
        exists=True,
        dir_okay=False,
        help="--dataset csv/zeek: the labelled CSV file (header row) or Zeek conn.log.",
    ),
    input_format: str = typer.Option(
        "auto",
        "--input-format",
        help="--dataset csv/zeek: csv, zeek (TSV log) or zeek-json; auto tells by the "
        "content (a #separator/#fields header, or a JSON object per line).",
    ),
    label: str = typer.Option(
        "label", help="--dataset csv/zeek: the class column (IoT-23: label or detailed-label)."
    ),
    normal_label: str = typer.Option(
        None, help="The benign class (default: Normal / normal / benign / 0)."
    ),
    categorical: str = typer.Option(
        None,
        help="--dataset csv/zeek: comma-separated nominal columns (CSV default: the "
        "non-numeric ones; Zeek: from #types, and an identifier named here becomes a feature).",
    ),
    drop: str = typer.Option(None, help="--dataset csv/zeek: comma-separated columns to ignore."),
    full_train: bool = typer.Option(
        False, "--full-train", help="NSL-KDD: train on KDDTrain+ instead of the 20 % file."
    ),
    outliers: bool = typer.Option(
        False, "--outliers/--no-outliers", help="Drop per-class MAD outliers (paper §3.5) first."
    ),
    param: list[str] = typer.Option(
        None,
        "--param",
        "-p",
        help="Method parameter NAME=VALUE (JSON value), repeatable, "
        "e.g. -p epochs=20 -p sampler__n_iter=500.",
    ),
    quick: bool = typer.Option(
        False,
        "--quick",
        help="Smoke run: ≤500 rows per class, tiny budgets; not a useful detector.",
    ),
    config: Path = typer.Option(
        None,
        "--config",
        dir_okay=False,
        help="best_config.json from 'gavae-ids tune' (its method and "
        "parameters; --param overrides).",
    ),
    validation: float = typer.Option(
        0.2,
        "--validation",
        min=0.0,
        max=0.9,
        help="Hold out this stratified fraction of the training rows for the model card; the "
        "bundled model is trained on the rest. 0: train on all rows, no quality figures.",
    ),
    cv: int = typer.Option(
        None,
        "--cv",
        min=2,
        help="Instead of --validation: K-fold CV figures for the model card, then a refit on "
        "all rows (the bundled model).",
    ),
    no_gavae: bool = typer.Option(False, "--no-gavae", help="Leave the GAVAE out of the bundle."),
    novelty: bool = typer.Option(
        True,
        "--novelty/--no-novelty",
        help="GAVAE methods: choose the novelty flag's thresholds on training rows and keep "
        "them in the bundle (for 'score --novelty').",
    ),
    novelty_fpr_budget: float = typer.Option(
        None,
        "--novelty-fpr-budget",
        min=0.0,
        max=1.0,
        help="Largest share of normal holdout rows the novelty flag may mark (default 0.02).",
    ),
    decision: str = typer.Option(
        "cap",
        "--decision",
        help="How scores become alerts, chosen on the validation rows: cap (argmax unless "
        "its FPR exceeds --max-fpr, then a threshold on 1 - P(normal) that keeps it), budget "
        "(that threshold always: most attacks within --max-fpr), prior (re-weight a resampled "
        "method to the training priors), argmax.",
    ),
    max_fpr: float = typer.Option(
        None,
        "--max-fpr",
        min=0.0,
        max=0.999,
        help="False-alarm budget of cap/budget (default 0.01): the share of normal "
        "validation rows the threshold may flag; 'score' applies it.",
    ),
    seed: int = typer.Option(0, "--seed", help="Random seed."),
    force: bool = typer.Option(False, "--force", help="Replace an existing bundle at --out."),
    data_dir: str = DataDirOption,
    quiet: bool = QuietOption,
) -> None:
    """Train a detector on a dataset's training data and save it as a model bundle."""
    # Long only by its typer options (each with its help); the work is in train_detector.
    from gavae_ids.detection.train import train_detector

    method, params = _method_and_params(method, param, config)
    method = method or _default_method()
    with _warnings_after_training():
        det = train_detector(
            dataset, method=method, data_home=data_dir, out=out, quick=quick,
            random_state=seed,
            verbose=not quiet, csv_path=input_csv, label=label, categorical=_names(categorical),
            drop=_names(drop) or (), normal_label=normal_label,
            train_split="train" if full_train else "train20", input_format=input_format,
            outlier_filter=outliers,
            save_gavae=not no_gavae, overwrite=force, validation=validation, cv=cv,
            candidates=_names(candidates), scoring=scoring, auto_folds=auto_folds,
            time_budget=time_budget, cv_max_rows_per_class=cv_max_rows_per_class or None,
            auto_jobs=n_jobs,
            novelty=novelty, novelty_fpr_budget=novelty_fpr_budget, decision=decision,
            max_fpr=max_fpr, **params,
        )  # fmt: skip
    _report(det, out)


def _default_method() -> str:
    """``--method``'s default, saying so when LightGBM is missing and GAVAE-DNN stands in."""
    from gavae_ids.detection.methods import DEFAULT_METHOD, default_method

    method = default_method()
    if method != DEFAULT_METHOD:
        typer.echo(f"note: LightGBM is not installed (pip install 'gavae-ids[trees]'); "
                   f"training {method} instead of {DEFAULT_METHOD}", err=True)  # fmt: skip
    return method


def _names(s):
    return [c.strip() for c in s.split(",") if c.strip()] if s else None


def _method_and_params(method, param, config):
    """The method and its parameters: ``--param`` over a tuned ``--config``'s."""
    from gavae_ids.detection.train import parse_params

    params = parse_params(param)
    if config is None:
        return method, params
    from gavae_ids.experiments.tuning import load_best_config

    best = load_best_config(config)
    if method is not None and method.lower() == "auto":
        raise DataError("--config fixes the method; it cannot be combined with --method auto")
    if method is not None and method.lower() != best["method"].lower():
        raise DataError(f"--method {method} differs from the method {best['method']} "
                        f"tuned in {config}")  # fmt: skip
    return best["method"], {**best["params"], **params}


@contextlib.contextmanager
def _warnings_after_training():
    """Hold the warnings of training back until it ends; then the sampler's (what the user
    must know about the model they got) as one line each, the others as usual."""
    from gavae_ids.sampling import AcceptanceWarning, SmallClassWarning

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", SmallClassWarning)
        warnings.simplefilter("always", AcceptanceWarning)
        yield
    for w in caught:
        if issubclass(w.category, (SmallClassWarning, AcceptanceWarning)):
            typer.echo(f"warning: {w.message}", err=True)
        else:
            warnings.showwarning(w.message, w.category, w.filename, w.lineno)


def _report(det, out) -> None:
    """The model card, its warnings and a line on the bundle written."""
    if det.model_card is not None:
        typer.echo(det.model_card.to_markdown())
    for w in det.quality_warnings:
        typer.echo(f"warning: {w}", err=True)
    auto_note = " (chosen by --method auto)" if det.info.get("selected_by") == "auto" else ""
    typer.echo(
        f"wrote {out}: {det.method}{auto_note} on {det.info.get('rows_trained', '?'):,} rows, "
        f"classes {', '.join(det.classes_)} (normal: {det.normal_label}), "
        f"{len(det.schema.columns)} input columns"
    )
    if det.info.get("novelty"):
        typer.echo(f"novelty flag: {det.info['novelty']}")
    if det.decision_ is not None:
        typer.echo(f"decision rule: {det.decision_.describe()}")
