"""Carriage returns and the pyarrow fast path: CRLF blocks may take it, a bare ``\\r`` (a
line end to pyarrow, text to the exact path) never does; the parsed rows are the exact
path's either way."""

from __future__ import annotations

import gzip
import io

import numpy as np
import pytest

from gavae_ids.scoring._parse import _BlockParser
from gavae_ids.scoring._read import _plan_input

pytest.importorskip("pyarrow")


@pytest.fixture(scope="module")
def lines(shipped_file) -> list[bytes]:
    with gzip.open(shipped_file("KDDTest+.txt"), "rb") as f:
        return [next(f).rstrip(b"\r\n") for _ in range(50)]


@pytest.fixture(scope="module")
def parser(small_detector, lines) -> _BlockParser:
    inp, _ = _plan_input(small_detector.schema, io.BytesIO(b"\n".join(lines) + b"\n"),
                         header=False, trailing_fields=2, extra_columns="ignore",
                         name="x")  # fmt: skip
    return _BlockParser(small_detector.schema, inp)


def _both(parser: _BlockParser, block: bytes):
    n = block.count(b"\n")
    fast = parser.arrow.parse(block, n)
    arrow, parser.arrow = parser.arrow, None
    try:
        exact = parser.parse(block, n)
    finally:
        parser.arrow = arrow
    return fast, exact, parser.parse(block, n)


def _same(a, b) -> None:
    assert a.rejected == b.rejected and a.good.tolist() == b.good.tolist()
    for c in a.frame.columns:
        x, y = a.frame[c].to_numpy(dtype=object), b.frame[c].to_numpy(dtype=object)
        assert (x == y).all(), c


@pytest.mark.parametrize("where", ["none", "crlf", "bare", "bare+crlf", "last"])
def test_carriage_returns(parser, lines, where):
    rows = list(lines)
    if "crlf" in where:
        rows = [r + b"\r" for r in rows]
    if "bare" in where:
        rows[7] = rows[7].replace(b",", b",\r", 1)
    block = b"\n".join(rows) + b"\n"
    if where == "last":
        block = block[:-1] + b"\r\n"
    fast, exact, used = _both(parser, block)
    if "bare" in where:
        assert fast is None
    else:
        assert fast is not None and not exact.rejected
        _same(fast, exact)
    _same(used, exact)
    assert np.array_equal(used.good, exact.good)
