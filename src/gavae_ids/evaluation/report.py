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

from gavae_ids.evaluation.metrics import PAPER_COLUMNS
from gavae_ids.evaluation.paper import (
    PAPER_AUGMENTATION,
    PAPER_METHOD_ALIASES,
    PAPER_RESULTS,
    PAPER_RESULTS_CAVEAT,
    PAPER_TABLES,
    TABLE_METRICS,
)

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
    # The paper's Tables 6-7 come from its own protocol: not beside a --full-train run.
    paper = {} if _full_train(results) else PAPER_RESULTS.get(results["dataset"], {})
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


def _full_train(results: dict) -> bool:
    return results["dataset"] == "nsl-kdd" and results["config"].get("train_split") == "train"


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
              "Accuracy (unseen attacks)", "Binary DR (unseen attacks)", "Binary FPR"]  # fmt: skip
    novelty = _has_novelty(results, test_set)
    if novelty:
        header += ["With novelty: binary DR (seen attacks)",
                   "With novelty: binary DR (unseen attacks)", "With novelty: binary FPR",
                   "Novelty quantile"]  # fmt: skip
    rows = []
    for m in results["methods"]:
        s, u = subsets["seen"].get(m, {}), subsets["unseen"].get(m, {})
        a = subsets["all"].get(m, {})
        row = [m, fmt_pct(s.get("accuracy")), fmt_pct(s.get("binary_recall")),
               fmt_pct(u.get("accuracy")), fmt_pct(u.get("binary_recall")),
               fmt_pct(a.get("binary_fpr"))]  # fmt: skip
        if novelty:
            if "novelty_binary_recall" in a:
                q = a["novelty_quantile"]
                row += [fmt_pct(s.get("novelty_binary_recall")),
                        fmt_pct(u.get("novelty_binary_recall")),
                        fmt_pct(a.get("novelty_binary_fpr")),
                        f"{q['mean']:.3g}" + (f" ± {q['std']:.2g}" if math.isfinite(
                            q.get("std") or math.nan) else "")]  # fmt: skip
            else:
                row += ["—"] * 4
        rows.append(row)
    return _table(header, rows)


def _has_novelty(results: dict, test_set: str) -> bool:
    agg = results["aggregate"][test_set]["all"]
    return any("novelty_binary_recall" in v for v in agg.values())


def _novelty_text(results: dict, test_set: str) -> list[str]:
    """The caption of the novelty columns and curve, with the measured change."""
    agg = results["aggregate"][test_set]
    m = "GAVAE-DNN"
    a, u = agg["all"].get(m, {}), agg.get("unseen", {}).get(m, {})
    if "novelty_binary_recall" not in a:
        return []
    budget = results["config"].get("novelty_fpr_budget")

    def pts(stat):
        return "n/a" if not stat else f"{100 * stat['mean']:.1f} %"

    out = [
        "_With novelty: GAVAE-DNN also calls a row an attack when it is **novel** — its Eq. 7 "
        "reconstruction loss under its predicted class exceeds the chosen quantile of the "
        "losses of that class's training rows. The quantile is chosen per seed on training "
        f"data only: the smallest that flags at most {100 * budget:g} % of the normal "
        "validation rows the classifier calls normal. Binary FPR: on all normal test rows._",
        "",
    ]
    if u:
        out += [f"On {test_set}, GAVAE-DNN's binary DR on unseen attack types goes from "
                f"{pts(u.get('binary_recall'))} to {pts(u.get('novelty_binary_recall'))} with "
                f"the flag, its binary FPR from {pts(a.get('binary_fpr'))} to "
                f"{pts(a.get('novelty_binary_fpr'))} (means over seeds "
                f"{', '.join(map(str, results['seeds']))}).", ""]  # fmt: skip
    return out


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
        if _full_train(results):
            out += [
                '> "(paper)" columns are empty: the paper\'s Table 6 was measured with '
                "KDDTrain+_20Percent for training, not with this run's KDDTrain+.",
                "",
            ]
        elif ds in PAPER_TABLES:
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
            out += _novelty_text(results, test_set)
        for key, caption in (
            (f"novelty:{test_set}", f"GAVAE-DNN's novelty flag on {test_set}: binary DR on "
             "unseen and seen attack types against binary FPR over the quantile (means over "
             "seeds; squares: the classifier alone; circles: the quantile chosen on training "
             "data, per seed)"),
        ):  # fmt: skip
            if key in figures:
                out += [f"![{caption}]({figures[key]})", f"_{caption}_", ""]
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
    conventions = conventions_section(results)
    if conventions:
        out += [conventions, ""]
    prior = prior_art_section(results)
    if prior:
        out += [prior, ""]
    out += ["## Fit time", "", _timing_table(results), ""]
    out += ["## Protocol", ""]
    out += [f"- {line}" for line in results["protocol_notes"]]
    out += [""]
    path = Path(out_dir) / "report.md"
    path.write_text("\n".join(out))
    return path


# -- sections that can also be (re)written into a committed run's report --------------------------
SECTION_START = "<!-- gavae-ids:section {key} -->"
SECTION_END = "<!-- gavae-ids:end {key} -->"
#: Sections :func:`update_report_sections` writes, in report order.
SECTION_KEYS = ("paper-conventions", "prior-art")
#: Where a section goes in a report written before it existed: before this heading.
SECTION_ANCHOR = "## Fit time"

#: Prior art on the KDDTrain+ (full) → KDDTest+ / KDDTest-21 protocol. ``results`` stays
#: empty until figures are verified from the paper's own text (table and page cited).
PRIOR_ART = {
    "ICVAE-DNN": {
        "citation": "Y. Yang, K. Zheng, C. Wu, Y. Yang: Improving the Classification "
        "Effectiveness of Intrusion Detection by Using Improved Conditional Variational "
        "AutoEncoder and Deep Neural Network. Sensors 19(11):2528, 2019, "
        "doi:10.3390/s19112528",
        "design": "a conditional VAE (NSL-KDD network 122-80-40-20-10-20-40-80-122) is "
        "trained on the training set; the per-class maximum reconstruction loss is computed "
        "(its Eq. 11); its decoder generates attack samples of a chosen class from z ~ N(0, I), "
        "kept by that loss (its Eq. 12) and merged into the training set; the encoder's weights "
        "initialise the DNN's hidden layers, first frozen while the output layer trains, then "
        "all fine-tuned (its Algorithm 1)",
        "design_source": "https://pmc.ncbi.nlm.nih.gov/articles/PMC6603523/table/array1",
        "results": {},
    },
}


#: Closes a section written into an existing report by :func:`update_report_sections`.
REGENERATED_NOTE = ("_This section was written by `gavae-ids report` from this run's metrics.csv "
                    "and config.json, after the run; nothing was re-trained._")  # fmt: skip


def _wrap(key: str, body: str, note: str | None = None) -> str:
    parts = [SECTION_START.format(key=key), body.rstrip()]
    if note:
        parts += ["", note]
    return "\n".join([*parts, SECTION_END.format(key=key)])


def _means(stats: Mapping) -> dict[str, float]:
    out = {}
    for k, v in stats.items():
        mean = v.get("mean") if isinstance(v, Mapping) else None
        if mean is not None and math.isfinite(float(mean)):
            out[k] = float(mean)
    return out


def conventions_section(results: dict, note: str | None = None) -> str | None:
    """ "What the paper's numbers can mean" (see :mod:`gavae_ids.evaluation.conventions`).

    Written for the paper's protocols only (not for ``--full-train``), on the
    first test set (KDDTest+ for NSL-KDD), from the seed means of the aggregate.
    """
    from gavae_ids.evaluation.conventions import conventions_markdown

    ds = results["dataset"]
    if ds not in PAPER_RESULTS or results["config"].get("train_split") == "train":
        return None
    test_set = next(iter(results["test_sets"]))
    agg = results["aggregate"][test_set]["all"]
    ours = {m: _means(agg[m]) for m in results["methods"] if m in agg}
    body = conventions_markdown(
        ours, PAPER_RESULTS[ds], len(results["classes"]), test_set=test_set,
        paper_table=PAPER_TABLES[ds], aliases=PAPER_METHOD_ALIASES, seeds=results["seeds"],
        all_paper=PAPER_RESULTS,
    )  # fmt: skip
    if ds == "nsl-kdd":
        body += ("\n_The paper does not say which NSL-KDD test file its Table 6 comes from; "
                 f"the comparison uses {test_set}._\n")  # fmt: skip
    return _wrap("paper-conventions", body, note)


def _seeds_words(seeds) -> str:
    seeds = list(seeds)
    return f"seed {seeds[0]}" if len(seeds) == 1 else f"seeds {', '.join(map(str, seeds))}"


def prior_art_section(results: dict, note: str | None = None) -> str | None:
    """Prior art on the full-training protocol, published figures beside ours (NSL-KDD only)."""
    if results["dataset"] != "nsl-kdd" or results["config"].get("train_split") != "train":
        return None
    keys = [("accuracy", "Accuracy (5-class)"), ("macro_f1", "Macro F1"),
            ("binary_recall", "Binary DR"), ("binary_fpr", "Binary FPR")]  # fmt: skip
    header = ["Method", "Source", "Test set", *(t for _, t in keys)]
    rows = []
    for test_set in results["test_sets"]:
        agg = results["aggregate"][test_set]["all"]
        for m in results["methods"]:
            rows.append(
                [
                    m,
                    f"measured here ({_seeds_words(results['seeds'])})",
                    test_set,
                    *(fmt_pct(agg.get(m, {}).get(k)) for k, _ in keys),
                ]
            )
        for name, art in PRIOR_ART.items():
            pub = art["results"].get(test_set, {})
            rows.append(
                [
                    name,
                    "published" if pub else "published: not verified here",
                    test_set,
                    *(f"{pub[k]:.2f}" if k in pub else "" for k, _ in keys),
                ]
            )
    out = ["## Prior art on this protocol", ""]
    for name, art in PRIOR_ART.items():
        out += [f"**{name}** — {art['citation']}. Its design, as its Algorithm 1 states it "
                f"({art['design_source']}): {art['design']}. That is GAVAE-DNN's design "
                "without the latent discriminator.", ""]  # fmt: skip
        if not art["results"]:
            out += [f"{name}'s published figures could not be verified here: the paper's result "
                    "tables were not among the sources that could be searched, so its cells "
                    "are left empty rather than filled from memory.", ""]  # fmt: skip
    out += [_table(header, rows), ""]
    out += [
        "_Measured: on the protocol above (KDDTrain+ → KDDTest+ / KDDTest-21), mean ± std "
        "over seeds (no std from one seed); binary = attack vs normal from the same 5-class "
        "predictions._"
    ]
    return _wrap("prior-art", "\n".join(out), note)


def replace_section(text: str, key: str, body: str | None) -> str:
    """``text`` with section ``key`` replaced by ``body`` (already wrapped), or inserted.

    A report without the section gets it before :data:`SECTION_ANCHOR` (or at
    the end); ``body=None`` removes the section.
    """
    start, end = SECTION_START.format(key=key), SECTION_END.format(key=key)
    pattern = re.compile(re.escape(start) + r".*?" + re.escape(end) + r"\n*", re.DOTALL)
    if pattern.search(text):
        return pattern.sub(lambda _: "" if body is None else body + "\n\n", text, count=1)
    if body is None:
        return text
    at = text.find("\n" + SECTION_ANCHOR)
    if at < 0:
        return text.rstrip("\n") + "\n\n" + body + "\n"
    return text[: at + 1] + body + "\n\n" + text[at + 1 :]


def results_from_metrics_csv(run_dir) -> dict:
    """What the report sections need, rebuilt from a run's ``config.json`` + ``metrics.csv``.

    For committed runs written before ``metrics.json`` was kept.
    """
    import json

    import pandas as pd

    from gavae_ids.evaluation.metrics import aggregate
    from gavae_ids.exceptions import DataError

    run_dir = Path(run_dir)
    try:
        config = json.loads((run_dir / "config.json").read_text())
        frame = pd.read_csv(run_dir / "metrics.csv")
    except (OSError, ValueError) as e:
        raise DataError(f"{run_dir}: not a finished reproduce run ({e})") from None
    need = {"seed", "method", "test_set", "subset"}
    if not need <= set(frame.columns):
        raise DataError(f"{run_dir / 'metrics.csv'}: missing column(s) "
                        f"{', '.join(sorted(need - set(frame.columns)))}")  # fmt: skip
    ids = ["seed", "method", "test_set", "subset", "fit_seconds"]
    methods = list(dict.fromkeys(frame["method"]))
    agg: dict = {}
    for (test_set, subset), part in frame.groupby(["test_set", "subset"], sort=False):
        per = agg.setdefault(test_set, {}).setdefault(subset, {})
        for m in methods:
            rows = part[part["method"] == m].drop(columns=[c for c in ids if c in part])
            if len(rows):
                per[m] = aggregate([{k: float(v) for k, v in r.items() if pd.notna(v)}
                                    for r in rows.to_dict(orient="records")])  # fmt: skip
    return {
        "dataset": config["dataset"],
        "config": config,
        "methods": methods,
        "classes": [c[3:] for c in frame.columns if c.startswith("dr_")],
        "seeds": sorted(int(s) for s in frame["seed"].unique()),
        "test_sets": {t: {} for t in dict.fromkeys(frame["test_set"])},
        "aggregate": agg,
    }


def update_report_sections(run_dir) -> Path:
    """Write (or rewrite) the sections of :data:`SECTION_KEYS` into a run's ``report.md``.

    Reads only ``config.json`` and ``metrics.csv``, so a committed run gets the
    new sections without re-training anything. Returns the report's path.
    """
    run_dir = Path(run_dir)
    results = results_from_metrics_csv(run_dir)
    path = run_dir / "report.md"
    text = path.read_text() if path.is_file() else ""
    bodies = (conventions_section(results, REGENERATED_NOTE),
              prior_art_section(results, REGENERATED_NOTE))  # fmt: skip
    for key, body in zip(SECTION_KEYS, bodies, strict=True):
        text = replace_section(text, key, body)
    path.write_text(text)
    return path
