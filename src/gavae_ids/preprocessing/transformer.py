"""One-hot encoding + min-max scaling to [0, 1] (paper §3.5, Eq. 6), with a published layout."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, TransformerMixin

from gavae_ids._util.documents import check_document
from gavae_ids._util.validate import describe_bad, to_finite
from gavae_ids.exceptions import DataError, ModelFileError, NotFittedError
from gavae_ids.preprocessing.layout import FeatureLayout, OneHotBlock

_FORMAT = "gavae-ids-preprocessor"
_FORMAT_VERSION = 1


def _as_frame(X) -> pd.DataFrame:
    if isinstance(X, pd.DataFrame):
        return X
    arr = np.asarray(X)
    if arr.ndim != 2:
        raise DataError(f"expected a 2-D table, got an array of shape {arr.shape}")
    return pd.DataFrame(arr, columns=[f"x{i}" for i in range(arr.shape[1])])


def _signed_log1p(a: np.ndarray) -> np.ndarray:
    return np.sign(a) * np.log1p(np.abs(a))


_ROW_BLOCK = 4096


class TabularPreprocessor(TransformerMixin, BaseEstimator):
    """Encode a traffic table as a float32 matrix in [0, 1].

    Nominal columns become one-hot blocks, numeric columns are min-max scaled
    with the training range (Eq. 6). Output columns keep the input order, a
    block standing where its nominal column stood. Fit on training data only.

    New data may hold categories the training data lacked (KDDTest+ has the
    service ``tftp_u``): their block is all zeros, and :meth:`encode` reports
    which rows had them. Numbers outside the training range are clipped to
    [0, 1]; a constant training column maps to 0.

    Parameters
    ----------
    categorical : list of str, optional
        Nominal columns. When omitted, every non-numeric column is nominal.
    log1p : bool, default=False
        Apply sign(x)·log(1 + |x|) to numbers before scaling, to tame
        heavy-tailed counters. Off by default (the paper scales raw values).
    clip : bool, default=True
        Clip scaled numbers to [0, 1].
    categories : dict of str → list of str, optional
        A fixed vocabulary per nominal column instead of the one seen in ``fit``,
        so that folds of a cross-validation share one output layout.

    Attributes
    ----------
    columns_ : list of str
        Input columns seen in ``fit``, in order.
    categorical_ : list of str
    numeric_ : list of str
    categories_ : dict of str → list of str
    data_min_, data_max_ : ndarray
        Per numeric column, after the optional log1p.
    layout_ : FeatureLayout
        Which output columns are one-hot blocks and which are numbers.

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"proto": ["tcp", "udp"], "bytes": [0.0, 10.0]})
    >>> pre = TabularPreprocessor().fit(df)
    >>> pre.transform(df).tolist()
    [[1.0, 0.0, 0.0], [0.0, 1.0, 1.0]]
    """

    def __init__(self, categorical: Sequence[str] | None = None, log1p: bool = False,
                 clip: bool = True, categories: dict | None = None):  # fmt: skip
        self.categorical = categorical
        self.log1p = log1p
        self.clip = clip
        self.categories = categories

    # -- fitting ---------------------------------------------------------------------------
    def fit(self, X, y=None) -> TabularPreprocessor:
        df = _as_frame(X)
        columns = [str(c) for c in df.columns]
        if len(set(columns)) != len(columns):
            raise DataError("duplicate column names in the input")
        if self.categorical is None:
            categorical = [c for c in df.columns if not pd.api.types.is_numeric_dtype(df[c])]
        else:
            missing = [c for c in self.categorical if c not in df.columns]
            if missing:
                raise DataError(f"categorical column(s) not in the table: {', '.join(missing)}")
            categorical = list(self.categorical)
        numeric = [c for c in df.columns if c not in categorical]
        if not len(df):
            raise DataError("cannot fit on an empty table")
        num = self._numeric_array(df, numeric)
        self.columns_ = [str(c) for c in df.columns]
        self.categorical_ = [str(c) for c in categorical]
        self.numeric_ = [str(c) for c in numeric]
        fixed = self.categories or {}
        self.categories_ = {
            str(c): list(fixed[c]) if c in fixed else sorted(df[c].astype(str).unique().tolist())
            for c in categorical
        }
        self.data_min_ = num.min(axis=0) if num.shape[1] else np.zeros(0)
        self.data_max_ = num.max(axis=0) if num.shape[1] else np.zeros(0)
        self._build_layout()
        # The mean training row in the encoded space (one-hot blocks: category shares):
        # the reference of the networks' explanations (score --explain).
        self.reference_ = self.transform(df).mean(axis=0)
        return self

    def _numeric_array(self, df: pd.DataFrame, numeric: Sequence[str]) -> np.ndarray:
        try:
            arr = df[list(numeric)].to_numpy(dtype=np.float64)
        except (TypeError, ValueError):
            arr = None  # text somewhere: convert column by column to name the cell
        if arr is None or not np.isfinite(arr).all():
            for c in numeric:
                _, bad = to_finite(df[c])
                if bad is not None:
                    # 1-based position in the table (DataError.row), with the index label.
                    raise DataError(f"{describe_bad(df[c].iloc[bad])} (index {df.index[bad]!r})",
                                    row=bad + 1, column=c)  # fmt: skip
        if arr is None:  # numbers written as text, e.g. "3": all finite once converted
            arr = np.column_stack([to_finite(df[c])[0] for c in numeric])
        return _signed_log1p(arr) if self.log1p else arr

    def _build_layout(self) -> None:
        names, blocks, num_pos, cat_pos = [], [], [], {}
        for c in self.columns_:
            if c in self.categories_:
                cats = self.categories_[c]
                cat_pos[c] = len(names)
                blocks.append(OneHotBlock(c, len(names), len(names) + len(cats), tuple(cats)))
                names += [f"{c}={v}" for v in cats]
            else:
                num_pos.append(len(names))
                names.append(c)
        self.layout_ = FeatureLayout(tuple(names), tuple(blocks))
        self._num_pos = np.asarray(num_pos, dtype=np.int64)
        # Runs of numeric columns that sit side by side in the output: copied as slices,
        # much faster than one fancy-indexed assignment of every column.
        self._num_runs = []
        for j, pos in enumerate(num_pos):
            if self._num_runs and self._num_runs[-1][1] == pos:
                start, _, src = self._num_runs[-1]
                self._num_runs[-1] = (start, pos + 1, src)
            else:
                self._num_runs.append((pos, pos + 1, j))
        self._cat_pos = cat_pos
        self._cat_index = {c: pd.Index(v) for c, v in self.categories_.items()}
        spread = self.data_max_ - self.data_min_
        self._scale = np.where(spread > 0, spread, 1.0)

    # -- transforming ----------------------------------------------------------------------
    def _check_fitted(self):
        if not hasattr(self, "layout_"):
            raise NotFittedError("this TabularPreprocessor is not fitted yet; call fit first")

    def encode(self, X, out: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Transform ``X`` and report unseen categories.

        Parameters
        ----------
        X : DataFrame or 2-D array
        out : ndarray of float32, optional
            A C-contiguous matrix of at least ``len(X)`` rows and ``n_features_out``
            columns to write into (whatever it holds); ``Xt`` is then its first rows. A
            caller encoding chunk after chunk saves the page faults of a fresh matrix
            each time (``gavae-ids score``: 0.2–0.3 CPU s per 1 M rows).

        Returns
        -------
        Xt : ndarray of float32, shape (n_rows, n_features_out)
        unseen : ndarray of bool, shape (n_rows, n_categorical)
            True where the row's value in that nominal column was not seen in fit
            (its block is all zeros).
        """
        self._check_fitted()
        df = _as_frame(X)
        missing = [c for c in self.columns_ if c not in df.columns]
        if missing:
            raise DataError(f"missing column(s): {', '.join(missing)}")
        n = len(df)
        out = self._output(n, out)
        if self.numeric_:
            num = self._numeric_array(df, self.numeric_)
            # A few thousand rows at a time, so that the float64 intermediate stays in cache.
            for r in range(0, n, _ROW_BLOCK):
                scaled = num[r : r + _ROW_BLOCK] - self.data_min_
                np.divide(scaled, self._scale, out=scaled)
                if self.clip:
                    np.clip(scaled, 0.0, 1.0, out=scaled)
                for start, stop, src in self._num_runs:
                    out[r : r + _ROW_BLOCK, start:stop] = scaled[:, src : src + stop - start]
        unseen = np.zeros((n, len(self.categorical_)), dtype=bool)
        rows = np.arange(n)
        for j, c in enumerate(self.categorical_):
            col = df[c]
            if pd.api.types.is_numeric_dtype(col):
                col = col.astype(str)
            codes = self._cat_index[c].get_indexer(col)
            ok = codes >= 0
            unseen[:, j] = ~ok
            out[rows[ok], self._cat_pos[c] + codes[ok]] = 1.0
        return out, unseen

    def _output(self, n: int, out: np.ndarray | None) -> np.ndarray:
        """A zero matrix for ``n`` rows, or the first ``n`` rows of ``out`` with the one-hot
        columns zeroed (the numeric columns are all written by :meth:`encode`)."""
        width = self.layout_.n_features
        if out is None:
            return np.zeros((n, width), dtype=np.float32)
        if (out.dtype != np.float32 or out.ndim != 2 or out.shape[1] != width
                or out.shape[0] < n or not out.flags.c_contiguous):  # fmt: skip
            raise ValueError(f"out must be a C-contiguous float32 matrix of at least {n} rows "
                             f"and {width} columns, got {out.dtype} {out.shape}")  # fmt: skip
        out = out[:n]
        for block in self.layout_.onehot_blocks:
            out[:, block.start : block.stop] = 0.0
        return out

    def transform(self, X) -> np.ndarray:
        """Encode ``X`` as float32 in [0, 1] (see :meth:`encode`)."""
        return self.encode(X)[0]

    def inverse_transform(self, Xt) -> pd.DataFrame:
        """Back to the original columns: numbers unscaled, each block's argmax as category."""
        self._check_fitted()
        Xt = np.asarray(Xt, dtype=np.float64)
        data = {}
        for c in self.columns_:
            if c in self.categories_:
                start = self._cat_pos[c]
                block = Xt[:, start : start + len(self.categories_[c])]
                cats = np.asarray(self.categories_[c], dtype=object)
                data[c] = cats[block.argmax(axis=1)]
            else:
                j = self.numeric_.index(c)
                v = Xt[:, self._num_pos[j]] * self._scale[j] + self.data_min_[j]
                data[c] = np.sign(v) * np.expm1(np.abs(v)) if self.log1p else v
        return pd.DataFrame(data)

    def get_feature_names_out(self, input_features=None) -> np.ndarray:
        self._check_fitted()
        return np.asarray(self.layout_.feature_names, dtype=object)

    # -- JSON round trip -------------------------------------------------------------------
    def to_dict(self) -> dict:
        self._check_fitted()
        return {
            "format": _FORMAT,
            "format_version": _FORMAT_VERSION,
            "params": {"categorical": self.categorical_, "log1p": self.log1p, "clip": self.clip},
            "columns": self.columns_,
            "numeric": self.numeric_,
            "categories": self.categories_,
            "data_min": self.data_min_.tolist(),
            "data_max": self.data_max_.tolist(),
            **({} if getattr(self, "reference_", None) is None
               else {"reference": self.reference_.tolist()}),
        }

    @classmethod
    def from_dict(cls, d: dict) -> TabularPreprocessor:
        check_document(d, _FORMAT, _FORMAT_VERSION, "preprocessor document")
        try:
            self = cls(**d["params"])
            self.columns_ = list(d["columns"])
            self.categorical_ = list(d["params"]["categorical"])
            self.numeric_ = list(d["numeric"])
            self.categories_ = {k: list(v) for k, v in d["categories"].items()}
            self.data_min_ = np.asarray(d["data_min"], dtype=np.float64)
            self.data_max_ = np.asarray(d["data_max"], dtype=np.float64)
            if len(self.data_min_) != len(self.numeric_) or len(self.data_max_) != len(
                self.numeric_
            ):
                raise ValueError("numeric ranges do not match the numeric columns")
            self._build_layout()
            # Written since 0.2.1; None in older files.
            ref = d.get("reference")
            self.reference_ = None if ref is None else np.asarray(ref, dtype=np.float64)
            if ref is not None and self.reference_.shape != (self.layout_.n_features,):
                raise ValueError("the reference row does not match the encoded columns")
        except (KeyError, TypeError, ValueError) as e:
            raise ModelFileError(f"damaged preprocessor document ({e})") from None
        return self

    def save_json(self, path) -> Path:
        path = Path(path)
        path.write_text(json.dumps(self.to_dict(), indent=1))
        return path

    @classmethod
    def load_json(cls, path) -> TabularPreprocessor:
        path = Path(path)
        try:
            d = json.loads(path.read_text())
        except FileNotFoundError:
            raise ModelFileError(f"{path}: missing") from None
        except (json.JSONDecodeError, UnicodeDecodeError) as e:
            raise ModelFileError(f"{path}: not valid JSON ({e})") from None
        try:
            return cls.from_dict(d)
        except ModelFileError as e:
            raise ModelFileError(f"{path}: {e}") from None
