"""The pyarrow fast path of the block parser: same frame as the exact path, or no answer.

The fast path (:class:`gavae_ids.scoring._parse._ArrowBlock`) may only answer for a
block the exact path would accept whole, and then with the same values; any other
block goes the exact way, so rows, reject reasons and raw lines cannot differ.
"""

from __future__ import annotations

import gzip
import io
import sys

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gavae_ids.datasets import NSL_KDD_FEATURES
from gavae_ids.scoring import score_file
from gavae_ids.scoring._parse import _ArrowBlock, _BlockParser
from gavae_ids.scoring._read import _plan_input

pytest.importorskip("pyarrow")

CATEGORICAL = [NSL_KDD_FEATURES.index(c) for c in ("protocol_type", "service", "flag")]


@pytest.fixture(scope="module")
def pool(shipped_file) -> list[bytes]:
    with gzip.open(shipped_file("KDDTest+.txt"), "rb") as f:
        return [next(f).rstrip(b"\r\n") for _ in range(200)]


@pytest.fixture(scope="module")
def parser(small_detector, pool) -> _BlockParser:
    inp, _ = _plan_input(small_detector.schema, io.BytesIO(b"\n".join(pool) + b"\n"),
                         header=False, trailing_fields=2, extra_columns="ignore",
                         name="x")  # fmt: skip
    p = _BlockParser(small_detector.schema, inp)
    assert p.arrow is not None
    return p


def exact(parser: _BlockParser, block: bytes, n: int):
    fast, parser.arrow = parser.arrow, None
    try:
        return parser.parse(block, n)
    finally:
        parser.arrow = fast


def assert_same(a, b) -> None:
    assert a.rejected == b.rejected
    assert a.good.tolist() == b.good.tolist()
    assert list(a.frame.columns) == list(b.frame.columns)
    for c in a.frame.columns:
        x, y = a.frame[c].to_numpy(dtype=object), b.frame[c].to_numpy(dtype=object)
        assert (x == y).all(), c


def test_clean_block_is_parsed_fast_as_exactly(parser, pool):
    block = b"\n".join(pool * 5) + b"\n"
    fast = parser.arrow.parse(block, len(pool) * 5)
    assert fast is not None and len(fast.frame) == len(pool) * 5
    assert_same(fast, exact(parser, block, len(pool) * 5))
    # CRLF line ends are clean too.
    crlf = block.replace(b"\n", b"\r\n")
    assert parser.arrow.parse(crlf, len(pool) * 5) is not None
    assert_same(parser.parse(crlf, len(pool) * 5), exact(parser, crlf, len(pool) * 5))


cells = st.one_of(
    st.sampled_from([b"", b" ", b"1e5", b"+1", b" 1", b"1 ", b"0x1", b"1.", b".5", b"-0",
                     b"inf", b"-Infinity", b"NaN", b"nan", b"1e400", b"9" * 400, b"1d5",
                     b"1_0", b"tcp", b"\xff", b"\xc3\xa9", b"\x00", b"\r", b"\t1", b"1,2"]),
    st.binary(max_size=6),
    st.text(alphabet="0123456789.eE+-xnaifINF \t", max_size=8).map(str.encode),
)  # fmt: skip
edits = st.lists(st.tuples(st.integers(0, 199), st.integers(0, 42), cells), max_size=4)


@settings(max_examples=100, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])  # fmt: skip
@given(edits=edits, n=st.integers(1, 40))
def test_fast_path_answers_only_as_the_exact_path_would(parser, pool, edits, n):
    lines = [ln.split(b",") for ln in pool[:n]]
    for i, j, value in edits:
        if i < n:
            lines[i][j] = value
    block = b"\n".join(b",".join(f) for f in lines) + b"\n"
    n_lines = block.count(b"\n")
    want = exact(parser, block, n_lines)
    fast = parser.arrow.parse(block, n_lines)
    if fast is not None:  # answered: the block is clean and read alike
        assert not want.rejected
        assert_same(fast, want)
    assert_same(parser.parse(block, n_lines), want)
    if not edits or all(i >= n for i, _, _ in edits):
        assert fast is not None, "a clean block went the slow way"


def test_scoring_without_pyarrow_gives_the_same_bytes(small_detector, pool, monkeypatch):
    """The exact path alone (pyarrow missing) writes the same scores and rejects."""
    lines = list(pool)
    fields = lines[3].split(b",")
    fields[CATEGORICAL[0]] = b""
    lines[3] = b",".join(fields)
    lines[7] = b""
    lines[11] = lines[11] + b",9"
    text = b"\n".join(lines * 3) + b"\n"

    def run():
        out, rej = io.BytesIO(), io.BytesIO()
        s = score_file(small_detector, io.BytesIO(text), out, rejects=rej, header=False,
                       trailing_fields=2, chunk_size=128, verbose=False)  # fmt: skip
        return out.getvalue(), rej.getvalue(), s.reject_reasons

    with_arrow = run()
    # pandas imports pyarrow itself once it is there; hiding pyarrow.csv is what the
    # fast path sees of a missing pyarrow.
    monkeypatch.setitem(sys.modules, "pyarrow.csv", None)
    assert _ArrowBlock.create(small_detector.schema, None) is None
    without = run()
    assert with_arrow == without
    assert with_arrow[2]["empty value"] == 3 and with_arrow[2]["empty line"] == 3
    assert np.count_nonzero([ln.startswith(b"row,") for ln in with_arrow[0].split(b"\n")]) == 1


@pytest.mark.parametrize("where", ["none", "crlf", "bare", "bare+crlf", "last"])
def test_carriage_returns(parser, pool, where):
    """CRLF blocks may take the fast path; a bare ``\\r`` (a line end to pyarrow, text to the
    exact path) never does; the parsed rows are the exact path's either way."""
    rows = list(pool[:50])
    if "crlf" in where:
        rows = [r + b"\r" for r in rows]
    if "bare" in where:
        rows[7] = rows[7].replace(b",", b",\r", 1)
    block = b"\n".join(rows) + b"\n"
    if where == "last":
        block = block[:-1] + b"\r\n"
    n = block.count(b"\n")
    fast, want = parser.arrow.parse(block, n), exact(parser, block, n)
    if "bare" in where:
        assert fast is None
    else:
        assert fast is not None and not want.rejected
        assert_same(fast, want)
    assert_same(parser.parse(block, n), want)
