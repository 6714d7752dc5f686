"""GAVAE fit time against SMOTE and TVAE, on a large and a small table (issue #32 item 2).

Prints, from one run (so the ratios share the machine's load):

* NSL-KDD KDDTrain+_20Percent (25,192 rows, encoded by the project's preprocessing):
  ``GAVAESampler().fit_resample`` and ``SMOTE().fit_resample`` with the same targets
  (every class filled to the majority count); SMOTE is timed ``--repeats`` times and
  its median taken. Target: GAVAE ÷ SMOTE ≤ 15.
* scikit-learn's breast-cancer table (569 rows × 30 continuous columns; minority:
  212 malignant rows): ``GAVAESampler().fit_resample`` on all rows (145 malignant rows
  generated), and ctgan's ``TVAE()`` (default settings) fitted on the 212 malignant
  rows and sampling 145. Targets: GAVAE ≤ TVAE and ≤ the NSL-KDD fit. Also the
  fidelity of each one's 145 rows against the 212 real ones (training data; min-max
  scaled by the 569 rows; :func:`gavae_ids.evaluation.fidelity.fidelity_per_class`:
  C2ST AUC of a 3-fold gradient-boosting real-vs-synthetic classifier, coverage,
  nearest-neighbour distance ratio, exact-copy share).

Run (``OMP_WAIT_POLICY=PASSIVE`` is set unless given, as in bench_gavae.py)::

    nice .venv/bin/python benchmarks/bench_fit.py --threads 2 --seed 0
    nice .venv/bin/python benchmarks/bench_fit.py --only breast-cancer --params '{"n_iter": 1000}'

Rerun with ``PYTHONPATH`` on an older checkout for its figures (the script uses the
public API only). Fit times are wall-clock; on a shared machine compare the ratios.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import statistics
import time
import warnings


def parse_args() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--data-home", default=os.environ.get("GAVAE_IDS_DATA"))
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--repeats", type=int, default=3, help="SMOTE timings (median)")
    p.add_argument("--only", choices=["nsl-kdd", "breast-cancer"], default=None)
    p.add_argument("--params", default="{}", help="JSON of further GAVAESampler parameters")
    p.add_argument("--no-tvae", action="store_true")
    return p.parse_args()


def timed(fn):
    t0 = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        out = fn()
    return time.perf_counter() - t0, out


def digest(X) -> str:
    """First 12 hex digits of the SHA-256 of a float64 copy: same rows, same digest."""
    import numpy as np

    return hashlib.sha256(np.ascontiguousarray(X, dtype=np.float64).tobytes()).hexdigest()[:12]


def nsl_kdd(args, params: dict) -> float:
    """GAVAE and SMOTE fit_resample on NSL-KDD-20 %; returns the GAVAE seconds."""
    import pandas as pd
    from imblearn.over_sampling import SMOTE

    from gavae_ids.datasets import load_nsl_kdd
    from gavae_ids.preprocessing import TabularPreprocessor
    from gavae_ids.sampling import GAVAESampler

    data = load_nsl_kdd("train20", data_home=args.data_home)
    pre = TabularPreprocessor(categorical=data.categorical).fit(data.X)
    X, y = pre.transform(data.X), data.y.to_numpy()
    counts = pd.Series(y).value_counts()
    targets = {c: int(counts.max()) for c in counts.index}
    print(f"\nNSL-KDD KDDTrain+_20Percent: {X.shape[0]} rows x {X.shape[1]} encoded columns")
    sampler = GAVAESampler(layout=pre.layout_, random_state=args.seed, device="cpu", **params)
    gavae_s, (X_res, _) = timed(lambda: sampler.fit_resample(X, y))
    iters = len(sampler.history_)
    smote = [timed(lambda: SMOTE(sampling_strategy=targets, random_state=args.seed)
                   .fit_resample(X, y))[0] for _ in range(args.repeats)]  # fmt: skip
    smote_s = statistics.median(smote)
    print(f"  GAVAE fit_resample: {gavae_s:.1f} s ({iters} iterations); output "
          f"sha256 {digest(X_res)}")  # fmt: skip
    runs = ", ".join(f"{s:.2f}" for s in smote)
    print(f"  SMOTE fit_resample: {smote_s:.2f} s (median of {runs})")
    print(f"  GAVAE / SMOTE: {gavae_s / smote_s:.1f}x (target <= 15)")
    return gavae_s


def breast_cancer(args, params: dict) -> float:
    """GAVAE on 569 rows and TVAE on the 212 minority rows; returns the GAVAE seconds."""
    import numpy as np
    import pandas as pd
    from sklearn.datasets import load_breast_cancer

    from gavae_ids.evaluation.fidelity import fidelity_per_class
    from gavae_ids.sampling import GAVAESampler

    X, y = load_breast_cancer(return_X_y=True)
    minority = int(np.argmin(np.bincount(y)))
    X_min = X[y == minority]
    n_new = int((y != minority).sum() - len(X_min))
    print(f"\nbreast cancer: {X.shape[0]} rows x {X.shape[1]} columns; minority class "
          f"{minority}: {len(X_min)} rows, {n_new} to generate")  # fmt: skip
    sampler = GAVAESampler(random_state=args.seed, device="cpu", **params)
    gavae_s, (X_res, _) = timed(lambda: sampler.fit_resample(X, y))
    syn = {"GAVAE": X_res[len(X) :]}
    print(f"  GAVAE fit_resample: {gavae_s:.1f} s ({len(sampler.history_)} iterations, "
          f"decoder outputs {sampler.model_.n_logits}); output sha256 {digest(X_res)}")  # fmt: skip
    tvae_s = None
    if not args.no_tvae:
        try:
            from ctgan import TVAE
        except ImportError:
            print("  TVAE: not timed (the ctgan package is not installed)")
        else:
            frame = pd.DataFrame(X_min, columns=[f"x{i}" for i in range(X.shape[1])])

            def tvae():
                model = TVAE()
                model.set_random_state(args.seed)
                model.fit(frame)
                return model.sample(n_new).to_numpy(dtype=float)

            tvae_s, syn["TVAE"] = timed(tvae)
            print(f"  TVAE (default) fit on {len(X_min)} rows + sample {n_new}: {tvae_s:.1f} s")
            print(f"  GAVAE / TVAE: {gavae_s / tvae_s:.2f}x (target <= 1)")
    lo, span = X.min(axis=0), np.ptp(X, axis=0)
    real = (X_min - lo) / span
    for name, rows in syn.items():
        f = fidelity_per_class(real, np.zeros(len(real)), (rows - lo) / span,
                               np.zeros(len(rows)), random_state=args.seed).iloc[0]  # fmt: skip
        print(f"  {name} rows vs the real minority rows: C2ST AUC {f['c2st_auc']:.3f}, coverage "
              f"{f['coverage']:.3f}, distance ratio {f['dist_ratio']:.2f}, exact copies "
              f"{f['exact_copy_share']:.3f}")  # fmt: skip
    return gavae_s


def main() -> None:
    args = parse_args()
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    import torch

    torch.set_num_threads(args.threads)
    params = json.loads(args.params)
    print(
        f"torch threads {torch.get_num_threads()}, load average {os.getloadavg()[0]:.1f} "
        f"on {os.cpu_count()} CPUs, seed {args.seed}, GAVAE params {params or 'defaults'}"
    )
    big = nsl_kdd(args, params) if args.only in (None, "nsl-kdd") else None
    small = breast_cancer(args, params) if args.only in (None, "breast-cancer") else None
    if big is not None and small is not None:
        print(f"\nbreast-cancer fit / NSL-KDD fit: {small / big:.2f} (target <= 1)")
    print(f"load average at the end: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
