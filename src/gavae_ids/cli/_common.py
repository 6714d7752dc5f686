"""Helpers shared by the CLI commands: options, error handling, rendering."""

from __future__ import annotations

import sys

import typer

from gavae_ids.exceptions import GavaeIdsError

USER_ERRORS = (GavaeIdsError, FileNotFoundError, PermissionError, IsADirectoryError)

DataDirOption = typer.Option(
    None,
    "--data-dir",
    help="Folder with the dataset files (default: $GAVAE_IDS_DATA, else ~/gavae_ids_data); "
    "NSL-KDD files it lacks are read from the copies shipped with gavae-ids.",
    file_okay=False,
)
QuietOption = typer.Option(False, "--quiet", "-q", help="No progress bars.")


def fail(err: BaseException) -> None:
    """Print one line for a user-facing error and exit with status 2."""
    sys.stderr.write(f"error: {err}\n")
    raise SystemExit(2)


def guarded(fn):
    """Run ``fn`` turning library errors into one line + exit 2 (also under CliRunner)."""
    import functools

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except USER_ERRORS as e:
            fail(e)

    return wrapper


def register_commands(app: typer.Typer) -> None:
    """Attach the top-level commands that exist in this build."""
    import importlib

    for module in ("reproduce", "merge", "train", "score", "tune", "fidelity", "flows"):
        try:
            mod = importlib.import_module(f"gavae_ids.cli.{module}")
        except ModuleNotFoundError as e:
            if e.name == f"gavae_ids.cli.{module}":
                continue
            raise
        mod.register(app)
