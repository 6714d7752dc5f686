"""The one rule for a numeric cell, shared by the dataset readers and the preprocessing.

A numeric cell must parse as a finite number: empty cells, text, NaN and ±inf
are refused. Callers turn the first bad position into a :class:`DataError`
naming their own file, row and column.
"""

from __future__ import annotations

import numpy as np
import pandas as pd


def to_finite(values) -> tuple[np.ndarray, int | None]:
    """``(float64 array, position of the first cell that is not a finite number or None)``."""
    s = values if isinstance(values, pd.Series) else pd.Series(values)
    arr = pd.to_numeric(s, errors="coerce").to_numpy(dtype=np.float64)
    bad = ~np.isfinite(arr)
    return arr, (int(bad.argmax()) if bad.any() else None)


def describe_bad(value) -> str:
    """What is wrong with a refused numeric cell, for an error message."""
    if isinstance(value, str) and value == "":
        return "empty value"
    return f"value {value!r} is not a finite number"
