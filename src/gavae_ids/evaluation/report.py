"""The reproduction report: Markdown tables from a run's results (no torch here).

:func:`write_report` renders the ``results`` dict that
:func:`gavae_ids.reproduce.reproduce` builds (and saves as ``metrics.json``);
:func:`parse_markdown_table` reads a table back, so tests can check the report
says what the JSON says.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from pathlib import Path

from gavae_ids.evaluation.metrics import (
    PAPER_COLUMNS,
    PAPER_METHOD_ALIASES,
    PAPER_RESULTS,
    PAPER_RESULTS_CAVEAT,
    PAPER_TABLES,
    TABLE_METRICS,
)

#: The paper's Tables 4 (NSL-KDD, KDDTrain+_20Percent) and 5 (UNSW-NB15, official
#: training partition): class → (actual records, newly generated records).
PAPER_AUGMENTATION = {
    "nsl-kdd": {
        "Normal": (13449, 0), "Probe": (2289, 11160), "DoS": (9234, 4215),
        "U2R": (11, 13438), "R2L": (209, 13240),
    },
    "unsw-nb15": {
        "Normal": (56000, 0), "Generic": (40000, 16000), "Exploits": (33393, 22607),
        "Fuzzers": (18184, 37816), "DoS": (12264, 43736), "Reconnaissance": (10491, 45509),
        "Analysis": (2000, 54000), "Backdoor": (1746, 54254), "Shellcode": (1133, 54867),
        "Worms": (130, 55870),
    },
}  # fmt: skip

#: Summary keys of the two views shown as Tables 6/7, in the paper's column order.
#: "Accuracy" is always the overall multi-class accuracy in the per-class view.
VIEWS = {
    "macro": ("accuracy", "macro_recall", "macro_precision", "macro_f1", "macro_g_mean",
              "macro_fpr"),
    "binary": ("binary_accuracy", "binary_recall", "binary_precision", "binary_f1",
               "binary_g_mean", "binary_fpr"),
}  # fmt: skip
VIEW_TITLES = {
    "macro": "5-/10-class predictions, one-vs-all metrics averaged over classes (macro); "
    "Accuracy = overall multi-class accuracy",
    "binary": "attack (any non-normal class) vs normal, from the same predictions",
}


def fmt_pct(stat: Mapping | None) -> str:
    """``{"mean", "std"}`` of a fraction → ``"90.35 ± 0.12"`` (percent); n/a where undefined."""
    if not stat:
        return "n/a"
    mean, std = stat.get("mean"), stat.get("std")
    if mean is None or not math.isfinite(mean):
        return "n/a"
    if std is None or not math.isfinite(std):
        return f"{100 * mean:.2f}"
    return f"{100 * mean:.2f} ± {100 * std:.2f}"


def _table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(str(c) for c in r) + " |" for r in rows]
    return "\n".join(lines)


def parse_markdown_table(text: str, heading: str) -> list[dict[str, str]]:
    """The first pipe table after the line holding ``heading``, as a list of row dicts."""
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if heading in line)
    rows, header = [], None
    for line in lines[start + 1 :]:
        if not line.startswith("|"):
            if header is not None:
                break
            continue
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if header is None:
            header = cells
        elif set(line.replace("|", "").strip()) <= {"-", ":"}:
            continue
        else:
            rows.append(dict(zip(header, cells, strict=True)))
    return rows


def parse_pct(cell: str) -> tuple[float | None, float | None]:
    """Inverse of :func:`fmt_pct`: ``"90.35 ± 0.12"`` → (90.35, 0.12)."""
    m = re.fullmatch(r"(-?[\d.]+)(?: ± ([\d.]+))?", cell.strip())
    if not m:
        return None, None
    return float(m.group(1)), (float(m.group(2)) if m.group(2) else None)


def table_heading(test_set: str, view: str) -> str:
    return f"Tables 6/7 — {test_set} — {view} view"


def _metric_table(results: dict, test_set: str, view: str) -> str:
    agg = results["aggregate"][test_set]["all"]
    paper = PAPER_RESULTS.get(results["dataset"], {})
    header = ["Method"]
    for k in TABLE_METRICS:
        header += [PAPER_COLUMNS[k], f"{PAPER_COLUMNS[k]} (paper)"]
    rows = []
    for method in results["methods"]:
        stats = agg.get(method, {})
        p = paper.get(PAPER_METHOD_ALIASES.get(method, method), {})
        row = [method]
        for key, metric in zip(VIEWS[view], TABLE_METRICS, strict=True):
            row += [fmt_pct(stats.get(key)), f"{p[metric]:.2f}" if metric in p else "—"]
        rows.append(row)
    return _table(header, rows)


def _augmentation_table(results: dict) -> str:
    aug = results.get("augmentation")
    if not aug:
        return "_No GAVAE-DNN in this run: no augmentation._"
    paper = PAPER_AUGMENTATION.get(results["dataset"], {})
    header = ["Class", "Real records", "Generated (mean over seeds)", "Total", "Attempts",
              "Acceptance rate (Eq. 9)", "Paper: real", "Paper: generated"]  # fmt: skip
    rows = []
    for r in aug["mean"]:
        p = paper.get(r["class"])
        rate = r.get("acceptance_rate")
        rows.append([
            r["class"], f"{r['real']:,.0f}", f"{r['generated']:,.0f}",
            f"{r['real'] + r['generated']:,.0f}", f"{r['attempts']:,.0f}",
            "—" if rate is None or not math.isfinite(rate) else f"{100 * rate:.1f} %",
            f"{p[0]:,}" if p else "—", f"{p[1]:,}" if p else "—",
        ])  # fmt: skip
    return _table(header, rows)


def _per_class_table(results: dict, test_set: str) -> str:
    agg = results["aggregate"][test_set]["all"]
    classes = results["classes"]
    rows = [[m] + [fmt_pct(agg.get(m, {}).get(f"dr_{c}")) for c in classes]
            for m in results["methods"]]  # fmt: skip
    return _table(["Method"] + [f"DR {c}" for c in classes], rows)


def _seen_table(results: dict, test_set: str) -> str | None:
    subsets = results["aggregate"][test_set]
    if "unseen" not in subsets:
        return None
    header = ["Method", "Accuracy (seen + normal)", "Binary DR (seen attacks)",
              "Accuracy (unseen attacks)", "Binary DR (unseen attacks)"]  # fmt: skip
    rows = []
    for m in results["methods"]:
        s, u = subsets["seen"].get(m, {}), subsets["unseen"].get(m, {})
        rows.append([m, fmt_pct(s.get("accuracy")), fmt_pct(s.get("binary_recall")),
                     fmt_pct(u.get("accuracy")), fmt_pct(u.get("binary_recall"))])  # fmt: skip
    return _table(header, rows)


def _timing_table(results: dict) -> str:
    rows = []
    for m in results["methods"]:
        fits = [r["fit_seconds"] for r in results["runs"] if r["method"] == m]
        rows.append([m, f"{sum(fits) / len(fits):.1f}", f"{len(fits)}"])
    return _table(["Method", "Fit time, s (mean over seeds)", "Runs"], rows)


def write_report(results: dict, out_dir, figures: Mapping[str, str] | None = None) -> Path:
    """Write ``report.md`` into ``out_dir`` and return its path.

    ``figures`` maps a figure key (``fig7``, ``umap``, ``bars:<test set>``,
    ``roc:<test set>``, ``confusion:<test set>``) to its path relative to ``out_dir``.
    """
    figures = dict(figures or {})
    ds = results["dataset"]
    seeds = results["seeds"]
    out = [f"# GAVAE-IDS reproduction — {results['dataset_title']}", ""]
    out += [
        f"- Protocol: {results['protocol']}",
        f"- Training data: {results['train']['name']} — {results['train']['rows']:,} rows, "
        f"{results['train']['rows_used']:,} after the outlier filter "
        f"({'on' if results['config']['outlier_filter'] else 'off'})",
        "- Test sets: "
        + ", ".join(f"{k} ({v['rows']:,} rows)" for k, v in results["test_sets"].items()),
        f"- Seeds: {', '.join(map(str, seeds))} (mean ± sample standard deviation over seeds)",
        f"- Mode: {'QUICK (slices of the data, few iterations; not a reproduction)' if results['quick'] else 'full'}",  # noqa: E501
        f"- Device: {results['device']}; wall time {results['wall_seconds'] / 60:.1f} min",
        f"- Command: `{results['command']}`",
        "",
    ]
    for name, info in results["test_sets"].items():
        if info.get("ceiling") is not None:
            out.append(
                f"> **Accuracy ceiling of {name}:** identical feature vectors carry different "
                f"labels, so no classifier can exceed {100 * info['ceiling']:.2f} % 10-class "
                "accuracy on it."
            )
            out.append("")
    table_no = "4" if ds == "nsl-kdd" else "5"
    out += [f"## Table {table_no}: training records, real and generated", ""]
    out += [_augmentation_table(results), ""]
    if results.get("augmentation"):
        out += [
            "Real = the rows the GAVAE was trained on: the training data less the stratified "
            "validation split that GAVAE-DNN holds out for early stopping before any "
            "augmentation. Generated = synthetic records accepted by the reconstruction-error "
            "filter (Eq. 9, k = {k}); attempts = candidates decoded. Targets bring every class "
            "to the majority count of those rows, so totals differ from the paper's Table "
            "{t}, which uses the whole training set.".format(k=results["config"]["k"], t=table_no),
            "",
        ]
    for test_set in results["test_sets"]:
        for view in VIEWS:
            out += [f"## {table_heading(test_set, view)}", "", f"_{VIEW_TITLES[view]}; %_", ""]
            out += [_metric_table(results, test_set, view), ""]
        if ds in PAPER_TABLES:
            out += [f'> "(paper)" columns: {PAPER_TABLES[ds]}. {PAPER_RESULTS_CAVEAT}', ""]
        out += [f"### Detection rate per class — {test_set}", ""]
        out += [_per_class_table(results, test_set), ""]
        seen = _seen_table(results, test_set)
        roc_names = " and ".join(results.get("roc_methods", {}).get(test_set, []))
        if seen:
            out += [f"### Seen vs unseen attack types — {test_set}", "",
                    "_Seen: normal records and attacks whose name occurs in the training file; "
                    "unseen: attacks of names absent from it. Binary DR counts an attack "
                    "flagged as any attack class._", "", seen, ""]  # fmt: skip
        for key, caption in (
            (f"bars:{test_set}", f"Figs. 10/11 — methods × metrics on {test_set} (macro view)"),
            (f"roc:{test_set}", f"One-vs-all ROC curves on {test_set}: {roc_names}"),
            (f"confusion:{test_set}", f"Confusion matrices on {test_set} (seed {seeds[0]})"),
        ):
            if key in figures:
                out += [f"![{caption}]({figures[key]})", f"_{caption}_", ""]
    if "fig7" in figures or "umap" in figures:
        out += ["## Figures of the GAVAE", ""]
    for key, caption in (
        ("fig7", "Fig. 7 — latent discriminator accuracy per class over training iterations "
                 f"(seed {seeds[0]})"),
        ("umap", "Figs. 8/9 — UMAP of original (dots) and generated (crosses) training samples"),
    ):  # fmt: skip
        if key in figures:
            out += [f"![{caption}]({figures[key]})", f"_{caption}_", ""]
    if results.get("fidelity_markdown"):
        out += [results["fidelity_markdown"], ""]
    out += ["## Fit time", "", _timing_table(results), ""]
    out += ["## Protocol", ""]
    out += [f"- {line}" for line in results["protocol_notes"]]
    out += [""]
    path = Path(out_dir) / "report.md"
    path.write_text("\n".join(out))
    return path
