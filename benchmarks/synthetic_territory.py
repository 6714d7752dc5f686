"""Where do synthetic rows land? Per class, the share in another class's territory (#26 item 1).

A row lies in another class's territory when most of its k nearest *real* training rows
(Euclidean, in the preprocessing's min-max / one-hot space) belong to another class. Per
class this prints that share for

* the class's real rows (each row's neighbours exclude itself) — the overlap the data has;
* the GAVAE's synthetic rows (library defaults) and SMOTE's (k = 5), each fitted on the
  same training rows;

and, of the rows in another class's territory, the share whose neighbours are mostly
*normal* traffic: the rows that teach a classifier to flag normal traffic.

Training data only (KDDTrain+_20Percent, the UNSW-NB15 documented split's training
part, or ``iot_train.csv`` of ``benchmarks/iot_table.py --kind overlap``); no test row is
read. ``--territory-k`` sets the GAVAE's territory check (default: the sampler's "auto").

    python benchmarks/synthetic_territory.py --dataset nsl-kdd --seed 0 --k 5
    python benchmarks/iot_table.py --kind overlap --out runs/iot-overlap
    python benchmarks/synthetic_territory.py --dataset iot-overlap --data-dir runs/iot-overlap
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
import pandas as pd
from imblearn.over_sampling import SMOTE
from sklearn.neighbors import NearestNeighbors

from gavae_ids.datasets import load_benchmark
from gavae_ids.preprocessing import TabularPreprocessor
from gavae_ids.sampling import GAVAESampler

IOT_FEATURES = ["temperature", "humidity", "pressure"]


def load_rows(dataset: str, data_dir=None, *, with_tests: bool = False):
    """(train X, train y as str, categorical columns, normal label, {test name: (X, y)})."""
    if dataset == "iot-overlap":
        folder = Path(data_dir or "runs/iot-overlap")
        train = pd.read_csv(folder / "iot_train.csv")
        tests = {}
        if with_tests:
            test = pd.read_csv(folder / "iot_test.csv")
            tests["iot_test"] = (test[IOT_FEATURES], test["type"].astype(str).to_numpy())
        return train[IOT_FEATURES], train["type"].astype(str).to_numpy(), [], "normal", tests
    bench = load_benchmark(dataset, data_home=data_dir, with_tests=with_tests)
    tr = bench.train
    tests = {name: (t.X, t.y.astype(str).to_numpy()) for name, t in (bench.tests or {}).items()}
    return tr.X, tr.y.astype(str).to_numpy(), list(tr.categorical), "Normal", tests


def territory(X_query, y_query, nn, y_real, k, *, exclude_self=False, normal="Normal"):
    """Per query row: (another class holds the majority of its k real neighbours, that
    majority class is Normal)."""
    _, idx = nn.kneighbors(X_query, n_neighbors=k + int(exclude_self))
    if exclude_self:
        idx = idx[:, 1:]
    labels = y_real[idx]
    other, is_normal = np.zeros(len(X_query), bool), np.zeros(len(X_query), bool)
    for i, (row, own) in enumerate(zip(labels, y_query, strict=True)):
        values, counts = np.unique(row, return_counts=True)
        top = values[counts.argmax()]
        if top != own and counts.max() > k / 2:
            other[i], is_normal[i] = True, top == normal
    return other, is_normal


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--dataset", default="nsl-kdd", choices=["nsl-kdd", "unsw-nb15", "iot-overlap"])
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--k", type=int, default=5)
    ap.add_argument("--data-dir", default=None)
    ap.add_argument("--territory-k", default="auto",
                    help="the GAVAE's territory check: auto, none or an integer k")  # fmt: skip
    args = ap.parse_args()
    tk = args.territory_k
    tk = None if tk == "none" else (tk if tk == "auto" else int(tk))
    X_raw, y, categorical, normal, _ = load_rows(args.dataset, args.data_dir)
    pre = TabularPreprocessor(categorical=categorical).fit(X_raw)
    X = pre.transform(X_raw).astype(np.float32)
    nn = NearestNeighbors().fit(X)
    samplers = {
        "GAVAE": GAVAESampler(
            layout=pre.layout_, random_state=args.seed, device="cpu", territory_k=tk
        ),  # fmt: skip
        "SMOTE": SMOTE(k_neighbors=5, random_state=args.seed),
    }
    rows = []
    for c in sorted(set(y) - {normal}):
        mask = y == c
        o, n = territory(X[mask], y[mask], nn, y, args.k, exclude_self=True, normal=normal)
        rows.append({"class": c, "rows": "real", "n": int(mask.sum()), "other": o.mean(),
                     "normal": n.mean()})  # fmt: skip
    for name, sampler in samplers.items():
        t0 = time.perf_counter()
        Xr, yr = sampler.fit_resample(X, y)
        Xs, ys = np.asarray(Xr)[len(X) :], np.asarray(yr)[len(X) :].astype(str)
        print(f"{name}: {len(Xs):,} synthetic rows in {time.perf_counter() - t0:.1f} s",
              flush=True)  # fmt: skip
        for c in sorted(set(ys)):
            mask = ys == c
            o, n = territory(Xs[mask], ys[mask], nn, y, args.k, normal=normal)
            rows.append({"class": c, "rows": name, "n": int(mask.sum()), "other": o.mean(),
                         "normal": n.mean()})  # fmt: skip
    df = pd.DataFrame(rows)
    table = df.pivot(index="class", columns="rows", values=["other", "normal"]).round(4)
    print(f"\n{args.dataset} training rows, seed {args.seed}, k = {args.k}, GAVAE "
          f"territory_k = {tk}: share of rows whose k nearest real rows are mostly another "
          f"class ('other') and mostly {normal} ('normal')")  # fmt: skip
    print(table.to_string())
    print(df.pivot(index="class", columns="rows", values="n").to_string())


if __name__ == "__main__":
    main()
