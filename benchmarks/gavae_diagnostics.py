"""Why GAVAE rows do or do not look real: latent use, prior match, reconstructions, Eq. 9.

For each preset (``paper`` = :data:`gavae_ids.detection.methods.PAPER_GAVAE`, ``defaults`` = the
library's GAVAESampler defaults) fitted on NSL-KDD KDDTrain+_20Percent (training data
only), prints per attack class:

* active latent units: dimensions whose encoder mean μ(x) varies over the class's rows
  (variance > 0.01) — units a decoder can use; the rest collapsed onto the prior;
* MMD² (RBF kernel, median-heuristic bandwidth) between draws of q(z | x) for the
  class's rows and the latent distribution generation draws from (N(0, I) for
  ``paper``, the class's fitted mixture for ``defaults``), beside MMD² to N(0, I);
* reconstructions decode(μ(x), y) of the class's own real rows: C2ST AUC against the
  real rows and the nearest-neighbour distance ratio (as ``gavae-ids fidelity``);
* Eq. 9: acceptance rate of candidates, and the C2ST AUC of the candidates the filter
  rejected vs those it accepted (≈0.5: the filter does not tell good from bad).

Example::

    python benchmarks/gavae_diagnostics.py --seed 0 --threads 1

Wall time: about 1.5 min per preset on one idle core.
"""

from __future__ import annotations

import argparse
import time
import warnings

import numpy as np
import torch

from gavae_ids.datasets import load_nsl_kdd
from gavae_ids.detection.methods import PAPER_GAVAE
from gavae_ids.evaluation.fidelity import c2st_auc, nn_distance_ratio
from gavae_ids.preprocessing import TabularPreprocessor
from gavae_ids.sampling import GAVAESampler

CLASSES = ("DoS", "Probe", "R2L", "U2R")


def mmd2(a: np.ndarray, b: np.ndarray, rng: np.random.RandomState, n: int = 1000) -> float:
    """Biased MMD² with an RBF kernel whose bandwidth is the median pairwise distance."""
    a = a[rng.choice(len(a), min(n, len(a)), replace=False)]
    b = b[rng.choice(len(b), min(n, len(b)), replace=False)]
    both = np.vstack([a, b])
    d2 = ((both[:, None, :] - both[None, :, :]) ** 2).sum(-1)
    k = np.exp(-d2 / np.median(d2[d2 > 0]))
    na = len(a)
    return float(k[:na, :na].mean() + k[na:, na:].mean() - 2 * k[:na, na:].mean())


def diagnose(name: str, params: dict, X, y, layout, seed: int) -> None:
    sampler = GAVAESampler(layout=layout, random_state=seed, **params)
    t0 = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        sampler.fit_resample(X, y)
    print(f"\n== {name}: fit_resample {time.perf_counter() - t0:.1f} s; {params or 'defaults'}")
    model, rng = sampler.model_, np.random.RandomState(seed)
    g = torch.Generator().manual_seed(seed)
    Xs = torch.as_tensor(sampler.value_space_.scale(X))
    eye = torch.eye(len(sampler.classes_))
    report = sampler.augmentation_report_.set_index("class")
    print("class  active  MMD²(q,gen)  MMD²(q,N01)  recon-C2ST  recon-ratio  accept  "
          "C2ST(rejected vs accepted)")  # fmt: skip
    for c in CLASSES:
        i = int(np.flatnonzero(sampler.classes_ == c)[0])
        rows = np.flatnonzero(y == c)
        with torch.no_grad():
            mu, logvar = model.encode(Xs[rows])
            q = (mu + torch.exp(0.5 * logvar) * torch.randn(mu.shape, generator=g)).numpy()
            rec = model.generate(mu, eye[[i] * len(rows)])
            gen_z = sampler.generator_.draw_latent(i, 2000, g).numpy()
            # Eq. 9 on fresh candidates, drawn the way generation draws them.
            z = sampler.generator_.draw_latent(i, 2000, g)
            yz = eye[[i] * len(z)]
            if sampler.config().binned:
                u = torch.rand(len(z), model.n_logits, generator=g).clamp_(1e-10, 1 - 1e-7)
                within = torch.rand(len(z), len(layout.numeric_indices), generator=g)
                cand = model.generate(
                    z, yz, -torch.log(-torch.log(u)), within, float(sampler.config().temperature)
                )
            else:
                cand = model.generate(z, yz)
            cand = sampler.value_space_.snap(cand)
            m2, _ = model.encode(cand)
            loss = model.reconstruction_loss(model.decode(m2, yz, cand), cand).numpy()
        active = int((mu.numpy().var(0) > 0.01).sum())
        real = X[rows]
        recon = sampler.value_space_.to_output(sampler.value_space_.snap(rec).numpy())
        keep = loss <= sampler.thresholds_[c]
        cand_out = sampler.value_space_.to_output(cand.numpy())
        rej = (
            f"{c2st_auc(cand_out[keep], cand_out[~keep], random_state=seed):.3f}"
            if 10 <= (~keep).sum() and 10 <= keep.sum()
            else "n/a (too few rejected)"
        )
        print(f"{c:6s} {active:3d}/{mu.shape[1]:<3d} {mmd2(q, gen_z, rng):11.4f}  "
              f"{mmd2(q, rng.randn(2000, mu.shape[1]), rng):11.4f}  "
              f"{c2st_auc(real, recon, random_state=seed):10.3f}  "
              f"{nn_distance_ratio(real, recon, random_state=seed)[2]:11.2f}  "
              f"{report.loc[c, 'acceptance_rate']:6.3f}  {rej}")  # fmt: skip


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--presets", nargs="*", default=["paper", "defaults"])
    ap.add_argument("--data-dir", default=None)
    args = ap.parse_args(argv)
    torch.set_num_threads(args.threads)
    train = load_nsl_kdd("train20", data_home=args.data_dir)
    pre = TabularPreprocessor(categorical=train.categorical).fit(train.X)
    X, y = pre.transform(train.X), train.y.to_numpy()
    presets = {"paper": dict(PAPER_GAVAE), "defaults": {}}
    for name in args.presets:
        diagnose(name, presets[name], X, y, pre.layout_, args.seed)


if __name__ == "__main__":
    main()
