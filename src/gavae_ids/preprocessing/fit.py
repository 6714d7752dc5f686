"""§3.5 on the training rows: optional MAD outlier removal, then the fitted encoder."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from gavae_ids.preprocessing.outliers import MADOutlierFilter
from gavae_ids.preprocessing.transformer import TabularPreprocessor


def fit_preprocessing(
    X: pd.DataFrame,
    y: pd.Series,
    *,
    categorical: Sequence[str] | None = None,
    numeric: Sequence[str] | None = None,
    outlier_filter: bool = False,
) -> tuple[pd.DataFrame, pd.Series, TabularPreprocessor, pd.DataFrame | None]:
    """Drop per-class MAD outliers (optionally), then fit the preprocessing on the rows left.

    Parameters
    ----------
    X : DataFrame
        Training features (raw: nominal columns as strings).
    y : Series
        Their class labels.
    categorical : sequence of str, optional
        Nominal columns, passed to :class:`TabularPreprocessor`.
    numeric : sequence of str, optional
        Columns the outlier rule looks at, passed to :meth:`MADOutlierFilter.fit`.
    outlier_filter : bool, default=False
        Apply :class:`MADOutlierFilter` (default parameters) first.

    Returns
    -------
    X, y : DataFrame, Series
        The rows kept (all of them without ``outlier_filter``), original index.
    preprocessor : TabularPreprocessor
        Fitted on those rows only.
    report : DataFrame or None
        The filter's ``report_`` (per class ``rows``, ``removed``, ``kept``,
        ``note``); None without ``outlier_filter``.

    Examples
    --------
    >>> X, y, pre, report = fit_preprocessing(
    ...     train.X, train.y, categorical=train.categorical, numeric=train.numeric,
    ...     outlier_filter=True)  # doctest: +SKIP
    >>> Xt = pre.transform(X)  # doctest: +SKIP
    """
    report = None
    if outlier_filter:
        filt = MADOutlierFilter()
        X, y = filt.fit_resample(X, y, numeric)
        report = filt.report_
    pre = TabularPreprocessor(categorical=categorical).fit(X)
    return X, y, pre, report
