"""What the paper's numbers can mean: our metrics under every averaging convention.

The paper prints one accuracy, recall (DR), precision, F1, G-mean and FPR per
method (Tables 6-7) and never says how it averaged them over classes. This
module lays our measured metrics out under each convention that could have
produced such a row, puts the paper's row beside them, and says which
convention lies closest (mean absolute difference over the six metrics, in
percentage points). It also checks a property that holds under *every* one of
those conventions: F1 never exceeds (precision + recall) / 2.

Conventions (:data:`CONVENTIONS`), each a full row of :data:`TABLE_METRICS`:

``macro``
    unweighted mean over classes of the one-vs-rest P/R/F1/G-mean/FPR;
    Accuracy = the multi-class accuracy (what the report's macro view shows);
``macro, one-vs-rest accuracy``
    the same, with Accuracy = the mean of the per-class one-vs-rest accuracies
    (``macro_accuracy``);
``weighted``
    support-weighted means (weighted recall equals the multi-class accuracy);
    Accuracy = the multi-class accuracy;
``micro``
    one-vs-rest counts pooled over classes. For single-label multi-class
    predictions micro precision = micro recall = micro F1 = the multi-class
    accuracy (every wrong row is one FP and one FN), micro FPR =
    (1 − accuracy) / (K − 1) and micro G-mean = sqrt(recall · (1 − FPR)), so
    the whole row follows from the accuracy and the number of classes K;
``binary``
    attack (any non-normal class) vs normal, from the same predictions.

A useful identity: for single-label predictions the mean one-vs-rest accuracy is
``1 − 2 (1 − accuracy) / K`` (each wrong row is an error in exactly two of the K
one-vs-rest problems), so it compresses the differences between methods by a
factor K / 2.

Pure functions on plain numbers; no torch, no I/O.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import pandas as pd

from gavae_ids.evaluation.metrics import TABLE_METRICS

#: Convention name → the summary key of each metric in :data:`TABLE_METRICS` order;
#: ``None`` for ``micro``, which is derived from the accuracy (see the module docstring).
CONVENTIONS: dict[str, tuple[str, ...] | None] = {
    "macro": ("accuracy", "macro_recall", "macro_precision", "macro_f1", "macro_g_mean",
              "macro_fpr"),
    "macro, one-vs-rest accuracy": ("macro_accuracy", "macro_recall", "macro_precision",
                                    "macro_f1", "macro_g_mean", "macro_fpr"),
    "weighted": ("accuracy", "weighted_recall", "weighted_precision", "weighted_f1",
                 "weighted_g_mean", "weighted_fpr"),
    "micro": None,
    "binary": ("binary_accuracy", "binary_recall", "binary_precision", "binary_f1",
               "binary_g_mean", "binary_fpr"),
}  # fmt: skip

PAPER = "paper"


def micro_row(accuracy: float, n_classes: int) -> dict[str, float]:
    """Micro-averaged one-vs-rest metrics of single-label predictions, from the accuracy.

    Parameters
    ----------
    accuracy : float
        Multi-class accuracy, a fraction.
    n_classes : int
        Number of classes K (at least 2).

    Returns
    -------
    dict
        :data:`TABLE_METRICS` → fraction: accuracy = recall = precision = F1 =
        ``accuracy``; FPR = (1 − accuracy) / (K − 1); G-mean = sqrt(recall · (1 − FPR)).
    """
    if n_classes < 2:
        raise ValueError(f"micro averaging needs at least 2 classes, got {n_classes}")
    fpr = (1.0 - accuracy) / (n_classes - 1)
    g = math.sqrt(accuracy * (1.0 - fpr)) if accuracy == accuracy else math.nan
    return {"accuracy": accuracy, "recall": accuracy, "precision": accuracy, "f1": accuracy,
            "g_mean": g, "fpr": fpr}  # fmt: skip


def convention_rows(means: Mapping[str, float], n_classes: int) -> dict[str, dict[str, float]]:
    """One method's metrics under every convention, in percent.

    Parameters
    ----------
    means : mapping
        Summary key → value (a fraction), e.g. the seed means of ``metrics.csv``.
    n_classes : int
        Number of classes (for ``micro``).

    Returns
    -------
    dict
        Convention → {metric: percent}; a metric missing from ``means`` is NaN.
    """
    out = {}
    for name, keys in CONVENTIONS.items():
        if keys is None:
            row = micro_row(float(means.get("accuracy", math.nan)), n_classes)
        else:
            row = {m: float(means.get(k, math.nan)) for m, k in zip(TABLE_METRICS, keys,
                                                                     strict=True)}  # fmt: skip
        out[name] = {m: 100.0 * v for m, v in row.items()}
    return out


def mean_abs_diff(a: Mapping[str, float], b: Mapping[str, float]) -> float:
    """Mean |a − b| over the metrics of :data:`TABLE_METRICS` both define (NaN if none)."""
    diffs = [abs(a[m] - b[m]) for m in TABLE_METRICS
             if m in a and m in b and math.isfinite(a[m]) and math.isfinite(b[m])]  # fmt: skip
    return sum(diffs) / len(diffs) if diffs else math.nan


@dataclass
class ConventionComparison:
    """Result of :func:`compare_conventions`.

    Attributes
    ----------
    table : DataFrame
        One row per method × source (``"paper"`` first, then each convention):
        columns ``method``, ``source``, the metrics of :data:`TABLE_METRICS` in
        percent, and ``mad`` (mean absolute difference to the paper's row, in
        points; NaN on the paper's row).
    closest : dict
        Method → ``(convention, mad)`` of the convention whose whole row lies
        closest to the paper's.
    """

    table: pd.DataFrame
    closest: dict[str, tuple[str, float]]


def compare_conventions(
    ours: Mapping[str, Mapping[str, float]],
    paper: Mapping[str, Mapping[str, float]],
    n_classes: int,
    *,
    aliases: Mapping[str, str] | None = None,
) -> ConventionComparison:
    """Our metrics of every method under every convention, beside the paper's row.

    Parameters
    ----------
    ours : mapping
        Method → {summary key: seed mean (fraction)}; keys as in ``metrics.csv``
        (``accuracy``, ``macro_accuracy``, ``macro_f1``, ``weighted_fpr``,
        ``binary_recall``, ...).
    paper : mapping
        The paper's method name → {metric of :data:`TABLE_METRICS`: percent}.
    n_classes : int
        Number of classes of the predictions.
    aliases : mapping, optional
        Our method name → the paper's spelling (``{"GAVAE-DNN": "GVAE-DNN"}``).

    Returns
    -------
    ConventionComparison
        Methods the paper does not report are left out.
    """
    aliases = dict(aliases or {})
    rows, closest = [], {}
    for method, means in ours.items():
        p = paper.get(aliases.get(method, method))
        if p is None:
            continue
        rows.append({"method": method, "source": PAPER, **{m: float(p[m]) for m in TABLE_METRICS},
                     "mad": math.nan})  # fmt: skip
        best = None
        for name, row in convention_rows(means, n_classes).items():
            mad = mean_abs_diff(row, p)
            rows.append({"method": method, "source": name, **row, "mad": mad})
            if math.isfinite(mad) and (best is None or mad < best[1]):
                best = (name, mad)
        if best is not None:
            closest[method] = best
    cols = ["method", "source", *TABLE_METRICS, "mad"]
    return ConventionComparison(pd.DataFrame(rows, columns=cols), closest)


def f1_bound_check(paper: Mapping[str, Mapping[str, float]]) -> pd.DataFrame:
    """Which of the paper's rows print an F1 above (P + R) / 2.

    For one class F1 = 2PR / (P + R) ≤ (P + R) / 2 (harmonic ≤ arithmetic mean).
    Averaging per-class F1 with any weights keeps that bound against the same
    average of P and R, micro F1 equals micro P and R, and F1 computed from
    averaged P and R is their harmonic mean again. So an F1 above (P + R) / 2 is
    produced by none of the conventions.

    Returns
    -------
    DataFrame
        One row per method: ``method``, ``precision``, ``recall``,
        ``mean_pr`` = (P + R) / 2, ``f1``, ``excess`` = F1 − (P + R) / 2 (points)
        and ``exceeds`` (excess > 0.01 points, beyond the rounding of figures printed
        to two decimals).
    """
    rows = []
    for method, p in paper.items():
        mean_pr = (p["precision"] + p["recall"]) / 2
        excess = p["f1"] - mean_pr
        rows.append({"method": method, "precision": p["precision"], "recall": p["recall"],
                     "mean_pr": mean_pr, "f1": p["f1"], "excess": excess,
                     "exceeds": bool(excess > 0.01 + 1e-9)})  # fmt: skip
    return pd.DataFrame(rows, columns=["method", "precision", "recall", "mean_pr", "f1",
                                       "excess", "exceeds"])  # fmt: skip


def ovr_accuracy(accuracy: float, n_classes: int) -> float:
    """Mean one-vs-rest accuracy of single-label predictions: 1 − 2 (1 − accuracy) / K."""
    return 1.0 - 2.0 * (1.0 - accuracy) / n_classes


def _fmt(v: float) -> str:
    return f"{v:.2f}" if math.isfinite(v) else "n/a"


def conventions_markdown(
    ours: Mapping[str, Mapping[str, float]],
    paper: Mapping[str, Mapping[str, float]],
    n_classes: int,
    *,
    test_set: str,
    paper_table: str,
    aliases: Mapping[str, str] | None = None,
    seeds: Sequence[int] = (),
    all_paper: Mapping[str, Mapping[str, Mapping[str, float]]] | None = None,
    heading_level: int = 2,
    headline_method: str = "GAVAE-DNN",
) -> str:
    """The report section "What the paper's numbers can mean" for one test set.

    Parameters
    ----------
    ours, paper, n_classes, aliases
        As in :func:`compare_conventions`.
    test_set : str
        Name of the test set ``ours`` was measured on.
    paper_table : str
        Where ``paper`` comes from (e.g. "Table 6. ...").
    seeds : sequence of int
        Seeds averaged in ``ours`` (for the caption).
    all_paper : mapping, optional
        Every table of the paper (dataset → rows) for the F1 check over all of
        them; default: ``paper`` alone.
    heading_level : int, default 2
    headline_method : str, default "GAVAE-DNN"
        The method whose printed accuracy is set against every method's mean
        one-vs-rest accuracy.

    Returns
    -------
    str
        Markdown: a findings list, the comparison table and the F1 check.
    """
    cmp = compare_conventions(ours, paper, n_classes, aliases=aliases)
    h = "#" * heading_level
    seeds_txt = f"seeds {', '.join(map(str, seeds))}, " if seeds else ""
    out = [f"{h} {SECTION_TITLE} — {test_set}", ""]
    out += [
        f"_The paper ({paper_table}) does not say how it averaged. Each of our methods is "
        f"shown under every convention ({seeds_txt}means over seeds, %), below the paper's "
        "row; MAD = mean absolute difference to the paper's row over the six metrics, in "
        "points. macro / weighted: one-vs-rest metrics averaged over classes (unweighted / by "
        "support), Accuracy = multi-class accuracy; 'macro, one-vs-rest accuracy': Accuracy "
        "= mean of the per-class one-vs-rest accuracies; micro: for single-label predictions "
        "micro P = R = F1 = the multi-class accuracy and micro FPR = (1 − accuracy)/(K − 1), "
        f"K = {n_classes}; binary: attack vs normal._",
        "",
    ]
    findings = [f"{method}: closest convention **{conv}**, {mad:.2f} points off on average "
                "over the six metrics." for method, (conv, mad) in cmp.closest.items()]  # fmt: skip
    findings += _headline_finding(ours, paper, n_classes, dict(aliases or {}), headline_method)
    f1 = f1_bound_check(paper)
    findings.append(_f1_finding(f1, all_paper))
    out += [f"- {f}" for f in findings] + [""]
    out += [_comparison_table(cmp), ""]
    out += [f"{h}# F1 against (P + R) / 2 in the paper's {paper_table.split('.')[0]}", ""]
    out += [_f1_table(f1), ""]
    return "\n".join(out)


def _headline_finding(ours, paper, n_classes: int, aliases: dict, gv: str) -> list[str]:
    """The paper's headline accuracy against every method's mean one-vs-rest accuracy."""
    if gv not in ours or aliases.get(gv, gv) not in paper:
        return []
    p_acc = paper[aliases.get(gv, gv)]["accuracy"]
    near = [f"{m} {100 * v['macro_accuracy']:.2f}" for m, v in ours.items()
            if "macro_accuracy" in v and math.isfinite(v["macro_accuracy"])
            and abs(100 * v["macro_accuracy"] - p_acc) <= 1.0]  # fmt: skip
    if not near:
        return []
    return [
        f"The paper's {gv} accuracy {p_acc:.2f} % lies within 1 point of our mean "
        f"one-vs-rest accuracy of {len(near)} method(s) ({'; '.join(near)}). For "
        f"single-label predictions that figure is 1 − 2(1 − accuracy)/K (K = "
        f"{n_classes}), which maps multi-class accuracies 10 points apart to values "
        f"{20 / n_classes:.1f} points apart, so a match on it says little."
    ]


def _f1_finding(f1: pd.DataFrame, all_paper) -> str:
    """How many of the paper's rows print an F1 above (P + R) / 2 (over all its tables)."""
    checked = f1 if all_paper is None else pd.concat(
        [f1_bound_check(rows).assign(table=name) for name, rows in all_paper.items()],
        ignore_index=True)  # fmt: skip
    n_exc, n_all = int(checked["exceeds"].sum()), len(checked)
    return (
        f"In {n_exc} of the paper's {n_all} rows"
        + (" (Tables 6 and 7)" if all_paper is not None else "")
        + " the printed F1 exceeds (P + R) / 2, which no averaging of per-class F1 (nor F1 of "
        "averaged P and R) can produce: F1 is a harmonic mean of P and R, never above their "
        "arithmetic mean."
    )


def _comparison_table(cmp: ConventionComparison) -> str:
    """Each method: the paper's row, then ours under every convention, the closest in bold."""
    header = ["Method", "Source", "Accuracy", "Recall (DR)", "Precision", "F1", "G-mean", "FPR",
              "MAD"]  # fmt: skip
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    for r in cmp.table.itertuples(index=False):
        src = r.source
        if r.source != PAPER and cmp.closest.get(r.method, (None,))[0] == r.source:
            src = f"**{r.source}** (closest)"
        cells = [r.method, src, *(_fmt(getattr(r, m)) for m in TABLE_METRICS),
                 "" if r.source == PAPER else _fmt(r.mad)]  # fmt: skip
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _f1_table(f1: pd.DataFrame) -> str:
    rows = ["| Method | Precision | Recall | (P + R) / 2 | F1 | F1 − (P + R) / 2 |",
            "|---|---|---|---|---|---|"]  # fmt: skip
    for r in f1.itertuples(index=False):
        rows.append(f"| {r.method} | {r.precision:.2f} | {r.recall:.2f} | {r.mean_pr:.2f} | "
                    f"{r.f1:.2f} | {'**' if r.exceeds else ''}{r.excess:+.2f}"
                    f"{'**' if r.exceeds else ''} |")  # fmt: skip
    return "\n".join(rows)


SECTION_TITLE = "What the paper's numbers can mean"


def means_from_metrics_csv(frame: pd.DataFrame, test_set: str, subset: str = "all"):
    """Seed means per method of one test set/subset of a run's ``metrics.csv``.

    Returns
    -------
    (dict, list)
        ``{method: {column: mean}}`` in the order methods first appear, and the seeds.
    """
    sel = frame[(frame["test_set"] == test_set) & (frame["subset"] == subset)]
    numeric = sel.drop(columns=["seed", "test_set", "subset"]).groupby("method", sort=False)
    means = numeric.mean(numeric_only=True)
    return ({m: {k: float(v) for k, v in row.items() if pd.notna(v)}
             for m, row in means.iterrows()},
            sorted(int(s) for s in sel["seed"].unique()))  # fmt: skip
