"""Zeek scoring's block paths (#29) give what the line paths give.

* :meth:`ZeekParser.feed_block` (runs of data lines handed to the typed reader as slices of
  the block) against :meth:`ZeekParser.feed` of the same lines: rejects, rows, lines, raw
  lines, frames, header state.
* The CSV writer's pyarrow join of plain identifier columns against the padded byte
  matrices it used before (:func:`gavae_ids.scoring._write._arrow_plain` off).
* End to end: ``score_file`` on a log with rejects, rotations and identifiers that need
  quoting writes the same bytes (scores and rejects file) and the same summary as the text
  path (the typed reader and the arrow join both off).
"""

from __future__ import annotations

import io
import random

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gavae_ids.datasets._zeek_lines import _is_typed
from gavae_ids.datasets.zeek import ZeekParser
from gavae_ids.detection.train import train_detector
from gavae_ids.scoring import _write, score_file

FIELDS = ["ts", "uid", "proto", "duration", "orig_bytes", "service", "resp_pkts",
          "tunnel_parents"]  # fmt: skip
TYPES = ["time", "string", "enum", "interval", "count", "string", "count", "set[string]"]
NUMERIC = ["duration", "orig_bytes", "resp_pkts"]
CATEGORICAL = ["proto", "service"]
IDS = ["ts", "uid", "tunnel_parents"]


def header(fields=FIELDS, types=TYPES) -> list[bytes]:
    return [b"#separator \\x09", b"#set_separator\t,", b"#empty_field\t(empty)",
            b"#unset_field\t-", b"#path\tconn", ("#fields\t" + "\t".join(fields)).encode(),
            ("#types\t" + "\t".join(types)).encode()]  # fmt: skip


def clean(i: int) -> list[str]:
    scan = i % 3 == 0
    return [f"{1525879831 + i}.{i % 7}", f"C{i}", "tcp" if scan else "udp",
            "-" if scan else f"{(i % 50) / 10 + 0.01:.6f}", "-" if scan else str(30 + i % 50),
            "-" if scan else "dns", "0" if scan else "1", "(empty)"]  # fmt: skip


DAMAGE = {
    "nan": lambda v: v[:3] + ["nan"] + v[4:],
    "text count": lambda v: v[:4] + ["many"] + v[5:],
    "empty category": lambda v: v[:5] + [""] + v[6:],
    "extra field": lambda v: [*v, "x"],
    "short": lambda v: v[:-1],
    "comma id": lambda v: v[:-1] + ["a,b"],
    "quote id": lambda v: [v[0], 'C"q', *v[2:]],
    "not ascii": lambda v: [v[0], "Cé", *v[2:]],
}
RAW_DAMAGE = {
    "empty line": lambda b: b"",
    "carriage return": lambda b: b + b"\r",
    "NUL": lambda b: b[:3] + b"\x00" + b[3:],
    "bad UTF-8": lambda b: b[:3] + b"\xff" + b[3:],
}
REORDERED = [*FIELDS[:2], *reversed(FIELDS[2:])]
WITHOUT_SERVICE = [f for f in FIELDS if f != "service"]


def _data_line(i: int, damage: str | None, fields=FIELDS) -> bytes:
    v = dict(zip(FIELDS, clean(i), strict=True))
    values = [v[f] for f in fields]
    if damage in DAMAGE and fields == FIELDS:
        values = DAMAGE[damage](values)
    line = "\t".join(values).encode()
    return RAW_DAMAGE[damage](line) if damage in RAW_DAMAGE else line


def make_log(plan, rotations=()) -> list[bytes]:
    """Lines of a log: ``plan`` items ``(i, damage)``; ``rotations`` (index, kind) put a
    new header block (same, reordered, without ``service``) or a comment before item
    ``index``."""
    out, fields = [*header()], FIELDS
    at = dict(rotations)
    for k, (i, damage) in enumerate(plan):
        kind = at.get(k)
        if kind == "comment":
            out.append(b"#a comment")
        elif kind is not None:
            fields = {"same": FIELDS, "reordered": REORDERED, "no service": WITHOUT_SERVICE}[kind]
            types = [TYPES[FIELDS.index(f)] for f in fields]
            out += header(fields, types)
        out.append(_data_line(i, damage, fields))
    return [*out, b"#close\t2018-05-09-15-40-00"]


PLANS = st.lists(st.tuples(st.integers(0, 99),
                           st.sampled_from([None] * 36 + [*DAMAGE, *RAW_DAMAGE])),
                 min_size=1, max_size=40)  # fmt: skip
ROTATIONS = st.lists(st.tuples(st.integers(0, 40),
                               st.sampled_from(["same", "reordered", "no service", "comment"])),
                     max_size=3)  # fmt: skip


def _parser() -> ZeekParser:
    p = ZeekParser(json_lines=False, name="t")
    p.typed(NUMERIC, CATEGORICAL, IDS)
    return p


def _batches(parser: ZeekParser, lines: list[bytes], cuts: list[int], block: bool):
    """Feed ``lines`` in pieces cut at ``cuts``: as blocks of bytes or as lists of lines."""
    edges = [0, *sorted(c for c in cuts if 0 < c < len(lines)), len(lines)]
    out = []
    for a, b in zip(edges, edges[1:], strict=False):
        piece = lines[a:b]
        batch = (parser.feed_block(b"".join(x + b"\n" for x in piece)) if block
                 else parser.feed(piece))  # fmt: skip
        rejected = [(r.row, r.line, r.kind, r.detail, r.text, r.record) for r in batch.rejected]
        segments = [(list(s.header.fields), s.rows.tolist(), s.lines.tolist(),
                     [s.text(i) for i in range(len(s.rows))], s.frame())
                    for s in batch.segments]  # fmt: skip
        out.append((batch.n_rows, rejected, segments))
    return out, (parser.row, parser.line, parser.changes, parser.header)


@settings(max_examples=200, deadline=None)
@given(PLANS, ROTATIONS, st.lists(st.integers(1, 60), max_size=3))
def test_feed_block_is_feed_of_the_lines(plan, rotations, cuts):
    lines = make_log(plan, rotations)
    got, state = _batches(_parser(), lines, cuts, block=True)
    want, state_lines = _batches(_parser(), lines, cuts, block=False)
    assert state == state_lines
    assert len(got) == len(want)
    for (n, rej, segs), (n_l, rej_l, segs_l) in zip(got, want, strict=True):
        assert (n, rej) == (n_l, rej_l)
        assert len(segs) == len(segs_l)
        for (*meta, frame), (*meta_l, frame_l) in zip(segs, segs_l, strict=True):
            assert meta == meta_l
            pd.testing.assert_frame_equal(frame, frame_l)


def test_feed_block_reads_clean_runs_typed():
    lines = make_log([(i, None) for i in range(20)], [(10, "comment")])
    batch = _parser().feed_block(b"".join(x + b"\n" for x in lines))
    (seg,) = batch.segments
    assert [_is_typed(p) for p in seg.parts] == [True, True]
    assert seg.rows.tolist() == list(range(1, 21))
    assert seg.lines.tolist() == [*range(8, 18), *range(19, 29)]
    assert seg.text(12) == lines[20].decode()


def test_feed_block_without_a_last_newline_and_empty():
    lines = make_log([(1, None), (2, None)])
    a, b = _parser(), _parser()
    got = a.feed_block(b"\n".join(lines))
    want = b.feed(lines)
    assert got.n_rows == want.n_rows == 2
    assert got.segments[0].rows.tolist() == want.segments[0].rows.tolist() == [1, 2]
    assert _parser().feed_block(b"").n_rows == 0


# -- the writer ------------------------------------------------------------------------------
ID_TEXT = st.text(st.sampled_from(list("abC19.-_ ") + [",", '"', "é", "\x00"]), max_size=6)


@settings(max_examples=100, deadline=None)
@given(st.lists(st.tuples(ID_TEXT, ID_TEXT), min_size=1, max_size=30), st.integers(0, 3),
       st.booleans(), st.integers(0, 2**16))  # fmt: skip
def test_arrow_join_writes_the_bytes_of_the_matrix_path(ids, start, novelty, seed):
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame(ids, columns=["ts", "uid"], dtype="str").iloc[start:]
    n = len(frame)
    rows = np.sort(rng.choice(10**7, size=n, replace=False)) + 1
    proba = rng.dirichlet([1, 1, 1], size=n)
    pred = proba.argmax(axis=1)
    flags = [rng.random(n) < 0.5 for _ in range(3)]
    tail = {"why_1": [str(rng.choice(["", "a=1 (+0.5)", 'b="x,y"'])) for _ in range(n)]}

    def written(arrow: bool) -> bytes:
        buf = io.BytesIO()
        w = _write._ScoreWriter(buf, ["normal", "dos", "é,x"], "csv", 6, novelty,
                                ["ts", "uid"], ["why_1"])  # fmt: skip
        plain = _write._arrow_plain
        _write._arrow_plain = plain if arrow else (lambda col: None)
        try:
            w.write(rows, pred, proba, *flags[:2], flags[2] if novelty else None, frame, tail)
        finally:
            _write._arrow_plain = plain
        return buf.getvalue()

    assert written(True) == written(False)


# -- end to end ------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def detector(tmp_path_factory):
    d = tmp_path_factory.mktemp("zeek-block")
    lines = [*header([*FIELDS, "label"], [*TYPES, "string"])]
    lines += ["\t".join([*clean(i), "Malicious" if i % 3 == 0 else "Benign"]).encode()
              for i in range(150)]  # fmt: skip
    src = d / "train.log"
    src.write_bytes(b"\n".join(lines) + b"\n")
    return train_detector("zeek", method="rf", csv_path=src, label="label", quick=True,
                          verbose=False, validation=0)  # fmt: skip


def _score(det, src, out, monkeypatch, fast: bool, **kw):
    used = {"typed": 0, "joined": 0}

    def spy(name, f):
        def call(*a):
            r = f(*a)
            used[name] += r is not None
            return r

        return call

    with monkeypatch.context() as m:
        if fast:
            m.setattr(ZeekParser, "_read_typed", spy("typed", ZeekParser._read_typed))
            m.setattr(_write, "_joined_csv", spy("joined", _write._joined_csv))
        else:  # the text path: no typed reader, identifiers as padded byte matrices
            m.setattr(ZeekParser, "typed", lambda self, *a: None)
            m.setattr(_write, "_arrow_plain", lambda col: None)
        s = score_file(det, src, out, verbose=False, **kw)
    rejects = out.with_name(out.name.replace(".csv", ".rejects.csv"))
    facts = (s.total, s.scored, s.rejected, s.attacks, s.unseen, s.reject_reasons,
             s.reject_details, s.notes)  # fmt: skip
    return out.read_bytes(), rejects.read_bytes(), facts, used


@pytest.mark.parametrize("chunk_size", [5, 37, 100_000])
def test_score_file_fast_and_text_paths_write_the_same_bytes(detector, tmp_path, monkeypatch,
                                                             chunk_size):  # fmt: skip
    # Every kind of damage, in two stretches (blocks there decline the fast paths); clean
    # runs between them, split by header blocks and a comment.
    rnd = random.Random(chunk_size)
    damage = [*DAMAGE, *RAW_DAMAGE] * 3
    rnd.shuffle(damage)
    plan = [(i, None) for i in range(300)]
    for k, at in enumerate([*range(40, 58), *range(230, 248)]):
        plan[at] = (at, damage[k])
    rotations = [(60, "reordered"), (120, "comment"), (150, "no service"), (200, "same")]
    src = tmp_path / "conn.log"
    src.write_bytes(b"\n".join(make_log(plan, rotations)) + b"\n")
    *fast, used = _score(detector, src, tmp_path / "fast.csv", monkeypatch, True,
                         chunk_size=chunk_size)  # fmt: skip
    *text, _ = _score(detector, src, tmp_path / "text.csv", monkeypatch, False,
                      chunk_size=chunk_size)  # fmt: skip
    assert fast == text
    assert used["typed"] and (used["joined"] or chunk_size > 300)  # the fast paths ran
    assert fast[2][2] > 0 and b'"a,b"' in fast[0]  # rejects; an identifier needing quotes
