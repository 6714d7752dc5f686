"""Scoring many files: rows/s of the local engine vs Dask with 1 and 2 worker processes,
and the memory of a Dask worker while it scores one file larger than itself.

Input: KDDTest+ as published (41 features + attack + difficulty) repeated to
``--rows`` rows (default 1.2 M), split into ``--files`` files (default 4) written
as Parquet (``--format parquet``, the default; outputs Parquet too) or as
header-less CSV (outputs CSV). The model is a DNN with the GAVAE-DNN's
architecture trained for one epoch on KDDTrain+_20Percent (as in
``bench_scoring.py``), or ``--model DIR``.

* **rows/s**: wall time of :func:`gavae_ids.scoring.jobs.score_files`, input files
  to output files, for the local engine (this process: one torch thread + the
  reader thread) and for Dask on a ``LocalCluster`` on 127.0.0.1 with 1 and 2
  single-threaded worker processes. The cluster is started (and warmed up by one
  small job, so that every worker has imported torch and loaded the bundle) before
  the clock starts; its start-up time is printed apart.
* **memory**: one worker scores one file of ``--big-rows`` rows (default 2 M) and
  one of a quarter of that; the worker's resident memory is sampled every 0.2 s.
  Flat memory means the peak does not grow with the file. Beside each file's size
  on disk is the size of its values as float64 (rows × 43 × 8 bytes), what loading
  it whole would take.

Usage::

    OMP_NUM_THREADS=1 nice -n 5 python benchmarks/bench_scoring_jobs.py
    python benchmarks/bench_scoring_jobs.py --format csv --rows 2000000 --files 8
"""

from __future__ import annotations

import argparse
import gzip
import math
import os
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path


def kddtest_frame(data_home):
    import pandas as pd

    from gavae_ids.datasets import NSL_KDD_FEATURES
    from gavae_ids.datasets._home import find_file

    src = find_file(data_home, "nsl-kdd", "KDDTest+.txt", source="NSL-KDD")
    opener = gzip.open if src.suffix == ".gz" else open
    with opener(src, "rb") as f:
        return pd.read_csv(f, header=None, names=[*NSL_KDD_FEATURES, "attack", "difficulty"])


def write_inputs(base, rows: int, files: int, fmt: str, folder: Path, tag: str) -> list[Path]:
    """``files`` files of ``rows / files`` rows each (KDDTest+ repeated)."""
    import pandas as pd

    per = math.ceil(rows / files)
    frame = pd.concat([base] * math.ceil(per / len(base)), ignore_index=True).iloc[:per]
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for i in range(files):
        p = folder / f"{tag}-{i}.{'parquet' if fmt == 'parquet' else 'csv'}"
        if fmt == "parquet":
            frame.to_parquet(p, row_group_size=100_000)
        else:
            frame.to_csv(p, header=False, index=False)
        paths.append(p)
    return paths


def get_bundle(args, folder: Path) -> tuple[Path, str]:
    if args.model:
        return Path(args.model), f"bundle {args.model}"
    import torch

    from gavae_ids.detection.train import train_detector

    t = time.perf_counter()
    torch.set_num_threads(1)
    train_detector("nsl-kdd", method="dnn", data_home=args.data_dir, out=folder / "model",
                   verbose=False, epochs=1, validation_fraction=0.0, device="cpu")  # fmt: skip
    return folder / "model", (
        f"DNN 1 epoch on KDDTrain+_20Percent ({time.perf_counter() - t:.1f} s to train)"
    )


def job(bundle, inputs, out, header, **kw):
    from gavae_ids.scoring.jobs import score_files

    s = score_files(bundle, [str(p) for p in inputs], out, header=header, verbose=False, **kw)
    assert s.rejected == 0 and s.scored == s.total, s.reject_reasons
    return s


def _cpu_seconds() -> float:
    import psutil

    t = psutil.Process().cpu_times()
    return t.user + t.system


def timed_job(bundle, inputs, out, header, client=None, **kw) -> tuple[float, float]:
    """``(rows/s, CPU seconds per 1 M rows)``: the CPU time of this process and, with
    ``client``, of every worker process — a figure that other load on the machine
    changes far less than the wall time."""
    before = _cpu_seconds() + (sum(client.run(_cpu_seconds).values()) if client else 0.0)
    s = job(bundle, inputs, out, header, **kw)
    after = _cpu_seconds() + (sum(client.run(_cpu_seconds).values()) if client else 0.0)
    return s.rows_per_second, (after - before) * 1e6 / s.total


def rss_sampler(client, stop: threading.Event, peaks: dict) -> None:
    def rss():
        import psutil

        return psutil.Process().memory_info().rss

    while not stop.is_set():
        for w, v in client.run(rss).items():
            peaks[w] = max(peaks.get(w, 0), v)
        stop.wait(0.2)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--model", help="bundle folder (default: train a small DNN)")
    ap.add_argument("--data-dir", default=None, help="dataset folder (default $GAVAE_IDS_DATA)")
    ap.add_argument("--rows", type=int, default=1_200_000)
    ap.add_argument("--files", type=int, default=4)
    ap.add_argument("--big-rows", type=int, default=2_000_000)
    ap.add_argument("--format", choices=("parquet", "csv"), default="parquet")
    ap.add_argument("--repeats", type=int, default=2)
    ap.add_argument("--chunk-size", type=int, default=100_000)
    ap.add_argument("--no-memory", action="store_true", help="skip the memory measurement")
    args = ap.parse_args()

    import distributed

    from gavae_ids.datasets import get_data_home

    header = args.format == "parquet"  # the CSV files are header-less, like KDDTest+
    data_home = get_data_home(args.data_dir)
    with tempfile.TemporaryDirectory(prefix="bench_jobs_") as tmp:
        folder = Path(tmp)
        bundle, what = get_bundle(args, folder)
        base = kddtest_frame(data_home)
        inputs = write_inputs(base, args.rows, args.files, args.format, folder / "in", "part")
        total = sum(p.stat().st_size for p in inputs)
        print(f"model: {what}")
        print(f"input: {args.files} {args.format} files, {args.rows:,} rows "
              f"({total / 1e6:,.0f} MB) of KDDTest+ repeated; {os.cpu_count()} CPUs; "
              f"chunk {args.chunk_size:,} rows")  # fmt: skip
        kw = {"chunk_size": args.chunk_size}
        rates: dict[str, list[tuple[float, float]]] = {}
        rates["local engine (1 process)"] = [
            timed_job(bundle, inputs, folder / "out-local", header, **kw)
            for _ in range(args.repeats)
        ]
        warm = write_inputs(base, 2_000, 2, args.format, folder / "warm", "warm")
        for n in (1, 2):
            t = time.perf_counter()
            with distributed.LocalCluster(n_workers=n, threads_per_worker=1, processes=True,
                                          host="127.0.0.1", dashboard_address=None,
                                          silence_logs=50) as cluster, \
                    distributed.Client(cluster) as client:  # fmt: skip
                job(bundle, warm, folder / "out-warm", header, engine="dask",
                    scheduler=cluster.scheduler_address, **kw)  # fmt: skip
                start = time.perf_counter() - t
                rates[f"dask, {n} worker process(es) (start + warm-up {start:.1f} s)"] = [
                    timed_job(bundle, inputs, folder / f"out-dask{n}", header, client,
                              engine="dask", scheduler=cluster.scheduler_address, **kw)
                    for _ in range(args.repeats)
                ]  # fmt: skip
        print(f"\n{'rows/s, files in → files out':58s} {'median':>10s} {'best':>10s} "
              f"{'CPU s/1M':>9s} {'rows/CPU-s':>11s}")  # fmt: skip
        for label, r in rates.items():
            wall = [x for x, _ in r]
            cpu = statistics.median(c for _, c in r)
            print(f"{label:58s} {statistics.median(wall):>10,.0f} {max(wall):>10,.0f} "
                  f"{cpu:>9.2f} {1e6 / cpu:>11,.0f}")  # fmt: skip
        print(
            "(CPU s/1M: CPU seconds of this process and the workers, all threads, per 1 M "
            "rows;\n rows/CPU-s, its inverse, is the rate one fully used core gives)"
        )
        if args.no_memory:
            return

        print("\nmemory of one Dask worker process (resident set, sampled every 0.2 s):")
        sizes = [args.big_rows // 4, args.big_rows]
        with distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=True,
                                      host="127.0.0.1", dashboard_address=None,
                                      silence_logs=50) as cluster, \
                distributed.Client(cluster) as client:  # fmt: skip
            job(bundle, warm, folder / "out-warm", header, engine="dask",
                scheduler=cluster.scheduler_address, **kw)  # fmt: skip
            idle = max(client.run(lambda: __import__("psutil").Process().memory_info().rss)
                       .values())  # fmt: skip
            print(f"  {'after loading the bundle (idle)':62s} {idle / 2**20:8,.0f} MiB")
            for rows in sizes:
                big = write_inputs(base, rows, 1, args.format, folder / f"big{rows}", "big")
                size = big[0].stat().st_size
                peaks: dict = {}
                stop = threading.Event()
                sampler = threading.Thread(target=rss_sampler, args=(client, stop, peaks))
                sampler.start()
                try:
                    s = job(bundle, big, folder / f"out-big{rows}", header, engine="dask",
                            scheduler=cluster.scheduler_address, **kw)  # fmt: skip
                finally:
                    stop.set()
                    sampler.join()
                label = f"peak, one file of {rows:,} rows ({size / 2**20:,.0f} MiB in, " \
                        f"{rows * base.shape[1] * 8 / 2**20:,.0f} MiB as float64)"  # fmt: skip
                print(f"  {label:62s} {max(peaks.values()) / 2**20:8,.0f} MiB "
                      f"({s.rows_per_second:,.0f} rows/s)")  # fmt: skip
    sys.stdout.flush()


if __name__ == "__main__":
    main()
