"""The typed fast path of the Zeek parser (#29): on a clean block it gives what the exact
text path gives; on a block it cannot vouch for it declines, and the exact path decides.

Both parsers read the same lines; compared are the rejected lines (row, reason, raw line),
the kept rows, the model frame (numbers, categories), the per-row reasons of bad cells,
the count of unset numbers read as 0, and the identifiers the scorer copies.
"""

from __future__ import annotations

import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from gavae_ids.datasets._zeek_lines import _is_typed
from gavae_ids.datasets.zeek import ZeekParser, model_frame
from gavae_ids.scoring._write import _arrow_text, _id_field, _text_field

FIELDS = ["ts", "uid", "proto", "duration", "orig_bytes", "service", "resp_pkts"]
TYPES = ["time", "string", "enum", "interval", "count", "string", "count"]
NUMERIC = ["duration", "orig_bytes", "resp_pkts"]
CATEGORICAL = ["proto", "service"]
IDS = ["ts", "uid"]
HEADER = ["#separator \\x09", "#set_separator\t,", "#empty_field\t(empty)", "#unset_field\t-",
          "#fields\t" + "\t".join(FIELDS), "#types\t" + "\t".join(TYPES)]  # fmt: skip

MARKERS = st.sampled_from(["-", "(empty)"])
CLEAN_NUMBER = st.one_of(
    st.integers(-(10**12), 10**12).map(str),
    st.floats(allow_nan=False, allow_infinity=False).map(repr),
    MARKERS,
)
# Not a finite number (or not the exact path's text): the fast path must decline these.
DIRTY_NUMBER = st.sampled_from(["nan", "NaN", "inf", "-inf", "", "abc", "1e400", "5x", "é"])
TEXT = st.one_of(MARKERS, st.text(st.characters(codec="ascii", exclude_characters="\t\n\r#\x00"),
                                  max_size=6))  # fmt: skip


def _line(numbers: list[str], texts: list[str]) -> str:
    ts, uid, proto, service = texts
    duration, orig_bytes, resp_pkts = numbers
    return "\t".join([ts, uid, proto, duration, orig_bytes, service, resp_pkts])


def lines(number):
    row = st.builds(_line, st.lists(number, min_size=3, max_size=3),
                    st.lists(TEXT, min_size=4, max_size=4))  # fmt: skip
    return st.lists(row, min_size=1, max_size=20)


def outcome(typed: bool, data: list[str]):
    parser = ZeekParser(json_lines=False, name="t")
    if typed:
        parser.typed(NUMERIC, CATEGORICAL, IDS)
    batch = parser.feed([s.encode() for s in HEADER + data])
    rejected = [(r.row, r.line, r.kind, r.detail, r.text, r.record) for r in batch.rejected]
    frames, used = [], []
    for seg in batch.segments:
        raw = seg.frame()
        used += [_is_typed(p) for p in seg.parts]
        X, bad, filled = model_frame(raw, seg.header, NUMERIC, CATEGORICAL)
        ids = raw.reindex(columns=IDS, fill_value="")
        frames.append((list(seg.rows), X, bad, filled, ids))
    return rejected, frames, used


def assert_same(data: list[str]) -> list[bool]:
    """The two paths agree on ``data``; returns which blocks the fast path read."""
    rej_t, frames_t, used = outcome(True, data)
    rej_e, frames_e, used_e = outcome(False, data)
    assert not any(used_e)
    assert rej_t == rej_e
    assert len(frames_t) == len(frames_e)
    for (rows_t, X_t, bad_t, filled_t, ids_t), (rows_e, X_e, bad_e, filled_e, ids_e) in zip(
        frames_t, frames_e, strict=True
    ):
        assert rows_t == rows_e
        as_text = {c: object for c in CATEGORICAL}  # the fast path's are pandas categoricals
        pd.testing.assert_frame_equal(X_t.astype(as_text), X_e.astype(as_text))
        assert bad_t == bad_e
        assert filled_t == filled_e
        pd.testing.assert_frame_equal(ids_t.astype(object), ids_e)
    return used


@settings(max_examples=150, deadline=None)
@given(lines(CLEAN_NUMBER))
def test_clean_block_read_typed_and_same_as_exact_path(data):
    used = assert_same(data)
    assert used == [True]


@settings(max_examples=150, deadline=None)
@given(lines(st.one_of(CLEAN_NUMBER, DIRTY_NUMBER)), st.integers(0, 20),
       st.sampled_from(["", "#close\t2018", "x\ty", "a\tb\tc\td\te\tf\tg\th"]))  # fmt: skip
def test_dirty_block_declined_and_same_as_exact_path(data, at, extra):
    if extra:  # a comment splits the block; a wrong field count makes it dirty
        data = data[:at] + [extra] + data[at:]
    used = assert_same(data)
    dirty = any(v in {"nan", "NaN", "inf", "-inf", "", "abc", "1e400", "5x", "é"}
                for line in data if line.count("\t") == len(FIELDS) - 1
                for v in [line.split("\t")[i] for i in (3, 4, 6)])  # fmt: skip
    if dirty and not extra.startswith("#"):
        assert not any(used)


@settings(max_examples=150, deadline=None)
@given(st.lists(st.text(st.characters(codec="utf-8", exclude_characters="\x00"), max_size=5),
                min_size=1, max_size=30), st.integers(0, 3))  # fmt: skip
def test_identifiers_cut_from_arrow_buffers_are_written_as_the_text(values, start):
    col = pd.Series(values, dtype="str")[start:]  # a slice: the buffers start later
    expect = _text_field(col.tolist(), "csv")
    mat, mask = _id_field(col, "csv")
    assert [bytes(r[k]) for r, k in zip(mat, mask, strict=True)] == [
        bytes(r[k]) for r, k in zip(*expect, strict=True)]  # fmt: skip
    plain = all(v.isascii() and not set(v) & set(',"\r\n') for v in col)
    if len(col) and plain and "".join(col) and col.dtype.storage == "pyarrow":
        assert _arrow_text(col) is not None
