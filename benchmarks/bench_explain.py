"""What ``score --explain K`` costs: rows/s with and without it, per model family.

Each method is trained with ``train_detector("nsl-kdd", method, quick=True)`` on
KDDTrain+_20Percent (at most 500 rows per class, the quick budgets, seed 0; its
decision rule chosen on the 20 % validation split of those training rows, the
default "cap" rule at a 1 % false-alarm budget). KDDTest+ (22,544 rows, shipped
with the package; ``--rows N``: its first N) is then scored end to end from a CSV
file to a CSV file with :func:`gavae_ids.scoring.score_file` (one classifier
thread), without and with
``explain=K``, alternating, ``--repeats`` times each; the table shows the median
rows/s, the ratio of the two medians, and the alert share (rows flagged
``is_attack``, the only rows explained).

Timings are wall-clock on whatever else the machine runs: compare the two
columns of one row, measured side by side, rather than rows across runs.

``--swap`` measures instead whether the named fields matter to the decision (a
deletion test): for every alert, the encoded columns of its top ``j`` fields
(``j`` = 1 and ``K``) are replaced by those of a normal training row drawn at
random (KDDTrain+_20Percent's normal rows, seed 0), and the table gives the share
of alerts that the detector's decision rule no longer flags; beside it, the same
with ``j`` fields drawn at random among all fields (seed 0). Named fields that
matter flip far more alerts than random ones.

Usage::

    python benchmarks/bench_explain.py                       # lgbm, rf, dnn, K=3
    python benchmarks/bench_explain.py --methods lgbm,gavae-rf,cnn --k 5 --repeats 5
    python benchmarks/bench_explain.py --swap --rows 5000      # do the named fields matter?
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
import warnings
from pathlib import Path


def time_scoring(det, src: Path, out: Path, explain: int) -> tuple[float, object]:
    from gavae_ids.scoring import score_file

    t0 = time.perf_counter()
    summary = score_file(det, src, out, explain=explain, verbose=False, torch_threads=1)
    return time.perf_counter() - t0, summary


def swap_flips(det, Xt, donors, k: int, seed: int = 0) -> list[float]:
    """Shares of alerts no longer flagged once their top-1 / top-k fields, or 1 / k random
    fields, take the values of random normal donor rows (encoded)."""
    import numpy as np

    from gavae_ids.detection.explain import AlertExplainer

    proba = det.predict_proba_encoded(Xt)
    pred, attack = det.decide(proba)
    ex = AlertExplainer(det, k)
    Xa, rng = Xt[attack], np.random.RandomState(seed)
    contrib = ex.field_contributions(Xa, ex.target_classes(proba[attack], pred[attack]))
    top = np.argsort(-contrib, axis=1, kind="stable")
    rand = np.argsort(rng.rand(*contrib.shape), axis=1)
    donor = donors[rng.randint(0, len(donors), size=len(Xa))]
    out = []
    for fields in (top[:, :1], top[:, :k], rand[:, :1], rand[:, :k]):
        cols = ex.to_fields[:, fields].transpose(1, 0, 2).sum(axis=2) > 0  # rows × features
        X2 = np.where(cols, donor, Xa).astype(np.float32)
        out.append(float(1.0 - det.decide(det.predict_proba_encoded(X2))[1].mean()))
    return out


def quick_detector(method: str):
    """``method`` trained with quick budgets on KDDTrain+_20Percent, seed 0, warnings off."""
    from gavae_ids.detection.train import train_detector

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return train_detector("nsl-kdd", method=method, quick=True, random_state=0,
                              verbose=False, novelty=False)  # fmt: skip


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--methods", default="lgbm,rf,dnn")
    p.add_argument("--k", type=int, default=3)
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--rows", type=int, default=None, help="the first N rows of KDDTest+ only")
    p.add_argument("--swap", action="store_true", help="the deletion test instead of timings")
    args = p.parse_args(argv)
    if args.swap:
        return swap_table(args)

    from gavae_ids.datasets import load_nsl_kdd
    test = load_nsl_kdd("test")
    X = test.X if args.rows is None else test.X.iloc[: args.rows]
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / "KDDTest+.csv"
        X.to_csv(src, index=False)
        print(f"KDDTest+: {len(X):,} rows; K = {args.k}; median of {args.repeats} runs "
              "each, alternating; one classifier thread")  # fmt: skip
        print(f"{'method':<12} {'alert share':>11} {'rows/s plain':>13} "
              f"{'rows/s explain':>15} {'ratio':>6} {'explained alerts/s':>19}")  # fmt: skip
        for method in args.methods.split(","):
            det = quick_detector(method)
            plain, expl = [], []
            for _ in range(args.repeats):
                s, summary = time_scoring(det, src, Path(tmp) / "plain.csv", 0)
                plain.append(s)
                s, _ = time_scoring(det, src, Path(tmp) / "why.csv", args.k)
                expl.append(s)
            n, alerts = summary.scored, summary.attacks
            tp, te = statistics.median(plain), statistics.median(expl)
            # explained alerts per second of the extra time --explain took
            extra = alerts / (te - tp) if te > tp else float("inf")
            print(f"{method:<12} {alerts / n:>10.1%} {n / tp:>13,.0f} {n / te:>15,.0f} "
                  f"{tp / te:>6.2f} {extra:>19,.0f}")  # fmt: skip


def swap_table(args) -> None:
    from gavae_ids.datasets import load_nsl_kdd
    test, train = load_nsl_kdd("test"), load_nsl_kdd("train20")
    X = test.X if args.rows is None else test.X.iloc[: args.rows]
    print(f"KDDTest+: {len(X):,} rows; K = {args.k}; donors: normal rows of KDDTrain+_20Percent; "
          "seed 0. Share of alerts no longer flagged after the swap:")  # fmt: skip
    print(f"{'method':<12} {'alerts':>7} {'why_1':>7} {f'why_1..{args.k}':>9} "
          f"{'1 random':>9} {f'{args.k} random':>9}")  # fmt: skip
    for method in args.methods.split(","):
        det = quick_detector(method)
        Xt = det.encode(X)[0]
        donors = det.encode(train.X[train.y == det.normal_label])[0]
        n_alerts = int(det.decide(det.predict_proba_encoded(Xt))[1].sum())
        f = swap_flips(det, Xt, donors, args.k)
        print(f"{method:<12} {n_alerts:>7,} {f[0]:>7.1%} {f[1]:>9.1%} {f[2]:>9.1%} {f[3]:>9.1%}")


if __name__ == "__main__":
    main()
