"""Property-based tests of the scoring readers (#17): no line decides the fate of another.

For any mix of clean KDDTest+ lines and damaged ones — unmatched quotes,
doubled commas, cut lines, empty lines, bytes that are not UTF-8, tabs, NUL
bytes, carriage returns, 400-digit numbers, ``-1e309``, NaN, blanks — read
with a header, without one, gzip-compressed and from stdin, in chunks of any
size:

* scoring raises nothing, and scored + rejected = data lines read;
* every row is either in the output or in the rejects file, never both;
* every clean line is scored exactly as in a clean file;
* every rejected line's raw bytes come back from the rejects file.

Header-less input is read with ``trailing_fields="auto"`` when clean lines are
the majority (the vote must then find NSL-KDD's two trailing fields) and with
``trailing_fields=2`` otherwise: no vote can recognise a layout that most
lines do not have.
"""

from __future__ import annotations

import contextlib
import csv
import gzip
import io
import random
import sys

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from gavae_ids.datasets import NSL_KDD_FEATURES
from gavae_ids.scoring import score_file

POOL = 40  # clean lines to draw from: the first lines of KDDTest+
NAMES = [*NSL_KDD_FEATURES, "attack", "difficulty"]
CATEGORICAL = {NAMES.index(c) for c in ("protocol_type", "service", "flag")}
NUMERIC = [i for i in range(len(NSL_KDD_FEATURES)) if i not in CATEGORICAL]


# -- damage ------------------------------------------------------------------------------------
def _set_field(line: bytes, rnd: random.Random, value: bytes, numeric: bool = False) -> bytes:
    f = line.split(b",")
    f[rnd.choice(NUMERIC) if numeric else rnd.randrange(len(f))] = value
    return b",".join(f)


def _insert(line: bytes, rnd: random.Random, what: bytes) -> bytes:
    i = rnd.randrange(len(line) + 1)
    return line[:i] + what + line[i:]


def _quote(line: bytes, rnd: random.Random) -> bytes:
    f = line.split(b",")
    i = rnd.randrange(len(f))
    f[i] = b'"' + f[i]  # opens a quoted field that never closes
    return b",".join(f)


def _doubled_comma(line: bytes, rnd: random.Random) -> bytes:
    commas = [i for i, c in enumerate(line) if c == ord(",")]
    i = rnd.choice(commas)
    return line[:i] + b"," + line[i:]


DAMAGE = {
    "unmatched quote": _quote,
    "doubled comma": _doubled_comma,
    "cut short": lambda line, rnd: line[: rnd.randrange(len(line))],
    "empty line": lambda line, rnd: b"",
    "not UTF-8": lambda line, rnd: _insert(line, rnd, bytes([rnd.randrange(0x80, 0x100)])),
    "tab": lambda line, rnd: _insert(line, rnd, b"\t"),
    "NUL": lambda line, rnd: _insert(line, rnd, b"\x00"),
    "carriage return": lambda line, rnd: _insert(line, rnd, b"\r"),
    "400 digits": lambda line, rnd: _set_field(line, rnd, b"9" * 400, numeric=True),
    "-1e309": lambda line, rnd: _set_field(line, rnd, b"-1e309", numeric=True),
    "NaN": lambda line, rnd: _set_field(line, rnd, b"NaN", numeric=True),
    "blank": lambda line, rnd: _set_field(line, rnd, rnd.choice([b"", b" "])),
}
KINDS = sorted(DAMAGE)

# One input line: (index of a clean line in the pool, damage kind or None, damage seed).
line_specs = st.tuples(
    st.integers(0, POOL - 1),
    st.one_of(st.none(), st.sampled_from(KINDS)),
    st.integers(0, 2**16),
)
specs = st.lists(line_specs, min_size=1, max_size=24)
chunk_sizes = st.sampled_from([1, 2, 5, 1000])


def build(pool: list[bytes], spec) -> list[bytes]:
    """The lines (without line ends) that ``spec`` describes."""
    out = []
    for idx, kind, seed in spec:
        line = pool[idx]
        out.append(line if kind is None else DAMAGE[kind](line, random.Random(seed)))
    return out


def _damaged_30_percent(n: int, seed: int = 17) -> list:
    """The issue's file: 30 % of lines damaged in assorted ways, the first among them."""
    rnd = random.Random(seed)
    spec = []
    for i in range(n):
        kind = rnd.choice(KINDS) if i == 0 or rnd.random() < 0.3 else None
        spec.append((i % POOL, kind, rnd.randrange(2**16)))
    return spec


# The cases: the first line damaged (each kind), then clean lines; a 30 % mix.
FIRST_LINE = [[(0, kind, 1), *[(i, None, 0) for i in range(1, 12)]] for kind in KINDS]
MIXED = _damaged_30_percent(24)


# -- fixtures ----------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def pool(shipped_file) -> list[bytes]:
    with gzip.open(shipped_file("KDDTest+.txt"), "rb") as f:
        return [next(f).rstrip(b"\r\n") for _ in range(POOL)]


@pytest.fixture(scope="module")
def reference(small_detector, pool) -> pd.DataFrame:
    """The scores of the pool's lines in a clean file, indexed by pool index."""
    out = io.BytesIO()
    s = score_file(small_detector, io.BytesIO(b"\n".join(pool) + b"\n"), out, header=False,
                   verbose=False)  # fmt: skip
    assert (s.scored, s.rejected, s.trailing_fields) == (POOL, 0, 2)
    return pd.read_csv(io.BytesIO(out.getvalue())).drop(columns="row")


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    return tmp_path_factory.mktemp("fuzz")


@contextlib.contextmanager
def stdin_bytes(data: bytes):
    saved = sys.stdin
    sys.stdin = io.TextIOWrapper(io.BytesIO(data))
    try:
        yield
    finally:
        sys.stdin = saved


def read_rejects(path) -> list[list[str]]:
    with open(path, encoding="utf-8", errors="surrogateescape", newline="") as f:
        return list(csv.reader(f))[1:]


def check(detector, reference, pool, folder, spec, chunk_size, mode):
    """Score the file ``spec`` describes and assert the invariants of the module docstring."""
    lines = build(pool, spec)
    header = mode == "header"
    text = b"\n".join(lines) + b"\n"
    if header:
        text = ",".join(NAMES).encode() + b"\n" + text
    clean = [kind is None for _, kind, _ in spec]
    trailing = "auto" if header or 2 * sum(clean) > len(spec) else 2
    src, out, rej = folder / "in.csv", folder / "out.csv", folder / "rejects.csv"
    src.write_bytes(gzip.compress(text) if mode == "gzip" else text)
    kw = dict(rejects=rej, header=header, trailing_fields=trailing, chunk_size=chunk_size,
              verbose=False)  # fmt: skip
    if mode == "stdin":
        with stdin_bytes(text):
            s = score_file(detector, "-", out, **kw)
    else:
        s = score_file(detector, src, out, **kw)

    assert s.total == len(lines) and s.scored + s.rejected == s.total
    if not header:
        assert s.trailing_fields == 2
    scored = pd.read_csv(out, keep_default_na=False)
    rejected = read_rejects(rej)
    rows_out = scored["row"].tolist()
    rows_rej = [int(r[0]) for r in rejected]
    assert len(rows_out) == s.scored and len(rows_rej) == s.rejected
    assert sorted(rows_out + rows_rej) == list(range(1, len(lines) + 1))
    for row, _, record in rejected:
        raw = lines[int(row) - 1].removesuffix(b"\r")  # "\r\n" ends a line
        assert record.encode("utf-8", "surrogateescape") == raw
    good = [r for r, ok in enumerate(clean, 1) if ok]
    assert set(good) <= set(rows_out), "a clean line was rejected"
    got = scored.set_index("row").loc[good].reset_index(drop=True)
    want = reference.iloc[[spec[r - 1][0] for r in good]].reset_index(drop=True)
    probs = [c for c in want.columns if c.startswith("p_")]
    pd.testing.assert_frame_equal(got.drop(columns=probs), want.drop(columns=probs),
                                  check_dtype=False)  # fmt: skip
    np.testing.assert_allclose(got[probs].to_numpy(float), want[probs].to_numpy(), atol=2e-6)


FUZZ = settings(max_examples=30, deadline=None, derandomize=True, database=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture,
                                       HealthCheck.too_slow])  # fmt: skip


def _with_corpus(test):
    for spec in [*FIRST_LINE, MIXED]:
        test = example(spec=spec, chunk_size=5)(test)
    return test


@pytest.mark.parametrize("mode", ["no header", "header", "gzip", "stdin"])
@FUZZ
@_with_corpus
@given(spec=specs, chunk_size=chunk_sizes)
def test_scoring_any_mix_of_clean_and_damaged_lines(small_detector, reference, pool, folder,
                                                    mode, spec, chunk_size):  # fmt: skip
    check(small_detector, reference, pool, folder, spec, chunk_size, mode)


def test_damage_changes_the_line(pool):
    """Each kind of damage alters a line, so "clean" and "damaged" never coincide."""
    for kind in KINDS:
        for seed in range(20):
            assert DAMAGE[kind](pool[seed % POOL], random.Random(seed)) != pool[seed % POOL], kind
