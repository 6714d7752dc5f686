"""Decision rules at equal footing: argmax, prior correction and false-alarm budgets (#26).

For each dataset, method and seed: fit the method's pipeline on 80 % of the training
rows (stratified, seed = the seed), keep the other 20 % as validation rows, and
score the test set(s) once. Every rule is chosen on the validation rows only:

* ``argmax``: the most probable class;
* ``prior``: posteriors re-weighted to the training class priors (resampled methods);
* ``cap F``: ``train``'s default (argmax unless its validation FPR exceeds F, then
  ``budget F``'s threshold);
* ``budget F``: the lowest threshold on 1 - P(normal) that flags at most F of the
  normal validation rows (alerts take their most probable attack class);
* ``prior+budget F``: both.

Printed per rule: validation FPR, test macro-F1 (over the classes present in the
test set), test binary DR and FPR (attack = any class but the normal one).
UNSW-NB15 uses the documented split of the testing partition (iid: a budget chosen
on validation rows should hold); NSL-KDD tests on KDDTest+ (shift: new attack types
and normal traffic outside the training file's support, so it need not hold). With
``--support`` (default for nsl-kdd) the test FPR is also split between normal rows inside
and outside the training data (:mod:`gavae_ids.evaluation.support`). The fitting is
:func:`gavae_ids.experiments.budget_runs.budget_run`, also behind ``reproduce --budgets``.

    python benchmarks/decision_rules.py --datasets unsw-nb15 --seeds 0 \\
        --methods rf smote-rf gavae-rf dnn smote-dnn gavae-dnn --out runs/decision
"""

from __future__ import annotations

import argparse
from pathlib import Path

import pandas as pd

from gavae_ids.datasets import load_benchmark
from gavae_ids.detection.pipeline import build_pipeline
from gavae_ids.evaluation.budgets import budget_tables
from gavae_ids.evaluation.markdown import markdown_table
from gavae_ids.experiments.budget_runs import budget_run, normal_support

NORMAL = "Normal"
_SUPPORT: dict[str, dict] = {}  # dataset -> normal_support of its test sets, computed once


def run(dataset, method, seed, data_home, quick, support=False) -> list[dict]:
    bench = load_benchmark(dataset, data_home=data_home)
    tr = bench.train
    tests = {name: (t.X, t.y) for name, t in bench.tests.items()}
    if support and dataset not in _SUPPORT:
        _SUPPORT[dataset] = normal_support(tr.X, tr.categorical, tests, NORMAL)
    pipe = build_pipeline(method, categorical=list(tr.categorical), numeric=list(tr.numeric),
                          random_state=seed, verbose=False, quick=quick)  # fmt: skip
    rows = budget_run(pipe, tr.X, tr.y.astype(str), tests, method=method, seed=seed,
                      normal_label=NORMAL, inside=_SUPPORT.get(dataset) if support else None,
                      prior=True)  # fmt: skip
    return [{"dataset": dataset, **r} for r in rows]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--datasets", nargs="+", default=["unsw-nb15", "nsl-kdd"])
    ap.add_argument(
        "--methods",
        nargs="+",
        default=["rf", "smote-rf", "gavae-rf", "dnn", "smote-dnn", "gavae-dnn"],
    )
    ap.add_argument("--seeds", nargs="+", type=int, default=[0])
    ap.add_argument("--data-dir", default=None)
    ap.add_argument("--quick", action="store_true", help="Smoke run: tiny budgets.")
    ap.add_argument("--support", nargs="*", default=["nsl-kdd"], metavar="DATASET",
                    help="Datasets whose test FPR is also split inside / outside the "
                         "training data (default: nsl-kdd, the shifted one).")  # fmt: skip
    ap.add_argument("--out", type=Path, default=Path("runs/decision"))
    ap.add_argument("--tables", nargs="+", type=Path, metavar="CSV",
                    help="Fit nothing: print the 1 %% / 5 %% budget tables of these "
                         "decision_rules CSVs (merged).")  # fmt: skip
    args = ap.parse_args()
    if args.tables:
        print(budget_tables(pd.concat([pd.read_csv(p) for p in args.tables])), end="")
        return
    args.out.mkdir(parents=True, exist_ok=True)
    rows = []
    for dataset in args.datasets:
        for seed in args.seeds:
            for method in args.methods:
                rows += run(dataset, method, seed, args.data_dir, args.quick,
                            support=dataset in args.support)
                df = pd.DataFrame(rows)
                df.to_csv(args.out / "decision_rules.csv", index=False)
                print(df.tail(len(rows) and 1).to_string(index=False), flush=True)
    df = pd.DataFrame(rows)
    table = (df.groupby(["dataset", "test", "method", "rule"], sort=False)
             [[c for c in ("val_fpr", "test_macro_f1", "test_dr", "test_fpr", "fpr_inside",
                           "fpr_outside") if c in df]].mean().round(4))  # fmt: skip
    print(table.to_string())
    header = ["dataset", "test", "method", "rule", *table.columns]
    body = [[*map(str, key), *(f"{v:.4f}" for v in row)] for key, row in
            zip(table.index, table.to_numpy(), strict=True)]  # fmt: skip
    (args.out / "decision_rules.md").write_text(markdown_table(header, body) + "\n")


if __name__ == "__main__":
    main()
