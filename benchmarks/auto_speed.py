"""``--method auto`` before and after racing, in one process: same choice, how much faster?

Runs :func:`~gavae_ids.detection.auto.select_method` on a table's training rows with its
defaults (3 stratified folds, seed 0, at most 5,000 rows per class) twice:

* ``before``: every candidate runs all its folds, scored at argmax (``race_margin=None``,
  no normal label): the selection as it was before issue #32 item 4;
* ``after``: the defaults of ``train``: scores after the ``cap`` rule at a 1 % false-alarm
  budget (out-of-fold), networks and GAVAE methods raced (pilot, then fold 1).

Prints both tables (per-fold scores, out-of-fold binary FPR/DR, fit seconds, status), the
winners and the wall seconds of each. ``--only after`` skips the slow one.

``--jobs 1,2`` instead runs ``after`` once per ``n_jobs`` value, back to back in this order,
and prints wall and CPU seconds (this process and its reaped worker processes) per run and
whether the tables are identical; ``--race-margin`` overrides the racing margin (0.05 lets
gavae-lgbm's folds run on the IoT table at one thread per fit).

    python benchmarks/auto_speed.py --table nsl-kdd
    python benchmarks/auto_speed.py --table csv --input runs/iot30k/iot_train.csv --label type \\
        --drop date,time,label
"""

from __future__ import annotations

import argparse
import resource
import time

from gavae_ids.detection.auto import select_method
from gavae_ids.detection.train import load_training_data, resolve_normal_label


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--table", default="nsl-kdd", help="nsl-kdd, unsw-nb15 or csv")
    ap.add_argument("--input", default=None)
    ap.add_argument("--label", default="label")
    ap.add_argument("--drop", default="")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--only", choices=["before", "after"], default=None)
    ap.add_argument("--jobs", default=None, help="comma-separated n_jobs values to compare")
    ap.add_argument("--race-margin", type=float, default=None)
    ap.add_argument("--candidates", default=None, help="comma-separated (with --jobs)")
    args = ap.parse_args()
    data = load_training_data(args.table, csv_path=args.input, label=args.label,
                              drop=[c for c in args.drop.split(",") if c])  # fmt: skip
    X, y = data["X"], data["y"]
    normal = resolve_normal_label(sorted(set(y)))
    if args.jobs:
        kw = {"normal_label": normal}
        if args.race_margin is not None:
            kw["race_margin"] = args.race_margin
        if args.candidates:
            kw["candidates"] = args.candidates.split(",")
        _compare_jobs(X, y, data, [int(j) for j in args.jobs.split(",")], args.seed, kw)
        return
    runs = {"before": {"race_margin": None}, "after": {"normal_label": normal}}
    for name, kw in runs.items():
        if args.only not in (None, name):
            continue
        t0 = time.perf_counter()
        sel = select_method(X, y, categorical=data["categorical"], numeric=data["numeric"],
                            random_state=args.seed, verbose=False, **kw)  # fmt: skip
        print(f"## {name}: {sel.winner} in {time.perf_counter() - t0:.1f} s\n")
        print(sel.to_markdown(), flush=True)


def _cpu() -> float:
    own, kids = (resource.getrusage(w) for w in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN))
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def _compare_jobs(X, y, data, jobs, seed, kw) -> None:
    tables = []
    for j in jobs:
        t0, c0 = time.perf_counter(), _cpu()
        sel = select_method(X, y, categorical=data["categorical"], numeric=data["numeric"],
                            random_state=seed, verbose=False, n_jobs=j, **kw)  # fmt: skip
        wall, cpu = time.perf_counter() - t0, _cpu() - c0
        print(f"## n_jobs={j}: {sel.winner} in {wall:.1f} s wall, {cpu:.1f} s CPU\n")
        print(sel.to_markdown())
        for r in sel.table:
            pilot = (r["pilot"] or {}).get("seconds")
            print(f"- {r['candidate']}: {r['seconds']:.1f} s waited, pilot {pilot} s, "
                  f"fit {r['fit_seconds']} s per fold")  # fmt: skip
        print(flush=True)
        keys = ("candidate", "status", "folds", "mean", "threshold", "binary_fpr")
        tables.append([{k: r[k] for k in keys} for r in sel.table])
    print("identical tables:", all(t == tables[0] for t in tables))


if __name__ == "__main__":
    main()
