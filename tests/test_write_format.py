"""The scored output's probability text: every decimals setting, edge values included."""

from __future__ import annotations

import numpy as np
import pytest

from gavae_ids.scoring._write import _prob_field


def _expected(p: np.ndarray, decimals: int) -> list[bytes]:
    """The rounding of the writer (half to even on ``p * 10**decimals``), formatted by Python."""
    scale = 10**decimals
    q = np.rint(np.clip(p, 0.0, 1.0) * scale).astype(np.int64).tolist()
    if not decimals:
        return [str(v).encode() for v in q]
    return [f"{v // scale}.{v % scale:0{decimals}d}".encode() for v in q]


@pytest.mark.parametrize("decimals", range(16))
def test_prob_field_matches_python_formatting(decimals):
    rng = np.random.default_rng(decimals)
    edges = [0.0, 1.0, 0.5, -0.25, 1.5, 1e-16, 1 - 1e-16, 0.9999995, 5e-7, 4.999e-7,
             0.1234565, np.nextafter(1.0, 0.0), np.nextafter(0.0, 1.0)]  # fmt: skip
    p = np.concatenate([edges, rng.random(2000), rng.random(500) ** 20, 1 - rng.random(500) ** 20])
    got = _prob_field(p, decimals)
    assert got.shape == (len(p), decimals + 2 if decimals else 1)
    assert [row.tobytes() for row in got] == _expected(p, decimals)
