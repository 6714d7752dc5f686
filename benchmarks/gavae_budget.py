"""How the realism of GAVAE rows grows with its training budget, and where it is lost.

Fits ``GAVAESampler`` (library defaults, overridden by each ``--config``) on the
training part of ``gavae-ids fidelity``'s split of NSL-KDD KDDTrain+_20Percent
(a stratified 20 % of each class held out, seeded by ``--seed``; no test file is
read) and prints, per configuration, its ``fit_resample`` wall time, the mean
reconstruction loss of the last 50 iterations and, for DoS, Probe and R2L:

* ``rec``: C2ST AUC of the reconstructions decode(μ(x), y) (most likely bins and
  categories) of ≤ 3,000 real rows against those rows — what generation cannot
  beat, since generated rows come from the same decoder;
* ``gen``, ``cov``, ``ratio``, ``copy``: C2ST AUC, coverage, distance ratio and
  exact-copy share of the rows ``fit_resample`` generated (metrics as
  ``gavae-ids fidelity``).

With ``--decompose``, also where the reconstructions are told apart: numeric
columns put in their true bin with a uniform position inside it (bin
quantisation alone), the decoder's bins with the true position inside them,
and the decoder's categories with the true numbers, or the reverse.

Examples::

    python benchmarks/gavae_budget.py --config '{}' '{"n_iter": 2000}' --threads 1
    python benchmarks/gavae_budget.py --config '{}' --decompose

Each configuration takes its fit time plus about a minute of metrics.
"""

from __future__ import annotations

import argparse
import json
import time
import warnings

import numpy as np
import torch

from gavae_ids.evaluation.fidelity import (
    c2st_auc,
    coverage_density,
    exact_copy_share,
    nn_distance_ratio,
)
from gavae_ids.experiments.fidelity_runs import HOLDOUT_FRACTION, fidelity_data
from gavae_ids.nn.bins import _bin_bounds, _bin_log_probs, _bin_of
from gavae_ids.sampling import GAVAESampler

CLASSES = ("DoS", "Probe", "R2L")
ROWS = 3000


def fidelity_split(seed: int, data_dir=None):
    """The rows ``gavae-ids fidelity --seed`` fits its samplers on, and the layout."""
    data = fidelity_data("nsl-kdd", data_home=data_dir, train_split="train20", quick=False,
                         holdout_fraction=HOLDOUT_FRACTION, random_state=seed)  # fmt: skip
    return data.X_fit, data.y_fit, data.layout


@torch.no_grad()
def reconstructions(sampler: GAVAESampler, R: np.ndarray, label) -> dict[str, np.ndarray]:
    """Reconstructions of real rows ``R`` of class ``label``, whole and part-true (fit units)."""
    model = sampler.model_
    ci = int(np.flatnonzero(sampler.classes_ == label)[0])
    xs = torch.as_tensor(sampler.value_space_.scale(R))
    mu, _ = model.encode(xs)
    y1 = torch.eye(len(sampler.classes_))[[ci] * len(xs)]
    # The most likely row for μ(x); an autoregressive decoder picks column by column.
    recon = model.generate(mu, y1)
    out = {"decoder": recon}
    bins, num = sampler.value_space_.numeric_bins(), sampler.layout_.numeric_indices
    if bins is not None and len(num) and not model.autoregressive:
        logits = model.decode(mu, y1)
        lo, hi = _bin_bounds(_bin_of(xs[:, num], bins), bins)
        within = ((xs[:, num] - lo) / (hi - lo).clamp_min(1e-12)).clamp(0, 1)
        k = _bin_log_probs(logits, xs.shape[1], bins).argmax(dim=2)
        lo_d, hi_d = _bin_bounds(k, bins)
        g = torch.Generator().manual_seed(0)
        parts = {
            "true bins, uniform inside": (xs, lo + torch.rand(lo.shape, generator=g) * (hi - lo)),
            "decoder bins, true inside": (recon, lo_d + within * (hi_d - lo_d)),
            "decoder categories, true numbers": (recon, xs[:, num]),
            "true categories, decoder numbers": (xs, recon[:, num]),
        }
        for name, (base, numbers) in parts.items():
            v = base.clone()
            v[:, num] = numbers
            out[name] = v
    space = sampler.value_space_
    return {k: space.to_output(space.snap(v).numpy()) for k, v in out.items()}


def evaluate(config: dict, X, y, layout, seed: int, decompose: bool) -> None:
    sampler = GAVAESampler(layout=layout, random_state=seed, **config)
    t0 = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        X_res, y_res = sampler.fit_resample(X, y)
    fit_s = time.perf_counter() - t0
    X_syn, y_syn = X_res[len(X) :], y_res[len(X) :]
    loss = sampler.history_["recon_loss"].tail(50).mean()
    print(f"\n{json.dumps(config)}: fit_resample {fit_s:.1f} s, recon loss (last 50) {loss:.2f}")
    for c in CLASSES:
        R, S = X[y == c], X_syn[y_syn == c]
        rec = reconstructions(sampler, R[:ROWS], c)
        cov, _ = coverage_density(R, S, random_state=seed)
        print(f"  {c:6s} rec {c2st_auc(R[:ROWS], rec['decoder'], random_state=0):.3f}  "
              f"gen {c2st_auc(R, S, random_state=seed):.3f}  cov {cov:.3f}  "
              f"ratio {nn_distance_ratio(R, S, random_state=seed)[2]:.2f}  "
              f"copy {exact_copy_share(R, S):.3f}")  # fmt: skip
        if decompose:
            for name, V in rec.items():
                if name != "decoder":
                    print(f"         {name:34s} C2ST {c2st_auc(R[:ROWS], V, random_state=0):.3f}")


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--config", nargs="+", default=["{}"],
                    help="JSON objects of GAVAESampler parameters, one per run")  # fmt: skip
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--decompose", action="store_true")
    ap.add_argument("--data-dir", default=None)
    args = ap.parse_args(argv)
    torch.set_num_threads(args.threads)
    X, y, layout = fidelity_split(args.seed, args.data_dir)
    for text in args.config:
        evaluate(json.loads(text), X, y, layout, args.seed, args.decompose)


if __name__ == "__main__":
    main()
