"""Does the hand-written output writer of ``score`` earn its keep? Rows/s of writing scores.

``gavae-ids score`` writes its CSV with :class:`gavae_ids.scoring._write._ScoreWriter`,
which assembles the text with numpy (digits as bytes). This script writes the same
columns — row number, predicted class, one probability per class with 6 decimals,
``is_attack``, ``unseen_category`` — for ``--rows`` random rows, with that writer,
with ``pandas.DataFrame.to_csv`` and with ``pyarrow.csv.write_csv``, into memory, one
thread, and prints rows/s (best of ``--repeats``). Only the writing is timed.

    OMP_NUM_THREADS=1 python benchmarks/bench_writers.py --rows 1000000
"""

from __future__ import annotations

import argparse
import io
import time

import numpy as np
import pandas as pd

from gavae_ids.scoring._write import _ScoreWriter, score_columns

CLASSES = ["DoS", "Normal", "Probe", "R2L", "U2R"]


def data(n: int, seed: int = 0):
    rng = np.random.default_rng(seed)
    proba = rng.dirichlet(np.ones(len(CLASSES)), size=n)
    pred = proba.argmax(axis=1)
    rows = np.arange(1, n + 1)
    return rows, pred, proba, pred != CLASSES.index("Normal"), rng.random(n) < 0.01


def ours(rows, pred, proba, attack, unseen) -> int:
    buf = io.BytesIO()
    w = _ScoreWriter(buf, CLASSES, "csv", 6)
    w.header()
    w.write(rows, pred, proba, attack, unseen)
    return buf.tell()


def frame(rows, pred, proba, attack, unseen) -> pd.DataFrame:
    cols = score_columns(CLASSES)
    df = pd.DataFrame({cols[0]: rows, cols[1]: np.asarray(CLASSES, dtype=object)[pred]})
    for j, c in enumerate(CLASSES):
        df[f"p_{c}"] = np.round(proba[:, j], 6)
    df["is_attack"] = attack.astype(np.int8)
    df["unseen_category"] = unseen.astype(np.int8)
    return df


def with_pandas(*args) -> int:
    buf = io.StringIO()
    frame(*args).to_csv(buf, index=False, float_format="%.6f")
    return buf.tell()


def with_pyarrow(*args) -> int:
    import pyarrow as pa
    from pyarrow import csv as pacsv

    buf = io.BytesIO()
    pacsv.write_csv(pa.Table.from_pandas(frame(*args), preserve_index=False), buf)
    return buf.tell()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args()
    d = data(args.rows)
    print(f"{args.rows:,} rows, {len(score_columns(CLASSES))} columns, best of {args.repeats}")
    for name, fn in (("gavae-ids writer", ours), ("pandas to_csv", with_pandas),
                     ("pyarrow write_csv (frame built with pandas)", with_pyarrow)):  # fmt: skip
        best = float("inf")
        for _ in range(args.repeats):
            t0 = time.perf_counter()
            size = fn(*d)
            best = min(best, time.perf_counter() - t0)
        print(f"{name:45s} {args.rows / best:>12,.0f} rows/s  ({size / 1e6:.0f} MB)")


if __name__ == "__main__":
    main()
