"""The novelty flag of a finished NSL-KDD run's saved GAVAE-DNN, through the Detector API.

A ``gavae-ids reproduce`` run keeps its first seed's GAVAE-DNN, GAVAE and
preprocessor in ``models/`` (a model bundle since issue #16; older runs hold the
three parts side by side — both are read). This script rebuilds a :class:`gavae_ids.Detector`
from them, chooses the novelty thresholds with :meth:`Detector.fit_novelty` on the
run's own training file (the classifier's validation split is re-drawn from its
seed, so the quantile is chosen on held-out *training* rows only), and prints,
for every test set, the binary detection rate on seen and unseen attack types and
the binary FPR without and with the flag. Nothing is re-trained.

Use it for runs made before the flag existed (e.g. the ``--full-train`` run)::

    python benchmarks/novelty_saved_run.py runs/full-s0 \
        --out docs/results/nsl-kdd-full-train/novelty_seed0.csv

(the run folder with its ``models/``; committed result folders keep no model weights).
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np
import pandas as pd

from gavae_ids.classifiers import GAVAEDNNClassifier
from gavae_ids.detection.detector import Detector
from gavae_ids.detection.novelty import DEFAULT_FPR_BUDGET
from gavae_ids.experiments.reproduce import ReproduceConfig, load_experiment
from gavae_ids.preprocessing import TabularPreprocessor
from gavae_ids.sampling import GAVAESampler


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("run_dir", type=Path)
    ap.add_argument("--fpr-budget", type=float, default=DEFAULT_FPR_BUDGET)
    ap.add_argument("--data-dir", default=None)
    ap.add_argument("--out", type=Path, default=None, help="CSV of the printed rows.")
    args = ap.parse_args()

    config = json.loads((args.run_dir / "config.json").read_text())
    if config["dataset"] != "nsl-kdd":
        raise SystemExit("only NSL-KDD runs have seen/unseen attack types")
    models = args.run_dir / "models"
    if (models / "manifest.json").is_file():  # runs since models/ became a model bundle
        det = Detector.load(models, device="cpu", load_gavae=True)
        det.classifier.sampler_ = det.sampler
    else:  # older runs: preprocessor.json, gavae_dnn/, gavae/
        pre = TabularPreprocessor.load_json(models / "preprocessor.json")
        clf = GAVAEDNNClassifier.load(models / "gavae_dnn", device="cpu")
        sampler = GAVAESampler.load(models / "gavae")
        clf.sampler_ = sampler
        det = Detector(pre, clf, normal_label="Normal", method="gavae-dnn", sampler=sampler)
    keys = ("dataset", "train_split", "quick", "quick_rows_per_class", "quick_test_rows")
    exp = load_experiment(ReproduceConfig(**{k: config[k] for k in keys if k in config}),
                          args.data_dir)  # the run's own training rows and test rows  # fmt: skip
    t0 = time.perf_counter()
    train = exp["train"]
    thr = det.fit_novelty(train.X, train.y.astype(str), fpr_budget=args.fpr_budget)
    rows = []
    for name, t in exp["tests"].items():
        y = t.y.astype(str).to_numpy()
        attack, seen = y != "Normal", t.seen.to_numpy()
        plain = det.is_attack(t.X)
        flagged = det.is_attack(t.X, novelty=True)
        for label, called in (("classifier alone", plain), ("with novelty", flagged)):
            rows.append({"test_set": name, "view": label, "quantile": thr.quantile,
                         "dr_seen": called[attack & seen].mean(),
                         "dr_unseen": called[attack & ~seen].mean(),
                         "fpr": called[~attack].mean()})  # fmt: skip
    frame = pd.DataFrame(rows)
    print(f"run {args.run_dir} (seed {config.get('first_seed', 0)} model), train split "
          f"{config['train_split']}; novelty quantile {thr.quantile:g} chosen for an FPR budget "
          f"of {args.fpr_budget:g} on {thr.calibration['n_validation']} held-out training rows "
          f"({time.perf_counter() - t0:.1f} s)")  # fmt: skip
    with pd.option_context("display.float_format", lambda v: f"{100 * v:.2f}"):
        print(frame.drop(columns="quantile").to_string(index=False))
    if args.out:
        frame.to_csv(args.out, index=False)
    assert np.isfinite(frame[["dr_seen", "dr_unseen", "fpr"]].to_numpy()).all()


if __name__ == "__main__":
    main()
