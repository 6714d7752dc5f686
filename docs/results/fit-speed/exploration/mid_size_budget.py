"""Does the auto budget hold quality on a mid-size table? (issue #32)

A stratified 5,320-row subset of NSL-KDD KDDTrain+_20Percent (training data only; seed 0
picks the rows: up to 1,700 per class), oversampled by the GAVAE with the auto budget
(32 passes: 333 iterations of 512 rows) and with the old fixed one (``n_iter=1000``); the
fidelity of each one's rows per class (:func:`gavae_ids.evaluation.fidelity.fidelity_per_class`
on the encoded [0, 1] features) and the fit time, both in one run. From the repository root::

    GAVAE_IDS_DATA=... PYTHONPATH=src python docs/results/fit-speed/exploration/mid_size_budget.py
"""

from __future__ import annotations

import os
import time
import warnings

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import numpy as np  # noqa: E402
import torch  # noqa: E402

from gavae_ids.datasets import load_nsl_kdd  # noqa: E402
from gavae_ids.evaluation.fidelity import fidelity_per_class  # noqa: E402
from gavae_ids.preprocessing import TabularPreprocessor  # noqa: E402
from gavae_ids.sampling import GAVAESampler  # noqa: E402


def main() -> None:
    torch.set_num_threads(2)
    data = load_nsl_kdd("train20", data_home=os.environ.get("GAVAE_IDS_DATA"))
    y_all = data.y.to_numpy()
    rng = np.random.RandomState(0)
    rows = np.sort(np.concatenate([
        rng.choice(np.flatnonzero(y_all == c), min(1700, int((y_all == c).sum())), replace=False)
        for c in np.unique(y_all)
    ]))  # fmt: skip
    X_raw = data.X.iloc[rows]
    pre = TabularPreprocessor(categorical=data.categorical).fit(X_raw)
    X, y = pre.transform(X_raw), y_all[rows]
    print(f"{len(y)} rows; {dict(zip(*np.unique(y, return_counts=True), strict=True))}")
    for name, params in (("auto", {}), ("n_iter=1000", {"n_iter": 1000})):
        sampler = GAVAESampler(layout=pre.layout_, random_state=0, device="cpu", **params)
        t0 = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            X_res, y_res = sampler.fit_resample(X, y)
        fit_s = time.perf_counter() - t0
        f = fidelity_per_class(X, y, X_res[len(X) :], y_res[len(y) :], random_state=0)
        print(f"\n{name}: {len(sampler.history_)} iterations, fit_resample {fit_s:.1f} s "
              f"(load average {os.getloadavg()[0]:.1f})")  # fmt: skip
        cols = ["c2st_auc", "coverage", "dist_ratio", "exact_copy_share"]
        print(f[cols].to_string(float_format=lambda v: f"{v:.3f}"), flush=True)


if __name__ == "__main__":
    main()
