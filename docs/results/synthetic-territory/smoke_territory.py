"""Smoke run of benchmarks/territory_filter.py, NOT a measurement of the default sampler.

A tiny GAVAE (n_iter=5, hidden=(8,), latent_dim=2), 1,500 random IoT-overlap training rows
(seed 0) and the first 500 test rows; settings off, k5, k5-all. From the repository root:

    python benchmarks/iot_table.py --kind overlap --out runs/iot-overlap
    PYTHONPATH=src python docs/results/synthetic-territory/smoke_territory.py
"""

import argparse
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, "benchmarks")
import territory_filter as tf  # noqa: E402

from gavae_ids.sampling import GAVAESampler  # noqa: E402


class Tiny(GAVAESampler):
    def __init__(self, **kw):
        kw.update(n_iter=5, hidden=(8,), latent_dim=2)
        super().__init__(**kw)

    @classmethod
    def _get_param_names(cls):
        return GAVAESampler._get_param_names()


def small(*a, **k):
    X, y, c, n, tests = load_rows(*a, **k)
    idx = np.random.RandomState(0).choice(len(y), 1500, replace=False)
    tests = {kk: (Xt.iloc[:500], yt[:500]) for kk, (Xt, yt) in tests.items()}
    return X.iloc[idx], y[idx], c, n, tests


load_rows, tf.load_rows, tf.GAVAESampler = tf.load_rows, small, Tiny
args = argparse.Namespace(dataset="iot-overlap", data_dir="runs/iot-overlap", seed=0,
                          device="cpu", out=Path("runs/territory-smoke"),
                          settings=["off", "k5", "k5-all"], fidelity=["k5"])  # fmt: skip
args.out.mkdir(parents=True, exist_ok=True)
val, test, chosen = tf.run(args)
print(val.drop(columns="per_class_acceptance").round(3).to_string())
print(test.round(3).to_string())
print(chosen)
