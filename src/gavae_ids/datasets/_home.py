"""Where the dataset files are: an argument, then ``GAVAE_IDS_DATA``, then ``~/gavae_ids_data``."""

from __future__ import annotations

import os
from pathlib import Path

from gavae_ids.exceptions import DatasetNotFoundError

ENV_VAR = "GAVAE_IDS_DATA"
DEFAULT_HOME = Path("~/gavae_ids_data")


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


def find_file(data_home: Path, subdir: str, stem: str, *, source: str) -> Path:
    """Find ``stem`` or ``stem.gz`` in ``data_home/subdir`` or ``data_home`` itself."""
    candidates = []
    for folder in (data_home / subdir, data_home):
        for name in (stem, stem + ".gz"):
            candidates.append(folder / name)
            if (folder / name).is_file():
                return folder / name
    raise DatasetNotFoundError(
        f"{stem} (or {stem}.gz) not found in {data_home / subdir} or {data_home}; "
        f"set --data-dir or {ENV_VAR} to the folder holding it. "
        f"The official dataset is published at {source}"
    )
