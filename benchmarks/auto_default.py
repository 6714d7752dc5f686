"""Should ``train``'s default method be ``auto``? ``train`` as a user runs it, scored on test rows.

For each table, seed and method: :func:`~gavae_ids.detection.train.train_detector` with
``train``'s defaults (20 % stratified validation holdout, seed = the seed; decision rule
``cap`` at a 1 % false-alarm budget, chosen on that holdout), then the bundled detector
(its rule applied) scores the test rows once. ``auto`` runs ``--method auto`` with
its defaults (``--time-budget`` if given); its winner is printed. Test figures: macro-F1
over the classes present in the test rows; binary DR / FPR (attack = any class but
the normal one: share of attack rows flagged / of normal rows flagged); wall seconds of
``train_detector`` (loading, selection, fit, card, novelty calibration).

Tables:

* ``iot-overlap``: ``benchmarks/iot_table.py --kind overlap`` (8 overlapping classes),
  ``iot_train.csv`` (label ``type``; ``date``, ``time``, ``label`` dropped) and its test
  file ``iot_test.csv`` (30 %, never trained or validated on);
* ``unsw-nb15``: the project's documented split (training part / test part);
* ``nsl-kdd``: KDDTrain+_20Percent → KDDTest+ (shifted: a budget chosen on validation
  rows need not hold).

    python benchmarks/iot_table.py --kind overlap --out runs/iot-overlap
    python benchmarks/auto_default.py --tables iot-overlap unsw-nb15 --seeds 0 \\
        --methods gavae-dnn auto rf lgbm --out runs/auto-default
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.metrics import f1_score

from gavae_ids.datasets import load_benchmark
from gavae_ids.detection.train import train_detector
from gavae_ids.evaluation.budgets import pct_over_seeds
from gavae_ids.evaluation.markdown import markdown_table

DROP = ["date", "time", "label"]


def table_data(table: str, iot_dir: Path, data_home):
    """``(train_detector kwargs, X_test, y_test, normal label)`` of ``table``."""
    if table == "iot-overlap":
        test = pd.read_csv(iot_dir / "iot_test.csv")
        kw = {"dataset": "csv", "csv_path": iot_dir / "iot_train.csv", "label": "type",
              "drop": DROP}  # fmt: skip
        return kw, test.drop(columns=DROP + ["type"]), test["type"].astype(str), "normal"
    bench = load_benchmark(table, data_home=data_home)
    test = next(iter(bench.tests.values()))  # NSL-KDD: KDDTest+ (the first)
    return {"dataset": table, "data_home": data_home}, test.X, test.y.astype(str), "Normal"


def run(table, method, seed, args) -> dict:
    kw, X_test, y_test, normal = table_data(table, args.iot_dir, args.data_home)
    extra = {"time_budget": args.time_budget} if method == "auto" else {}
    t0 = time.perf_counter()
    det = train_detector(method=method, random_state=seed, verbose=False, **kw, **extra)
    wall = time.perf_counter() - t0
    pred = np.asarray(det.predict(X_test)).astype(str)
    y = np.asarray(y_test)
    attack, is_normal = pred != normal, y == normal
    sel = det.model_card.selection
    return {
        "table": table, "seed": seed, "method": method,
        "winner": sel["winner"] if sel else method,
        "test_macro_f1": f1_score(y, pred, labels=sorted(set(y)), average="macro",
                                  zero_division=0),
        "test_dr": float(attack[~is_normal].mean()),
        "test_fpr": float(attack[is_normal].mean()),
        "val_fpr": (det.decision_.validation or {}).get("binary_fpr") if det.decision_ else None,
        "selection_s": sel["seconds"] if sel else None,
        "wall_s": round(wall, 1),
    }  # fmt: skip


def summary(df: pd.DataFrame) -> str:
    """Markdown: per table and method, seeds and mean ± std (%) of the test figures."""
    body = []
    for (table, method), g in df.groupby(["table", "method"], sort=False):
        cells = [pct_over_seeds(g[c]) for c in ("test_macro_f1", "test_dr", "test_fpr")]
        body.append([table, method, ", ".join(map(str, sorted(g["seed"]))), *cells])
    return markdown_table(["table", "method", "seeds", "test macro-F1", "test DR",
                           "test FPR"], body) + "\n"  # fmt: skip


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--tables", nargs="+", default=["iot-overlap", "unsw-nb15"])
    ap.add_argument("--methods", nargs="+", default=["gavae-dnn", "auto", "rf", "lgbm"])
    ap.add_argument("--seeds", nargs="+", type=int, default=[0])
    ap.add_argument("--time-budget", type=float, default=None)
    ap.add_argument("--iot-dir", type=Path, default=Path("runs/iot-overlap"))
    ap.add_argument("--data-home", default=None)
    ap.add_argument("--out", type=Path, default=None, help="Folder for results.csv/.md.")
    ap.add_argument("--summary", nargs="+", type=Path, metavar="CSV",
                    help="Train nothing: mean ± std over seeds of these results CSVs (merged).")
    args = ap.parse_args()
    if args.summary:
        print(summary(pd.concat([pd.read_csv(p) for p in args.summary])), end="")
        return
    rows = []
    for table in args.tables:
        for seed in args.seeds:
            for method in args.methods:
                rows.append(run(table, method, seed, args))
                df = pd.DataFrame(rows)
                print(df.round(4).to_string(index=False), flush=True)
                if args.out is not None:
                    args.out.mkdir(parents=True, exist_ok=True)
                    df.to_csv(args.out / "results.csv", index=False)
                    (args.out / "results.md").write_text(
                        markdown_table(list(df.columns), df.round(4).astype(str).values.tolist())
                        + "\n"
                    )


if __name__ == "__main__":
    main()
