"""Augmenters side by side: the same DNN, seeds and splits; only the training data differ.

Methods (all through gavae_ids' registry and the reproduction pipeline, so the
metrics, tables and JSON are those of ``gavae-ids reproduce``):

* ``DNN`` — original data; ``ROS+DNN``, ``SMOTE+DNN``, ``ADASYN+DNN``,
  ``SMOTEENN+DNN`` (imbalanced-learn); ``CTGAN+DNN`` / ``TVAE+DNN`` when the
  ``ctgan`` package is installed;
* ``GAVAE-DNN`` (filter on, encoder initialisation on), ``GAVAE-DNN-nofilter``
  (Eq. 9 filter and manifold check off: every decoded sample kept) and ``GAVAE-DNN-noinit`` (random
  initialisation) — the two ablations; ``GAVAE+DNN`` (the GAVAE's rows through SMOTE+DNN's
  network and training: the rows' share of a difference from the classifier's; not in
  the default list);
* ``HGB`` and ``GAVAE+HGB``: scikit-learn's HistGradientBoosting on original and on
  GAVAE-augmented data (a strong tree model; internal early stopping off, so no
  synthetic row validates it);
* ``SMOTE+RF`` and ``GAVAE+RF``: the paper's random forest (100 trees) on SMOTE- and
  GAVAE-augmented data, beside ``RF`` on the original data; likewise ``LightGBM``,
  ``SMOTE+LightGBM``, ``GAVAE+LightGBM`` (the library's registered methods, all
  :class:`gavae_ids.classifiers.ResampledClassifier`; not in the default list: ask for
  them with ``--methods``).

``--hyperparameters paper`` (default, as ``gavae-ids reproduce``) runs every GAVAE
with :data:`gavae_ids.detection.methods.PAPER_GAVAE`; ``defaults`` with the library's defaults.

Writes ``<out>/<dataset>/report.md`` and ``metrics.json`` (accuracy, macro-F1,
per-class DR, binary DR/FPR, mean ± std over seeds; fit times), and prints the
summary table; ``--budgets`` adds every method at false-alarm budgets of 1 % and 5 %
chosen on validation rows (``budgets.csv`` and a report section). Examples::

    python benchmarks/augmenters.py --dataset nsl-kdd --seeds 3 --out runs/augmenters
    python benchmarks/augmenters.py --dataset unsw-nb15 --seeds 3 --out runs/augmenters
    python benchmarks/augmenters.py --quick        # smoke run, about 2 minutes

Measured wall time on 2 otherwise idle CPU cores, one torch thread: NSL-KDD
26.7 min for 3 seeds; UNSW-NB15 split 42.1 min per seed (SMOTE-ENN and GAVAE+HGB
dominate). Split the seeds over processes with --first-seed and join the runs
with ``gavae-ids merge``. TVAE/CTGAN (optional ``ctgan``) add much more: one
TVAE+DNN seed on NSL-KDD took 10.5-16.6 min on a shared core.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import logging

import numpy as np
from imblearn.combine import SMOTEENN
from imblearn.over_sampling import ADASYN, RandomOverSampler

from gavae_ids.classifiers import (
    DNNClassifier,
    GAVAEDNNClassifier,
    HGBClassifier,
    ResampledClassifier,
    register_method,
)
from gavae_ids.classifiers.registry import available_methods
from gavae_ids.evaluation.results import RunResults, read_results
from gavae_ids.experiments.reproduce import ReproduceConfig, reproduce
from gavae_ids.sampling import GAVAESampler

#: Eq. 8 scale so large that every decoded candidate passes Eq. 9 (k must be finite).
_NO_FILTER = 1e12


class _NoFilterSampler(GAVAESampler):
    """The default GAVAE sampler keeping every decoded candidate (no Eq. 9, no manifold check)."""

    def config(self):
        return dataclasses.replace(super().config(), k=_NO_FILTER, manifold_k=None)


def _hgb():
    return HGBClassifier(early_stopping=False, max_iter=200)


def _smoteenn_dnn(**kw):
    return DNNClassifier(sampler=SMOTEENN(), **kw)


METHODS = {
    "ROS+DNN": lambda **kw: DNNClassifier(sampler=RandomOverSampler(), **kw),
    "ADASYN+DNN": lambda **kw: DNNClassifier(sampler=ADASYN(), **kw),
    "SMOTEENN+DNN": _smoteenn_dnn,
    "GAVAE-DNN-nofilter": lambda **kw: GAVAEDNNClassifier(
        sampler=_NoFilterSampler(), **kw),
    "GAVAE-DNN-noinit": lambda **kw: GAVAEDNNClassifier(init_from_encoder=False, **kw),
    # SMOTE+DNN's network and training fed the GAVAE's rows: tells what the GAVAE's rows
    # do from what GAVAE-DNN's own classifier does (binary FPR, issue #11).
    "GAVAE+DNN": lambda **kw: DNNClassifier(sampler=GAVAESampler(), **kw),
    "HGB": lambda **kw: ResampledClassifier(classifier=_hgb(), **kw),
    "GAVAE+HGB": lambda **kw: ResampledClassifier(classifier=_hgb(), sampler=GAVAESampler(),
                                                  **kw),
}  # fmt: skip
# SMOTE+RF, GAVAE+RF (and the LightGBM ones) are the library's registered methods.


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--dataset", default="nsl-kdd", choices=["nsl-kdd", "unsw-nb15"])
    ap.add_argument("--seeds", type=int, default=3)
    ap.add_argument(
        "--first-seed",
        type=int,
        default=0,
        help="run seeds first-seed..first-seed+seeds-1 (merge with gavae-ids merge)",
    )
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--hyperparameters", choices=["paper", "defaults"], default="paper")
    ap.add_argument("--methods", nargs="*", default=None)
    ap.add_argument("--data-dir", default=None)
    ap.add_argument(
        "--params",
        default=None,
        help="JSON object: method (report spelling) → its parameters, e.g. "
        '\'{"GAVAE+RF": {"sampler__decoder": "autoregressive"}}\'',
    )
    ap.add_argument("--budgets", action="store_true",
                    help="also every method at validation-chosen false-alarm budgets of 1 %% "
                         "and 5 %% (refit on 80 %% of the training rows; reproduce --budgets)")
    ap.add_argument("--out", default="runs/augmenters")
    ap.add_argument(
        "--summarize",
        metavar="RUN_DIR",
        default=None,
        help="print the summary table of an existing run (e.g. a merged one) and stop",
    )
    args = ap.parse_args(argv)
    if args.summarize:
        from pathlib import Path

        run = Path(args.summarize)
        print_summary(read_results(run), str(run / "report.md"))
        return
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    library = set(available_methods())
    for name, factory in METHODS.items():
        key = name.lower().replace("+", "-")
        if key in library:  # GAVAE+DNN must not replace the library's GAVAE-DNN
            key = name.lower().replace("+", "-with-")
        register_method(key, factory, display=name, overwrite=True)
    avail = set(available_methods())
    methods = args.methods or [
        m for m in ("DNN", "ROS+DNN", "SMOTE+DNN", "ADASYN+DNN", "SMOTEENN+DNN", "CTGAN+DNN",
                    "TVAE+DNN", "GAVAE-DNN", "GAVAE-DNN-nofilter", "GAVAE-DNN-noinit", "HGB",
                    "GAVAE+HGB")
        if m.lower().replace("+", "-") in avail
    ]  # fmt: skip
    cfg = ReproduceConfig(dataset=args.dataset, seeds=1 if args.quick else args.seeds,
                          first_seed=args.first_seed, hyperparameters=args.hyperparameters,
                          quick=args.quick, methods=tuple(methods), budgets=args.budgets,
                          method_params=json.loads(args.params) if args.params else {})  # fmt: skip
    out = f"{args.out}/{args.dataset}{'-quick' if args.quick else ''}"
    res = reproduce(
        cfg,
        data_home=args.data_dir,
        out_dir=out,
        verbose=False,
        command="python benchmarks/augmenters.py " + " ".join(argv or []),
    )
    print_summary(res, f"{out}/report.md")


def print_summary(res: RunResults, report: str) -> None:
    """The Markdown summary table per test set: mean ± std over seeds, %."""
    classes = res.classes
    print(f"\n{res.protocol}; seeds {res.seeds}; mean ± std; report: {report}")
    for test_set, subsets in res.aggregate.items():
        agg = subsets["all"]
        head = ["method", "accuracy", "macro-F1", "binary DR", "binary FPR"] + \
               [f"DR {c}" for c in classes if c != "Normal"] + ["fit s"]  # fmt: skip
        print(f"\n### {test_set}\n\n| " + " | ".join(head) + " |\n|" + "---|" * len(head))
        for m in res.methods:
            a = agg[m]
            fits = [r.fit_seconds for r in res.runs if r.method == m]

            def f(key, a=a):
                s = a.get(key)
                if not s or s["mean"] is None or not np.isfinite(s["mean"]):
                    return "n/a"
                sd = s["std"]
                return f"{100 * s['mean']:.2f}" + (
                    f" ± {100 * sd:.2f}" if sd is not None and np.isfinite(sd) else ""
                )

            cells = [m, f("accuracy"), f("macro_f1"), f("binary_recall"), f("binary_fpr")]
            cells += [f(f"dr_{c}") for c in classes if c != "Normal"]
            cells += [f"{np.mean(fits):.0f}"]
            print("| " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
