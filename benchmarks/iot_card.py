"""Model cards on the IoT table (benchmarks/iot_table.py): does ``train`` say when a model is bad?

For each method: ``train_detector`` on ``iot_train.csv`` (label ``type``; ``date``,
``time`` and ``label`` dropped; default 20 % stratified validation holdout, seed
0), then the bundled model's macro-F1 on ``iot_test.csv`` (the 30 % the issue
scored, never trained or validated on). A 200-tree random forest in the same
pipeline is the reference (its card from the same holdout). Prints per method
the card's validation macro-F1, the majority baseline's, the card's warnings,
the test macro-F1 and the fit time.

    python benchmarks/iot_table.py --out runs/iot
    OMP_NUM_THREADS=1 python benchmarks/iot_card.py --data runs/iot --methods gavae-dnn dnn rf
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.metrics import f1_score

DROP = ["date", "time", "label"]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", type=Path, default=Path("runs/iot"))
    ap.add_argument("--methods", nargs="+", default=["gavae-dnn", "dnn", "smote-dnn", "rf"])
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", type=Path, default=None, help="Folder for the bundles.")
    args = ap.parse_args()

    from gavae_ids.detection.model_card import fit_with_card
    from gavae_ids.detection.pipeline import DetectionPipeline
    from gavae_ids.detection.train import train_detector

    test = pd.read_csv(args.data / "iot_test.csv")
    X_test, y_test = test.drop(columns=DROP + ["type"]), test["type"].astype(str).to_numpy()
    rows = []
    for method in args.methods:
        t0 = time.perf_counter()
        if method == "rf":
            from sklearn.ensemble import RandomForestClassifier

            train = pd.read_csv(args.data / "iot_train.csv")
            pipe = DetectionPipeline(RandomForestClassifier(200, random_state=args.seed))
            model, card = fit_with_card(pipe, train.drop(columns=DROP + ["type"]), train["type"],
                                        normal_label="normal", method="rf",
                                        random_state=args.seed)  # fmt: skip
        else:
            out = None if args.out is None else args.out / method
            det = train_detector("csv", method=method, csv_path=args.data / "iot_train.csv",
                                 label="type", drop=DROP, random_state=args.seed, out=out,
                                 overwrite=True, verbose=False)  # fmt: skip
            model, card = det, det.model_card
        fit_s = time.perf_counter() - t0
        pred = np.asarray(model.predict(X_test)).astype(str)
        rows.append({
            "method": method,
            "val_macro_f1": card.metrics["macro_f1"],
            "baseline_macro_f1": card.baseline["macro_f1"],
            "flagged": card.below_baseline,
            "warnings": len(card.warnings),
            "test_macro_f1": f1_score(y_test, pred, average="macro"),
            "test_rows_not_normal": int((pred != "normal").sum()),
            "fit_s": fit_s,
        })  # fmt: skip
        print(card.to_markdown())
        for w in card.warnings:
            print(f"warning ({method}): {w}")
        print(pd.DataFrame(rows).round(4).to_string(index=False), flush=True)


if __name__ == "__main__":
    main()
