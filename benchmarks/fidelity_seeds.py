"""Mean ± std over seeds of ``gavae-ids fidelity`` runs, as Markdown tables.

Each run directory holds the ``fidelity.csv`` and ``summary.csv`` of one seed
(``gavae-ids fidelity --seed S --out DIR``). Prints one table per metric
(rows: sampler × class) and the TSTR/TRTR summary; std is the sample standard
deviation over seeds. Example::

    python benchmarks/fidelity_seeds.py runs/fid-nsl-s0 runs/fid-nsl-s1 runs/fid-nsl-s2
"""

from __future__ import annotations

import argparse
from pathlib import Path

import pandas as pd

METRICS = ("c2st_auc", "coverage", "density", "dist_ratio", "exact_copy_share")


def _pm(values: pd.Series) -> str:
    return f"{values.mean():.3f} ± {values.std(ddof=1) if len(values) > 1 else 0.0:.3f}"


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("runs", nargs="+", type=Path)
    args = ap.parse_args(argv)
    per_class = pd.concat(
        [pd.read_csv(r / "fidelity.csv").assign(run=str(r)) for r in args.runs], ignore_index=True
    )
    summary = pd.concat(
        [pd.read_csv(r / "summary.csv").assign(run=str(r)) for r in args.runs], ignore_index=True
    )
    print(f"{len(args.runs)} runs: {', '.join(map(str, args.runs))}\n")
    samplers = list(dict.fromkeys(per_class["sampler"]))
    classes = list(dict.fromkeys(per_class["class"]))
    print("| sampler | class | seeds | " + " | ".join(METRICS) + " |")
    print("|" + "---|" * (3 + len(METRICS)))
    for s in samplers:
        for c in classes:
            rows = per_class[(per_class["sampler"] == s) & (per_class["class"] == c)]
            if len(rows):
                cells = " | ".join(_pm(rows[m]) for m in METRICS)
                print(f"| {s} | {c} | {len(rows)} | {cells} |")
    print("\n| sampler | TSTR macro-F1 | TRTR macro-F1 | fit s |")
    print("|---|---|---|---|")
    for s in samplers:
        rows = summary[summary["sampler"] == s]
        fit = _pm(rows["fit_seconds"]) if "fit_seconds" in rows else "—"
        print(f"| {s} | {_pm(rows['tstr_macro_f1'])} | {_pm(rows['trtr_macro_f1'])} | {fit} |")


if __name__ == "__main__":
    main()
