"""The CSV writer's pyarrow join (:meth:`_ScoreWriter._joined`) writes the same bytes as the
numpy assembly of every field, and the CSV ``0``/``1`` flags keep their text."""

from __future__ import annotations

import io

import numpy as np
import pandas as pd
import pytest

from gavae_ids.scoring._write import _lookup_field, _ScoreWriter

pytest.importorskip("pyarrow")

CLASSES = [["normal", "DoS", "Probe", "R2L", "U2R"], ["benign", 'a,"b"', "é", "x\ny"],
           ["only"]]  # fmt: skip


def _written(classes, decimals, novelty, rows, proba, rnd, joined: bool, tail=None) -> bytes:
    buf = io.BytesIO()
    tails = list(tail) if tail is not None else []
    w = _ScoreWriter(buf, classes, "csv", decimals, novelty, tail_columns=tails)
    assert w.label_array is not None
    if not joined:
        w.label_array = None
    w.header()
    n = len(rows)
    pred = proba.argmax(axis=1)
    attack, unseen, novel = rnd.random((3, n)) < 0.3
    w.write(rows, pred, proba, attack, unseen, novel if novelty else None, None, tail)
    return buf.getvalue()


@pytest.mark.parametrize("decimals", range(16))
@pytest.mark.parametrize("classes", CLASSES, ids=range(len(CLASSES)))
def test_joined_csv_is_the_numpy_text(decimals, classes):
    for seed, n in enumerate([1, 7, 1000]):
        rnd = np.random.default_rng([decimals, seed])
        proba = rnd.random((n, len(classes))) ** rnd.integers(1, 30)
        proba[: n // 3] = np.clip(np.round(proba[: n // 3]), 0, 1)  # exact 0 and 1
        rows = np.sort(rnd.choice(10 ** (seed * 4 + 1), size=n, replace=False)) + 1
        for novelty in (False, True):
            args = (classes, decimals, novelty, rows, proba)
            fast = _written(*args, np.random.default_rng(seed), joined=True)
            exact = _written(*args, np.random.default_rng(seed), joined=False)
            assert fast == exact


def test_joined_csv_with_text_columns():
    rnd = np.random.default_rng(0)
    n = 50
    proba = rnd.random((n, 5))
    tail = {"why_1": pd.Series([f"f{i}=x (+0.{i})" if i % 3 else "" for i in range(n)]),
            "why_2": pd.Series(['a,"b"' if i % 7 == 0 else "é" for i in range(n)])}  # fmt: skip
    args = (CLASSES[0], 6, False, np.arange(1, n + 1), proba)
    assert _written(*args, np.random.default_rng(1), True, tail) == _written(
        *args, np.random.default_rng(1), False, tail)  # fmt: skip


def test_lookup_field_fixed_and_variable_widths():
    idx = np.array([1, 0, 1, 1])
    fixed = _lookup_field(idx, [b"0", b"1"])
    assert isinstance(fixed, np.ndarray) and fixed.tobytes() == b"1011"
    mat, mask = _lookup_field(idx, [b"false", b"true"])
    assert [bytes(m[k]) for m, k in zip(mat, mask, strict=True)] == [b"true", b"false",
                                                                     b"true", b"true"]  # fmt: skip
