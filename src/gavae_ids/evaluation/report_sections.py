"""Report sections that ``gavae-ids report`` can also (re)write into a committed run's report.

Each section is computed from the aggregate alone, so :func:`update_report_sections`
rebuilds it from a run's ``config.json`` and ``metrics.csv``
(:func:`gavae_ids.evaluation.results.read_run_table`) without re-training; a
fresh run's :func:`gavae_ids.evaluation.report.write_report` writes the same
sections from its :class:`~gavae_ids.evaluation.results.RunResults`.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from pathlib import Path

from gavae_ids.evaluation.conventions import conventions_markdown
from gavae_ids.evaluation.markdown import fmt_pct, markdown_table
from gavae_ids.evaluation.paper import (
    PAPER_METHOD_ALIASES,
    PAPER_RESULTS,
    PAPER_TABLES,
)
from gavae_ids.evaluation.results import RunResults, RunTable, read_run_table

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


def conventions_section(results: RunResults | RunTable, note: str | None = None) -> str | None:
    """ "What the paper's numbers can mean" (see :mod:`gavae_ids.evaluation.conventions`).

    Written for the paper's protocols only (not for ``--full-train``), on the
    first test set (KDDTest+ for NSL-KDD), from the seed means of the aggregate.
    """
    ds = results.dataset
    if ds not in PAPER_RESULTS or results.config.get("train_split") == "train":
        return None
    test_set = next(iter(results.test_sets))
    agg = results.aggregate[test_set]["all"]
    ours = {m: _means(agg[m]) for m in results.methods if m in agg}
    body = conventions_markdown(
        ours, PAPER_RESULTS[ds], len(results.classes), test_set=test_set,
        paper_table=PAPER_TABLES[ds], aliases=PAPER_METHOD_ALIASES, seeds=results.seeds,
        all_paper=PAPER_RESULTS,
    )  # fmt: skip
    if ds == "nsl-kdd":
        body += ("\n_The paper does not say which NSL-KDD test file its Table 6 comes from; "
                 f"the comparison uses {test_set}._\n")  # fmt: skip
    return _wrap("paper-conventions", body, note)


def _seeds_words(seeds) -> str:
    seeds = list(seeds)
    return f"seed {seeds[0]}" if len(seeds) == 1 else f"seeds {', '.join(map(str, seeds))}"


def prior_art_section(results: RunResults | RunTable, note: str | None = None) -> str | None:
    """Prior art on the full-training protocol, published figures beside ours (NSL-KDD only)."""
    if not results.full_train:
        return None
    keys = [("accuracy", "Accuracy (5-class)"), ("macro_f1", "Macro F1"),
            ("binary_recall", "Binary DR"), ("binary_fpr", "Binary FPR")]  # fmt: skip
    header = ["Method", "Source", "Test set", *(t for _, t in keys)]
    rows = []
    aggregate = results.aggregate
    for test_set in results.test_sets:
        agg = aggregate[test_set]["all"]
        for m in results.methods:
            rows.append(
                [
                    m,
                    f"measured here ({_seeds_words(results.seeds)})",
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
    out += [markdown_table(header, rows), ""]
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


def update_report_sections(run_dir) -> Path:
    """Write (or rewrite) the sections of :data:`SECTION_KEYS` into a run's ``report.md``.

    Reads only ``config.json`` and ``metrics.csv``, so a committed run gets the
    new sections without re-training anything. Returns the report's path.
    """
    run_dir = Path(run_dir)
    results = read_run_table(run_dir)
    path = run_dir / "report.md"
    text = path.read_text() if path.is_file() else ""
    bodies = (conventions_section(results, REGENERATED_NOTE),
              prior_art_section(results, REGENERATED_NOTE))  # fmt: skip
    for key, body in zip(SECTION_KEYS, bodies, strict=True):
        text = replace_section(text, key, body)
    path.write_text(text)
    return path
