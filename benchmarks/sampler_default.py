"""Which GAVAE sampler is the default: today's (autoregressive decoder, donor rows, manifold
check) or the plain binned MLP decoder (``methods.MLP_GAVAE`` of commit 0e01b98)?

Training rows only, never a test file: 3-fold stratified cross-validation (shuffled,
``StratifiedKFold(3, shuffle=True, random_state=seed)``) of GAVAE+RF and GAVAE-DNN, each
built by ``gavae_ids.pipeline.build_pipeline`` with the library's defaults
(``--hyperparameters defaults``), the sampler's parameters overridden by ``CANDIDATES``;
preprocessing fitted on each fold's training rows. Datasets: NSL-KDD KDDTrain+_20Percent
(25,192 rows, ships with the package) and, if ``--budget-min`` allows after NSL-KDD, the
UNSW-NB15 training part (the documented 2/3 stratified split of the testing partition,
``load_unsw_nb15()``'s ``train``).

Printed per fold and summarised per (dataset, candidate, method):

* macro-F1 over all classes of the fold's held-out rows;
* binary FPR: held-out normal rows predicted as any attack / all held-out normal rows;
* fit seconds of the whole pipeline (sampler training and generation included).

The candidates are parameter sets of the library at commit 0e01b98; issue #27 retired the
losing one's options, so run this script against a checkout of that commit. Example (the
run of docs/results/sampler-default)::

    GAVAE_IDS_DATA=/work/shared/datasets PYTHONPATH=src nohup python \\
        benchmarks/sampler_default.py --seeds 0 --budget-min 50 --threads 1 \\
        > sampler_default.log 2>&1 &
"""

from __future__ import annotations

import argparse
import os
import time

# Before torch loads: on cores shared with other work, OpenMP threads spinning on each other
# stalled 2-thread training (benchmarks/bench_gavae.py); this script runs one torch thread.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import numpy as np
from sklearn.metrics import f1_score
from sklearn.model_selection import StratifiedKFold

from gavae_ids.datasets import load_benchmark
from gavae_ids.detection.pipeline import build_pipeline

#: The two candidates, as sampler parameters over the library's defaults at commit 0e01b98.
CANDIDATES = {
    "autoregressive": {},  # decoder="autoregressive", within_bin="donor", manifold_k="auto"
    "mlp": {  # methods.MLP_GAVAE at 0e01b98
        "decoder": "mlp",
        "n_iter": 600,
        "lr": 2e-3,
        "temperature": 0.5,
        "within_bin": "global",
        "manifold_k": None,
    },
}
METHODS = ("gavae-rf", "gavae-dnn")


def _binary_fpr(y_true, y_pred, normal) -> float:
    is_normal = y_true == normal
    return float(np.mean(y_pred[is_normal] != normal))


def run(dataset: str, seeds, threads_note: str) -> list[dict]:
    split = "train20"
    data = load_benchmark(dataset, train_split=split, with_tests=False).train
    X, y = data.X.reset_index(drop=True), data.y.reset_index(drop=True)
    normal = next(c for c in np.unique(y) if str(c).lower() == "normal")
    print(
        f"\n## {dataset}: {data.name}, {len(y)} rows, normal label {normal!r} {threads_note}",
        flush=True,
    )
    rows = []
    for seed in seeds:
        folds = StratifiedKFold(3, shuffle=True, random_state=seed).split(X, y)
        for fold, (tr, te) in enumerate(folds):
            for cand, params in CANDIDATES.items():
                for method in METHODS:
                    pipe = build_pipeline(
                        method, categorical=data.categorical, numeric=data.numeric,
                        random_state=seed, verbose=False, device="cpu",
                        **{f"sampler__{k}": v for k, v in params.items()},
                    )  # fmt: skip
                    t0 = time.perf_counter()
                    pipe.fit(X.iloc[tr], y.iloc[tr])
                    fit_s = time.perf_counter() - t0
                    y_true = y.iloc[te].to_numpy()
                    y_pred = np.asarray(pipe.predict(X.iloc[te]))
                    rec = dict(dataset=dataset, seed=seed, fold=fold, candidate=cand,
                               method=method, fit_s=fit_s,
                               macro_f1=100 * f1_score(y_true, y_pred, average="macro"),
                               fpr=100 * _binary_fpr(y_true, y_pred, normal))  # fmt: skip
                    rows.append(rec)
                    print("{dataset} seed {seed} fold {fold} {candidate:14s} {method:9s} "
                          "fit {fit_s:7.1f}s  macro-F1 {macro_f1:6.2f}  FPR {fpr:6.3f} %"
                          .format(**rec), flush=True)  # fmt: skip
    return rows


def summarise(rows: list[dict]) -> None:
    print("\n## Summary: mean ± std over folds and seeds", flush=True)
    print("| dataset | candidate | method | macro-F1 | binary FPR % | fit s |")
    print("|---|---|---|---|---|---|")
    keys = dict.fromkeys((r["dataset"], r["candidate"], r["method"]) for r in rows)
    for d, c, m in keys:
        sel = [r for r in rows if (r["dataset"], r["candidate"], r["method"]) == (d, c, m)]
        f = np.array([r["macro_f1"] for r in sel])
        p = np.array([r["fpr"] for r in sel])
        t = np.array([r["fit_s"] for r in sel])
        print(f"| {d} | {c} | {m} | {f.mean():.2f} ± {f.std(ddof=1):.2f} | "
              f"{p.mean():.3f} ± {p.std(ddof=1):.3f} | {t.mean():.1f} |")  # fmt: skip
    for d in dict.fromkeys(r["dataset"] for r in rows):
        for c in CANDIDATES:
            sel = [r for r in rows if r["dataset"] == d and r["candidate"] == c]
            if sel:
                print(f"{d} {c}: mean of both methods macro-F1 "
                      f"{np.mean([r['macro_f1'] for r in sel]):.2f}, FPR "
                      f"{np.mean([r['fpr'] for r in sel]):.3f} %, fit "
                      f"{np.mean([r['fit_s'] for r in sel]):.1f} s")  # fmt: skip


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, nargs="+", default=[0])
    ap.add_argument(
        "--budget-min",
        type=float,
        default=50.0,
        help="Skip UNSW-NB15 unless NSL-KDD took under a quarter of this.",
    )
    ap.add_argument("--threads", type=int, default=1, help="torch.set_num_threads")
    args = ap.parse_args()
    import torch

    torch.set_num_threads(args.threads)

    note = f"(torch threads {torch.get_num_threads()}, seeds {args.seeds})"
    t0 = time.perf_counter()
    rows = run("nsl-kdd", args.seeds, note)
    took = (time.perf_counter() - t0) / 60
    print(f"nsl-kdd took {took:.1f} min", flush=True)
    if took < args.budget_min / 4:
        rows += run("unsw-nb15", args.seeds, note)
    else:
        print(f"unsw-nb15 skipped: NSL-KDD took {took:.1f} min of a {args.budget_min} min budget")
    summarise(rows)
    print(f"total {(time.perf_counter() - t0) / 60:.1f} min", flush=True)


if __name__ == "__main__":
    main()
