"""Sanity table: every classifier trained on NSL-KDD KDDTrain+_20Percent, scored on KDDTest+.

One seed, default hyperparameters; prints per method the fit time, prediction
time, KDDTest+ accuracy and macro-F1 (the multi-seed report is the
reproduction's job). The GAVAE-DNN's sampler is given the preprocessing's
one-hot layout.

    python benchmarks/bench_classifiers.py --data-dir ../shared/datasets --threads 2
    python benchmarks/bench_classifiers.py --methods dnn gavae-dnn --seed 1

Expected wall time on 2 CPU cores: about 3–4 minutes for all methods.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import torch
from sklearn.metrics import accuracy_score, f1_score

from gavae_ids.classifiers import available_methods
from gavae_ids.datasets import load_nsl_kdd
from gavae_ids.detection.methods import build_method
from gavae_ids.preprocessing import TabularPreprocessor


def describe(est) -> str:
    if hasattr(est, "history_"):
        phases = {}
        for h in est.history_:
            phases[h["phase"]] = phases.get(h["phase"], 0) + 1
        secs = sum(h["seconds"] for h in est.history_)
        return f"epochs {phases} ({secs:.0f}s), {est.n_train_} train rows"
    if hasattr(est, "solver_"):
        return f"solver {est.solver_}"
    return ""


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data-dir", default=None, help="dataset folder (default: $GAVAE_IDS_DATA)")
    ap.add_argument("--methods", nargs="*", default=None, help="default: all available")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--threads", type=int, default=None, help="torch intra-op threads")
    ap.add_argument("--device", default="auto")
    args = ap.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)

    train = load_nsl_kdd("train20", data_home=args.data_dir)
    test = load_nsl_kdd("test", data_home=args.data_dir)
    pre = TabularPreprocessor(categorical=train.categorical).fit(train.X)
    X, y = pre.transform(train.X), train.y.to_numpy()
    X_test, y_test = pre.transform(test.X), test.y.to_numpy()
    print(f"train {X.shape}, test {X_test.shape}, torch threads {torch.get_num_threads()}")

    rows = []
    for name in args.methods or available_methods():
        est = build_method(
            name, layout=pre.layout_, random_state=args.seed, verbose=False, device=args.device
        )
        t0 = time.perf_counter()
        est.fit(X, y)
        fit_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        pred = est.predict(X_test)
        pred_s = time.perf_counter() - t0
        acc = accuracy_score(y_test, pred)
        f1 = f1_score(y_test, pred, average="macro")
        rows.append((name, fit_s, pred_s, acc, f1, describe(est)))
        print(f"{name:10s} fit {fit_s:7.1f}s  predict {pred_s:5.1f}s  acc {acc:.4f}  "
              f"macro-F1 {f1:.4f}  {rows[-1][5]}", flush=True)  # fmt: skip

    print("\n| method | fit (s) | predict (s) | KDDTest+ accuracy | macro-F1 | notes |")
    print("|---|---:|---:|---:|---:|---|")
    for name, fit_s, pred_s, acc, f1, note in rows:
        print(f"| {name} | {fit_s:.1f} | {pred_s:.1f} | {acc:.4f} | {f1:.4f} | {note} |")
    print(f"\nseed {args.seed}; majority class share of KDDTest+: "
          f"{np.mean(y_test == 'Normal'):.4f}")  # fmt: skip


if __name__ == "__main__":
    main()
