"""Decision rules at equal footing: argmax, prior correction and false-alarm budgets (#26).

For each dataset, method and seed: fit the method's pipeline on 80 % of the training
rows (stratified, seed = the seed), keep the other 20 % as validation rows, and
score the test set(s) once. Every rule is chosen on the validation rows only:

* ``argmax``: the most probable class;
* ``prior``: posteriors re-weighted to the training class priors (resampled methods);
* ``budget F``: the lowest threshold on 1 - P(normal) that flags at most F of the
  normal validation rows (alerts take their most probable attack class);
* ``prior+budget F``: both.

Printed per rule: validation FPR, test macro-F1 (over the classes present in the
test set), test binary DR and FPR (attack = any class but the normal one).
UNSW-NB15 uses the documented split of the testing partition (iid: a budget chosen
on validation rows should hold); NSL-KDD tests on KDDTest+ (shift: new attack types
and normal traffic outside the training file's support, so it need not hold). With
``--support`` (default for nsl-kdd) the test FPR is also split between normal rows inside
and outside the training data (:mod:`gavae_ids.evaluation.support`).

    python benchmarks/decision_rules.py --datasets unsw-nb15 --seeds 0 \\
        --methods rf smote-rf gavae-rf dnn smote-dnn gavae-dnn --out runs/decision
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.metrics import f1_score

from gavae_ids.datasets import load_benchmark
from gavae_ids.detection.decision import choose_rule, prior_weights
from gavae_ids.detection.model_card import fit_with_card
from gavae_ids.detection.pipeline import build_pipeline
from gavae_ids.detection.train import fit_priors
from gavae_ids.evaluation.markdown import markdown_table
from gavae_ids.evaluation.support import fpr_by_support, support_split
from gavae_ids.preprocessing import TabularPreprocessor

NORMAL = "Normal"
BUDGETS = (0.01, 0.05)


def rules_of(proba_val, y_val, classes, prior):
    yield "argmax", choose_rule(proba_val, y_val, classes, NORMAL)
    if prior is not None:
        yield "prior", choose_rule(proba_val, y_val, classes, NORMAL, prior=prior)
    for f in BUDGETS:
        yield f"budget {f:g}", choose_rule(proba_val, y_val, classes, NORMAL, max_fpr=f)
        if prior is not None:
            yield f"prior+budget {f:g}", choose_rule(proba_val, y_val, classes, NORMAL,
                                                     prior=prior, max_fpr=f)  # fmt: skip


def test_figures(rule, proba, y, classes, inside=None) -> dict:
    """Test macro-F1, binary DR and FPR under ``rule``; with ``inside`` (one flag per normal
    test row), the FPR inside and outside the training data as well."""
    pred, attack = rule.decide(rule.proba(proba))
    labels = np.asarray(classes, dtype=object)[pred]
    y = np.asarray(y).astype(str)
    normal = y == NORMAL
    present = sorted(set(y))
    out = {
        "test_macro_f1": f1_score(y, labels, labels=present, average="macro", zero_division=0),
        "test_dr": attack[~normal].mean(),
        "test_fpr": attack[normal].mean(),
    }
    if inside is not None:
        out.update(fpr_by_support(attack[normal], inside))
    return out


_SUPPORT: dict[str, dict] = {}  # dataset -> normal_support(bench), computed once


def normal_support(bench) -> dict:
    """For each test set, which normal test rows lie inside the training file's data
    (nearest training row within the 95th percentile of the training rows' own
    nearest-other-row distances, one-hot + min-max encoding fitted on the training file)."""
    tr = bench.train
    pre = TabularPreprocessor(categorical=list(tr.categorical)).fit(tr.X)
    X = pre.transform(tr.X)
    out = {}
    for name, t in bench.tests.items():
        normal = np.asarray(t.y).astype(str) == NORMAL
        out[name] = support_split(X, pre.transform(t.X)[normal]).inside
    return out


def run(dataset, method, seed, data_home, quick, support=False) -> list[dict]:
    bench = load_benchmark(dataset, data_home=data_home)
    if support and dataset not in _SUPPORT:
        _SUPPORT[dataset] = normal_support(bench)
    inside = _SUPPORT.get(dataset, {}) if support else {}
    tr = bench.train
    t0 = time.perf_counter()
    pipe = build_pipeline(method, categorical=list(tr.categorical), numeric=list(tr.numeric),
                          random_state=seed, verbose=False, quick=quick)  # fmt: skip
    fitted, card = fit_with_card(pipe, tr.X, tr.y.astype(str), normal_label=NORMAL,
                                 method=method, validation=0.2, random_state=seed)  # fmt: skip
    fit_s = time.perf_counter() - t0
    classes = [str(c) for c in fitted.classes_]
    rows, proba_val = fitted.validation_proba_
    y_val = tr.y.astype(str).to_numpy()[rows]
    counts = fit_priors(fitted, classes)
    prior = None if counts is None else prior_weights(*counts)
    tests = {name: (np.asarray(fitted.predict_proba(t.X)), t.y) for name, t in bench.tests.items()}
    out = []
    for name, rule in rules_of(proba_val, y_val, classes, prior):
        for test_name, (proba, y) in tests.items():
            out.append({"dataset": dataset, "test": test_name, "method": method, "seed": seed,
                        "rule": name, "val_fpr": rule.validation["binary_fpr"],
                        "val_dr": rule.validation["binary_dr"],
                        **test_figures(rule, proba, y, classes, inside.get(test_name)),
                        "fit_s": round(fit_s, 1)})  # fmt: skip
    return out


def _pm(values) -> str:
    v = 100 * np.asarray(values, dtype=float)
    return f"{v.mean():.2f} ± {v.std(ddof=1):.2f}" if len(v) > 1 else f"{v.mean():.2f}"


def budget_tables(df: pd.DataFrame) -> str:
    """Markdown: per test set, every method at the 1 % and 5 % budgets (mean ± std over
    seeds) — test macro-F1, binary DR, the test FPR reached, and, where measured, the FPR
    inside / outside the training data."""
    parts = []
    for test, block in df[df["rule"].isin([f"budget {f:g}" for f in BUDGETS])].groupby(
            "test", sort=False):  # fmt: skip
        side = "fpr_inside" in block and block["fpr_inside"].notna().any()
        header = ["method", "budget", "seeds", "macro-F1", "DR", "test FPR",
                  *(["FPR inside", "FPR outside"] if side else [])]  # fmt: skip
        body = []
        for (method, rule), g in block.groupby(["method", "rule"], sort=False):
            row = [method, rule.split()[-1], str(g["seed"].nunique()), _pm(g["test_macro_f1"]),
                   _pm(g["test_dr"]), _pm(g["test_fpr"])]  # fmt: skip
            if side:
                row += [_pm(g["fpr_inside"]), _pm(g["fpr_outside"])]
            body.append(row)
        parts.append(f"**{test}**\n\n" + markdown_table(header, body))
    return "\n\n".join(parts) + "\n"


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
