"""What the model card's false-alarm section costs ``train``, and what it shows (#26 item 4).

For each dataset: the training rows ``train`` reads (NSL-KDD: KDDTrain+_20Percent;
UNSW-NB15: the training part of the documented split of the testing partition),
the card's stratified 20 % validation split (seed ``--seed``), the detector
``--method`` fitted on the other 80 %. Printed:

* each candidate simple reference model (fitted on the same 80 %, at argmax):
  seconds (fit + predict, preprocessing included), validation macro-F1, binary DR
  (share of attack rows flagged) and binary FPR (share of normal rows flagged;
  attack = any class but ``Normal``); the last row is the card's model
  (:func:`gavae_ids.detection.false_alarms.simple_models`), the others were tried
  against it;
* the seconds of ``fit_with_card(..., reference=True)`` and the share of them the
  reference model took (as the card records it), and of computing and drawing the
  DR-FPR curve;
* the detector's own validation figures, so the warning's verdict can be read.

No test row is read. Both sides of every timing run in this one process; on a shared
machine repeat it and compare ratios.

    python benchmarks/card_reference.py --datasets nsl-kdd unsw-nb15 --method rf
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.tree import DecisionTreeClassifier

from gavae_ids._util.split import validation_split
from gavae_ids.detection.false_alarms import dr_fpr_curve, save_curve_png, simple_models
from gavae_ids.detection.model_card import evaluate_predictions, fit_with_card
from gavae_ids.detection.pipeline import DetectionPipeline, build_pipeline
from gavae_ids.detection.train import load_training_data

NORMAL = "Normal"


def tried(seed: int) -> dict:
    """Candidates measured against the card's model, which comes last."""
    return {
        "logistic regression (lbfgs, 200 it.)": LogisticRegression(max_iter=200),
        "decision tree (depth 8)": DecisionTreeClassifier(max_depth=8, random_state=seed),
        "decision tree (depth 12)": DecisionTreeClassifier(max_depth=12, random_state=seed),
        "random forest (30 trees, depth 12)": RandomForestClassifier(
            30, max_depth=12, n_jobs=1, random_state=seed),
        **simple_models(seed),
    }  # fmt: skip


def run(dataset: str, method: str, seed: int, skip_lr: bool) -> None:
    d = load_training_data(dataset)
    X, y = d["X"].reset_index(drop=True), np.asarray(d["y"]).astype(str)
    tr, te = validation_split(y, 0.2, np.random.RandomState(seed))
    classes = sorted(set(y))
    print(f"\n## {dataset}: {len(tr):,} fit rows, {len(te):,} validation rows (seed {seed})")
    print("| model | seconds | macro-F1 | binary DR | binary FPR |\n|---|---:|---:|---:|---:|")
    for name, clf in tried(seed).items():
        if skip_lr and name.startswith("logistic"):
            continue
        t0 = time.perf_counter()
        pipe = DetectionPipeline(clf, categorical=d["categorical"], numeric=d["numeric"])
        pred = pipe.fit(X.iloc[tr], y[tr]).predict(X.iloc[te])
        s = time.perf_counter() - t0
        m = evaluate_predictions(y[te], pred, classes, NORMAL)
        print(f"| {name} | {s:.2f} | {m['macro_f1']:.4f} | {m['binary_dr']:.4f} | "
              f"{m['binary_fpr']:.4f} |", flush=True)  # fmt: skip
    pipe = build_pipeline(method, random_state=seed, verbose=False)
    pipe.set_params(categorical=d["categorical"], numeric=d["numeric"])
    t0 = time.perf_counter()
    fitted, card = fit_with_card(pipe, X, y, normal_label=NORMAL, method=method,
                                 random_state=seed, reference=True)  # fmt: skip
    total = time.perf_counter() - t0
    ref = sum(m["seconds"] for m in card.simple["models"])
    rows, proba = fitted.validation_proba_
    draw = []
    for _ in range(2):  # the first one includes importing matplotlib
        t0 = time.perf_counter()
        curve = dr_fpr_curve(proba, y[rows], classes, NORMAL)
        with tempfile.TemporaryDirectory() as tmp:
            save_curve_png(curve, Path(tmp) / "c.png")
        draw.append(time.perf_counter() - t0)
    m = card.metrics
    print(f"\nfit_with_card({method}, reference=True): {total:.1f} s, of which the reference "
          f"model {ref:.1f} s ({ref / total:.0%}); curve + PNG {draw[0]:.2f} s the first time "
          f"(matplotlib import included), {draw[1]:.2f} s the second ({len(curve['fpr'])} "
          "points)")  # fmt: skip
    print(f"{method} at argmax on the validation rows: macro-F1 {m['macro_f1']:.4f}, binary DR "
          f"{m['binary_dr']:.4f}, binary FPR {m['binary_fpr']:.4f}; best simple model "
          f"{card.simple['best']} FPR {card.simple['best_fpr']:.4f}; warning: "
          f"{card.false_alarm_warning() or 'none'}")  # fmt: skip


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--datasets", nargs="+", default=["nsl-kdd", "unsw-nb15"])
    ap.add_argument("--method", default="rf")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--skip-lr", action="store_true", help="leave the logistic regression out")
    a = ap.parse_args()
    for ds in a.datasets:
        run(ds, a.method, a.seed, a.skip_lr)


if __name__ == "__main__":
    main()
