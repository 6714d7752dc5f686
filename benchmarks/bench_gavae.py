"""Benchmark the GAVAE oversampler on NSL-KDD KDDTrain+_20Percent (issue 3) or KDDTrain+.

Prints the GAVAE fit time (training + thresholds + filtered generation up to the
majority count), the training time alone, the sampling throughput (accepted
rows per second of ``sample()``), the acceptance rate per class, and the
``fit_resample`` time of SMOTE for the same targets. CTGAN (conditional
sampling) is timed only when the ``ctgan`` package is importable.

Run::

    .venv/bin/python benchmarks/bench_gavae.py --threads 2
    .venv/bin/python benchmarks/bench_gavae.py --threads 2 --train-split train   # 5x the rows
    .venv/bin/python benchmarks/bench_gavae.py --threads 2 --fit-only \
        --params '{"decoder": "mlp"}'

Unless ``OMP_WAIT_POLICY`` is already set, the script sets it to ``PASSIVE``
before torch loads: on a machine whose cores are shared with other work,
OpenMP threads spinning on each other made 2-thread training of these small
networks about 8× slower than 1 thread (measured: 160–200 vs 20–23 ms per
iteration); passive waiting removes that.

Targets (issue 3): GAVAE fit ≤ 60 s on 2 CPU cores; ≥ 10× faster than CTGAN.
"""

from __future__ import annotations

import argparse
import json
import os
import time
import warnings


def parse_args() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--data-home", default=os.environ.get("GAVAE_IDS_DATA"))
    p.add_argument("--threads", type=int, default=2, help="torch.set_num_threads")
    p.add_argument("--device", default="cpu", help='"cpu", "cuda" or "auto"')
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--train-split", default="train20",
                   help="NSL-KDD training file: train20 (25,192 rows) or train (KDDTrain+, "
                   "125,973 rows) — the scaling comparison")  # fmt: skip
    p.add_argument("--n-iter", type=int, default=None, help="default: GAVAESampler's")
    p.add_argument(
        "--params",
        default="{}",
        help="JSON object of further GAVAESampler parameters, e.g. the paper's decoder: "
        '\'{"decoder": "mlp"}\'',
    )
    p.add_argument("--ctgan-epochs", type=int, default=None, help="default: ctgan's own")
    p.add_argument("--no-ctgan", action="store_true", help="skip CTGAN even if installed")
    p.add_argument(
        "--fit-only",
        action="store_true",
        help="time fit_resample and sample() only (no training-alone refit, no SMOTE)",
    )
    return p.parse_args()


def main() -> None:
    args = parse_args()
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    # torch and everything that loads it come after the OpenMP setting above.
    import pandas as pd
    import torch
    from imblearn.over_sampling import SMOTE

    from gavae_ids.datasets import load_nsl_kdd
    from gavae_ids.preprocessing import TabularPreprocessor
    from gavae_ids.sampling import GAVAESampler

    torch.set_num_threads(args.threads)
    data = load_nsl_kdd(args.train_split, data_home=args.data_home)
    pre = TabularPreprocessor(categorical=data.categorical).fit(data.X)
    X, y = pre.transform(data.X), data.y.to_numpy()
    counts = pd.Series(y).value_counts()
    targets = {c: int(counts.max()) for c in counts.index}
    print(f"data: {X.shape[0]} rows x {X.shape[1]} encoded columns; {counts.to_dict()}")
    device_name = (
        torch.cuda.get_device_name(0) if args.device != "cpu" and torch.cuda.is_available() else
        "cpu"
    )  # fmt: skip
    print(
        f"torch threads: {torch.get_num_threads()}, device: {args.device} ({device_name}), "
        f"OMP_WAIT_POLICY={os.environ['OMP_WAIT_POLICY']}, load average "
        f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs"
    )

    extra = json.loads(args.params)
    if args.n_iter is not None:
        extra["n_iter"] = args.n_iter
    sampler = GAVAESampler(layout=pre.layout_, random_state=args.seed, device=args.device, **extra)
    t0 = time.perf_counter()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        X_res, y_res = sampler.fit_resample(X, y)
    fit_s = time.perf_counter() - t0
    report = sampler.augmentation_report_
    batch = sampler.config().batch_rows(X.shape[0])
    print(f"\nGAVAE ({sampler.decoder} decoder, {len(sampler.history_)} iterations, "
          f"batch {batch})")  # fmt: skip
    print(f"  fit_resample: {fit_s:.1f} s -> {len(y_res)} rows", flush=True)

    minority = [c for c in counts.index if counts[c] < counts.max()]
    t0 = time.perf_counter()
    n_sampled = sum(len(sampler.sample(targets[c] - int(counts[c]), c)) for c in minority)
    sample_s = time.perf_counter() - t0
    print(f"  sample(): {n_sampled} accepted rows in {sample_s:.2f} s "
          f"= {n_sampled / sample_s:,.0f} accepted rows/s")  # fmt: skip
    print(report.to_string(index=False, float_format=lambda v: f"{v:.3f}"))
    for w in caught:
        print(f"  warning: {w.message}")
    acc = sampler.history_["disc_accuracy"].to_numpy()
    print(f"  discriminator accuracy: first 50 it. {acc[:50].mean():.3f}, "
          f"last 50 it. {acc[-50:].mean():.3f}", flush=True)  # fmt: skip
    if args.fit_only:
        return

    # Training alone: refit with a strategy that asks for no new rows.
    t0 = time.perf_counter()
    GAVAESampler(
        layout=pre.layout_,
        random_state=args.seed,
        device=args.device,
        sampling_strategy={counts.index[0]: int(counts.iloc[0])},
        **extra,
    ).fit_resample(X, y)
    print(f"  training alone: {time.perf_counter() - t0:.1f} s", flush=True)

    t0 = time.perf_counter()
    SMOTE(sampling_strategy=targets, random_state=args.seed).fit_resample(X, y)
    smote_s = time.perf_counter() - t0
    print(f"\nSMOTE fit_resample (same targets): {smote_s:.2f} s", flush=True)

    if args.no_ctgan:
        return
    try:
        from ctgan import CTGAN
    except ImportError:
        print("CTGAN: not timed (the ctgan package is not installed)")
        return
    frame = data.X.copy()
    frame["label"] = y
    kw = {} if args.ctgan_epochs is None else {"epochs": args.ctgan_epochs}
    t0 = time.perf_counter()
    model = CTGAN(**kw)
    model.fit(frame, discrete_columns=[*data.categorical, "label"])
    for c in minority:
        model.sample(targets[c] - int(counts[c]), condition_column="label", condition_value=c)
    ctgan_s = time.perf_counter() - t0
    print(f"CTGAN fit + conditional sampling: {ctgan_s:.1f} s "
          f"({ctgan_s / fit_s:.1f}x the GAVAE fit_resample)")  # fmt: skip


if __name__ == "__main__":
    main()
