"""Parquet input and output, and many files scored as one job (local engine)."""

from __future__ import annotations

import gzip
import sys

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from gavae_ids.cli import app
from gavae_ids.exceptions import DataError, MissingExtraError
from gavae_ids.scoring import score_file
from gavae_ids.scoring.jobs import REJECTS_DIR, expand_inputs, score_files

pa = pytest.importorskip("pyarrow")
pq = pytest.importorskip("pyarrow.parquet")

N_ROWS = 600


@pytest.fixture(scope="module")
def detector(small_detector):
    return small_detector


@pytest.fixture(scope="module")
def bundle(detector, tmp_path_factory):
    return detector.save(tmp_path_factory.mktemp("jobs") / "model")


@pytest.fixture(scope="module")
def records(nsl_test):
    return nsl_test.X.iloc[:N_ROWS].reset_index(drop=True)


# Bad cells: (row index, column, kind). Kinds: null, nan, inf, text, empty.
BAD = [(3, "src_bytes", "null"), (10, "duration", "nan"), (11, "dst_bytes", "inf"),
       (20, "protocol_type", "null"), (21, "service", "empty"), (40, "count", "text")]  # fmt: skip
UNSEEN_ROW = 30  # a categorical value unseen in training: scored and flagged


def bad_pair(records, tmp_path, name="bad"):
    """The same records as Parquet (nulls, NaN, inf, text) and as CSV text; both with
    the columns reversed and an extra column."""
    df = records.copy()
    df["flag"] = df["flag"].astype(object)
    df.loc[UNSEEN_ROW, "flag"] = "NEVER-SEEN"
    df["note"] = "x"
    df = df[df.columns[::-1]]
    text = df.astype(object).copy()
    arrays = {}
    for c in df.columns:
        values = df[c].to_numpy(dtype=object)
        null = np.zeros(len(df), dtype=bool)
        for r, col, kind in BAD:
            if col != c:
                continue
            cell = {"null": "", "nan": "nan", "inf": "inf", "text": "abc", "empty": ""}[kind]
            text.loc[r, c] = cell
            if kind == "null":
                null[r] = True
            elif kind in ("nan", "inf"):
                values[r] = float(kind)
            else:
                values[r] = cell
        if any(col == c and kind == "text" for _, col, kind in BAD):
            arrays[c] = pa.array([None if n else str(v) for v, n in zip(values, null,
                                                                        strict=True)])  # fmt: skip
        elif pd.api.types.is_numeric_dtype(df[c]):
            arrays[c] = pa.array(values.astype(np.float64), mask=null)
        else:
            arrays[c] = pa.array([None if n else v for v, n in zip(values, null, strict=True)])
    pq.write_table(pa.table(arrays), tmp_path / f"{name}.parquet", row_group_size=250)
    (tmp_path / f"{name}.csv").write_text(text.to_csv(index=False))
    return tmp_path / f"{name}.parquet", tmp_path / f"{name}.csv"


def rejects(path) -> pd.DataFrame:
    return pd.read_csv(path, dtype={"reason": str, "record": str}, keep_default_na=False)


# -- Parquet input -----------------------------------------------------------------------------
def test_parquet_input_scores_like_the_same_csv(detector, records, tmp_path):
    pqt, csv = bad_pair(records, tmp_path)
    a = score_file(detector, csv, tmp_path / "a.csv", verbose=False, chunk_size=97)
    b = score_file(detector, pqt, tmp_path / "b.csv", verbose=False, chunk_size=97)
    assert (b.total, b.scored, b.rejected) == (N_ROWS, N_ROWS - len(BAD), len(BAD))
    assert (a.total, a.scored, a.rejected, a.unseen) == (b.total, b.scored, b.rejected, b.unseen)
    assert a.reject_reasons == b.reject_reasons and a.reject_details == b.reject_details
    assert b.notes == a.notes and "ignored 1 column(s) not used by the model: note" in b.notes
    assert (tmp_path / "a.csv").read_bytes() == (tmp_path / "b.csv").read_bytes()
    ra, rb = rejects(tmp_path / "a.rejects.csv"), rejects(tmp_path / "b.rejects.csv")
    assert rb["row"].tolist() == [r + 1 for r, _, _ in BAD]
    assert rb["reason"].tolist() == ra["reason"].tolist()
    assert "value 'abc' in column 'count' is not a finite number" in rb["reason"].tolist()
    assert "empty value in column 'src_bytes'" in rb["reason"].tolist()
    # The record is the row's model columns as a CSV line, in training order.
    assert rb["record"].str.count(",").eq(len(detector.schema.columns) - 1).all()
    scored = pd.read_csv(tmp_path / "b.csv")
    assert scored.loc[scored["row"] == UNSEEN_ROW + 1, "unseen_category"].item() == 1


def test_parquet_missing_column_is_one_error_before_output(detector, records, tmp_path):
    src = tmp_path / "m.parquet"
    records.drop(columns=["service"]).to_parquet(src)
    with pytest.raises(DataError, match=r"m\.parquet: missing column\(s\) service"):
        score_file(detector, src, tmp_path / "out.csv", verbose=False)
    assert not (tmp_path / "out.csv").exists()
    with pytest.raises(DataError, match="not in the model's schema: extra"):
        score_file(detector, _with_extra(records, tmp_path), tmp_path / "o.csv",
                   extra_columns="error", verbose=False)  # fmt: skip


def test_parquet_column_of_nulls_rejects_every_row(detector, records, tmp_path):
    src = tmp_path / "n.parquet"
    records.head(20).assign(src_bytes=None).to_parquet(src)
    assert pq.read_schema(src).field("src_bytes").type == pa.null()
    s = score_file(detector, src, tmp_path / "out.csv", verbose=False)
    assert (s.total, s.rejected) == (20, 20)
    assert s.reject_details == {"empty value": {"column 'src_bytes'": 20}}


def _with_extra(records, tmp_path):
    p = tmp_path / "e.parquet"
    records.assign(extra=1).to_parquet(p)
    return p


def test_damaged_parquet_is_a_data_error(detector, records, tmp_path):
    src = tmp_path / "d.parquet"
    records.to_parquet(src)
    data = src.read_bytes()
    src.write_bytes(data[: len(data) // 2] + b"PAR1")  # magic at both ends, body cut
    with pytest.raises(DataError, match="d.parquet"):
        score_file(detector, src, tmp_path / "out.csv", verbose=False)


def test_parquet_output_holds_the_csv_output(detector, records, tmp_path):
    src = tmp_path / "in.csv"
    records.to_csv(src, index=False)
    score_file(detector, src, tmp_path / "a.csv", verbose=False)
    score_file(detector, src, tmp_path / "b.parquet", verbose=False, chunk_size=200)
    a, b = pd.read_csv(tmp_path / "a.csv"), pd.read_parquet(tmp_path / "b.parquet")
    assert list(a.columns) == list(b.columns)
    assert b["row"].dtype == np.int64 and b["is_attack"].dtype == bool
    assert pq.ParquetFile(tmp_path / "b.parquet").num_row_groups == 3
    probs = [c for c in a.columns if c.startswith("p_")]
    np.testing.assert_array_equal(a[probs].to_numpy(), b[probs].to_numpy())  # same rounding
    for c in ("row", "prediction", "is_attack", "unseen_category"):
        assert a[c].astype(str if c == "prediction" else int).tolist() == b[c].astype(
            str if c == "prediction" else int).tolist()  # fmt: skip
    assert (tmp_path / "b.rejects.csv").is_file()


@pytest.mark.parametrize("out, match", [("-", "needs a file"), ("x.parquet.gz", "drop the .gz")])
def test_parquet_output_needs_a_plain_file(detector, records, tmp_path, out, match):
    src = tmp_path / "in.csv"
    records.to_csv(src, index=False)
    target = out if out == "-" else tmp_path / out
    with pytest.raises(DataError, match=match):
        score_file(detector, src, target, fmt="parquet", verbose=False)


def test_missing_pyarrow_names_the_extra(detector, records, tmp_path, monkeypatch):
    src = tmp_path / "in.parquet"
    records.to_parquet(src)
    monkeypatch.setitem(sys.modules, "pyarrow", None)
    with pytest.raises(MissingExtraError, match=r"pip install 'gavae-ids\[parquet\]'"):
        score_file(detector, src, tmp_path / "out.csv", verbose=False)


# -- many files, one job -----------------------------------------------------------------------
@pytest.fixture
def flows(records, tmp_path):
    """A folder of four inputs: Parquet with bad rows, CSV with bad rows, gzip CSV, Parquet."""
    d = tmp_path / "flows"
    d.mkdir()
    bad_pair(records.iloc[:300].reset_index(drop=True), d, "a")  # a.parquet, a.csv
    (d / "a.csv").rename(d / "b.csv")
    with gzip.open(d / "c.csv.gz", "wt") as f:
        f.write(records.iloc[300:].to_csv(index=False))
    records.iloc[100:400].to_parquet(d / "d.parquet")
    (d / "_ignored.csv").write_text("not an input\n")
    return d


def test_local_job_equals_one_file_at_a_time(detector, flows, tmp_path):
    job = score_files(detector, flows, tmp_path / "scored", fmt="csv", chunk_size=128,
                      verbose=False)  # fmt: skip
    names = ["a.parquet", "b.csv", "c.csv.gz", "d.parquet"]
    assert [p.name for p in expand_inputs(flows)] == names
    assert [s.source for s in job.files] == [str(flows / n) for n in names]
    for name, s in zip(names, job.files, strict=True):
        stem = name.split(".")[0]
        one = score_file(detector, flows / name, tmp_path / f"one-{stem}.csv", chunk_size=128,
                         verbose=False)  # fmt: skip
        assert (s.total, s.scored, s.rejected) == (one.total, one.scored, one.rejected)
        assert s.scored + s.rejected == s.total
        out = tmp_path / "scored" / f"{stem}.csv"
        assert out.read_bytes() == (tmp_path / f"one-{stem}.csv").read_bytes()
        rej = tmp_path / "scored" / REJECTS_DIR / f"{stem}.csv"
        assert rej.read_bytes() == (tmp_path / f"one-{stem}.rejects.csv").read_bytes()
    assert job.total == sum(s.total for s in job.files) == 300 + 300 + 300 + 300
    assert job.rejected == 2 * len(BAD) and job.scored + job.rejected == job.total
    assert sum(job.reject_reasons.values()) == job.rejected
    assert not list((tmp_path / "scored").rglob(".*"))  # no temporary part left


def test_parquet_job_is_a_parquet_dataset(detector, flows, tmp_path):
    job = score_files(detector, str(flows / "*.parquet"), tmp_path / "scored", verbose=False)
    assert job.total == 600 and {p.name for p in (tmp_path / "scored").iterdir()} == {
        "a.parquet", "d.parquet", REJECTS_DIR}  # fmt: skip
    both = pd.read_parquet(tmp_path / "scored")  # _rejects/ is not part of the dataset
    assert len(both) == job.scored
    d = pd.read_parquet(tmp_path / "scored" / "d.parquet")
    assert d["row"].tolist() == list(range(1, 301))  # row numbers per input file


def test_a_bad_file_stops_the_job_before_any_output(detector, flows, records, tmp_path):
    records.drop(columns=["flag"]).to_csv(flows / "z.csv", index=False)
    with pytest.raises(DataError, match=r"z\.csv, row 1: missing column\(s\) flag"):
        score_files(detector, flows, tmp_path / "scored", verbose=False)
    assert not (tmp_path / "scored").exists()


def test_two_inputs_with_one_output_name_are_refused(detector, flows, tmp_path):
    (tmp_path / "b.csv").write_bytes((flows / "b.csv").read_bytes())
    with pytest.raises(DataError, match="would both be written to"):
        score_files(detector, [flows / "b.csv", flows / "b.csv", tmp_path / "b.csv"],
                    tmp_path / "s", verbose=False)  # fmt: skip
    with pytest.raises(DataError, match="no file matches"):
        score_files(detector, str(flows / "*.json"), tmp_path / "s", verbose=False)


def test_job_options_are_checked_before_any_output(detector, flows, tmp_path):
    for kw, match in [({"threshold": 1.5}, "threshold"), ({"engine": "dask"}, "bundle folder"),
                      ({"workers": 2}, "--engine dask only")]:  # fmt: skip
        with pytest.raises(DataError, match=match):
            score_files(detector, flows, tmp_path / "s", verbose=False, **kw)
    assert not (tmp_path / "s").exists()


def test_missing_dask_names_the_extra(bundle, flows, tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "distributed", None)
    with pytest.raises(MissingExtraError, match=r"pip install 'gavae-ids\[dask\]'"):
        score_files(bundle, flows, tmp_path / "s", engine="dask", verbose=False)


def test_cli_scores_a_glob_into_a_folder(bundle, flows, tmp_path):
    out = tmp_path / "scored"
    r = CliRunner().invoke(app, ["score", str(bundle), str(flows / "*.parquet"), str(flows /
                                 "b.csv"), "--out", str(out), "-q"])  # fmt: skip
    assert r.exit_code == 0, r.output
    assert "rejected 12 / total 900 rows" in r.output
    assert sorted(p.name for p in out.iterdir()) == [REJECTS_DIR, "a.csv", "b.csv",
                                                      "d.csv"]  # fmt: skip
    r = CliRunner().invoke(app, ["score", str(bundle), str(flows / "b.csv"), str(flows /
                                 "d.parquet"), "--out", str(out), "--max-reject-rate", "0.01",
                                 "-q"])  # fmt: skip
    assert r.exit_code == 3, r.output  # 6 of 600 rows: 1 %, but 2 % of b.csv
    assert "6 of 300 rows rejected (2.0%) from " in r.output and "d.parquet" not in r.output
    r = CliRunner().invoke(app, ["score", str(bundle), str(flows), "--out", "-", "-q"])
    assert r.exit_code == 2 and "needs an output folder" in r.output
    r = CliRunner().invoke(app, ["score", str(bundle), "-", "--engine", "dask", "--out",
                                 str(out)])  # fmt: skip
    assert r.exit_code == 2 and "stdin ('-') is one stream" in r.output
