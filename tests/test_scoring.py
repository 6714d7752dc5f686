"""Scoring files: chunking, every row accounted for, header checks, formats, CLI."""

from __future__ import annotations

import csv
import gzip
import io
import json

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from gavae_ids.cli import app
from gavae_ids.datasets import NSL_KDD_FEATURES
from gavae_ids.detection.detector import Detector
from gavae_ids.exceptions import DataError
from gavae_ids.scoring import score_file
from gavae_ids.scoring._read import _line_blocks

N_ROWS = 1500


@pytest.fixture(scope="module")
def detector(small_detector):
    return small_detector


@pytest.fixture(scope="module")
def bundle(detector, tmp_path_factory):
    return detector.save(tmp_path_factory.mktemp("score") / "model")


@pytest.fixture(scope="module")
def records(nsl_test):
    return nsl_test.X.iloc[:N_ROWS].reset_index(drop=True)


@pytest.fixture(scope="module")
def raw_lines(shipped_file):
    """The first N_ROWS lines of KDDTest+ as they are: 43 fields, no header."""
    with gzip.open(shipped_file("KDDTest+.txt"), "rb") as f:
        return [next(f) for _ in range(N_ROWS)]


@pytest.fixture(scope="module")
def csv_text(records) -> str:
    return records.to_csv(index=False)


def write(tmp_path, text, name="in.csv") -> str:
    p = tmp_path / name
    p.write_bytes(text if isinstance(text, bytes) else text.encode())
    return str(p)


def score(detector, src, tmp_path, name="out.csv", **kw):
    out = tmp_path / name
    s = score_file(detector, src, out, verbose=False, **kw)
    return s, out


def assert_same_scores(a: pd.DataFrame, b: pd.DataFrame) -> None:
    """Equal up to float32 noise: the classifier's sums depend slightly on the batch size."""
    probs = [c for c in a.columns if c.startswith("p_")]
    assert list(a.columns) == list(b.columns)
    pd.testing.assert_frame_equal(a.drop(columns=probs), b.drop(columns=probs))
    np.testing.assert_allclose(a[probs].to_numpy(), b[probs].to_numpy(), atol=1e-6)


def read_rejects(path) -> pd.DataFrame:
    return pd.read_csv(path, dtype={"reason": str, "record": str}, keep_default_na=False)


# -- correctness -------------------------------------------------------------------------------
def test_scores_match_the_detector(detector, records, csv_text, tmp_path):
    s, out = score(detector, write(tmp_path, csv_text), tmp_path)
    assert (s.total, s.scored, s.rejected) == (N_ROWS, N_ROWS, 0)
    df = pd.read_csv(out)
    classes = list(detector.classes_)
    assert list(df.columns) == ["row", "prediction", *[f"p_{c}" for c in classes],
                                "is_attack", "unseen_category"]  # fmt: skip
    assert df["row"].tolist() == list(range(1, N_ROWS + 1))
    proba = detector.predict_proba(records)
    np.testing.assert_allclose(df[[f"p_{c}" for c in classes]].to_numpy(), proba, atol=1e-6)
    assert (df["prediction"].to_numpy() == detector.classes_[proba.argmax(1)]).all()
    assert (df["is_attack"].to_numpy() == (df["prediction"] != "Normal")).all()
    assert s.attacks == int(df["is_attack"].sum())
    _, unseen = detector.encode(records)
    assert (df["unseen_category"].to_numpy() == unseen).all() and s.unseen == unseen.sum()


def test_chunked_equals_one_shot(detector, csv_text, tmp_path):
    src = write(tmp_path, csv_text)
    _, one = score(detector, src, tmp_path, "one.csv", chunk_size=10**6)
    _, many = score(detector, src, tmp_path, "many.csv", chunk_size=7)  # 215 chunks
    assert_same_scores(pd.read_csv(many), pd.read_csv(one))


def test_threshold(detector, records, csv_text, tmp_path):
    s, out = score(detector, write(tmp_path, csv_text), tmp_path, threshold=0.9)
    df = pd.read_csv(out)
    p_normal = detector.predict_proba(records)[:, detector.normal_index_]
    np.testing.assert_array_equal(df["is_attack"].to_numpy(), 1 - p_normal >= 0.9)
    assert s.attacks == int(df["is_attack"].sum())


def test_no_header_with_trailing_fields_equals_header_input(detector, raw_lines, tmp_path):
    names = [*NSL_KDD_FEATURES, "attack", "difficulty"]
    s1, plain = score(detector, write(tmp_path, b"".join(raw_lines)), tmp_path, "a.csv",
                      header=False, chunk_size=3)  # fmt: skip
    assert s1.scored == N_ROWS and "ignored the last 2 field(s)" in s1.notes[0]
    with_header = (",".join(names) + "\n").encode() + b"".join(raw_lines)
    s2, named = score(detector, write(tmp_path, with_header, "h.csv"), tmp_path, "b.csv")
    assert "ignored 2 column(s) not used by the model: attack, difficulty" in s2.notes[0]
    assert_same_scores(pd.read_csv(plain), pd.read_csv(named))
    with pytest.raises(DataError, match="43 fields.*41"):
        score(detector, write(tmp_path, b"".join(raw_lines)), tmp_path, "c.csv", header=False,
              extra_columns="error")  # fmt: skip


def test_reordered_and_extra_columns(detector, records, csv_text, tmp_path):
    _, ref = score(detector, write(tmp_path, csv_text), tmp_path, "ref.csv")
    shuffled = records[list(reversed(records.columns))].assign(label="x")
    s, out = score(detector, write(tmp_path, shuffled.to_csv(index=False), "r.csv"), tmp_path)
    assert out.read_bytes() == ref.read_bytes()
    assert any("reordered" in n for n in s.notes) and any("label" in n for n in s.notes)
    with pytest.raises(DataError, match="not in the model's schema: label"):
        score(detector, write(tmp_path, shuffled.to_csv(index=False), "r.csv"), tmp_path,
              "x.csv", extra_columns="error")  # fmt: skip


def test_gzip_input_and_jsonl_output(detector, csv_text, tmp_path):
    _, ref = score(detector, write(tmp_path, csv_text), tmp_path, "ref.csv")
    gz = write(tmp_path, gzip.compress(csv_text.encode()), "in.csv.gz")
    _, out = score(detector, gz, tmp_path, "out.jsonl", chunk_size=100)
    recs = [json.loads(line) for line in out.read_text().splitlines()]
    assert isinstance(recs[0]["unseen_category"], bool) and isinstance(recs[0]["row"], int)
    as_frame = pd.DataFrame(recs).astype({"is_attack": int, "unseen_category": int})
    assert_same_scores(as_frame, pd.read_csv(ref))


def test_gzip_output(detector, csv_text, tmp_path):
    _, ref = score(detector, write(tmp_path, csv_text), tmp_path, "ref.csv")
    _, out = score(detector, write(tmp_path, csv_text), tmp_path, "out.csv.gz")
    assert gzip.decompress(out.read_bytes()) == ref.read_bytes()


def test_truncated_gzip_input(detector, csv_text, tmp_path):
    gz = gzip.compress(csv_text.encode())
    with pytest.raises(DataError, match="damaged or truncated"):
        score(detector, write(tmp_path, gz[: len(gz) // 2], "t.csv.gz"), tmp_path)


# -- every row accounted for -------------------------------------------------------------------
BAD = {
    # row (1-based) → (how the line is spoiled, expected reason)
    3: (lambda f: f[:-1], "expected 41 fields, found 40"),
    5: (lambda f: [*f, "7"], "expected 41 fields, found 42"),
    8: (lambda f: _set(f, "src_bytes", ""), "empty value in column 'src_bytes'"),
    9: (lambda f: _set(f, "count", "abc"), "value 'abc' in column 'count' is not a finite number"),
    11: (lambda f: _set(f, "duration", "nan"), "value 'nan' in column 'duration'"),
    12: (lambda f: _set(f, "dst_bytes", "inf"), "column 'dst_bytes' is not a finite number"),
    14: (lambda f: _set(f, "protocol_type", ""), "empty value in column 'protocol_type'"),
    15: (lambda f: [], "empty line"),
}


def _set(fields, col, value):
    fields = list(fields)
    fields[list(NSL_KDD_FEATURES).index(col)] = value
    return fields


def spoiled_csv(records) -> str:
    lines = records.iloc[:20].to_csv(index=False, header=False).splitlines()
    for row, (spoil, _) in BAD.items():
        lines[row - 1] = ",".join(spoil(lines[row - 1].split(",")))
    return ",".join(NSL_KDD_FEATURES) + "\n" + "\n".join(lines) + "\n"


@pytest.mark.parametrize("chunk_size", [1, 4, 1000])
def test_every_row_is_accounted_for(detector, records, tmp_path, chunk_size):
    text = spoiled_csv(records)
    s, out = score(detector, write(tmp_path, text), tmp_path, chunk_size=chunk_size)
    assert (s.total, s.rejected, s.scored) == (20, len(BAD), 20 - len(BAD))
    rej = read_rejects(tmp_path / "out.rejects.csv")
    assert rej["row"].tolist() == sorted(BAD)
    for row, reason in zip(rej["row"], rej["reason"], strict=True):
        assert BAD[row][1] in reason
    assert rej["record"].iloc[0] == text.splitlines()[3]  # row 3 is line 4
    scored = pd.read_csv(out)
    good = [r for r in range(1, 21) if r not in BAD]
    assert scored["row"].tolist() == good
    # the good rows get the scores they get on their own
    proba = detector.predict_proba(records.iloc[[r - 1 for r in good]])
    np.testing.assert_allclose(scored.filter(like="p_").to_numpy(), proba, atol=1e-6)
    assert s.reject_reasons["wrong field count"] == 2 and s.reject_reasons["empty line"] == 1


def test_quoted_fields_are_parsed(detector, records, csv_text, tmp_path):
    _, ref = score(detector, write(tmp_path, csv_text), tmp_path, "ref.csv")
    quoted = records.to_csv(index=False, quoting=1)  # csv.QUOTE_ALL
    s, out = score(detector, write(tmp_path, quoted, "q.csv"), tmp_path)
    assert s.scored == N_ROWS and out.read_bytes() == ref.read_bytes()
    broken = quoted.splitlines()
    broken[2] = broken[2].replace('"tcp"', '"tcp')
    s, _ = score(detector, write(tmp_path, "\n".join(broken) + "\n", "b.csv"), tmp_path)
    assert s.rejected == 1 and "malformed CSV" in read_rejects(tmp_path / "out.rejects.csv")[
        "reason"].iloc[0]  # fmt: skip


def test_unseen_categories_are_scored_and_flagged(detector, records, tmp_path):
    rows = records.iloc[:10].copy()
    rows.loc[[2, 7], "service"] = "brand_new_service"
    s, out = score(detector, write(tmp_path, rows.to_csv(index=False)), tmp_path)
    df = pd.read_csv(out)
    assert s.scored == 10 and s.unseen == 2
    assert df.loc[df["unseen_category"] == 1, "row"].tolist() == [3, 8]


def test_crlf_bom_padding_and_missing_final_newline(detector, records, tmp_path):
    text = records.iloc[:50].to_csv(index=False)
    _, ref = score(detector, write(tmp_path, text), tmp_path, "ref.csv")
    windows = text.rstrip("\n").replace("\n", "\r\n").replace(",tcp,", ", tcp ,")
    assert ", tcp ," in windows
    s, out = score(detector, write(tmp_path, b"\xef\xbb\xbf" + windows.encode(), "w.csv"), tmp_path)
    assert s.scored == 50 and s.unseen == 0 and out.read_bytes() == ref.read_bytes()


def test_bare_carriage_return_is_rejected_not_misnumbered(detector, records, tmp_path):
    lines = records.iloc[:6].to_csv(index=False).splitlines()
    lines[3] = lines[3].replace(",tcp,", ",tcp\r,")  # a stray CR splits the record for pandas
    s, out = score(detector, write(tmp_path, "\n".join(lines) + "\n"), tmp_path)
    assert (s.scored, s.rejected) == (5, 1)
    assert pd.read_csv(out)["row"].tolist() == [1, 2, 4, 5, 6]
    assert read_rejects(tmp_path / "out.rejects.csv")["row"].tolist() == [3]


@pytest.mark.parametrize("chunk_rows", [1, 3, 50])
@pytest.mark.parametrize("read_size", [1, 7, 64, 10_000])
def test_line_blocks_cut_whole_lines(chunk_rows, read_size):
    rng = np.random.RandomState(chunk_rows + read_size)
    lines = [b"x" * rng.randint(0, 20) + b"\n" for _ in range(101)]
    data = b"".join(lines)[:-1]  # last line without its newline
    blocks = list(_line_blocks(io.BytesIO(data), chunk_rows, b"head\n", read_size=read_size))
    assert b"".join(b for b, _ in blocks) == b"head\n" + data + b"\n"
    assert all(b.endswith(b"\n") and b.count(b"\n") == n for b, n in blocks)
    assert all(n == chunk_rows for _, n in blocks[:-1]) and 0 < blocks[-1][1] <= chunk_rows


# -- bad input files ---------------------------------------------------------------------------
def test_empty_file_is_an_error_and_writes_nothing(detector, tmp_path):
    with pytest.raises(DataError, match="empty: no header line"):
        score(detector, write(tmp_path, b""), tmp_path)
    assert not (tmp_path / "out.csv").exists()


def test_empty_headerless_file_scores_nothing(detector, tmp_path):
    s, out = score(detector, write(tmp_path, b""), tmp_path, header=False)
    assert (s.total, s.scored, s.rejected) == (0, 0, 0) and len(out.read_text().splitlines()) == 1


def test_header_only_file_scores_nothing(detector, tmp_path):
    s, out = score(detector, write(tmp_path, ",".join(NSL_KDD_FEATURES) + "\n"), tmp_path)
    assert (s.total, s.scored, s.rejected) == (0, 0, 0)
    assert out.read_text().splitlines() == [
        "row,prediction,p_DoS,p_Normal,p_Probe,p_R2L,p_U2R,is_attack,unseen_category"
    ]


def test_missing_columns_fail_before_any_output(detector, records, tmp_path):
    text = records.drop(columns=["flag", "count"]).to_csv(index=False)
    with pytest.raises(DataError, match="row 1.*missing column.*flag, count"):
        score(detector, write(tmp_path, text), tmp_path)
    assert not (tmp_path / "out.csv").exists()
    assert not (tmp_path / "out.rejects.csv").exists()


def test_headerless_file_read_with_header_gets_a_hint(detector, raw_lines, tmp_path):
    with pytest.raises(DataError, match="looks like data.*--no-header"):
        score(detector, write(tmp_path, b"".join(raw_lines[:5])), tmp_path)


def test_output_may_not_overwrite_input(detector, csv_text, tmp_path):
    src = write(tmp_path, csv_text, "same.csv")
    with pytest.raises(DataError, match="overwrite the input"):
        score_file(detector, src, src, verbose=False)


def test_stream_in_stream_out(detector, csv_text, tmp_path):
    _, ref = score(detector, write(tmp_path, csv_text), tmp_path, "ref.csv")
    sink = io.BytesIO()
    s = score_file(detector, io.BytesIO(csv_text.encode()), sink, verbose=False)
    assert s.rejects is None and sink.getvalue() == ref.read_bytes()


# -- command line ------------------------------------------------------------------------------
runner = CliRunner()


def test_cli_score_file(bundle, csv_text, tmp_path):
    src = write(tmp_path, csv_text)
    res = runner.invoke(app, ["score", str(bundle), src, "-o", str(tmp_path / "o.jsonl"), "-q"])
    assert res.exit_code == 0, res.output
    assert f"scored {N_ROWS:,} / rejected 0 / total {N_ROWS:,} rows" in res.stderr
    assert len((tmp_path / "o.jsonl").read_text().splitlines()) == N_ROWS


def test_cli_score_stdin_to_stdout(bundle, detector, raw_lines, tmp_path):
    data = b"".join(raw_lines[:40])
    args = ["score", str(bundle), "-", "--no-header", "-q", "-t", "0.5"]
    res = runner.invoke(app, args, input=data)
    assert res.exit_code == 0, res.output
    df = pd.read_csv(io.StringIO(res.stdout))
    assert len(df) == 40 and df["row"].tolist() == list(range(1, 41))
    assert "ignored the last 2 field(s)" in res.stderr
    res_gz = runner.invoke(app, [*args, "--format", "jsonl"], input=gzip.compress(data))
    assert res_gz.exit_code == 0, res_gz.output
    assert [json.loads(x)["prediction"] for x in res_gz.stdout.splitlines()] == df[
        "prediction"].tolist()  # fmt: skip


def test_cli_errors_are_one_line_with_exit_2(bundle, records, tmp_path):
    src = write(tmp_path, records.drop(columns=["service"]).to_csv(index=False))
    res = runner.invoke(app, ["score", str(bundle), src, "-o", str(tmp_path / "o.csv"), "-q"])
    assert res.exit_code == 2
    assert res.stderr.startswith("error: ") and "service" in res.stderr
    assert len(res.stderr.strip().splitlines()) == 1
    res = runner.invoke(app, ["score", str(tmp_path / "nope"), src, "-q"])
    assert res.exit_code == 2 and "no such model bundle" in res.stderr


def test_cli_train_then_score(data_home, tmp_path, raw_lines):
    out = tmp_path / "m"
    res = runner.invoke(app, ["train", "--dataset", "nsl-kdd", "--method", "dnn", "--quick",
                              "-p", "epochs=1", "-p", "hidden=[8]", "-o", str(out),
                              "--data-dir", str(data_home), "-q"])  # fmt: skip
    assert res.exit_code == 0, res.output
    assert "wrote" in res.stdout and Detector.load(out).method == "dnn"
    res = runner.invoke(app, ["train", "--method", "knn", "-o", str(tmp_path / "knn"), "-q"])
    assert res.exit_code == 2 and "pickl" in res.stderr
    src = write(tmp_path, b"".join(raw_lines[:30]))
    res = runner.invoke(app, ["score", str(out), src, "--no-header", "-o",
                              str(tmp_path / "s.csv"), "-q"])  # fmt: skip
    assert res.exit_code == 0, res.output
    assert len(pd.read_csv(tmp_path / "s.csv")) == 30


def test_long_and_short_line_with_a_right_comma_total_are_both_rejected(detector, records,
                                                                          tmp_path):  # fmt: skip
    lines = records.iloc[:4].to_csv(index=False, header=False).splitlines()
    lines[1] += ",999"  # one field too many ...
    lines[2] = lines[2].rsplit(",", 1)[0]  # ... and one too few: the comma total is right
    text = ",".join(NSL_KDD_FEATURES) + "\n" + "\n".join(lines) + "\n"
    s, _ = score(detector, write(tmp_path, text), tmp_path)
    assert (s.scored, s.rejected) == (2, 2)
    rej = read_rejects(tmp_path / "out.rejects.csv")
    n = len(NSL_KDD_FEATURES)
    assert rej["reason"].tolist() == [f"expected {n} fields, found {n + 1}",
                                      f"expected {n} fields, found {n - 1}"]  # fmt: skip


# -- header-less layout: the schema and a vote, never the first line alone (#17) ---------------
def _quote(line: bytes) -> bytes:
    f = line.split(b",")
    return b",".join([f[0], b'"' + f[1], *f[2:]])  # an unmatched double quote


FIRST_LINE_DAMAGE = {
    "unmatched quote": (lambda ls: [_quote(ls[0]), *ls[1:]], 1, "malformed CSV"),
    "doubled comma": (lambda ls: [ls[0].replace(b",", b",,", 1), *ls[1:]], 1,
                      "expected 43 fields, found 44"),
    "cut short": (lambda ls: [ls[0][: len(ls[0]) // 2] + b"\n", *ls[1:]], 1,
                  "expected 43 fields, found"),
    "empty line before": (lambda ls: [b"\n", *ls], 0, "empty line"),
}  # fmt: skip


@pytest.fixture(scope="module")
def headerless_scores(detector, raw_lines, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("headerless")
    s, out = score(detector, write(tmp, b"".join(raw_lines)), tmp, header=False)
    assert (s.scored, s.rejected, s.trailing_fields) == (N_ROWS, 0, 2)
    return pd.read_csv(out)


@pytest.mark.parametrize("damage", FIRST_LINE_DAMAGE)
@pytest.mark.parametrize("chunk_size", [7, 400])
def test_a_damaged_first_line_rejects_only_itself(detector, raw_lines, headerless_scores,
                                                  tmp_path, damage, chunk_size):  # fmt: skip
    spoil, first_clean, reason = FIRST_LINE_DAMAGE[damage]
    lines = spoil(raw_lines)
    s, out = score(detector, write(tmp_path, b"".join(lines)), tmp_path, header=False,
                   chunk_size=chunk_size)  # fmt: skip
    assert (s.total, s.rejected, s.scored) == (len(lines), 1, len(lines) - 1)
    assert s.trailing_fields == 2 and s.reject_rate == 1 / len(lines)
    rej = read_rejects(tmp_path / "out.rejects.csv")
    assert rej["row"].tolist() == [1] and reason in rej["reason"].iloc[0]
    assert rej["record"].iloc[0] == lines[0].decode().rstrip("\n")
    scored = pd.read_csv(out)
    expected = headerless_scores.iloc[first_clean:].reset_index(drop=True)
    shift = len(lines) - N_ROWS  # the empty line before the data moves every row down one
    assert_same_scores(scored.assign(row=scored["row"] - shift), expected)


def test_headerless_without_trailing_fields_is_voted_too(detector, records, tmp_path):
    lines = records.iloc[:30].to_csv(index=False, header=False).splitlines()
    lines[0] += ",normal,21"  # the first line alone would make it 43 fields for every line
    s, _ = score(detector, write(tmp_path, "\n".join(lines) + "\n"), tmp_path, header=False)
    assert (s.scored, s.rejected, s.trailing_fields, s.notes) == (29, 1, 0, [])
    assert s.reject_details == {"wrong field count": {"expected 41, found 43": 1}}


def test_trailing_fields_given(detector, raw_lines, headerless_scores, tmp_path):
    src = write(tmp_path, b"".join(raw_lines[:20]))
    s, out = score(detector, src, tmp_path, header=False, trailing_fields=2)
    assert s.scored == 20 and "trailing_fields=2" in s.notes[0]
    assert_same_scores(pd.read_csv(out), headerless_scores.iloc[:20])
    s, _ = score(detector, src, tmp_path, header=False, trailing_fields="0")
    assert (s.scored, s.rejected) == (0, 20) and s.reject_rate == 1.0
    assert s.reject_reasons == {"wrong field count": 20}
    assert s.top_reasons() == [("wrong field count", 20)]
    assert s.reasons_text().strip() == "20  wrong field count: expected 41, found 43 (20)"
    for bad in ("all", -1, 1.5, True):
        with pytest.raises(DataError, match="trailing_fields must be"):
            score(detector, src, tmp_path, header=False, trailing_fields=bad)
    with pytest.raises(DataError, match="contradict"):
        score(detector, src, tmp_path, header=False, trailing_fields=2, extra_columns="error")


def test_no_line_with_a_plausible_width(detector, records, tmp_path):
    text = records.iloc[:5, :30].to_csv(index=False, header=False)
    s, _ = score(detector, write(tmp_path, text), tmp_path, header=False)
    assert (s.scored, s.rejected, s.trailing_fields) == (0, 5, 0)
    assert "no line of the first 5 has 41 to 43 (5 have 30)" in s.notes[0]


def test_rejects_file_keeps_the_raw_bytes(detector, raw_lines, tmp_path):
    bad = [raw_lines[0].replace(b",tcp,", b",\xff\xfetcp,"),  # not UTF-8: an unseen category
           b"\xe9" + raw_lines[1],  # not UTF-8 in a number: rejected
           b'1,"a\r\n', b"x\r\r\n", raw_lines[2].rstrip(b"\n")]  # fmt: skip
    s, _ = score(detector, write(tmp_path, b"".join(bad)), tmp_path, header=False)
    assert (s.scored, s.rejected, s.unseen) == (2, 3, 1)
    with open(tmp_path / "out.rejects.csv", encoding="utf-8", errors="surrogateescape",
              newline="") as f:  # fmt: skip
        rows = list(csv.reader(f))[1:]
    assert [int(r[0]) for r in rows] == [2, 3, 4]
    assert [r[2].encode("utf-8", "surrogateescape") for r in rows] == [
        bad[1].rstrip(b"\n"), b'1,"a', b"x\r"]  # fmt: skip


def test_cli_too_many_rejects_exits_3_after_writing_everything(bundle, raw_lines, tmp_path):
    src = write(tmp_path, b"".join(raw_lines[:40]))
    out = tmp_path / "o.csv"
    args = ["score", str(bundle), src, "--no-header", "-o", str(out), "-q"]
    res = runner.invoke(app, [*args, "--trailing-fields", "0"])
    assert res.exit_code == 3, res.output
    assert "rejected 40 / total 40" in res.stderr
    assert "40  wrong field count: expected 41, found 43" in res.stderr
    assert "error: 40 of 40 rows rejected (100.0%), more than --max-reject-rate 0.05" in res.stderr
    assert len(read_rejects(tmp_path / "o.rejects.csv")) == 40 and out.read_text().count("\n") == 1
    res = runner.invoke(app, [*args, "--trailing-fields", "0", "--max-reject-rate", "1"])
    assert res.exit_code == 0 and "error" not in res.stderr
    lines = [raw_lines[0].replace(b",", b",,", 1), b"\n", *raw_lines[1:40]]
    stdin = [*args[:2], "-", *args[3:]]
    res = runner.invoke(app, stdin, input=b"".join(lines))
    assert res.exit_code == 0 and "scored 39 / rejected 2 / total 41" in res.stderr
    assert "1  wrong field count: expected 43, found 44" in res.stderr
    res = runner.invoke(app, [*stdin, "--max-reject-rate", "0.04"], input=b"".join(lines))
    assert res.exit_code == 3 and "2 of 41 rows rejected (4.9%)" in res.stderr
    res = runner.invoke(app, [*args, "--trailing-fields", "two"])
    assert res.exit_code == 2 and res.stderr.startswith("error: trailing_fields must be")
