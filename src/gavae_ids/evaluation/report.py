"""The reproduction report: Markdown tables from a run's results (no torch here).

:func:`write_report` renders the :class:`~gavae_ids.evaluation.results.RunResults`
that :func:`gavae_ids.experiments.reproduce.reproduce` builds (and saves as ``metrics.json``);
:func:`parse_markdown_table` reads a table back, so tests can check the report
says what the JSON says. The sections ``gavae-ids report`` can rewrite into a
committed report live in :mod:`gavae_ids.evaluation.report_sections`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from pathlib import Path

from gavae_ids.evaluation.budgets import budget_markdown
from gavae_ids.evaluation.markdown import (
    fmt_pct,
    markdown_table,
    parse_markdown_table,
    parse_pct,
)
from gavae_ids.evaluation.metrics import PAPER_COLUMNS
from gavae_ids.evaluation.paper import (
    PAPER_AUGMENTATION,
    PAPER_METHOD_ALIASES,
    PAPER_RESULTS,
    PAPER_RESULTS_CAVEAT,
    PAPER_TABLES,
    TABLE_METRICS,
)
from gavae_ids.evaluation.report_sections import conventions_section, prior_art_section
from gavae_ids.evaluation.results import RunResults

__all__ = ["VIEWS", "fmt_pct", "parse_markdown_table", "parse_pct", "table_heading",
           "write_report"]  # fmt: skip

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


def table_heading(test_set: str, view: str) -> str:
    return f"Tables 6/7 — {test_set} — {view} view"


def _metric_table(results: RunResults, test_set: str, view: str) -> str:
    agg = results.aggregate[test_set]["all"]
    # The paper's Tables 6-7 come from its own protocol: not beside a --full-train run.
    paper = {} if results.full_train else PAPER_RESULTS.get(results.dataset, {})
    header = ["Method"]
    for k in TABLE_METRICS:
        header += [PAPER_COLUMNS[k], f"{PAPER_COLUMNS[k]} (paper)"]
    rows = []
    for method in results.methods:
        stats = agg.get(method, {})
        p = paper.get(PAPER_METHOD_ALIASES.get(method, method), {})
        row = [method]
        for key, metric in zip(VIEWS[view], TABLE_METRICS, strict=True):
            row += [fmt_pct(stats.get(key)), f"{p[metric]:.2f}" if metric in p else "—"]
        rows.append(row)
    return markdown_table(header, rows)


def _augmentation_table(results: RunResults) -> str:
    aug = results.augmentation
    if aug is None:
        return "_No GAVAE-DNN in this run: no augmentation._"
    paper = PAPER_AUGMENTATION.get(results.dataset, {})
    # Runs since the manifold check count the candidates that passed Eq. 9 apart from
    # those accepted; older runs' acceptance rate is Eq. 9's alone.
    eq9 = all("eq9_rate" in r for r in aug.mean)
    if eq9:
        rates = ["Passed Eq. 9", "Accepted (all filters)"]
    elif run_manifold_k(aug) is not None:
        rates = ["Accepted (Eq. 9 and manifold check)"]
    else:
        rates = ["Acceptance rate (Eq. 9)"]
    header = ["Class", "Real records", "Generated (mean over seeds)", "Total", "Attempts",
              *rates, "Paper: real", "Paper: generated"]  # fmt: skip
    rows = []
    for r in aug.mean:
        p = paper.get(r["class"])
        shares = [r.get("eq9_rate")] if eq9 else []
        rows.append([
            r["class"], f"{r['real']:,.0f}", f"{r['generated']:,.0f}",
            f"{r['real'] + r['generated']:,.0f}", f"{r['attempts']:,.0f}",
            *[_share(x) for x in [*shares, r.get("acceptance_rate")]],
            f"{p[0]:,}" if p else "—", f"{p[1]:,}" if p else "—",
        ])  # fmt: skip
    return markdown_table(header, rows)


def _share(rate) -> str:
    return "—" if rate is None or not math.isfinite(rate) else f"{100 * rate:.1f} %"


def _per_class_table(results: RunResults, test_set: str) -> str:
    agg = results.aggregate[test_set]["all"]
    classes = results.classes
    rows = [[m] + [fmt_pct(agg.get(m, {}).get(f"dr_{c}")) for c in classes]
            for m in results.methods]  # fmt: skip
    return markdown_table(["Method"] + [f"DR {c}" for c in classes], rows)


def _seen_table(results: RunResults, test_set: str) -> str | None:
    subsets = results.aggregate[test_set]
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
    for m in results.methods:
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
    return markdown_table(header, rows)


def _has_novelty(results: RunResults, test_set: str) -> bool:
    agg = results.aggregate[test_set]["all"]
    return any("novelty_binary_recall" in v for v in agg.values())


def _novelty_text(results: RunResults, test_set: str) -> list[str]:
    """The caption of the novelty columns and curve, with the measured change."""
    agg = results.aggregate[test_set]
    m = "GAVAE-DNN"
    a, u = agg["all"].get(m, {}), agg.get("unseen", {}).get(m, {})
    if "novelty_binary_recall" not in a:
        return []
    budget = results.config.get("novelty_fpr_budget")

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
                f"{', '.join(map(str, results.seeds))}).", ""]  # fmt: skip
    return out


def _timing_table(results: RunResults) -> str:
    rows = []
    for m in results.methods:
        fits = [r.fit_seconds for r in results.runs if r.method == m]
        rows.append([m, f"{sum(fits) / len(fits):.1f}", f"{len(fits)}"])
    return markdown_table(["Method", "Fit time, s (mean over seeds)", "Runs"], rows)


def write_report(results: RunResults, out_dir, figures: Mapping[str, str] | None = None) -> Path:
    """Write ``report.md`` into ``out_dir`` and return its path.

    ``figures`` maps a figure key (``fig7``, ``umap``, ``bars:<test set>``,
    ``roc:<test set>``, ``confusion:<test set>``, ``novelty:<test set>``) to its path
    relative to ``out_dir``; default: ``results.figures``.
    """
    figures = dict(results.figures if figures is None else figures)
    out = _header(results) + _augmentation_section(results)
    for test_set in results.test_sets:
        out += _test_set_section(results, test_set, figures)
    out += _gavae_figures(results, figures) + _closing_sections(results)
    path = Path(out_dir) / "report.md"
    path.write_text("\n".join(out))
    return path


def _header(results: RunResults) -> list[str]:
    """Title, what was run and how, and (UNSW-NB15) the accuracy ceilings."""
    train = results.train
    mode = "QUICK (slices of the data, few iterations; not a reproduction)" if results.quick \
        else "full"  # fmt: skip
    out = [f"# GAVAE-IDS reproduction — {results.dataset_title}", ""]
    out += [
        f"- Protocol: {results.protocol}",
        f"- Training data: {train.name} — {train.rows:,} rows, "
        f"{train.rows_used:,} after the outlier filter "
        f"({'on' if results.config['outlier_filter'] else 'off'})",
        "- Test sets: " + ", ".join(f"{k} ({v.rows:,} rows)" for k, v in results.test_sets.items()),
        f"- Seeds: {', '.join(map(str, results.seeds))} (mean ± sample standard deviation "
        "over seeds)",
        f"- Mode: {mode}",
        f"- Device: {results.device}; wall time {results.wall_seconds / 60:.1f} min",
        f"- Command: `{results.command}`",
        "",
    ]
    for name, info in results.test_sets.items():
        if info.ceiling is not None:
            out.append(
                f"> **Accuracy ceiling of {name}:** identical feature vectors carry different "
                f"labels, so no classifier can exceed {100 * info.ceiling:.2f} % 10-class "
                "accuracy on it."
            )
            out.append("")
    return out


def _table_no(results: RunResults) -> str:
    return "4" if results.dataset == "nsl-kdd" else "5"


def _augmentation_section(results: RunResults) -> list[str]:
    """Table 4/5: training records, real and generated, with what the columns count."""
    table_no = _table_no(results)
    out = [f"## Table {table_no}: training records, real and generated", ""]
    out += [_augmentation_table(results), ""]
    if results.augmentation is not None:
        out += [
            "Real = the rows the GAVAE was trained on: the training data less the stratified "
            "validation split that GAVAE-DNN holds out for early stopping before any "
            "augmentation. Generated = synthetic records accepted by the reconstruction-error "
            "filter (Eq. 9, k = {k}){m}; attempts = candidates decoded. Targets bring every "
            "class to the majority count of those rows, so totals differ from the paper's Table "
            "{t}, which uses the whole training set.".format(
                k=results.config["k"], m=_manifold_note(results.augmentation), t=table_no
            ),
            "",
        ]
    return out


def run_manifold_k(aug) -> int | None:
    """The ``manifold_k`` GAVAE-DNN's sampler used, as ``augmentation.csv`` recorded it.

    None when the check was off, and when the run did not record it (runs made before
    the check, and the first runs with it: their reports say nothing of it).
    """
    if aug is None:
        return None
    values = [r.get("manifold_k") for r in aug.per_seed]
    known = [v for v in values if v is not None and not (isinstance(v, float) and math.isnan(v))]
    if not known or len(known) < len(values):
        return None
    return int(known[0])


def _manifold_note(aug) -> str:
    """Table 4/5's caption words for the manifold check, where the run used it."""
    m = run_manifold_k(aug)
    if m is None:
        return ""
    return f" and lying within the {m}-NN radius of a real row of their class (manifold_k = {m})"


def _figure(key: str, caption: str, figures: Mapping[str, str]) -> list[str]:
    """The figure ``key`` with its caption, or nothing when the run did not draw it."""
    if key not in figures:
        return []
    return [f"![{caption}]({figures[key]})", f"_{caption}_", ""]


def _test_set_section(results: RunResults, test_set: str, figures: Mapping[str, str]
                      ) -> list[str]:  # fmt: skip
    """Tables 6/7 in both views, per-class DR, seen vs unseen and the figures of ``test_set``."""
    ds = results.dataset
    out = []
    for view in VIEWS:
        out += [f"## {table_heading(test_set, view)}", "", f"_{VIEW_TITLES[view]}; %_", ""]
        out += [_metric_table(results, test_set, view), ""]
    if results.full_train:
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
    if seen:
        out += [f"### Seen vs unseen attack types — {test_set}", "",
                "_Seen: normal records and attacks whose name occurs in the training file; "
                "unseen: attacks of names absent from it. Binary DR counts an attack "
                "flagged as any attack class._", "", seen, ""]  # fmt: skip
        out += _novelty_text(results, test_set)
    out += _figure(f"novelty:{test_set}", f"GAVAE-DNN's novelty flag on {test_set}: binary DR "
                   "on unseen and seen attack types against binary FPR over the quantile "
                   "(means over seeds; squares: the classifier alone; circles: the quantile "
                   "chosen on training data, per seed)", figures)  # fmt: skip
    roc_names = " and ".join(results.roc_methods.get(test_set, []))
    out += _figure(f"bars:{test_set}", f"Figs. 10/11 — methods × metrics on {test_set} "
                   "(macro view)", figures)  # fmt: skip
    out += _figure(f"roc:{test_set}", f"One-vs-all ROC curves on {test_set}: {roc_names}",
                   figures)  # fmt: skip
    out += _figure(f"confusion:{test_set}", f"Confusion matrices on {test_set} "
                   f"(seed {results.seeds[0]})", figures)  # fmt: skip
    return out


def _gavae_figures(results: RunResults, figures: Mapping[str, str]) -> list[str]:
    """Fig. 7 and Figs. 8/9, when the run trained a GAVAE."""
    out = ["## Figures of the GAVAE", ""] if "fig7" in figures or "umap" in figures else []
    out += _figure("fig7", "Fig. 7 — latent discriminator accuracy per class over training "
                   f"iterations (seed {results.seeds[0]})", figures)  # fmt: skip
    out += _figure("umap", "Figs. 8/9 — UMAP of original (dots) and generated (crosses) "
                   "training samples", figures)  # fmt: skip
    return out


def _closing_sections(results: RunResults) -> list[str]:
    """Fidelity, the paper-conventions and prior-art sections, fit time and the protocol."""
    out = []
    budgets = budget_markdown(results.budgets, shift=results.dataset == "nsl-kdd")
    if budgets:
        out += [budgets, ""]
    if results.fidelity_markdown:
        out += [results.fidelity_markdown, ""]
    for section in (conventions_section(results), prior_art_section(results)):
        if section:
            out += [section, ""]
    out += ["## Fit time", "", _timing_table(results), ""]
    out += ["## Protocol", ""]
    out += [f"- {line}" for line in results.protocol_notes]
    out += [""]
    return out
