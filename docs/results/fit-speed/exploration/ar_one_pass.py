"""The one-pass autoregressive draw against the draw that recomputed every layer per column (#32).

Fits (or loads) a GAVAESampler on NSL-KDD-20 % (seed 0), then draws as many candidates of
each class as that fit drew (the augmentation report's attempts, 58,249 in all), in calls
of at most 8,192 rows as ``CandidateGenerator.generate`` makes them, with both draws:
how many rows differ (a flipped choice: a block's category or a number's bin), the
largest difference otherwise, and the time of each (alternating, wall and CPU seconds).
From the repository root::

    GAVAE_IDS_DATA=... PYTHONPATH=src nice python \\
        docs/results/fit-speed/exploration/ar_one_pass.py [--sampler /tmp/nsl_sampler]

(the fitted sampler is saved there on the first run and loaded afterwards).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import torch  # noqa: E402

from gavae_ids.nn.bins import _bin_of  # noqa: E402
from gavae_ids.sampling import GAVAESampler  # noqa: E402

sys.path[:0] = ["benchmarks", "tests"]
from profile_gavae import load  # noqa: E402

from test_gavae_autoregressive import _reference_generate  # noqa: E402


def fitted(path: Path, data_home) -> GAVAESampler:
    if path.exists():
        return GAVAESampler.load(path)
    X, y, layout = load("nsl-kdd", data_home)
    sampler = GAVAESampler(layout=layout, random_state=0, device="cpu")
    t0 = time.perf_counter()
    sampler.fit_resample(X, y)
    print(f"fit {time.perf_counter() - t0:.1f} s", flush=True)
    sampler.save(path)
    return sampler


def inputs(sampler, class_index: int, n: int, seed: int):
    """z, labels and noise of ``n`` candidates of a class, drawn as generate() draws them."""
    gen, model = sampler.generator_, sampler.model_
    g = torch.Generator().manual_seed(seed)
    z = gen.draw_latent(class_index, n, g)
    y = torch.zeros(n, len(sampler.classes_))
    y[:, class_index] = 1.0
    u = torch.rand(n, model.n_logits, generator=g).clamp_(1e-10, 1.0 - 1e-7)
    within = torch.rand(n, len(sampler.layout_.numeric_indices), generator=g)
    return z, y, -torch.log(-torch.log(u)), within


def choices(model, rows: torch.Tensor) -> torch.Tensor:
    """Every block's category and every number's bin, one column each."""
    out = [rows[:, a:b].argmax(1) for a, b in model.blocks]
    out.append(_bin_of(rows[:, model.numeric_index], model._bins()).T)
    return torch.vstack([o if o.dim() == 2 else o[None] for o in out]).T


def timed(fn):
    w, c = time.perf_counter(), time.process_time()
    out = fn()
    return out, time.perf_counter() - w, time.process_time() - c


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--sampler", type=Path, default=Path("/tmp/nsl_sampler"))
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--repeats", type=int, default=3)
    args = p.parse_args()
    torch.set_num_threads(args.threads)
    sampler = fitted(args.sampler, os.environ.get("GAVAE_IDS_DATA"))
    model = sampler.model_.eval()
    report = sampler.augmentation_report_
    T = float(sampler.config().temperature)
    draws = {"new": lambda a: model.generate(*a, T), "old": lambda a: _reference_generate(
        model, *a[:2], a[2], a[3], T)}  # fmt: skip
    calls = []
    for i, attempts in enumerate(report["attempts"]):
        for start in range(0, int(attempts), 8192):
            calls.append(inputs(sampler, i, min(8192, int(attempts) - start), 100 * i + start))
    print(f"load average {os.getloadavg()[0]:.2f}; {sum(len(c[0]) for c in calls)} candidates "
          f"in {len(calls)} calls; threads {args.threads}", flush=True)  # fmt: skip
    # Agreement on every candidate of the fit.
    flips = maxdiff = 0
    with torch.no_grad():
        for a in calls:
            new, old = draws["new"](a), draws["old"](a)
            same = (choices(model, new) == choices(model, old)).all(1)
            flips += int((~same).sum())
            if same.any():
                maxdiff = max(maxdiff, float((new[same] - old[same]).abs().max()))
    print(f"rows with a different choice: {flips}; largest difference elsewhere {maxdiff:.2e}")
    big = max(calls, key=lambda a: len(a[0]))
    with torch.no_grad():
        for rep in range(args.repeats):
            for name in ("old", "new") if rep % 2 == 0 else ("new", "old"):
                _, w1, c1 = timed(lambda name=name: draws[name](big))
                _, w2, c2 = timed(lambda name=name: [draws[name](a) for a in calls])
                print(f"rep {rep} {name}: {len(big[0])} rows {w1:.2f} s wall {c1:.2f} s CPU; "
                      f"all {sum(len(a[0]) for a in calls)} rows {w2:.2f} s wall {c2:.2f} s CPU; "
                      f"load {os.getloadavg()[0]:.2f}", flush=True)  # fmt: skip


if __name__ == "__main__":
    main()
