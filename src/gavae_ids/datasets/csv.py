"""A loader for any labelled traffic table, so users can bring their own data."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pandas as pd
from sklearn.utils import Bunch

from gavae_ids.datasets._read import read_table, to_numeric
from gavae_ids.exceptions import DataError, DatasetNotFoundError


def load_csv(
    path,
    *,
    label: str,
    categorical: Sequence[str] | None = None,
    drop: Sequence[str] = (),
) -> Bunch:
    """Load a labelled CSV (header row; plain or gzip).

    Parameters
    ----------
    path : path-like
        The file.
    label : str
        Name of the class column.
    categorical : list of str, optional
        Nominal feature columns. When omitted, every column with a value
        that is not a number is taken as nominal.
    drop : list of str
        Columns to ignore (identifiers, a second label, …).

    Returns
    -------
    sklearn.utils.Bunch
        ``X``, ``y``, ``categorical``, ``numeric``, ``classes`` (sorted), ``path``, ``name``.
    """
    path = Path(path)
    if not path.is_file():
        raise DatasetNotFoundError("file not found", path=path)
    raw = read_table(path, header=True)
    for col in [label, *drop, *(categorical or ())]:
        if col not in raw.columns:
            raise DataError(
                f"no column {col!r}; the header has {', '.join(raw.columns)}", path=path, row=1
            )
    features = [c for c in raw.columns if c != label and c not in drop]
    if not features:
        raise DataError("no feature columns besides the label", path=path, row=1)
    if categorical is None:
        categorical = [
            c
            for c in features
            if pd.to_numeric(raw[c], errors="coerce").isna().any() and not (raw[c] == "").all()
        ]
    numeric = [c for c in features if c not in categorical]
    nums = to_numeric(raw, numeric, path=path, header=True)
    X = pd.DataFrame(index=raw.index)
    for c in features:
        X[c] = raw[c].str.strip() if c in categorical else nums[c]
    y = raw[label].str.strip()
    empty = (y == "").to_numpy()
    if empty.any():
        raise DataError("empty label", path=path, row=int(empty.argmax()) + 2, column=label)
    return Bunch(
        X=X,
        y=y.rename(label),
        categorical=list(categorical),
        numeric=numeric,
        classes=sorted(y.unique()),
        path=str(path),
        name=path.name,
    )
