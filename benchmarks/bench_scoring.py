"""Scoring throughput: rows/s end to end from a CSV, and model-only on encoded arrays.

The input is KDDTest+ as it is published (41 features + attack + difficulty, no
header) repeated to at least ``--rows`` rows (default 1 M), written to a
temporary file. The process is pinned to ``--cores`` CPU cores (default 2).

* **end to end**: :func:`gavae_ids.scoring.score_file` from the CSV file to a
  CSV (and a JSON Lines) file on disk — reading, field checks, parsing,
  encoding, the classifier, formatting, writing. The default configuration
  runs the classifier with one torch thread while a reader thread parses and
  encodes the next chunk; ``torch threads = 2`` is shown for comparison.
* **model only**: ``Detector.predict_proba_encoded`` on the already encoded
  rows, with ``torch.set_num_threads(2)`` (and 1).

Without ``--model`` a DNN with the GAVAE-DNN's architecture (122-80-40-20-5 on
NSL-KDD; identical inference cost) is trained for one epoch on
KDDTrain+_20Percent; ``--method rf`` (or ``lgbm``, ``gavae-rf``, any method a
bundle can hold) trains that method with its defaults on KDDTrain+_20Percent
instead (``--param NAME=VALUE`` to change them), saves and reloads its bundle;
pass ``--model DIR`` to time any bundle. For tree models the "threads" of the
table are the classifier's ``n_jobs`` (torch threads do not matter to them).

Usage::

    python benchmarks/bench_scoring.py                      # 2 cores, ≥ 1 M rows
    python benchmarks/bench_scoring.py --method rf          # a random-forest bundle
    python benchmarks/bench_scoring.py --method lgbm --param n_estimators=50
    python benchmarks/bench_scoring.py --model runs/model --rows 2000000 --gzip
    python benchmarks/bench_scoring.py --profile            # time per stage, one thread
"""

from __future__ import annotations

import argparse
import gzip
import math
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch


def pin_cores(n: int) -> list[int]:
    if not hasattr(os, "sched_setaffinity"):
        return []
    cpus = sorted(os.sched_getaffinity(0))[:n]
    os.sched_setaffinity(0, cpus)
    return cpus


def build_input(data_home: Path, rows: int, folder: Path, with_gzip: bool) -> dict:
    from gavae_ids.datasets._home import find_file

    src = find_file(data_home, "nsl-kdd", "KDDTest+.txt", source="NSL-KDD")
    opener = gzip.open if src.suffix == ".gz" else open
    with opener(src, "rb") as f:
        text = f.read()
    if not text.endswith(b"\n"):
        text += b"\n"
    reps = math.ceil(rows / text.count(b"\n"))
    path = folder / "kddtest_repeated.txt"
    with open(path, "wb") as f:
        for _ in range(reps):
            f.write(text)
    out = {"csv": path, "rows": reps * text.count(b"\n"), "bytes": path.stat().st_size}
    if with_gzip:
        gz = folder / "kddtest_repeated.txt.gz"
        with open(path, "rb") as fin, gzip.open(gz, "wb", compresslevel=6) as fout:
            while chunk := fin.read(1 << 24):
                fout.write(chunk)
        out["gz"] = gz
    return out


def get_detector(args, folder: Path):
    from gavae_ids.detection.detector import Detector
    from gavae_ids.detection.train import parse_params, train_detector

    if args.model:
        return Detector.load(args.model, device=args.device), f"bundle {args.model}"
    t = time.perf_counter()
    if args.method:
        params = parse_params(args.param)
        train_detector("nsl-kdd", method=args.method, data_home=args.data_dir,
                       out=folder / "model", verbose=False, **params)  # fmt: skip
        det = Detector.load(folder / "model", device=args.device)
        return det, (f"{args.method} {params or '(defaults)'} on KDDTrain+_20Percent "
                     f"({time.perf_counter() - t:.1f} s to train)")  # fmt: skip
    torch.set_num_threads(1)  # a tiny net: more threads only wait on each other
    det = train_detector("nsl-kdd", method="dnn", data_home=args.data_dir, out=folder / "model",
                         verbose=False, epochs=1, validation_fraction=0.0,
                         device=args.device)  # fmt: skip
    torch.set_num_threads(args.cores)
    det = Detector.load(folder / "model", device=args.device)
    return det, f"DNN 1 epoch on KDDTrain+_20Percent ({time.perf_counter() - t:.1f} s to train)"


def model_threads(det, n: int | None) -> None:
    """Set the threads of a tree model's ``predict_proba`` (``n_jobs``), where it has them."""
    for est in (det.classifier, getattr(det.classifier, "classifier_", None)):
        if n is not None and est is not None and "n_jobs" in est.get_params(deep=False):
            est.set_params(n_jobs=n)


def time_end_to_end(det, src: Path, out: Path, repeats: int, **kw) -> list[float]:
    from gavae_ids.scoring import score_file

    model_threads(det, kw.get("torch_threads"))
    rates, cpu = [], []
    for _ in range(repeats):
        c0 = time.process_time()
        s = score_file(det, src, out, header=False, verbose=False, **kw)
        cpu.append(time.process_time() - c0)
        assert s.rejected == 0, s.reject_reasons
        rates.append(s.total / s.seconds)
    CPU_SECONDS.append(statistics.median(cpu) * 1e6 / s.total)
    return rates


CPU_SECONDS: list[float] = []  # CPU seconds (all threads) per 1 M rows, per end-to-end row


def time_model(det, Xt: np.ndarray, repeats: int, threads: int) -> list[float]:
    before = torch.get_num_threads()
    torch.set_num_threads(threads)
    model_threads(det, threads)
    try:
        det.predict_proba_encoded(Xt[:10_000])  # warm-up
        rates = []
        for _ in range(repeats):
            t = time.perf_counter()
            det.predict_proba_encoded(Xt)
            rates.append(len(Xt) / (time.perf_counter() - t))
        return rates
    finally:
        torch.set_num_threads(before)


def stage_breakdown(det, src: Path, chunk_size: int) -> dict[str, float]:
    """Seconds per stage of one serial pass (no reader thread, 1 torch thread)."""
    from gavae_ids import scoring as S

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    model_threads(det, 1)
    t = dict.fromkeys(("read", "field check + parse", "encode", "model", "format + write"), 0.0)
    try:
        with open(src, "rb") as f, open(os.devnull, "wb") as sink:
            plan, head = S._plan_input(det.schema, f, header=False, trailing_fields="auto",
                                       extra_columns="ignore", name=str(src))  # fmt: skip
            parser = S._BlockParser(det.schema, plan)
            writer = S._ScoreWriter(sink, det.classes_, "csv", 6)
            blocks = S._line_blocks(f, chunk_size, head)
            while True:
                t0 = time.perf_counter()
                item = next(blocks, None)
                t1 = time.perf_counter()
                t["read"] += t1 - t0
                if item is None:
                    break
                parsed = parser.parse(*item)
                t2 = time.perf_counter()
                Xt, unseen = det.encode(parsed.frame)
                t3 = time.perf_counter()
                proba = det.predict_proba_encoded(Xt)
                t4 = time.perf_counter()
                writer.write(parsed.good + 1, proba.argmax(1), proba, det.attack_mask(proba),
                             unseen)  # fmt: skip
                t5 = time.perf_counter()
                t["field check + parse"] += t2 - t1
                t["encode"] += t3 - t2
                t["model"] += t4 - t3
                t["format + write"] += t5 - t4
    finally:
        torch.set_num_threads(before)
    return t


def fmt(rates: list[float]) -> str:
    return f"{statistics.median(rates):>12,.0f} {max(rates):>12,.0f}"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--model", help="bundle folder (default: train a small DNN)")
    ap.add_argument("--method", help="train this method's bundle instead (e.g. rf, lgbm)")
    ap.add_argument(
        "--param",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="--method: a parameter (repeatable), e.g. n_estimators=50",
    )
    ap.add_argument("--data-dir", default=None, help="dataset folder (default $GAVAE_IDS_DATA)")
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--cores", type=int, default=2)
    ap.add_argument("--chunk-size", type=int, default=100_000)
    ap.add_argument("--device", default="cpu", help="cpu, cuda or auto")
    ap.add_argument("--gzip", action="store_true", help="also time gzip-compressed input")
    ap.add_argument("--profile", action="store_true", help="cProfile one end-to-end run")
    args = ap.parse_args()

    from gavae_ids.datasets import get_data_home, load_nsl_kdd

    cpus = pin_cores(args.cores)
    data_home = get_data_home(args.data_dir)
    with tempfile.TemporaryDirectory(prefix="bench_scoring_") as tmp:
        folder = Path(tmp)
        det, what = get_detector(args, folder)
        inp = build_input(data_home, args.rows, folder, args.gzip)
        device = getattr(det.classifier, "device_", "cpu")
        gpu = torch.cuda.get_device_name(0) if str(device).startswith("cuda") else None
        print(
            f"model: {what}; {det.preprocessor.layout_.n_features} encoded features, "
            f"{len(det.classes_)} classes; device {device}" + (f" ({gpu})" if gpu else "")
        )
        print(f"input: KDDTest+ × {inp['rows'] // 22544} = {inp['rows']:,} rows, "
              f"{inp['bytes'] / 1e6:,.0f} MB, no header; pinned to CPUs {cpus or 'all'}; "
              f"torch {torch.__version__}, chunk {args.chunk_size:,} rows")  # fmt: skip
        print(f"\n{'rows/s':50s} {'median':>12s} {'best':>12s} {'CPU s/1M':>8s}")
        out_csv, out_jsonl = folder / "scored.csv", folder / "scored.jsonl"
        kw = {"chunk_size": args.chunk_size}
        one = {"torch_threads": 1, **kw}
        rows = [
            ("end to end, CSV → CSV (1 model thread + reader)",
             time_end_to_end(det, inp["csv"], out_csv, args.repeats, torch_threads=1, **kw)),
            ("end to end, CSV → JSON Lines",
             time_end_to_end(det, inp["csv"], out_jsonl, args.repeats, torch_threads=1, **kw)),
            ("end to end, CSV → CSV, model threads = 2",
             time_end_to_end(det, inp["csv"], out_csv, args.repeats, torch_threads=2, **kw)),
        ]  # fmt: skip
        if "gz" in inp:
            rates = time_end_to_end(det, inp["gz"], out_csv, args.repeats, **one)
            rows.append(("end to end, gzip CSV → CSV", rates))
        test = load_nsl_kdd("test", data_home=data_home)
        Xt, _ = det.encode(test.X)
        Xt = np.tile(Xt, (math.ceil(args.rows / len(Xt)), 1))
        for threads in (2, 1):
            label = f"model only, {len(Xt):,} encoded rows, {threads} thr."
            rows.append((label, time_model(det, Xt, args.repeats, threads)))
        for i, (label, rates) in enumerate(rows):
            cpu = f"{CPU_SECONDS[i]:9.2f}" if i < len(CPU_SECONDS) else ""
            print(f"{label:50s} {fmt(rates)}{cpu}")
        print(
            "(last column: CPU seconds of all threads per 1 M rows; on 2 otherwise idle "
            "cores the\n wall time of a 2-thread run approaches half of it)"
        )
        if args.profile:
            stages = stage_breakdown(det, inp["csv"], args.chunk_size)
            total = sum(stages.values())
            print("\nstages of one serial pass (1 thread), µs per row:")
            for k, v in stages.items():
                print(f"  {k:22s} {v * 1e6 / inp['rows']:6.2f}  ({v / total:5.1%})")
            print(f"  {'total':22s} {total * 1e6 / inp['rows']:6.2f}  "
                  f"→ {inp['rows'] / total:,.0f} rows/s without the reader thread")  # fmt: skip
    sys.stdout.flush()


if __name__ == "__main__":
    main()
