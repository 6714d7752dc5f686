"""Raw tables in, raw tables out: string categories and numbers ↔ the encoded matrix.

:class:`RawTable`, owned by a :class:`~gavae_ids.sampling.GAVAESampler` fitted on a
table with categorical columns (``table_``): the project's
:class:`~gavae_ids.preprocessing.TabularPreprocessor` one-hot encodes the categories
(its ``layout_`` tells the GAVAE where the blocks are) and min-max scales the numbers;
generated rows are decoded back, each block's category taken from the training
vocabulary, integer columns rounded, every column cast to the dtype it had in ``fit``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from gavae_ids.exceptions import DataError
from gavae_ids.preprocessing.transformer import TabularPreprocessor


def categorical_columns(X, categorical_features, n_features: int) -> list[int] | None:
    """Positions of the categorical columns: ``categorical_features`` (names, positions or a
    boolean mask), else the object/category/string columns of a DataFrame; None when none."""
    names = list(X.columns) if isinstance(X, pd.DataFrame) else None
    if categorical_features is None:
        if names is None:
            return None
        found = [i for i, c in enumerate(names) if not pd.api.types.is_numeric_dtype(X[c])]
        return found or None
    spec = list(np.asarray(categorical_features).ravel())
    if spec and all(isinstance(v, (bool, np.bool_)) for v in spec):
        if len(spec) != n_features:
            raise DataError(f"categorical_features is a mask of {len(spec)} values for "
                            f"{n_features} columns")  # fmt: skip
        return [i for i, v in enumerate(spec) if v] or None
    out = []
    for v in spec:
        if isinstance(v, (int, np.integer)):
            if not 0 <= v < n_features:
                raise DataError(f"categorical_features: column {v} out of range for "
                                f"{n_features} columns")  # fmt: skip
            out.append(int(v))
        elif names is not None and v in names:
            out.append(names.index(v))
        else:
            raise DataError(f"categorical_features names {v!r}, which is not a column of X")
    return sorted(set(out)) or None


class RawTable:
    """The categorical/numeric table a sampler was fitted on, and its encoding.

    Parameters
    ----------
    columns : list of str
        Column names in input order (``x0``, ``x1``, … for an array).
    categorical : list of int
        Positions of the categorical columns.
    dtypes : list of str
        Each column's dtype in ``fit`` (``"object"``, ``"category"``, ``"int64"``, …).
    """

    def __init__(self, columns, categorical, dtypes):
        self.columns = [str(c) for c in columns]
        self.categorical = [int(i) for i in categorical]
        self.dtypes = [str(d) for d in dtypes]
        self.preprocessor = None

    def _frame(self, X) -> pd.DataFrame:
        df = pd.DataFrame(np.asarray(X, dtype=object), columns=self.columns)
        for i, c in enumerate(self.columns):
            if i in self.categorical:
                df[c] = df[c].astype(str)
            else:
                df[c] = pd.to_numeric(df[c], errors="raise")
        return df

    def fit_encode(self, X) -> np.ndarray:
        """Fit the preprocessing on the rows ``X`` and return them encoded (float32)."""
        names = [self.columns[i] for i in self.categorical]
        try:
            df = self._frame(X)
        except (TypeError, ValueError) as e:
            raise DataError(f"a numeric column holds text ({e}); name it in "
                            "categorical_features") from None  # fmt: skip
        self.preprocessor = TabularPreprocessor(categorical=names).fit(df)
        return self.preprocessor.transform(df)

    def encode(self, X) -> np.ndarray:
        return self.preprocessor.transform(self._frame(X))

    @property
    def layout(self):
        return self.preprocessor.layout_

    def decode(self, Xe: np.ndarray) -> np.ndarray:
        """Encoded rows → an object array of the input's columns, in the input's units."""
        df = self.preprocessor.inverse_transform(Xe)
        out = np.empty((len(df), len(self.columns)), dtype=object)
        for i, (c, dtype) in enumerate(zip(self.columns, self.dtypes, strict=True)):
            values = df[c].to_numpy()
            if i not in self.categorical:
                kind = np.dtype(dtype).kind if dtype not in ("category", "string") else "f"
                if kind in "iub":
                    values = np.rint(values.astype(np.float64)).astype(dtype)
            out[:, i] = values
        return out

    def frame(self, X: np.ndarray) -> pd.DataFrame:
        """An object array of this table's columns → a DataFrame with the fit dtypes."""
        df = pd.DataFrame(X, columns=self.columns)
        try:
            return df.astype(dict(zip(self.columns, self.dtypes, strict=True)))
        except (TypeError, ValueError):
            return df

    def to_dict(self) -> dict:
        return {"columns": self.columns, "categorical": self.categorical,
                "dtypes": self.dtypes, "preprocessor": self.preprocessor.to_dict()}  # fmt: skip

    @classmethod
    def from_dict(cls, d: dict) -> RawTable:
        table = cls(d["columns"], d["categorical"], d["dtypes"])
        table.preprocessor = TabularPreprocessor.from_dict(d["preprocessor"])
        return table
