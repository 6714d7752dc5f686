"""Where do synthetic rows land? Per class, the share in another class's territory (#26 item 1).

A row lies in another class's territory when most of its k nearest *real* training rows
(Euclidean, in the preprocessing's min-max / one-hot space) belong to another class. Per
class this prints that share for

* the class's real rows (each row's neighbours exclude itself) — the overlap the data has;
* the GAVAE's synthetic rows (library defaults) and SMOTE's (k = 5), each fitted on the
  same training rows;

and, of the rows in another class's territory, the share whose neighbours are mostly
*normal* traffic: the rows that teach a classifier to flag normal traffic.

Training data only (KDDTrain+_20Percent, or the UNSW-NB15 documented split's training
part); no test row is read.

    python benchmarks/synthetic_territory.py --dataset nsl-kdd --seed 0 --k 5
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import pandas as pd
from imblearn.over_sampling import SMOTE
from sklearn.neighbors import NearestNeighbors

from gavae_ids.datasets import load_benchmark
from gavae_ids.preprocessing import TabularPreprocessor
from gavae_ids.sampling import GAVAESampler

NORMAL = "Normal"


def territory(X_query, y_query, nn, y_real, k, *, exclude_self=False):
    """Per query row: (another class holds the majority of its k real neighbours, that
    majority class is Normal)."""
    _, idx = nn.kneighbors(X_query, n_neighbors=k + int(exclude_self))
    if exclude_self:
        idx = idx[:, 1:]
    labels = y_real[idx]
    other, normal = np.zeros(len(X_query), bool), np.zeros(len(X_query), bool)
    for i, (row, own) in enumerate(zip(labels, y_query, strict=True)):
        values, counts = np.unique(row, return_counts=True)
        top = values[counts.argmax()]
        if top != own and counts.max() > k / 2:
            other[i], normal[i] = True, top == NORMAL
    return other, normal


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--dataset", default="nsl-kdd", choices=["nsl-kdd", "unsw-nb15"])
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--k", type=int, default=5)
    ap.add_argument("--data-dir", default=None)
    args = ap.parse_args()
    tr = load_benchmark(args.dataset, data_home=args.data_dir, with_tests=False).train
    pre = TabularPreprocessor(categorical=tr.categorical).fit(tr.X)
    X, y = pre.transform(tr.X).astype(np.float32), tr.y.astype(str).to_numpy()
    nn = NearestNeighbors().fit(X)
    samplers = {
        "GAVAE": GAVAESampler(layout=pre.layout_, random_state=args.seed, device="cpu"),
        "SMOTE": SMOTE(k_neighbors=5, random_state=args.seed),
    }
    rows = []
    for c in sorted(set(y) - {NORMAL}):
        mask = y == c
        o, n = territory(X[mask], y[mask], nn, y, args.k, exclude_self=True)
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
            o, n = territory(Xs[mask], ys[mask], nn, y, args.k)
            rows.append({"class": c, "rows": name, "n": int(mask.sum()), "other": o.mean(),
                         "normal": n.mean()})  # fmt: skip
    df = pd.DataFrame(rows)
    table = df.pivot(index="class", columns="rows", values=["other", "normal"]).round(4)
    print(f"\n{args.dataset} training rows, seed {args.seed}, k = {args.k}: share of rows "
          "whose k nearest real rows are mostly another class ('other') and mostly Normal "
          "('normal')")  # fmt: skip
    print(table.to_string())
    print(df.pivot(index="class", columns="rows", values="n").to_string())


if __name__ == "__main__":
    main()
