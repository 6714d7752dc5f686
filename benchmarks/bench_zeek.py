"""Scoring throughput of a Zeek conn.log against the CSV path on the same rows (#29 item 6).

``--rows`` synthetic conn.log records (default 200,000: one third scans with unset
``duration`` and byte counts, the rest DNS exchanges) are written twice: as a Zeek TSV
log (``#`` header, ``-`` for unset) and as a CSV with a header, the same columns and
values, unset numbers written as ``0`` (what the Zeek reader reads them as). One detector
(``--method``, default ``dnn`` with ``quick`` budgets, trained on 3,000 labelled records
of the same generator) scores both with :func:`gavae_ids.scoring.score_file` to CSV files,
alternating, ``--repeats`` times in one process. Printed: rows/s of each (end to end:
reading, parsing, encoding, the model, writing, the Zeek path also copying its seven
identifier columns into the output) and the ratio Zeek / CSV per repeat; the target is
≥ 0.5.

Usage::

    nice python benchmarks/bench_zeek.py --rows 200000 --repeats 3
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

FIELDS = ("ts uid id.orig_h id.orig_p id.resp_h id.resp_p proto service duration orig_bytes "
          "resp_bytes conn_state local_orig local_resp missed_bytes history orig_pkts "
          "orig_ip_bytes resp_pkts resp_ip_bytes tunnel_parents").split()  # fmt: skip
TYPES = ("time string addr port addr port enum string interval count count string bool bool "
         "count string count count count count set[string]").split()  # fmt: skip
NUMERIC = [f for f, t in zip(FIELDS, TYPES, strict=True) if t in ("interval", "count")]


def records(n: int, seed: int) -> tuple[pd.DataFrame, np.ndarray]:
    """``n`` conn.log records as text (Zeek's ``-`` for unset) and whether each is a scan."""
    rng = np.random.default_rng(seed)
    scan = rng.random(n) < 1 / 3
    i = np.arange(n)

    def pick(a, b):
        return np.where(scan, a, b)

    def num(lo, hi):
        return rng.integers(lo, hi, n).astype(str)

    f = {
        "ts": (1_700_000_000 + i * 0.01).round(6).astype(str),
        "uid": np.char.add("C", i.astype(str)),
        "id.orig_h": np.full(n, "192.168.1.10"),
        "id.orig_p": num(32768, 61000),
        "id.resp_h": pick("10.0.2.1", "8.8.8.8"),
        "id.resp_p": pick(num(1, 1024), "53"),
        "proto": pick("tcp", "udp"),
        "service": pick("-", "dns"),
        "duration": pick("-", rng.uniform(0.01, 5, n).round(6).astype(str)),
        "orig_bytes": pick("-", num(30, 80)),
        "resp_bytes": pick("-", num(80, 300)),
        "conn_state": pick("S0", "SF"),
        "local_orig": np.full(n, "-"),
        "local_resp": np.full(n, "-"),
        "missed_bytes": np.full(n, "0"),
        "history": pick("S", "Dd"),
        "orig_pkts": np.full(n, "1"),
        "orig_ip_bytes": pick("60", num(60, 110)),
        "resp_pkts": pick("0", "1"),
        "resp_ip_bytes": pick("0", num(110, 330)),
        "tunnel_parents": np.full(n, "(empty)"),
    }
    return pd.DataFrame(f)[FIELDS], scan


def write_zeek(frame: pd.DataFrame, path: Path, label=None) -> None:
    fields, types = list(FIELDS), list(TYPES)
    if label is not None:
        frame = frame.assign(label=label)
        fields, types = [*fields, "label"], [*types, "string"]
    head = ["#separator \\x09", "#set_separator\t,", "#empty_field\t(empty)",
            "#unset_field\t-", "#path\tconn", "#open\t2024-01-01-00-00-00",
            "#fields\t" + "\t".join(fields), "#types\t" + "\t".join(types)]  # fmt: skip
    with open(path, "w") as f:
        f.write("\n".join(head) + "\n")
        frame.to_csv(f, sep="\t", header=False, index=False)
        f.write("#close\t2024-01-01-01-00-00\n")


def write_csv(frame: pd.DataFrame, path: Path) -> None:
    out = frame.copy()
    for c in NUMERIC:
        out[c] = out[c].where(out[c] != "-", "0")
    out.to_csv(path, index=False)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=200_000)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--method", default="dnn")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()

    from gavae_ids.detection.train import train_detector
    from gavae_ids.scoring import score_file

    with tempfile.TemporaryDirectory(prefix="bench-zeek-") as tmp:
        tmp = Path(tmp)
        train, scan = records(3000, args.seed)
        write_zeek(train, tmp / "train.log", np.where(scan, "Malicious", "Benign"))
        det = train_detector("zeek", method=args.method, csv_path=tmp / "train.log",
                             quick=True, verbose=False, validation=0,
                             random_state=args.seed)  # fmt: skip
        frame, _ = records(args.rows, args.seed + 1)
        write_zeek(frame, tmp / "conn.log")
        write_csv(frame, tmp / "conn.csv")
        print(f"{args.rows:,} rows; method {args.method}; conn.log "
              f"{(tmp / 'conn.log').stat().st_size / 1e6:.1f} MB, conn.csv "
              f"{(tmp / 'conn.csv').stat().st_size / 1e6:.1f} MB")  # fmt: skip
        rates: dict[str, list[float]] = {"zeek": [], "csv": []}
        for r in range(args.repeats):
            for kind, src in (("zeek", "conn.log"), ("csv", "conn.csv")):
                t0 = time.perf_counter()
                s = score_file(det, tmp / src, tmp / f"out-{kind}.csv", verbose=False)
                dt = time.perf_counter() - t0
                assert s.scored == args.rows, (kind, s.line())
                rates[kind].append(args.rows / dt)
            z, c = rates["zeek"][-1], rates["csv"][-1]
            print(f"repeat {r + 1}: zeek {z:,.0f} rows/s, csv {c:,.0f} rows/s, "
                  f"ratio {z / c:.2f}")  # fmt: skip
        ratios = [z / c for z, c in zip(rates["zeek"], rates["csv"], strict=True)]
        print(f"median: zeek {statistics.median(rates['zeek']):,.0f} rows/s, csv "
              f"{statistics.median(rates['csv']):,.0f} rows/s, ratio zeek/csv "
              f"{statistics.median(ratios):.2f} (min {min(ratios):.2f}, max {max(ratios):.2f}; "
              "target >= 0.5)")  # fmt: skip


if __name__ == "__main__":
    main()
