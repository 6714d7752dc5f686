"""Fidelity and fit time of GAVAE training budgets and sizes on NSL-KDD (issue #32 item 2).

``gavae-ids fidelity``'s protocol (KDDTrain+_20Percent, 20 % of every class held out, the
GAVAE fitted on the other 80 %; training data only), the GAVAE alone, with the sampler
parameters given as JSON, and optionally the autoregressive decoder's hidden layers
(``AR_HIDDEN``, a constant of the method). Prints the per-class C2ST AUC, coverage, distance
ratio and exact copies, TSTR macro-F1, and the fit seconds. From the repository root::

    GAVAE_IDS_DATA=... PYTHONPATH=src python docs/results/fit-speed/exploration/budget_probe.py \
        --seed 0 '{"n_iter": 500, "lr": 0.008}'
    ... budget_probe.py --seed 0 --decoder-hidden 128,128
"""

from __future__ import annotations

import argparse
import json
import os
import time

import torch

import gavae_ids.nn.gavae as gavae_net
from gavae_ids.experiments.fidelity_runs import measure_fidelity


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("params", nargs="*", default=["{}"], help="JSON of GAVAESampler parameters")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--decoder-hidden", help="comma-separated widths (default: AR_HIDDEN)")
    args = ap.parse_args()
    torch.set_num_threads(2)
    if args.decoder_hidden:
        gavae_net.AR_HIDDEN = tuple(int(w) for w in args.decoder_hidden.split(","))
    for text in args.params:
        params = json.loads(text)
        t0 = time.perf_counter()
        res = measure_fidelity("nsl-kdd", ["gavae"], data_home=os.environ.get("GAVAE_IDS_DATA"),
                               random_state=args.seed, device="cpu", verbose=False,
                               sampler_params={"gavae": params})  # fmt: skip
        wall = time.perf_counter() - t0
        f = res.per_class.set_index("class")
        cols = ["c2st_auc", "coverage", "dist_ratio", "exact_copy_share"]
        fit = res.summary.filter(like="fit").to_dict("records")
        print(f"\ndecoder {gavae_net.AR_HIDDEN} {params} seed {args.seed}: run {wall:.1f} s, {fit} "
              f"(load average {os.getloadavg()[0]:.1f})")  # fmt: skip
        print(f[cols].to_string(float_format=lambda v: f"{v:.3f}"))
        print(res.summary.drop(columns=["sampler"], errors="ignore").to_string(), flush=True)


if __name__ == "__main__":
    main()
