"""Zeek conn.log in: the TSV and JSON readers, training on labelled logs, scoring (#29).

Every log here is made by the tests: a scan (S0, no reply, unset duration and byte
counts) against DNS lookups (SF), the shape of IoT-23's ``conn.log.labeled``.
"""

from __future__ import annotations

import csv
import gzip
import json
import random

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from gavae_ids.cli import app
from gavae_ids.datasets import load_zeek
from gavae_ids.datasets.zeek import IDENTIFIERS, ZeekParser, sniff_format
from gavae_ids.detection.detector import Detector
from gavae_ids.detection.train import train_detector
from gavae_ids.exceptions import DataError
from gavae_ids.scoring import score_file

runner = CliRunner()

FIELDS = ("ts uid id.orig_h id.orig_p id.resp_h id.resp_p proto service duration orig_bytes "
          "resp_bytes conn_state local_orig local_resp missed_bytes history orig_pkts "
          "orig_ip_bytes resp_pkts resp_ip_bytes tunnel_parents").split()  # fmt: skip
TYPES = ("time string addr port addr port enum string interval count count string bool bool "
         "count string count count count count set[string]").split()  # fmt: skip
FEATURES = [f for f in FIELDS if f not in IDENTIFIERS]


def header(fields=FIELDS, types=TYPES, sep="\t", unset="-") -> list[str]:
    esc = "\\x" + format(ord(sep), "02x")
    return [f"#separator {esc}", f"#set_separator{sep},", f"#empty_field{sep}(empty)",
            f"#unset_field{sep}{unset}", f"#path{sep}conn", f"#open{sep}2018-05-09-15-30-31",
            f"#fields{sep}" + sep.join(fields), f"#types{sep}" + sep.join(types)]  # fmt: skip


def values(i: int) -> tuple[list[str], bool]:
    """One flow as Zeek writes it, and whether it is the scan."""
    rnd = random.Random(i)
    if i % 3 == 0:  # a scan: no reply, so duration and byte counts unset
        return [f"{1525879831 + i}.0", f"C{i:08d}", "192.168.100.103", str(40000 + i),
                f"10.0.{i % 250}.1", "23", "tcp", "-", "-", "-", "-", "S0", "-", "-", "0", "S",
                "1", "60", "0", "0", "(empty)"], True  # fmt: skip
    return [f"{1525879831 + i}.5", f"D{i:08d}", "192.168.100.103", str(50000 + i), "8.8.8.8",
            "53", "udp", "dns", f"{rnd.uniform(0.01, 5):.6f}", str(rnd.randint(30, 80)),
            str(rnd.randint(80, 300)), "SF", "-", "-", "0", "Dd", "1", str(rnd.randint(60, 110)),
            "1", str(rnd.randint(110, 330)), "(empty)"], False  # fmt: skip


def conn_log(rows=range(60), close=True) -> str:
    lines = header() + ["\t".join(values(i)[0]) for i in rows]
    return "\n".join(lines + (["#close\t2018-05-09-15-40-00"] if close else [])) + "\n"


def labeled_log(rows=range(150)) -> str:
    """IoT-23's layout: the last #fields entry and data field hold three fields joined by
    three spaces."""
    lines = header([*FIELDS[:-1], "tunnel_parents   label   detailed-label"],
                   [*TYPES[:-1], "set[string]   string   string"])  # fmt: skip
    for i in rows:
        v, scan = values(i)
        lab = ["Malicious", "PartOfAHorizontalPortScan"] if scan else ["Benign", "-"]
        lines.append("\t".join(v[:-1]) + "\t" + "   ".join([v[-1], *lab]))
    return "\n".join([*lines, "#close\t2018-05-09-15-40-00"]) + "\n"


def json_log(rows=range(60), label=False) -> str:
    out = []
    for i in rows:
        v, scan = values(i)
        obj = {}
        for f, t, x in zip(FIELDS, TYPES, v, strict=True):
            if x == "-":  # Zeek's JSON leaves unset fields out
                continue
            if x == "(empty)":
                obj[f] = []
            elif t in ("count", "port"):
                obj[f] = int(x)
            elif t in ("time", "interval"):
                obj[f] = float(x)
            else:
                obj[f] = x
        if label:
            obj["label"] = "Malicious" if scan else "Benign"
        out.append(json.dumps(obj))
    return "\n".join(out) + "\n"


def write(path, text: str):
    path.write_text(text)
    return path


@pytest.fixture(scope="module")
def labeled(tmp_path_factory):
    return write(tmp_path_factory.mktemp("zeek") / "conn.log.labeled", labeled_log())


@pytest.fixture(scope="module")
def detector(labeled):
    return train_detector("zeek", method="rf", csv_path=labeled, label="label", quick=True,
                          verbose=False, validation=0)  # fmt: skip


def score(det, src, tmp_path, **kw):
    out = tmp_path / "out.csv"
    s = score_file(det, src, out, verbose=False, **kw)
    rej = tmp_path / "out.rejects.csv"
    return s, pd.read_csv(out, dtype=str), pd.read_csv(rej, dtype=str)


# -- reading -----------------------------------------------------------------------------------
def test_format_is_told_by_content():
    assert sniff_format(conn_log().encode()[:64]) == "zeek"
    assert sniff_format(json_log().encode()[:64]) == "zeek-json"
    assert sniff_format(b"duration,proto,label\n1,tcp,x\n") == "csv"


def test_declared_separator_and_unset_marker_are_honoured():
    lines = header(sep="|", unset="?") + ["|".join("?" if x == "-" else x for x in values(0)[0])]
    p = ZeekParser(json_lines=False, name="x")
    batch = p.feed([line.encode() for line in lines])
    assert p.header.separator == "|" and p.header.unset_field == "?"
    (seg,) = batch.segments
    assert seg.frame()["service"].iat[0] == "?" and not batch.rejected


def test_iot23_labels_joined_by_spaces_are_split_and_other_label_not_a_feature(labeled):
    b = load_zeek(labeled, label="label")
    assert b.classes == ["Benign", "Malicious"] and len(b.y) == 150
    assert "detailed-label" not in b.X.columns  # it would give the answer away
    assert not set(IDENTIFIERS) & set(b.X.columns)
    assert b.identifiers == list(IDENTIFIERS)
    assert set(b.categorical) == {"proto", "service", "conn_state", "local_orig", "local_resp",
                                  "history"}  # fmt: skip
    assert b.X["duration"].dtype == float
    d = load_zeek(labeled, label="detailed-label")
    assert d.classes == ["-", "PartOfAHorizontalPortScan"] and "label" not in d.X.columns


def test_unset_numbers_read_as_zero_and_counted_unset_categories_kept(labeled):
    b = load_zeek(labeled, label="label")
    scan = (b.y == "Malicious").to_numpy()
    assert (b.X.loc[scan, ["duration", "orig_bytes", "resp_bytes"]] == 0).all().all()
    assert set(b.X.loc[scan, "service"]) == {"-"}  # Zeek recognised no service: a category
    assert b.notes == [f"unset numeric Zeek fields ('-') read as 0: duration {scan.sum()}, "
                       f"orig_bytes {scan.sum()}, resp_bytes {scan.sum()}"]  # fmt: skip


def test_training_reads_a_rotated_log(tmp_path):
    # Two logs joined by cat; the second orders its fields otherwise.
    order = [*FIELDS[:8], *reversed(FIELDS[8:])]
    second = [
        "\t".join(dict(zip(FIELDS, values(i)[0], strict=True))[f] for f in order)
        for i in range(60, 90)
    ]  # fmt: skip
    text = (
        conn_log(range(60))
        + "\n".join(header(order, [TYPES[FIELDS.index(f)] for f in order]) + second)
        + "\n"
    )
    lines = text.splitlines()
    labels = iter("Malicious" if values(i)[1] else "Benign" for i in range(90))
    # A label column at the end of every #fields and data line.
    text = "\n".join(line + "\tlabel" if line.startswith("#fields") else
                     line + "\tstring" if line.startswith("#types") else
                     line if line.startswith("#") else line + "\t" + next(labels)
                     for line in lines) + "\n"  # fmt: skip
    b = load_zeek(write(tmp_path / "rot.log", text), label="label")
    assert len(b.y) == 90 and b.classes == ["Benign", "Malicious"]
    scan = (b.y == "Malicious").to_numpy()
    assert set(b.X.loc[scan, "conn_state"]) == {"S0"} and set(b.X.loc[~scan, "conn_state"]) == {
        "SF"
    }
    assert list(b.X.columns) == [f for f in FIELDS if f in FEATURES]


def test_an_identifier_named_categorical_becomes_a_feature(labeled):
    b = load_zeek(labeled, label="label", categorical=["id.resp_p"])
    assert "id.resp_p" in b.categorical and "id.resp_p" not in b.identifiers


def test_training_on_a_bad_line_names_it(tmp_path):
    lines = labeled_log().splitlines()
    lines[12] = lines[12].replace("\t", "\t\t", 1)
    with pytest.raises(DataError, match=r"row 13: expected 23 fields, found 22"):
        load_zeek(write(tmp_path / "bad.log", "\n".join(lines) + "\n"), label="label")


@pytest.mark.parametrize(
    "text, message",
    [
        ("".join(line + "\n" for line in header()), "no data lines"),
        ("", "is empty"),
        ("\n".join(header()[:6] + ["\t".join(values(0)[0])]) + "\n", "#fields"),
    ],
    ids=["only headers", "empty", "no #fields"],
)
def test_logs_without_data_are_one_clear_error(detector, tmp_path, text, message):
    src = write(tmp_path / "conn.log", text)
    with pytest.raises(DataError, match=message) as e:
        score_file(detector, src, tmp_path / "o.csv", verbose=False, input_format="zeek")
    assert str(src) in str(e.value)
    assert not (tmp_path / "o.csv").exists()  # nothing written


def test_truncated_gzip_is_one_clear_error(detector, tmp_path):
    data = gzip.compress(conn_log(range(500)).encode())
    src = tmp_path / "conn.log.gz"
    src.write_bytes(data[: len(data) // 2])
    with pytest.raises(DataError, match="damaged or truncated"):
        score_file(detector, src, tmp_path / "o.csv", verbose=False)
    with pytest.raises(DataError, match="damaged or truncated"):
        load_zeek(src, label="label")


# -- scoring -----------------------------------------------------------------------------------
def test_every_row_scored_or_rejected_with_a_reason(detector, tmp_path):
    lines = conn_log(range(30)).splitlines()
    first = len(header())
    lines[first + 2] += "\textra"  # row 3: a field too many
    lines[first + 5] = lines[first + 5].replace("\tudp\tdns\t", "\tudp\tdns\tlong\t")  # row 6
    v = lines[first + 7].split("\t")
    v[FIELDS.index("orig_pkts")] = "many"  # row 8: text in a count
    lines[first + 7] = "\t".join(v)
    s, out, rej = score(detector, write(tmp_path / "conn.log", "\n".join(lines) + "\n"),
                        tmp_path)  # fmt: skip
    assert (s.total, s.scored, s.rejected) == (30, 27, 3)  # #close is not a row
    assert rej["row"].tolist() == ["3", "6", "8"]
    assert rej["reason"].tolist()[:2] == ["expected 21 fields, found 22"] * 2
    assert rej["reason"].iat[2] == "value 'many' in column 'orig_pkts' is not a finite number"
    assert rej["record"].iat[2] == lines[first + 7]
    assert sorted(map(int, out["row"])) == sorted(set(range(1, 31)) - {3, 6, 8})
    assert any("read as 0" in n for n in s.notes)


def test_identifiers_in_the_output_and_not_in_the_model(detector, tmp_path):
    assert not set(IDENTIFIERS) & set(detector.schema.columns)
    assert set(detector.schema.columns) == set(FEATURES)
    s, out, _ = score(detector, write(tmp_path / "conn.log", conn_log(range(200, 230))),
                      tmp_path)  # fmt: skip
    assert list(out.columns[: 1 + len(IDENTIFIERS)]) == ["row", *IDENTIFIERS]
    assert out["uid"].tolist() == [values(i)[0][1] for i in range(200, 230)]
    scans = out["uid"].str.startswith("C")
    assert (out.loc[scans, "prediction"] == "Malicious").all()
    assert (out.loc[~scans, "prediction"] == "Benign").all()


def test_rotation_plans_the_columns_again(detector, tmp_path):
    # The second block orders the fields differently; the third lacks a model column.
    order = [*FIELDS[:8], *reversed(FIELDS[8:])]
    types = [TYPES[FIELDS.index(f)] for f in order]
    block2 = [
        "\t".join(dict(zip(FIELDS, values(i)[0], strict=True))[f] for f in order)
        for i in range(10, 15)
    ]  # fmt: skip
    keep = [f for f in FIELDS if f != "history"]
    block3 = ["\t".join(x for f, x in zip(FIELDS, values(i)[0], strict=True) if f != "history")
              for i in range(20, 23)]  # fmt: skip
    text = (
        conn_log(range(5))
        + "\n".join(header(order, types) + block2)
        + "\n"
        + "\n".join(header(keep, [TYPES[FIELDS.index(f)] for f in keep]) + block3)
        + "\n"
    )
    s, out, rej = score(detector, write(tmp_path / "rot.log", text), tmp_path)
    assert (s.total, s.scored, s.rejected) == (13, 10, 3)
    assert out["uid"].tolist() == [values(i)[0][1] for i in [*range(5), *range(10, 15)]]
    assert rej["row"].tolist() == ["11", "12", "13"]
    assert set(rej["reason"]) == {"the header block above this row lacks column(s) history"}
    assert any("header changed 2 time(s)" in n for n in s.notes)


def test_iot23_quirk_only_when_short_by_two(detector, tmp_path):
    text = labeled_log(range(6))
    lines = text.splitlines()
    lines[len(header()) + 1] = lines[len(header()) + 1].rsplit("   ", 1)[0]  # short by 2, 2 parts
    s, out, rej = score(detector, write(tmp_path / "l.log", "\n".join(lines) + "\n"), tmp_path)
    assert (s.scored, s.rejected) == (5, 1)
    assert rej["reason"].tolist() == ["expected 23 fields, found 21"]


def test_json_lines_train_and_score(tmp_path):
    src = write(tmp_path / "conn.json", json_log(range(90), label=True))
    det = train_detector("zeek", method="rf", csv_path=src, quick=True, verbose=False,
                         validation=0)  # fmt: skip
    # Zeek's JSON leaves unset fields out: local_orig/local_resp, never set, are no columns.
    assert set(det.schema.columns) == set(FEATURES) - {"local_orig", "local_resp"}
    assert det.schema.dtypes["duration"] == "numeric" and det.schema.dtypes["proto"] != "numeric"
    lines = json_log(range(100, 110)).splitlines()
    lines[4] = lines[4][:-7]  # a line cut short
    s, out, rej = score(det, write(tmp_path / "new.json", "\n".join(lines) + "\n"), tmp_path)
    assert (s.total, s.scored, s.rejected) == (10, 9, 1)
    assert rej["reason"].iat[0].startswith("malformed JSON")
    assert "uid" in out.columns and out["uid"].iat[0] == "D00000100"


def test_a_tsv_model_scores_json_lines(detector, tmp_path):
    # The TSV model has local_orig/local_resp; JSON leaves them out as unset.
    s, out, rej = score(detector, write(tmp_path / "c.json", json_log(range(200, 230))),
                        tmp_path)  # fmt: skip
    assert (s.scored, s.rejected) == (30, 0) and len(rej) == 0
    assert any("read as unset: local_orig, local_resp" in n for n in s.notes)
    scans = out["uid"].str.startswith("C")
    assert (out.loc[scans, "prediction"] == "Malicious").all()


def test_a_csv_model_does_not_read_a_zeek_log_without_its_columns(tmp_path):
    csv = write(tmp_path / "t.csv", "bytes,proto,label\n" + "".join(
        f"{i},{'tcp' if i % 2 else 'udp'},{'attack' if i % 2 else 'normal'}\n"
        for i in range(40)))  # fmt: skip
    det = train_detector("csv", method="rf", csv_path=csv, quick=True, verbose=False,
                         validation=0)  # fmt: skip
    with pytest.raises(DataError, match="missing column"):
        score_file(det, write(tmp_path / "c.log", conn_log()), tmp_path / "o.csv",
                   verbose=False)  # fmt: skip


# -- the command line --------------------------------------------------------------------------
def test_cli_train_then_score(labeled, tmp_path):
    model = tmp_path / "m"
    res = runner.invoke(app, ["train", "--dataset", "zeek", "--input", str(labeled), "--label",
                              "label", "--method", "dnn", "-p", "epochs=2", "--quick", "-o",
                              str(model), "-q"])  # fmt: skip
    assert res.exit_code == 0, res.output
    det = Detector.load(model)
    assert set(det.schema.columns) == set(FEATURES)
    assert det.info["input_format"] == "zeek" and det.info["identifiers"] == list(IDENTIFIERS)
    lines = conn_log(range(300, 340)).splitlines()
    lines[len(header())] = "garbage"
    src = write(tmp_path / "conn.log", "\n".join(lines) + "\n")
    res = runner.invoke(app, ["score", str(model), str(src), "-o", str(tmp_path / "s.csv"), "-q"])
    assert res.exit_code == 0, res.output
    assert "scored 39 / rejected 1 / total 40 rows" in res.stderr
    out = pd.read_csv(tmp_path / "s.csv", dtype=str)
    rej = pd.read_csv(tmp_path / "s.rejects.csv", dtype=str)
    assert len(out) + len(rej) == 40 and rej["reason"].tolist() == ["expected 21 fields, found 1"]
    assert {"ts", "uid", "id.orig_h", "id.resp_p"} <= set(out.columns)


def test_cli_csv_dataset_reads_a_zeek_log_and_reject_rate_applies(labeled, tmp_path):
    model = tmp_path / "m"
    res = runner.invoke(app, ["train", "--dataset", "csv", "--input", str(labeled), "--method",
                              "rf", "--quick", "-o", str(model), "-q"])  # fmt: skip
    assert res.exit_code == 0, res.output
    lines = conn_log(range(20)).splitlines()
    first = len(header())
    for k in range(first, first + 5):
        lines[k] += "\tx"
    src = write(tmp_path / "conn.log", "\n".join(lines) + "\n")
    res = runner.invoke(app, ["score", str(model), str(src), "-o", str(tmp_path / "s.csv"),
                              "-q", "--input-format", "zeek"])  # fmt: skip
    assert res.exit_code == 3 and "5 of 20 rows rejected" in res.stderr


def test_cli_scores_a_folder_of_rotated_logs(detector, tmp_path):
    logs = tmp_path / "logs"
    logs.mkdir()
    write(logs / "conn.00:00:00-01:00:00.log", conn_log(range(10)))
    (logs / "conn.01:00:00-02:00:00.log.gz").write_bytes(
        gzip.compress(conn_log(range(10, 25)).encode())
    )
    model = tmp_path / "m"
    detector.save(model)
    res = runner.invoke(app, ["score", str(model), str(logs), "-o", str(tmp_path / "out"), "-q"])
    assert res.exit_code == 0, res.output
    a = pd.read_csv(tmp_path / "out" / "conn.00:00:00-01:00:00.csv", dtype=str)
    b = pd.read_csv(tmp_path / "out" / "conn.01:00:00-02:00:00.csv", dtype=str)
    assert a["uid"].tolist() + b["uid"].tolist() == [values(i)[0][1] for i in range(25)]


def test_cli_only_headers_is_one_line(labeled, tmp_path):
    src = write(tmp_path / "empty.log", "\n".join(header()) + "\n#close\tx\n")
    res = runner.invoke(app, ["train", "--dataset", "zeek", "--input", str(src), "--method",
                              "rf", "--quick", "-o", str(tmp_path / "m"), "-q"])  # fmt: skip
    assert res.exit_code == 2
    assert res.stderr.strip().count("\n") == 0 and "no data lines" in res.stderr
    assert "Traceback" not in res.output


# -- property: no line decides the fate of another ---------------------------------------------
def _set(line: bytes, rnd: random.Random, value: bytes, column: str | None = None) -> bytes:
    f = line.split(b"\t")
    f[FIELDS.index(column) if column else rnd.randrange(len(f))] = value
    return b"\t".join(f)


def _insert(line: bytes, rnd: random.Random, what: bytes) -> bytes:
    i = rnd.randrange(len(line) + 1)
    return line[:i] + what + line[i:]


DAMAGE = {
    "cut short": lambda line, rnd: line[: rnd.randrange(len(line))],
    "extra tab": lambda line, rnd: _insert(line, rnd, b"\t"),
    "empty line": lambda line, rnd: b"",
    "not UTF-8": lambda line, rnd: _insert(line, rnd, bytes([rnd.randrange(0x80, 0x100)])),
    "carriage return": lambda line, rnd: _insert(line, rnd, b"\r"),
    "NUL": lambda line, rnd: _insert(line, rnd, b"\x00"),
    "text in a count": lambda line, rnd: _set(line, rnd, b"many", "orig_pkts"),
    "-1e309": lambda line, rnd: _set(line, rnd, b"-1e309", "duration"),
    "NaN": lambda line, rnd: _set(line, rnd, b"NaN", "resp_bytes"),
    "quote and comma in uid": lambda line, rnd: _set(line, rnd, b'C"x,y', "uid"),
    "unset everywhere": lambda line, rnd: b"\t".join([b"-"] * len(FIELDS)),
}


@pytest.fixture(scope="module")
def reference(detector, tmp_path_factory):
    """Scores of the clean lines 0..29, by line number."""
    d = tmp_path_factory.mktemp("ref")
    _, out, _ = score(detector, write(d / "clean.log", conn_log(range(30))), d)
    return out.set_index("uid")


@settings(max_examples=30, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])  # fmt: skip
@given(
    plan=st.lists(st.tuples(st.integers(0, 29), st.sampled_from([None, *DAMAGE])), min_size=1,
                  max_size=40),
    chunk=st.integers(1, 50),
    seed=st.integers(0, 2**16),
    gz=st.booleans(),
    rotate=st.integers(0, 40),
)  # fmt: skip
def test_fuzz_every_row_once_and_clean_rows_as_in_a_clean_file(detector, reference,
                                                               tmp_path_factory, plan, chunk,
                                                               seed, gz, rotate):  # fmt: skip
    rnd = random.Random(seed)
    lines, kinds = [], []
    for i, kind in plan:
        line = "\t".join(values(i)[0]).encode()
        lines.append(line if kind is None else DAMAGE[kind](line, rnd))
        kinds.append((i, kind))
    head = [h.encode() for h in header()]
    body = lines[:rotate] + head + lines[rotate:]  # a header block again: Zeek rotation
    data = b"\n".join([*head, *body, b"#close\tx"]) + b"\n"
    d = tmp_path_factory.mktemp("fuzz")
    src = d / ("f.log.gz" if gz else "f.log")
    src.write_bytes(gzip.compress(data) if gz else data)
    s = score_file(detector, src, d / "out.csv", verbose=False, chunk_size=chunk)
    out = pd.read_csv(d / "out.csv", dtype=str, keep_default_na=False,
                      encoding_errors="surrogateescape")  # fmt: skip
    with open(d / "out.rejects.csv", encoding="utf-8", errors="surrogateescape", newline="") as f:
        rej = list(csv.DictReader(f))
    n = len(lines)
    assert (s.total, s.scored + s.rejected) == (n, n)
    scored = [int(r) for r in out["row"]]
    rejected = [int(r["row"]) for r in rej]
    assert sorted(scored + rejected) == list(range(1, n + 1))  # every row once
    by_row = out.set_index(out["row"].astype(int))
    for row, (i, kind) in enumerate(kinds, start=1):
        if kind is None:
            got = by_row.loc[row]
            want = reference.loc[values(i)[0][1]]
            assert got["prediction"] == want["prediction"]
            assert got["p_Malicious"] == want["p_Malicious"]
    for r in rej:
        raw = lines[int(r["row"]) - 1].decode("utf-8", errors="surrogateescape")
        assert r["record"] == raw.removesuffix("\r")
