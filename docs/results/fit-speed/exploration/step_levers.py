"""The GAVAE training step on NSL-KDD under levers that keep the network (issue #32 item 2).

The real model of a default fit on KDDTrain+_20Percent (``profile_gavae.build``), timed per
iteration in one process, variants alternating:

* ``train_gavae`` iterations with torch's intra-op threads at 1 and at 2;
* the VAE's loss (encoder, autoregressive decoder, Eq. 7) forward and backward, eager and
  through ``torch.compile`` (whose compile time is printed: the first run in a fresh
  ``TORCHINDUCTOR_CACHE_DIR``, as a user's first fit would pay it), on 1 thread;
* three dense layers of the decoder's sizes (outputs → 256 → 256 → outputs, the MADE's
  masks left out) forward and backward, float32 and under
  ``torch.autocast("cpu", dtype=torch.bfloat16)`` (the decoder itself does not run under
  autocast: its input scatter needs one dtype), on 1 thread.

From the repository root::

    GAVAE_IDS_DATA=... PYTHONPATH=src python docs/results/fit-speed/exploration/step_levers.py
"""

from __future__ import annotations

import os
import sys
import time
from dataclasses import replace

import torch

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "..", "..", "benchmarks"))
from profile_gavae import build, load  # noqa: E402

from gavae_ids._util.torch_helpers import make_generator  # noqa: E402
from gavae_ids.nn.gavae import reparameterize  # noqa: E402
from gavae_ids.training import gavae_loop as L  # noqa: E402

ROUNDS, STEPS = 3, 40


def per_step(fn, steps: int = STEPS) -> float:
    for _ in range(5):
        fn()
    t0 = time.perf_counter()
    for _ in range(steps):
        fn()
    return (time.perf_counter() - t0) / steps * 1e3


def main() -> None:
    X, y, layout = load("nsl-kdd", os.environ.get("GAVAE_IDS_DATA"))
    config, Xs, y_index, n_classes, model = build(X, y, layout, {}, 0)
    yt = torch.as_tensor(y_index, dtype=torch.long)
    avg = os.getloadavg()[0]
    print(f"{os.cpu_count()} CPUs, load average {avg:.1f}, torch {torch.__version__}")

    def loop(threads: int):
        torch.set_num_threads(threads)
        it = L.train_gavae(model, Xs, yt, replace(config, n_iter=10**6), make_generator(0))
        return lambda: next(it)

    for r in range(ROUNDS):
        for t in (1, 2):
            print(f"round {r}: train_gavae iteration, {t} thread(s): {per_step(loop(t)):.1f} ms")

    torch.set_num_threads(1)
    g = make_generator(1)
    idx = torch.randint(0, len(Xs), (config.batch_rows(len(Xs)),), generator=g)
    x, y1 = Xs[idx], torch.eye(n_classes)[yt[idx]]
    eps = torch.randn(len(idx), model.latent_dim, generator=g)

    def vae_loss(x, y1, eps):
        mu, logvar = model.encode(x)
        return model.reconstruction_loss(model.decode(reparameterize(mu, logvar, eps), y1, x),
                                         x).mean()  # fmt: skip

    def eager():
        vae_loss(x, y1, eps).backward()

    m = model.n_logits
    dense = [(torch.randn(o, i, generator=g) / i**0.5).requires_grad_()
             for i, o in ((m, 256), (256, 256), (256, m))]  # fmt: skip
    x_hot = torch.randn(len(idx), m, generator=g)

    def layers(bf16: bool):
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
            h = x_hot
            for i, w in enumerate(dense):
                h = h @ w.T if i == len(dense) - 1 else torch.relu(h @ w.T)
        h.float().logsumexp(1).mean().backward()

    compiled = torch.compile(vae_loss)
    t0 = time.perf_counter()
    compiled(x, y1, eps).backward()
    print(f"torch.compile of the VAE loss, forward and backward: {time.perf_counter() - t0:.1f} s")

    def comp():
        compiled(x, y1, eps).backward()

    for r in range(ROUNDS):
        for name, fn in (("eager", eager), ("torch.compile", comp)):
            ms = per_step(fn)
            print(f"round {r}: VAE loss forward + backward, 1 thread, {name}: {ms:.1f} ms")
    for r in range(ROUNDS):
        for bf16 in (False, True):
            kind = "bfloat16 autocast" if bf16 else "float32"
            print(
                f"round {r}: decoder-sized dense layers forward + backward, 1 thread, {kind}: "
                f"{per_step(lambda b=bf16: layers(b)):.1f} ms"
            )


if __name__ == "__main__":
    main()
