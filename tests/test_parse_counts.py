"""The parser's vectorised field counts agree with counting line by line."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from gavae_ids.scoring._parse import _BlockParser


def _by_line(block: bytes) -> tuple[list[int], list[bool]]:
    lines = block.split(b"\n")[:-1]  # bytes after the last newline belong to no line
    return [ln.count(b",") + 1 for ln in lines], [ln in (b"", b"\r") for ln in lines]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from([b",", b"\n", b"\r", b"a", b"0", b'"']), max_size=200))
def test_field_counts_match_line_by_line(pieces):
    block = b"".join(pieces)
    counts, empty = _BlockParser._count_np(None, np.frombuffer(block, dtype=np.uint8))
    want_counts, want_empty = _by_line(block)
    assert counts.tolist() == want_counts
    assert empty.tolist() == want_empty
