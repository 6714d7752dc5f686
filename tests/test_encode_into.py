"""Encoding into a caller's matrix (``out=``, reused chunk after chunk by ``score``) gives
the bytes of a fresh encoding, whatever the matrix held before."""

from __future__ import annotations

import numpy as np
import pytest

from gavae_ids.preprocessing import TabularPreprocessor


@pytest.fixture(scope="module")
def fitted(nsl_train20):
    return TabularPreprocessor(categorical=nsl_train20.categorical).fit(nsl_train20.X)


def test_encode_into_a_used_matrix_is_a_fresh_encoding(fitted, nsl_test):
    X = nsl_test.X.iloc[:3000].copy()
    X.loc[X.index[::7], "service"] = "never-seen"  # unseen categories: all-zero blocks
    width = fitted.layout_.n_features
    buf = np.full((5000, width), np.nan, dtype=np.float32)
    buf[::3] = 1.0
    for part in (X.iloc[:3000], X.iloc[100:1100], X.iloc[:1]):
        want, want_unseen = fitted.encode(part)
        got, unseen = fitted.encode(part, out=buf)
        assert np.shares_memory(got, buf) and got.shape == want.shape
        assert got.tobytes() == want.tobytes()
        assert np.array_equal(unseen, want_unseen)


def test_small_detector_encode_into(small_detector, nsl_test):
    X = nsl_test.X.iloc[:500]
    want, want_unseen = small_detector.encode(X)
    buf = np.full((600, want.shape[1]), 7.0, dtype=np.float32)
    got, unseen = small_detector.encode(X, out=buf)
    assert got.tobytes() == want.tobytes() and np.array_equal(unseen, want_unseen)


@pytest.mark.parametrize("bad", [np.zeros((10, 3), np.float32), np.zeros((1, 0), np.float64),
                                 "fortran", "few rows"])  # fmt: skip
def test_encode_into_refuses_a_matrix_that_does_not_fit(fitted, nsl_test, bad):
    width = fitted.layout_.n_features
    if isinstance(bad, str):
        bad = (np.zeros((width, 50), np.float32).T if bad == "fortran"
               else np.zeros((5, width), np.float32))  # fmt: skip
    if bad.shape[1] == 0:
        bad = np.zeros((50, width), np.float64)
    with pytest.raises(ValueError, match="out must be"):
        fitted.encode(nsl_test.X.iloc[:10], out=bad)


@pytest.mark.parametrize("chunk_size", [37, 1000])
def test_score_file_reusing_the_matrix_writes_the_same_bytes(
    small_detector, shipped_file, tmp_path, monkeypatch, chunk_size
):
    import gzip

    from gavae_ids.scoring import _driver, score_file

    with gzip.open(shipped_file("KDDTest+.txt"), "rb") as f:
        lines = [next(f) for _ in range(3000)]
    lines[5] = b"tcp,too,few\n"  # a rejected line: chunks of several sizes
    src = tmp_path / "in.csv"
    src.write_bytes(b"".join(lines))

    class Fresh:  # a new matrix per chunk, as before the buffer
        def get(self, n, det):
            return None

    out = {}
    for name, buffer in (("reused", _driver._EncodeBuffer), ("fresh", Fresh)):
        monkeypatch.setattr(_driver, "_EncodeBuffer", buffer)
        score_file(small_detector, src, tmp_path / f"{name}.csv", header=False,
                   verbose=False, chunk_size=chunk_size)  # fmt: skip
        out[name] = (tmp_path / f"{name}.csv").read_bytes()
    assert out["reused"] == out["fresh"] and out["fresh"].count(b"\n") == 3000
