"""Where the dataset files are: an argument, then ``GAVAE_IDS_DATA``, then ``~/gavae_ids_data``.

A file the data directory lacks is taken from the copies shipped with the
package when there is one (NSL-KDD's KDDTrain+_20Percent, KDDTest+, KDDTest-21).
"""

from __future__ import annotations

import os
from pathlib import Path

from gavae_ids.datasets._registry import is_shipped, shipped_copy
from gavae_ids.exceptions import DatasetNotFoundError

ENV_VAR = "GAVAE_IDS_DATA"
DEFAULT_HOME = Path("~/gavae_ids_data")
DATA_DIRECTORY = "data directory"
SHIPPED_COPY = "shipped copy"


def get_data_home(data_home=None) -> Path:
    """Resolve the data directory.

    Parameters
    ----------
    data_home : str or path-like, optional
        Explicit directory. When omitted, the environment variable
        ``GAVAE_IDS_DATA`` is used, else ``~/gavae_ids_data``.
    """
    if data_home is None:
        data_home = os.environ.get(ENV_VAR) or DEFAULT_HOME
    return Path(data_home).expanduser()


def find_in_data_home(data_home: Path, subdir: str, stem: str) -> Path | None:
    """``stem`` or ``stem.gz`` in ``data_home/subdir`` or ``data_home`` itself, else None."""
    for folder in (data_home / subdir, data_home):
        for name in (stem, stem + ".gz"):
            if (folder / name).is_file():
                return folder / name
    return None


def find_file(data_home: Path, subdir: str, stem: str, *, source: str) -> Path:
    """The data directory's copy of ``stem`` (plain or .gz), else the shipped copy.

    Raises :class:`~gavae_ids.exceptions.DatasetNotFoundError`, saying how to
    fetch the file, when neither exists.
    """
    found = find_in_data_home(data_home, subdir, stem)
    if found is not None:
        return found
    shipped = shipped_copy(stem)
    if shipped is not None:
        return shipped
    raise DatasetNotFoundError(
        f"{stem} (or {stem}.gz) not found in {data_home / subdir} or {data_home}, and no copy "
        f"is shipped with gavae-ids; `gavae-ids data fetch {stem} --data-dir {data_home}` "
        f"downloads it there, or set --data-dir or {ENV_VAR} to the folder holding it. "
        f"Source: {source}"
    )


def file_origin(path) -> str:
    """``"shipped copy"`` for a file installed with the package, else ``"data directory"``."""
    return SHIPPED_COPY if is_shipped(path) else DATA_DIRECTORY
