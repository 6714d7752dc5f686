"""Downstream CV of the default GAVAE before and after issue #32's changes.

GAVAE+RF, built by ``build_pipeline("gavae-rf")`` with the library's defaults, under
``StratifiedKFold(3, shuffle=True, random_state=0)`` over all 25,192 rows of
KDDTrain+_20Percent, or with ``--dataset unsw-nb15`` over the 54,888 training rows of the
documented split of the UNSW-NB15 testing partition (training data only; preprocessing
fitted on each fold's training rows), as ``benchmarks/sampler_default.py`` does. Per fold:
macro-F1 over the classes of the held-out rows, binary FPR = held-out normal rows predicted
as any attack / all held-out normal rows. Other methods (e.g. ``rf smote-rf``) as arguments,
on the same folds. Run it once per checkout::

    GAVAE_IDS_DATA=... PYTHONPATH=<checkout>/src \\
        python docs/results/fit-speed/exploration/downstream_cv.py [--dataset unsw-nb15] [methods]
"""

from __future__ import annotations

import argparse
import os
import time

import numpy as np
import torch
from sklearn.metrics import f1_score
from sklearn.model_selection import StratifiedKFold

import gavae_ids
from gavae_ids.datasets import load_benchmark
from gavae_ids.detection.pipeline import build_pipeline


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("methods", nargs="*", default=["gavae-rf"])
    ap.add_argument("--dataset", default="nsl-kdd", choices=["nsl-kdd", "unsw-nb15"])
    args = ap.parse_args()
    torch.set_num_threads(2)
    data = load_benchmark(args.dataset, train_split="train20", with_tests=False).train
    X, y = data.X.reset_index(drop=True), data.y.reset_index(drop=True)
    print(f"code: {os.path.dirname(gavae_ids.__file__)}; {args.dataset}, {len(X):,} rows; "
          f"load average {os.getloadavg()[0]:.1f}")  # fmt: skip
    for method in args.methods:
        cv(method, data, X, y)


def cv(method: str, data, X, y) -> None:
    f1s, fprs = [], []
    for fold, (tr, te) in enumerate(StratifiedKFold(3, shuffle=True, random_state=0).split(X, y)):
        pipe = build_pipeline(method, categorical=data.categorical, numeric=data.numeric,
                              random_state=0, verbose=False, device="cpu")  # fmt: skip
        t0 = time.perf_counter()
        pipe.fit(X.iloc[tr], y.iloc[tr])
        fit_s = time.perf_counter() - t0
        y_true, y_pred = y.iloc[te].to_numpy(), np.asarray(pipe.predict(X.iloc[te]))
        f1s.append(100 * f1_score(y_true, y_pred, average="macro"))
        fprs.append(100 * float(np.mean(y_pred[y_true == "Normal"] != "Normal")))
        print(f"fold {fold}: fit {fit_s:.1f} s, macro-F1 {f1s[-1]:.2f}, "
              f"binary FPR {fprs[-1]:.3f} %", flush=True)  # fmt: skip
    print(
        f"{method}: macro-F1 {np.mean(f1s):.2f} ± {np.std(f1s, ddof=1):.2f}, "
        f"binary FPR {np.mean(fprs):.3f} ± {np.std(fprs, ddof=1):.3f} % (3 folds, seed 0)"
    )


if __name__ == "__main__":
    main()
