"""Fidelity of one GAVAESampler configuration (defaults + JSON params) on `gavae-ids
fidelity`'s split of NSL-KDD KDDTrain+_20Percent, seed S (training data only).

    python config_probe.py 0 '{"n_bins": 192}'
"""
import json
import sys
import time

import numpy as np
import torch

from gavae_ids.evaluation.fidelity import fidelity_per_class
from gavae_ids.fidelity import HOLDOUT_FRACTION, fidelity_data, synthetic_rows
from gavae_ids.sampling import GAVAESampler


def run(seed: int, params: dict, label: str = "") -> None:
    """Fit the sampler on the split of ``seed`` and print its per-class fidelity."""
    torch.set_num_threads(1)
    data = fidelity_data("nsl-kdd", data_home=None, train_split="train20", quick=False,
                         holdout_fraction=HOLDOUT_FRACTION, random_state=seed)
    X, y = data.X_fit, np.asarray(data.y_fit)
    s = GAVAESampler(layout=data.layout, random_state=seed, device="cpu", verbose=False,
                     **params)
    t0 = time.time()
    Xs, ys = synthetic_rows(s, X, y)
    print(f"{params}{label} seed {seed}: fit_resample {time.time() - t0:.1f} s (busy), "
          f"n_logits {s.model_.n_logits}")
    t = fidelity_per_class(X, y, Xs, ys, random_state=seed)
    cols = ["c2st_auc", "coverage", "density", "dist_ratio", "exact_copy_share"]
    print(t[cols].round(3).to_string(), flush=True)


if __name__ == "__main__":
    run(int(sys.argv[1]), json.loads(sys.argv[2]))
