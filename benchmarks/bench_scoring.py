"""Scoring throughput: rows/s end to end from a CSV, and model-only on encoded arrays.

The input is KDDTest+ as it is published (41 features + attack + difficulty, no
header) repeated to at least ``--rows`` rows (default 1 M), written to a
temporary file. The process is pinned to ``--cores`` CPU cores (default 2).

* **end to end**: :func:`gavae_ids.scoring.score_file` from the CSV file to a
  CSV (and a JSON Lines) file on disk — reading, field checks, parsing,
  encoding, the classifier, formatting, writing. The default configuration
  runs the classifier with one torch thread while a reader thread parses and
  encodes the next chunk; ``torch threads = 2`` is shown for comparison.
* **against pandas** (issue #32 item 3): in each of ``--repeats`` rounds, one after
  the other, ``pandas.read_csv`` merely reading the CSV file (header-less, types
  inferred, one thread), ``score_file`` CSV → CSV and Parquet → Parquet (the same rows
  written as a Parquet file with the NSL-KDD column names, one row group per 100,000
  rows); the ratio end-to-end ÷ ``read_csv`` rows/s is taken per round, so both sides
  share the machine's load of that moment (target ≥ 1.3).
* **model only**: ``Detector.predict_proba_encoded`` on the already encoded
  rows, with ``torch.set_num_threads(2)`` (and 1).

Without ``--model`` a DNN with the GAVAE-DNN's architecture (122-80-40-20-5 on
NSL-KDD; identical inference cost) is trained for one epoch on
KDDTrain+_20Percent; ``--method rf`` (or ``lgbm``, ``gavae-rf``, any method a
bundle can hold) trains that method with its defaults on KDDTrain+_20Percent
instead (``--param NAME=VALUE`` to change them), saves and reloads its bundle;
pass ``--model DIR`` to time any bundle. Tree bundles score with compiled trees
(:mod:`gavae_ids.classifiers.compiled_trees`) unless ``GAVAE_IDS_TREES=native``.
The last row reads the same file with ``pandas.read_csv``, and the ratio of the
end-to-end rate to it is printed. For tree models the "threads" of the
table are the classifier's ``n_jobs`` (torch threads do not matter to them).

Usage::

    python benchmarks/bench_scoring.py                      # 2 cores, ≥ 1 M rows
    python benchmarks/bench_scoring.py --method rf          # a random-forest bundle
    python benchmarks/bench_scoring.py --method lgbm --param n_estimators=50
    python benchmarks/bench_scoring.py --model runs/model --rows 2000000 --gzip
    python benchmarks/bench_scoring.py --profile            # time per stage, one thread
    python benchmarks/bench_scoring.py --method lgbm --profile --profile-only
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
    out["parquet"] = to_parquet(path, folder / "kddtest_repeated.parquet")
    if with_gzip:
        gz = folder / "kddtest_repeated.txt.gz"
        with open(path, "rb") as fin, gzip.open(gz, "wb", compresslevel=6) as fout:
            while chunk := fin.read(1 << 24):
                fout.write(chunk)
        out["gz"] = gz
    return out


def to_parquet(path: Path, dest: Path) -> Path | None:
    """The CSV as Parquet with the NSL-KDD column names; ``None`` without pyarrow."""
    try:
        import pyarrow as pa
        import pyarrow.parquet as pq
    except ImportError:
        return None
    import pandas as pd

    from gavae_ids.datasets import NSL_KDD_FEATURES

    frame = pd.read_csv(path, header=None, names=[*NSL_KDD_FEATURES, "attack", "difficulty"])
    pq.write_table(pa.Table.from_pandas(frame, preserve_index=False), dest,
                   row_group_size=100_000)  # fmt: skip
    return dest


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


def against_pandas(det, inp: dict, folder: Path, repeats: int, chunk_size: int) -> None:
    """Rounds of pandas.read_csv, CSV → CSV and Parquet → Parquet; rows/s and ratios."""
    import pandas as pd

    from gavae_ids.scoring import score_file

    model_threads(det, 1)
    kw = {"verbose": False, "torch_threads": 1, "chunk_size": chunk_size}
    got: dict[str, list[float]] = {"read_csv": [], "csv": [], "parquet": []}
    cpu: dict[str, list[float]] = {k: [] for k in got}
    for _ in range(repeats):
        c, t = time.process_time(), time.perf_counter()
        n = len(pd.read_csv(inp["csv"], header=None))
        got["read_csv"].append(n / (time.perf_counter() - t))
        cpu["read_csv"].append((time.process_time() - c) * 1e6 / n)
        for kind, out in (("csv", "scored.csv"), ("parquet", "scored.parquet")):
            if inp.get(kind) is None:
                continue
            c = time.process_time()
            s = score_file(det, inp[kind], folder / out, header=False, **kw)
            assert s.rejected == 0 and s.total == n, s.reject_reasons
            got[kind].append(s.total / s.seconds)  # the rate ``score`` reports
            cpu[kind].append((time.process_time() - c) * 1e6 / n)
    print(f"\nagainst pandas.read_csv, {repeats} rounds (each: read_csv, CSV → CSV, "
          f"Parquet → Parquet); {cpu_name()}")  # fmt: skip
    print(f"  {'':34s} {'rows/s per round':>40s}  {'median':>10s} {'CPU s/1M':>8s}")
    labels = {"read_csv": "pandas.read_csv (reading only)", "csv": "score, CSV → CSV",
              "parquet": "score, Parquet → Parquet"}  # fmt: skip
    for k, rates in got.items():
        if rates:
            per = " ".join(f"{r:>12,.0f}" for r in rates)
            print(f"  {labels[k]:34s} {per:>40s}  {statistics.median(rates):>10,.0f} "
                  f"{statistics.median(cpu[k]):8.2f}")  # fmt: skip
    for k in ("csv", "parquet"):
        if got[k]:
            ratios = [a / b for a, b in zip(got[k], got["read_csv"], strict=True)]
            print(f"  ratio {labels[k]} ÷ read_csv: "
                  + " ".join(f"{r:.2f}" for r in ratios)
                  + f" (median {statistics.median(ratios):.2f}; target ≥ 1.3)")  # fmt: skip


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


STAGES = ("read", "parse", "encode", "model", "decide", "format", "write")


class _TimedSink:
    """A file whose ``write`` time is counted apart (the writer formats, then writes)."""

    def __init__(self, f, clock):
        self.f, self.seconds, self.clock = f, 0.0, clock

    def write(self, b) -> int:
        t = self.clock()
        n = self.f.write(b)
        self.seconds += self.clock() - t
        return n


CLOCKS = {"cpu": time.process_time, "wall": time.perf_counter}


def stage_breakdown(det, src: Path, out: Path, chunk_size: int,
                    clock_name: str = "cpu") -> dict[str, float]:  # fmt: skip
    """Seconds per stage of one serial pass (no reader thread, 1 model thread), CSV → CSV.

    The same stage functions as :func:`gavae_ids.scoring.score_file` calls, in its order,
    each timed around its call; "write" is the time in the output file's ``write``.
    ``clock_name`` "cpu" counts the CPU seconds of the process (all its threads:
    pyarrow's CSV reader parses on two), "wall" the elapsed time.
    """
    from gavae_ids.scoring import _parse
    from gavae_ids.scoring._parse import _BlockParser
    from gavae_ids.scoring._read import _line_blocks, _plan_input

    # score_file encodes CSV chunks into one reused matrix (trees before it: fresh ones)
    buffer = _parse._EncodeBuffer() if hasattr(_parse, "_EncodeBuffer") else None
    from gavae_ids.scoring._write import _ScoreWriter

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    model_threads(det, 1)
    t = dict.fromkeys(STAGES, 0.0)
    clock = CLOCKS[clock_name]
    try:
        with open(src, "rb") as f, open(out, "wb") as fout:
            sink = _TimedSink(fout, clock)
            t0 = clock()
            plan, head = _plan_input(det.schema, f, header=False, trailing_fields="auto",
                                     extra_columns="ignore", name=str(src))  # fmt: skip
            parser = _BlockParser(det.schema, plan)
            writer = _ScoreWriter(sink, det.classes_, "csv", 6)
            writer.header()
            blocks = _line_blocks(f, chunk_size, head)
            first_row = 1
            while True:
                item = next(blocks, None)
                t1 = clock()
                t["read"] += t1 - t0
                if item is None:
                    break
                parsed = parser.parse(*item)
                t2 = clock()
                if buffer is None:
                    Xt, unseen = det.encode(parsed.frame)
                else:
                    out = buffer.get(len(parsed.frame), det)
                    Xt, unseen = det.encode(parsed.frame, out=out)
                t3 = clock()
                proba = det.predict_proba_encoded(Xt)
                t4 = clock()
                pred, attack = det.decide(proba)
                t5 = clock()
                w0 = sink.seconds
                writer.write(parsed.good + first_row, pred, proba, attack, unseen)
                t0 = clock()
                first_row += item[1]
                for k, a, b in zip(STAGES[1:5], (t1, t2, t3, t4), (t2, t3, t4, t5), strict=True):
                    t[k] += b - a
                t["write"] += sink.seconds - w0
                t["format"] += t0 - t5 - (sink.seconds - w0)
    finally:
        torch.set_num_threads(before)
    return t


def print_stages(runs: list[dict[str, float]], rows: int, clock_name: str = "cpu") -> None:
    """Median seconds per 1 M rows of each stage over ``runs``; the total's min–max too."""
    stages = {k: statistics.median(r[k] for r in runs) for k in STAGES}
    totals = [sum(r.values()) for r in runs]
    total = sum(stages.values())
    print(f"stages of a serial pass (1 thread, CSV → CSV), {rows:,} rows, median of "
          f"{len(runs)}, {clock_name} seconds; {cpu_name()}")  # fmt: skip
    print(f"  {'stage':22s} {'s / 1M rows':>11s} {'rows/s':>12s} {'share':>6s}")
    for k, v in [*stages.items(), ("total", total)]:
        print(f"  {k:22s} {v * 1e6 / rows:11.3f} {rows / max(v, 1e-12):12,.0f} {v / total:6.1%}")
    print(f"  (total over the {len(runs)} passes: {min(totals) * 1e6 / rows:.3f} to "
          f"{max(totals) * 1e6 / rows:.3f} s / 1M rows)\n")  # fmt: skip


def time_read_csv(src: Path, repeats: int) -> list[float]:
    """rows/s of ``pandas.read_csv`` reading the input file (no header), the floor of a
    CSV scorer written in pandas."""
    import pandas as pd

    rates = []
    for _ in range(repeats):
        t = time.perf_counter()
        n = len(pd.read_csv(src, header=None))
        rates.append(n / (time.perf_counter() - t))
    return rates


def cpu_name() -> str:
    try:
        with open("/proc/cpuinfo") as f:
            names = [ln.split(":", 1)[1].strip() for ln in f if ln.startswith("model name")]
        return f"{names[0]}, {len(names)} logical CPUs" if names else "CPU unknown"
    except OSError:
        return "CPU unknown"


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
    ap.add_argument("--profile", action="store_true",
                    help="first time each stage of a serial pass (read … write), --repeats "
                         "times")  # fmt: skip
    ap.add_argument("--profile-only", action="store_true",
                    help="with --profile: only the stages, not the rows/s table")  # fmt: skip
    ap.add_argument("--clock", choices=sorted(CLOCKS), default="cpu",
                    help="--profile: CPU seconds of the process (default) or wall")  # fmt: skip
    ap.add_argument("--against-pandas-only", action="store_true",
                    help="only the rounds against pandas.read_csv (and --profile)")  # fmt: skip
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
        out_csv, out_jsonl = folder / "scored.csv", folder / "scored.jsonl"
        if args.profile:
            runs = [stage_breakdown(det, inp["csv"], out_csv, args.chunk_size, args.clock)
                    for _ in range(args.repeats)]  # fmt: skip
            print_stages(runs, inp["rows"], args.clock)
            if args.profile_only:
                return
        against_pandas(det, inp, folder, args.repeats, args.chunk_size)
        if args.against_pandas_only:
            return
        print(f"\n{'rows/s':50s} {'median':>12s} {'best':>12s} {'CPU s/1M':>8s}")
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
        rows.append(("pandas.read_csv of the same file (reference)",
                      time_read_csv(inp["csv"], args.repeats)))  # fmt: skip
        for i, (label, rates) in enumerate(rows):
            cpu = f"{CPU_SECONDS[i]:9.2f}" if i < len(CPU_SECONDS) else ""
            print(f"{label:50s} {fmt(rates)}{cpu}")
        ratio = statistics.median(rows[0][1]) / statistics.median(rows[-1][1])
        print(f"end to end (CSV → CSV, 1 model thread) ÷ pandas.read_csv, medians: {ratio:.2f}")
        print(
            "(last column: CPU seconds of all threads per 1 M rows; on 2 otherwise idle "
            "cores the\n wall time of a 2-thread run approaches half of it)"
        )
    sys.stdout.flush()


if __name__ == "__main__":
    main()
