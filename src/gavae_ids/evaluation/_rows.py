"""Input checks shared by the fidelity metrics and TSTR: real and synthetic rows are
2-d float matrices of the same encoding."""

from __future__ import annotations

import numpy as np

from gavae_ids.exceptions import DataError


def _as_2d(X, name: str) -> np.ndarray:
    X = np.asarray(X, dtype=np.float64)
    if X.ndim != 2:
        raise DataError(f"{name} must be a 2-d matrix, got shape {X.shape}")
    return X


def _check_pair(X_real, X_syn) -> tuple[np.ndarray, np.ndarray]:
    X_real, X_syn = _as_2d(X_real, "X_real"), _as_2d(X_syn, "X_syn")
    if X_real.shape[1] != X_syn.shape[1]:
        raise DataError(
            f"X_real has {X_real.shape[1]} columns but X_syn has {X_syn.shape[1]}; "
            "compare rows of the same encoding"
        )
    return X_real, X_syn
