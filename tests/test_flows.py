"""Packet captures → flows → train → score (nfstream), and the errors of bad captures.

The capture is made with scapy in ``tmp_path``: a "normal" set of TCP conversations
(handshake, request, reply, FIN) and DNS exchanges, and a "scan" set of SYNs to many
ports answered by RSTs. The end-to-end tests skip with their reason without nfstream.
"""

from __future__ import annotations

import json

import pandas as pd
import pytest
from typer.testing import CliRunner

from gavae_ids.cli import app
from gavae_ids.datasets import flows as fl
from gavae_ids.exceptions import DataError

scapy = pytest.importorskip("scapy.all", reason="scapy (dev extra) writes the test captures")

SCANNER = "10.0.0.66"
needs_nfstream = pytest.mark.skipif(
    __import__("importlib").util.find_spec("nfstream") is None,
    reason="nfstream is absent (optional extra gavae-ids[flows])",
)


def _packets(n_conv: int = 30, n_scan: int = 120, seed: int = 0):
    """A few hundred packets: normal TCP/UDP conversations and a SYN scan, in time order."""
    import random

    from scapy.all import DNS, DNSQR, IP, TCP, UDP, Ether, Raw

    rnd = random.Random(seed)
    pk, t = [], 1_700_000_000.0
    for i in range(n_conv):
        cli, srv = f"10.0.1.{i % 20 + 2}", "10.0.2.10"
        sp, dp = 40000 + i, rnd.choice([80, 443])
        body = Raw(b"x" * rnd.randint(200, 1200))
        seq = [(cli, srv, sp, dp, "S", b""), (srv, cli, dp, sp, "SA", b""),
               (cli, srv, sp, dp, "A", b""), (cli, srv, sp, dp, "PA", b"GET / HTTP/1.1\r\n"),
               (srv, cli, dp, sp, "PA", body), (cli, srv, sp, dp, "FA", b""),
               (srv, cli, dp, sp, "FA", b""), (cli, srv, sp, dp, "A", b"")]  # fmt: skip
        for src, dst, s, d, flags, load in seq:
            t += rnd.uniform(0.005, 0.05)
            pk.append(Ether() / IP(src=src, dst=dst) / TCP(sport=s, dport=d, flags=flags) / load)
            pk[-1].time = t
        t += rnd.uniform(0.005, 0.05)
        q = Ether() / IP(src=cli, dst="10.0.2.53") / UDP(sport=50000 + i, dport=53) / DNS(
            rd=1, qd=DNSQR(qname=f"host{i}.example"))  # fmt: skip
        q.time = t
        r = Ether() / IP(src="10.0.2.53", dst=cli) / UDP(sport=53, dport=50000 + i) / DNS(
            id=q[DNS].id, qr=1, qd=q[DNS].qd)  # fmt: skip
        r.time = t + 0.002
        pk += [q, r]
    for k in range(n_scan):
        t += 0.001
        syn = Ether() / IP(src=SCANNER, dst="10.0.2.10") / TCP(sport=61000, dport=1 + k, flags="S")
        syn.time = t
        rst = Ether() / IP(src="10.0.2.10", dst=SCANNER) / TCP(sport=1 + k, dport=61000, flags="RA")
        rst.time = t + 0.0002
        pk += [syn, rst]
    return sorted(pk, key=lambda p: float(p.time))


@pytest.fixture(scope="module")
def capture(tmp_path_factory):
    from scapy.all import wrpcap

    path = tmp_path_factory.mktemp("pcap") / "capture.pcap"
    wrpcap(str(path), _packets())
    return path


# -- captures that are not whole -------------------------------------------------------------
def test_not_a_pcap_is_one_line_naming_the_file(tmp_path):
    bad = tmp_path / "notes.pcap"
    bad.write_text("src,dst\n1,2\n")
    with pytest.raises(DataError, match=r"notes\.pcap: not a packet capture"):
        fl.check_capture(bad)


def test_truncated_pcap_names_the_cut_packet(capture, tmp_path):
    data = capture.read_bytes()
    cut = tmp_path / "cut.pcap"
    cut.write_bytes(data[:-10])
    n = fl.check_capture(capture)
    assert n == len(_packets())
    with pytest.raises(DataError, match=rf"cut\.pcap: truncated capture: packet {n:,} is cut"):
        fl.check_capture(cut)
    head = tmp_path / "head.pcap"
    head.write_bytes(data[:20])
    with pytest.raises(DataError, match="file header is incomplete"):
        fl.check_capture(head)


def test_truncated_pcapng_is_refused(tmp_path):
    from scapy.all import IP, TCP, Ether
    from scapy.utils import PcapNgWriter

    path = tmp_path / "c.pcapng"
    w = PcapNgWriter(str(path))
    for i in range(5):
        w.write(Ether() / IP(dst="10.0.0.1") / TCP(dport=80 + i))
    w.close()
    assert fl.capture_kind(path.read_bytes()[:4]) == "pcapng"
    assert fl.check_capture(path) >= 5  # section and interface blocks besides the packets
    path.write_bytes(path.read_bytes()[:-7])
    with pytest.raises(DataError, match=r"c\.pcapng: truncated capture: block"):
        fl.check_capture(path)


@needs_nfstream
def test_capture_without_ip_flows_is_one_line(tmp_path):
    from scapy.all import ARP, Ether, wrpcap

    path = tmp_path / "arp.pcap"
    wrpcap(str(path), [Ether() / ARP(pdst=f"10.0.0.{i}") for i in range(1, 6)])
    with pytest.raises(DataError, match=r"arp\.pcap: no flows"):
        fl.pcap_to_flows(path)
    empty = tmp_path / "empty.pcap"
    wrpcap(str(empty), [])
    result = CliRunner().invoke(app, ["flows", str(empty), "--out", str(tmp_path / "f.csv")])
    assert result.exit_code == 2
    assert "empty.pcap: no flows" in result.output
    assert len(result.output.strip().splitlines()) == 1


def test_flows_without_nfstream_names_the_extra(capture, tmp_path, monkeypatch):
    import sys

    monkeypatch.setitem(sys.modules, "nfstream", None)  # import fails as if absent
    result = CliRunner().invoke(app, ["flows", str(capture), "--out", str(tmp_path / "f.csv")])
    assert result.exit_code == 2
    assert "pip install 'gavae-ids[flows]'" in result.output
    assert len(result.output.strip().splitlines()) == 1


# -- feature set --------------------------------------------------------------------------------
def test_feature_set_hash_moves_with_the_settings_only():
    a = fl.feature_set(fl.FlowSettings(), "6.6.0")
    assert a["sha256"] == fl.feature_set(fl.FlowSettings(), "6.5.3")["sha256"]
    assert a["sha256"] != fl.feature_set(fl.FlowSettings(idle_timeout=10))["sha256"]
    assert not set(a["features"]) & set(a["identifiers"])
    assert fl.FlowSettings.from_feature_set(a) == fl.FlowSettings()
    fl.check_feature_set(a, a, "x")
    with pytest.raises(DataError, match="model was trained on nfstream-stats v1 .idle 120 s"):
        fl.check_feature_set(a, fl.feature_set(fl.FlowSettings(idle_timeout=10)), "f.csv")


# -- capture → flows → train → score -------------------------------------------------------------
def _labelled(flows: pd.DataFrame) -> pd.DataFrame:
    """The test's ground truth joined as ``label``: flows of the scanner are the scan."""
    scan = (flows["src_ip"] == SCANNER) | (flows["dst_ip"] == SCANNER)
    return flows.assign(label=scan.map({True: "scan", False: "normal"}))


@pytest.fixture(scope="module")
def trained(capture, tmp_path_factory):
    """``gavae-ids flows`` to Parquet and CSV, labels joined, ``gavae-ids train`` on them."""
    pytest.importorskip("nfstream", reason="nfstream is absent (optional extra gavae-ids[flows])")
    tmp = tmp_path_factory.mktemp("flows")
    runner = CliRunner()
    out = {}
    for name in ("flows.parquet", "flows.csv"):
        result = runner.invoke(app, ["flows", str(capture), "--out", str(tmp / name)])
        assert result.exit_code == 0, result.output
        out[name] = tmp / name
    flows = pd.read_parquet(out["flows.parquet"])
    fs = fl.read_feature_set(out["flows.parquet"])
    labelled = tmp / "labelled.parquet"
    frame = _labelled(flows)
    frame.attrs["feature_set"] = fs
    fl.write_flows(frame, labelled)
    bundle = tmp / "bundle"
    result = runner.invoke(app, ["train", "--dataset", "flows", "--input", str(labelled),
                                 "-m", "rf", "--validation", "0.3", "--decision", "argmax",
                                 "--out", str(bundle),
                                 "--quiet"])  # fmt: skip
    assert result.exit_code == 0, result.output
    return {"tmp": tmp, "bundle": bundle, "flows": flows, "fs": fs, **out}


@needs_nfstream
def test_flows_output_records_its_feature_set(trained, capture):
    flows, fs = trained["flows"], trained["fs"]
    assert list(flows.columns) == [*fl.IDENTIFIERS, *fl.FEATURES]
    assert fs["sha256"] == fl.feature_set()["sha256"]
    assert fl.read_feature_set(trained["flows.csv"])["sha256"] == fs["sha256"]
    csv = pd.read_csv(trained["flows.csv"])
    assert len(csv) == len(flows)
    # 30 TCP + 30 DNS conversations and 120 scanned ports, one flow each
    assert (flows["src_ip"] == SCANNER).sum() == 120
    assert len(flows) == 180
    assert set(flows["protocol"]) == {"tcp", "udp"}


@needs_nfstream
def test_bundle_keeps_the_feature_set_and_never_trains_on_identifiers(trained):
    from gavae_ids.detection.detector import Detector

    det = Detector.load(trained["bundle"])
    assert det.info["feature_set"]["sha256"] == trained["fs"]["sha256"]
    assert set(det.schema.columns) == set(fl.FEATURES)
    assert det.schema.dtypes["protocol"] == "categorical"


@needs_nfstream
def test_score_a_capture_directly_flags_the_scan(trained, capture):
    out = trained["tmp"] / "scored.csv"
    result = CliRunner().invoke(app, ["score", str(trained["bundle"]), str(capture),
                                      "--out", str(out), "--quiet"])  # fmt: skip
    assert result.exit_code == 0, result.output
    scored = pd.read_csv(out)
    assert len(scored) == len(trained["flows"])
    assert list(scored.columns[:6]) == ["row", *fl.OUTPUT_IDENTIFIERS]
    scan = scored["src_ip"] == SCANNER
    assert scored.loc[scan, "is_attack"].mean() > 0.9
    assert scored.loc[~scan, "is_attack"].mean() < 0.1


@needs_nfstream
def test_score_refuses_flows_of_other_settings(trained, capture):
    runner = CliRunner()
    other = trained["tmp"] / "other.csv"
    result = runner.invoke(app, ["flows", str(capture), "--out", str(other),
                                 "--idle-timeout", "5"])  # fmt: skip
    assert result.exit_code == 0, result.output
    result = runner.invoke(app, ["score", str(trained["bundle"]), str(other),
                                 "--out", str(trained["tmp"] / "o.csv"), "--quiet"])  # fmt: skip
    assert result.exit_code == 2
    assert "idle 5 s" in result.output and "trained on nfstream-stats v1 (idle 120 s" in (
        result.output)  # fmt: skip
    assert not (trained["tmp"] / "o.csv").exists()
    # The same settings pass the check and score.
    result = runner.invoke(app, ["score", str(trained["bundle"]), str(trained["flows.csv"]),
                                 "--out", str(trained["tmp"] / "same.csv"), "--quiet"])  # fmt: skip
    assert result.exit_code == 0, result.output


@needs_nfstream
def test_flows_without_their_record_are_scored_with_a_warning(trained, caplog):
    from gavae_ids.detection.detector import Detector
    from gavae_ids.scoring import score_file

    bare = trained["tmp"] / "bare.csv"
    bare.write_bytes(trained["flows.csv"].read_bytes())  # no .features.json beside it
    det = Detector.load(trained["bundle"])
    with caplog.at_level("WARNING", logger="gavae_ids.scoring._pcap"):
        s = score_file(det, bare, trained["tmp"] / "bare-scored.csv", verbose=False)
    assert s.scored == len(trained["flows"])
    assert "bare.csv records no feature set" in caplog.text


@needs_nfstream
def test_score_named_pcap_format_and_gzip_capture(trained, capture, tmp_path):
    import gzip

    gz = tmp_path / "capture.pcap.gz"
    gz.write_bytes(gzip.compress(capture.read_bytes()))
    out = tmp_path / "s.jsonl"
    result = CliRunner().invoke(app, ["score", str(trained["bundle"]), str(gz), "--out", str(out),
                                      "--input-format", "pcap", "--quiet"])  # fmt: skip
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert len(rows) == len(trained["flows"])


@needs_nfstream
def test_score_a_truncated_capture_is_one_line(trained, capture, tmp_path):
    cut = tmp_path / "cut.pcap"
    cut.write_bytes(capture.read_bytes()[:-10])
    result = CliRunner().invoke(app, ["score", str(trained["bundle"]), str(cut),
                                      "--out", str(tmp_path / "s.csv"), "--quiet"])  # fmt: skip
    assert result.exit_code == 2
    assert f"{cut}: truncated capture" in result.output
    assert not (tmp_path / "s.csv").exists()


def test_score_a_capture_without_nfstream_names_the_extra(capture, monkeypatch):
    import io
    import sys
    from types import SimpleNamespace

    from gavae_ids.detection.schema import TrainingSchema
    from gavae_ids.exceptions import MissingExtraError
    from gavae_ids.scoring._pcap import flows_reader

    monkeypatch.setitem(sys.modules, "nfstream", None)
    det = SimpleNamespace(
        info={}, schema=TrainingSchema(("protocol",), {"protocol": "categorical"})
    )
    with (
        open(capture, "rb") as f,
        pytest.raises(MissingExtraError, match=r"pip install 'gavae-ids\[flows\]'"),
    ):
        flows_reader(det, io.BufferedReader(f), str(capture), capture, input_format="auto",
                     extra_columns="ignore", chunk_size=100)  # fmt: skip
    # A CSV is no capture: the hook leaves it to the other readers.
    csv = io.BufferedReader(io.BytesIO(b"protocol\ntcp\n"))
    assert flows_reader(det, csv, "x.csv", "x.csv", input_format="auto", extra_columns="ignore",
                        chunk_size=100) is None  # fmt: skip


# -- IoT-23 in the fetch registry --------------------------------------------------------------
IOT23 = "CTU-IoT-Malware-Capture-44-1.conn.log.labeled"


def test_iot23_is_fetched_only_when_named():
    from gavae_ids.datasets.fetch import select_files

    assert not [e for e in select_files() if e.dataset == "iot-23"]
    named = select_files(dataset="iot-23")
    assert IOT23 in [e.name for e in named] and all(e.format == "zeek" for e in named)
    assert all(e.sha256 is None and e.rows is None for e in named)  # unverified candidates


def test_iot23_copy_is_checked_by_its_fields_and_trains(tmp_path):
    from gavae_ids.datasets import fetch_datasets, verify_datasets
    from test_zeek import labeled_log  # an IoT-23-style log: labels joined by spaces

    mirror, home = tmp_path / "mirror", tmp_path / "home"
    (mirror / "iot-23").mkdir(parents=True)
    text = labeled_log(range(90))
    (mirror / "iot-23" / IOT23).write_text(text)
    (r,) = fetch_datasets([IOT23], data_home=home, mirror=str(mirror), verbose=False)
    assert r.status == "downloaded"
    statuses = {s.name: s for s in verify_datasets(home)}
    assert statuses[IOT23].state == "ok" and "90 data rows" in statuses[IOT23].detail
    assert not [s for s in statuses.values() if s.dataset == "iot-23" and s.name != IOT23]
    result = CliRunner().invoke(app, ["train", "--dataset", "zeek", "--input", str(r.path),
                                      "--label", "detailed-label", "--normal-label", "-",
                                      "-m", "rf", "--quick",
                                      "--validation", "0", "--out", str(tmp_path / "b"),
                                      "--quiet"])  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "classes -, PartOfAHorizontalPortScan (normal: -)" in result.output
    # A log whose #fields lacks the label columns is not an IoT-23 copy.
    other = IOT23.replace("44-1", "34-1")
    (mirror / "iot-23" / other).write_text(text.replace("   label   detailed-label", ""))
    with pytest.raises(DataError, match=r"#fields has 21 columns, expected the 23 of iot-23"):
        fetch_datasets([other], data_home=home, mirror=str(mirror), verbose=False)
