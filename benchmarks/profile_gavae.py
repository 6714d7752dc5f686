"""Where a GAVAESampler fit spends its time (issue #32 item 2): training step and generation.

Splits ``train_gavae``'s minibatch iteration into its parts by running the same steps
(the functions of :mod:`gavae_ids.training.gavae_loop`) with a clock between them:
encoder forward, decoder forward + Eq. 7 loss, the VAE backward, the VAE optimiser
step, the critic step(s) (of which the gradient penalty), the Fig. 7 accuracy probe,
the encoder's adversarial step and what is left (Python, minibatch drawing). Then
times a whole ``fit_resample`` with the generation phases clocked by wrapping the
methods ``CandidateGenerator.generate`` calls: latent draws, autoregressive decoding,
snapping numbers to donor values, the Eq. 9 filter and the manifold check.

Run::

    nice .venv/bin/python benchmarks/profile_gavae.py --data nsl-kdd --threads 2
    nice .venv/bin/python benchmarks/profile_gavae.py --data breast-cancer --threads 2
    nice .venv/bin/python benchmarks/profile_gavae.py --params '{"n_iter": 1000}' ...

Times are wall-clock on whatever else the machine runs; compare shares, not seconds.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from collections import defaultdict


def parse_args() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--data", default="nsl-kdd", choices=["nsl-kdd", "breast-cancer"])
    p.add_argument("--data-home", default=os.environ.get("GAVAE_IDS_DATA"))
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--steps", type=int, default=100, help="training iterations clocked")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--params", default="{}", help="JSON of further GAVAESampler parameters")
    p.add_argument("--no-fit", action="store_true", help="skip the whole-fit profile")
    return p.parse_args()


def load(name: str, data_home):
    """(X, y, layout) of a benchmark table: NSL-KDD-20 % encoded, or breast cancer."""
    from gavae_ids.preprocessing.layout import FeatureLayout

    if name == "breast-cancer":
        from sklearn.datasets import load_breast_cancer

        X, y = load_breast_cancer(return_X_y=True)
        return X, y, FeatureLayout.all_numeric(X.shape[1])
    from gavae_ids.datasets import load_nsl_kdd
    from gavae_ids.preprocessing import TabularPreprocessor

    data = load_nsl_kdd("train20", data_home=data_home)
    pre = TabularPreprocessor(categorical=data.categorical).fit(data.X)
    return pre.transform(data.X), data.y.to_numpy(), pre.layout_


class Clock:
    """Accumulated wall and CPU (this process, all threads) time per named part."""

    def __init__(self):
        self.total = defaultdict(float)
        self.cpu = defaultdict(float)
        self.t, self.c = time.perf_counter(), time.process_time()
        self.depth = [0]

    def lap(self, name: str) -> None:
        now, cpu = time.perf_counter(), time.process_time()
        self.total[name] += now - self.t
        self.cpu[name] += cpu - self.c
        self.t, self.c = now, cpu

    def wrap(self, obj, attr: str, name: str) -> None:
        """Clock every call of ``obj.attr`` under ``name`` (nested calls count once)."""
        fn = getattr(obj, attr)
        totals, cpus, depth = self.total, self.cpu, self.depth

        def timed(*a, **k):
            if depth[0]:
                return fn(*a, **k)
            depth[0] += 1
            t0, c0 = time.perf_counter(), time.process_time()
            try:
                return fn(*a, **k)
            finally:
                depth[0] -= 1
                totals[name] += time.perf_counter() - t0
                cpus[name] += time.process_time() - c0

        setattr(obj, attr, timed)

    def print(self, title: str, per: int = 1) -> None:
        whole, cpu = sum(self.total.values()), sum(self.cpu.values())
        print(f"\n{title}: {whole:.2f} s wall, {cpu:.2f} s CPU"
              + (f" ({whole / per * 1e3:.1f} ms/iteration)" if per > 1 else ""))  # fmt: skip
        for k, v in sorted(self.total.items(), key=lambda kv: -kv[1]):
            print(f"  {k:38s} {v:8.3f} s  {100 * v / whole:5.1f} %  CPU {self.cpu[k]:8.3f} s"
                  + (f"  {v / per * 1e3:7.2f} ms/it" if per > 1 else ""))  # fmt: skip


def build(X, y, layout, params: dict, seed: int):
    """(config, scaled rows, class indices, class count, initialised GAVAE) as a fit builds them."""
    import numpy as np
    import torch

    from gavae_ids._util.torch_helpers import init_module_, make_generator
    from gavae_ids.nn.gavae import GAVAE
    from gavae_ids.sampling import GAVAESampler
    from gavae_ids.sampling._value_space import ValueSpace

    config = GAVAESampler(**params).config()
    _, y_index = np.unique(y, return_inverse=True)
    n_classes = int(y_index.max()) + 1
    space = ValueSpace(layout, config, X.dtype).fit(X, y_index, n_classes)
    bins = space.numeric_bins()
    model = GAVAE(layout, n_classes, bins=bins, **config.network())
    init_module_(model, make_generator(seed))
    print(f"decoder outputs {model.n_logits} ({0 if bins is None else bins.n_logits} bins over "
          f"{len(layout.numeric_indices)} numbers), parameters "
          f"{sum(p.numel() for p in model.parameters()):,}")  # fmt: skip
    return config, torch.as_tensor(space.scale(X)), y_index, n_classes, model


def profile_steps(X, y, layout, params: dict, steps: int, seed: int) -> None:
    """One training iteration, part by part (the steps of train_gavae, in its order)."""
    import torch

    from gavae_ids._util.torch_helpers import make_generator
    from gavae_ids.nn.gavae import gradient_penalty, kl_divergence, reparameterize
    from gavae_ids.training import gavae_loop as L

    config, Xs, y_index, n_classes, model = build(X, y, layout, params, seed)
    g = make_generator(seed)
    yt = torch.as_tensor(y_index, dtype=torch.long)
    y_all = torch.eye(n_classes)[yt]
    opts = L.make_optimizers(model, config)
    bs = config.batch_rows(len(Xs))
    rows_of = L._RowDrawer(yt, n_classes, g)
    batches = L._minibatches(rows_of, len(Xs), bs, config.class_balance, g)
    m = config.disc_eval_size
    eval_class = torch.arange(n_classes).repeat_interleave(m)
    eval_y = torch.eye(n_classes)[eval_class]
    latent = config.latent_dim
    clock = Clock()
    model.train()
    for _ in range(steps):
        clock.lap("python / minibatch")
        idx = next(batches)
        x, y1 = Xs[idx], y_all[idx]
        eps = torch.randn(bs, latent, generator=g)
        clock.lap("python / minibatch")
        mu, logvar = model.encode(x)
        z = reparameterize(mu, logvar, eps)
        clock.lap("VAE: encoder forward")
        logits = model.decode(z, y1, x)
        clock.lap("VAE: AR decoder forward")
        recon = model.reconstruction_loss(logits, x).mean()
        clock.lap("VAE: Eq. 7 loss (bin log-probs)")
        kl = kl_divergence(mu, logvar).mean()
        opts.vae.zero_grad(set_to_none=True)
        (recon + config.beta * kl).backward()
        clock.lap("VAE: backward")
        opts.vae.step()
        float(recon.detach()), float(kl.detach())
        clock.lap("VAE: Adam step")
        with torch.no_grad():
            mu, logvar = model.encode(x)
        for _ in range(config.critic_steps):
            z_code = reparameterize(mu, logvar, torch.randn(bs, latent, generator=g))
            z_prior = torch.randn(bs, latent, generator=g)
            alpha = torch.rand(bs, 1, generator=g)
            critic = model.critic
            loss_w = critic(z_code, y1).mean() - critic(z_prior, y1).mean()
            clock.lap("critic: forward")
            gp = gradient_penalty(critic, z_prior, z_code, y1, alpha)
            clock.lap("critic: gradient penalty forward")
            loss = loss_w + config.gp_lambda * gp
            opts.critic.zero_grad(set_to_none=True)
            loss.backward()
            clock.lap("critic: backward")
            opts.critic.step()
            float(loss.detach()), float(gp.detach())
            clock.lap("critic: Adam step")
        with torch.no_grad():
            e_mu, e_logvar = model.encode(Xs[rows_of(eval_class)])
            z_code = reparameterize(e_mu, e_logvar, torch.randn(n_classes * m, latent, generator=g))
            s_code = model.critic(z_code, eval_y).view(n_classes, m)
            s_prior = model.critic(torch.randn(n_classes * m, latent, generator=g),
                                   eval_y).view(n_classes, m)  # fmt: skip
        L.discriminator_accuracy(s_prior, s_code, n_classes)
        clock.lap("Fig. 7 accuracy probe")
        L.encoder_adversarial_step(model, opts.vae, x, y1, torch.randn(bs, latent, generator=g),
                                   config.adv_weight)  # fmt: skip
        clock.lap("encoder adversarial step")
    clock.print(f"training, {steps} iterations of batch {bs}", per=steps)


def profile_fit(X, y, layout, params: dict, seed: int) -> None:
    """A whole fit_resample, with training and the generation phases clocked."""
    from gavae_ids.nn import gavae as nn_gavae
    from gavae_ids.sampling import GAVAESampler, _generation, gavae_sampler, latent_prior
    from gavae_ids.sampling._value_space import ValueSpace
    from gavae_ids.sampling.manifold import ClassManifold

    clock = Clock()
    sampler = GAVAESampler(layout=layout, random_state=seed, device="cpu", **params)
    clock.wrap(GAVAESampler, "_train", "training (n_iter iterations)")
    clock.wrap(gavae_sampler, "reconstruction_scores", "Eq. 8 thresholds (real rows)")
    if hasattr(latent_prior, "fit_mixture"):
        clock.wrap(gavae_sampler, "class_mixtures", "latent mixtures: codes")
        # Fitted when a class is first drawn, so inside generation; counted apart from it.
        clock.wrap(latent_prior, "fit_mixture", "latent mixtures: fits")
    else:  # before #32 (for A/B runs against older code): every class fitted up front
        clock.wrap(gavae_sampler, "fit_class_mixtures", "latent mixtures")
    clock.wrap(ValueSpace, "fit_donors", "donor tables")
    clock.wrap(_generation, "draw_latent", "generation: latent draws")
    clock.wrap(nn_gavae.GAVAE, "generate", "generation: AR decoding")
    clock.wrap(ValueSpace, "snap", "generation: numbers onto donor values")
    clock.wrap(nn_gavae.GAVAE, "reconstruction_loss", "generation: Eq. 9 (loss part)")
    clock.wrap(ClassManifold, "contains", "generation: manifold check")
    clock.wrap(ClassManifold, "__init__", "generation: manifold radii")
    clock.wrap(ValueSpace, "unit_of_scaled", "generation: manifold check")
    t0, c0 = time.perf_counter(), time.process_time()
    sampler.fit_resample(X, y)
    whole, cpu = time.perf_counter() - t0, time.process_time() - c0
    # Eq. 9 encodes and decodes each candidate before the loss; those calls are not
    # wrapped (training uses the same methods), so they land in "other".
    other = "other (Eq. 9 encode/decode, Python)"
    clock.total[other] = whole - sum(clock.total.values())
    clock.cpu[other] = cpu - sum(clock.cpu.values())
    clock.print(f"fit_resample ({sampler.n_iter} iterations; load average at the end "
                f"{os.getloadavg()[0]:.1f})")  # fmt: skip
    print(sampler.augmentation_report_.to_string(index=False))


def main() -> None:
    args = parse_args()
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    import torch

    torch.set_num_threads(args.threads)
    X, y, layout = load(args.data, args.data_home)
    params = json.loads(args.params)
    print(f"{args.data}: {X.shape[0]} rows x {X.shape[1]} columns; load average "
          f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs; threads {args.threads}")  # fmt: skip
    profile_steps(X, y, layout, {"layout": layout, **params}, args.steps, args.seed)
    if not args.no_fit:
        profile_fit(X, y, layout, params, args.seed)


if __name__ == "__main__":
    main()
