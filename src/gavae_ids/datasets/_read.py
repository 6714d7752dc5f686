"""Reading delimited files into validated frames, with errors that name file, row and column."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from gavae_ids._util.validate import describe_bad, to_finite
from gavae_ids.exceptions import DataError


def read_table(
    path: Path,
    *,
    names: Sequence[str] | None = None,
    header: bool,
    expected_columns: int | None = None,
) -> pd.DataFrame:
    """Read a CSV (plain or gzip) as strings; check it is non-empty and rectangular.

    ``names`` gives column names for a header-less file. Returned cells are
    strings (numbers are converted later, with row-level error messages).
    """
    path = Path(path)
    try:
        df = pd.read_csv(
            path,
            header=0 if header else None,
            names=None if header else list(names),
            dtype=str,
            keep_default_na=False,
            na_filter=False,
            encoding="utf-8-sig",
            skipinitialspace=True,
            compression="infer",
        )
    except pd.errors.EmptyDataError:
        raise DataError("the file is empty", path=path) from None
    except pd.errors.ParserError as e:
        m = re.search(r"Expected (\d+) fields in line (\d+), saw (\d+)", str(e))
        if m:
            raise DataError(
                f"expected {m.group(1)} fields, found {m.group(3)}", path=path, row=int(m.group(2))
            ) from None
        raise DataError(f"cannot be parsed as CSV ({e})", path=path) from None
    except (OSError, UnicodeDecodeError, EOFError) as e:
        raise DataError(f"cannot be read ({e})", path=path) from None
    if header:
        df.columns = [str(c).strip() for c in df.columns]
        if expected_columns is not None and df.shape[1] != expected_columns:
            raise DataError(
                f"header has {df.shape[1]} columns, expected {expected_columns}", path=path, row=1
            )
    if len(df) == 0:
        raise DataError("the file has no data rows", path=path)
    # Short lines are padded with "" by pandas: find them by counting fields.
    last = df.columns[-1]
    short = np.flatnonzero((df[last] == "").to_numpy())
    if len(short):
        row = int(short[0]) + (2 if header else 1)
        fields = _count_fields(path, row)
        raise DataError(
            f"expected {df.shape[1]} fields, found {fields}"
            if fields is not None and fields != df.shape[1]
            else f"empty value in the last column {last!r}",
            path=path,
            row=row,
        )
    return df


def _count_fields(path: Path, row: int) -> int | None:
    import gzip

    opener = gzip.open if str(path).endswith(".gz") else open
    try:
        with opener(path, "rt", encoding="utf-8-sig", newline="") as f:
            for i, line in enumerate(f, start=1):
                if i == row:
                    return len(next(csv.reader(io.StringIO(line))))
    except OSError:
        return None
    return None


def to_numeric(df: pd.DataFrame, columns: Sequence[str], *, path, header: bool) -> pd.DataFrame:
    """Convert ``columns`` to float64; the first bad cell raises a DataError naming it."""
    out = {}
    for col in columns:
        arr, bad = to_finite(df[col])
        if bad is not None:
            raise DataError(describe_bad(df[col].iloc[bad]), path=path,
                            row=bad + (2 if header else 1), column=col)  # fmt: skip
        out[col] = arr
    return pd.DataFrame(out, index=df.index)
