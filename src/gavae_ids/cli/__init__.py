"""The ``gavae-ids`` command line: thin Typer commands over plain functions."""

from __future__ import annotations

import logging
import os
import sys
import warnings

# Before torch loads: idle OpenMP threads sleep instead of spinning, which otherwise
# slows training several-fold on a 2-core machine where another process is busy.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import typer

from gavae_ids.cli import _common
from gavae_ids.cli.data import data_app

app = typer.Typer(
    name="gavae-ids",
    help="Intrusion detection on imbalanced network traffic with a GAVAE (docs: README, docs/).",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def _print_version(value: bool) -> None:
    if value:
        from gavae_ids._version import __version__

        typer.echo(f"gavae-ids {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(
        False,
        "--version",
        callback=_print_version,
        is_eager=True,
        help="Print the version and exit.",
    ),  # fmt: skip
) -> None:
    """Intrusion detection on imbalanced network traffic with a GAVAE."""


app.add_typer(data_app, name="data")
_common.register_commands(app)


def main() -> None:
    """Console-script entry point: library errors become one line and exit code 2."""
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s: %(message)s")
    # Library warnings (a class left out of oversampling, …) reach the user as one line,
    # not with the file and source line Python's default format adds.
    warnings.formatwarning = lambda message, *args, **kwargs: f"warning: {message}\n"
    try:
        app()
    except _common.USER_ERRORS as e:
        _common.fail(e)
    except KeyboardInterrupt:
        sys.stderr.write("interrupted\n")
        raise SystemExit(130) from None
