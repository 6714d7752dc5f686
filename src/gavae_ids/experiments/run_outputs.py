"""What a reproduction run writes besides its training: figures, novelty curve, files.

:func:`make_figures` draws the figures of the seed models and the aggregate,
:func:`novelty_outputs` the novelty curve, and :func:`write_outputs` saves
``metrics.json``, ``metrics.csv`` and ``report.md``. Used by
:func:`gavae_ids.experiments.reproduce.reproduce` and, for the figures over all seeds, by
:func:`gavae_ids.experiments.merge.merge_runs`.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from gavae_ids.evaluation.metrics import PAPER_COLUMNS, TABLE_METRICS
from gavae_ids.evaluation.report import VIEWS, write_report
from gavae_ids.evaluation.results import (
    RESULTS_FILE,
    Aggregate,
    NoveltyCurve,
    RunResults,
    metrics_rows,
    write_results,
)
from gavae_ids.experiments.protocol_notes import torch_threads


def figure_slug(test_set: str) -> str:
    """File-name form of a test set's name in ``figures/`` (``"KDDTest+"`` → ``"KDDTestplus"``)."""
    return test_set.replace("+", "plus").replace(" ", "_").replace("-", "_")


def best_baseline(aggregate: Aggregate, methods, test_set: str) -> str | None:
    """The method other than GAVAE-DNN with the best mean macro F1 on ``test_set``."""
    agg = aggregate[test_set]["all"]
    others = [m for m in methods if m != "GAVAE-DNN"]
    if not others:
        return None
    return max(others, key=lambda m: agg[m]["macro_f1"]["mean"])


def bars_figure(results: RunResults, test_set: str, out: Path) -> str:
    """Figs. 10/11 for ``test_set`` from ``results.aggregate``; its path relative to ``out``."""
    from gavae_ids.evaluation import figures as F

    agg = results.aggregate[test_set]["all"]
    keys = VIEWS["macro"]  # the report's Tables 6/7 columns, in order
    means = {m: {k: agg[m][k]["mean"] for k in keys} for m in results.methods}
    stds = {m: {k: agg[m][k]["std"] for k in keys} for m in results.methods}
    title = f"{results.dataset_title} — {test_set} (macro view, %)"
    p = F.plot_metric_bars(means, stds, keys, [PAPER_COLUMNS[m] for m in TABLE_METRICS],
                           out / "figures" / f"bars_{figure_slug(test_set)}.png",
                           title=title)  # fmt: skip
    return str(p.relative_to(out))


def make_figures(results: RunResults, first: dict, Xtr, ytr, out: Path, cfg) -> dict[str, str]:
    """Every figure of a fresh run; sets ``results.roc_methods``.

    ``first`` maps a method to its first-seed ``(model, evaluations)``. Returns the
    figure keys → paths relative to ``out``.
    """
    figs: dict[str, str] = {}
    for name in results.test_sets:
        figs.update(_test_set_figures(results, first, name, out))
    if "GAVAE-DNN" in first:
        figs.update(_gavae_figures(results, first["GAVAE-DNN"][0].sampler_, Xtr, ytr, out, cfg))
    return figs


def _test_set_figures(results: RunResults, first: dict, name: str, out: Path) -> dict[str, str]:
    """Figs. 10/11, the ROC curves of GAVAE-DNN and the best baseline, confusion matrices."""
    from gavae_ids.evaluation import figures as F

    title, slug = results.dataset_title, figure_slug(name)
    figs = {f"bars:{name}": bars_figure(results, name, out)}
    best = best_baseline(results.aggregate, results.methods, name)
    roc_methods = [m for m in ("GAVAE-DNN", best) if m in first]
    results.roc_methods[name] = roc_methods
    curves = {}
    for m in roc_methods:
        ev = first[m][1][name]["all"]
        curves[m] = {**{str(c): ev.roc.get(c) for c in results.classes},
                     "auc": {str(c): v for c, v in ev.auc["per_class"].items()}}  # fmt: skip
    if curves:
        p = F.plot_roc_curves(curves, out / "figures" / f"roc_{slug}.png",
                              title=f"{title} — {name}: one-vs-all ROC")  # fmt: skip
        figs[f"roc:{name}"] = str(p.relative_to(out))
    mats = {m: first[m][1][name]["all"].confusion_matrix for m in results.methods}
    p = F.plot_confusion_matrices(mats, results.classes,
                                  out / "figures" / f"confusion_{slug}.png",
                                  title=f"{title} — {name}")  # fmt: skip
    figs[f"confusion:{name}"] = str(p.relative_to(out))
    return figs


def _gavae_figures(results: RunResults, sampler, Xtr, ytr, out: Path, cfg) -> dict[str, str]:
    """Fig. 7 (with ``discriminator_history.csv``) and the UMAP of Figs. 8/9."""
    from gavae_ids.evaluation import figures as F

    title = results.dataset_title
    hist = sampler.discriminator_history()
    hist.to_csv(out / "discriminator_history.csv", index=False)
    p = F.plot_discriminator_accuracy(
        hist,
        out / "figures" / "fig7_discriminator.png",
        title=f"{title}: latent discriminator accuracy",
    )
    figs = {"fig7": str(p.relative_to(out))}
    syn_X, syn_y = [], []
    counts = pd.Series(ytr).value_counts()
    for c in counts.index[1:]:  # every class but the majority one
        s = sampler.sample(cfg.umap_per_class, c)
        syn_X.append(np.asarray(s))
        syn_y += [c] * len(s)
    threads = torch_threads()
    try:
        p = F.plot_umap(Xtr, ytr, np.vstack(syn_X) if syn_X else np.zeros((0, Xtr.shape[1])),
                        np.asarray(syn_y), out / "figures" / "umap_original_vs_generated.png",
                        title=f"{title}: UMAP of original and generated training samples",
                        max_per_class=cfg.umap_per_class)  # fmt: skip
    finally:
        # UMAP's numba/OpenMP layer resets torch's thread count (measured: 1 → 2), which
        # would change the numbers of any later training in this process.
        import torch

        torch.set_num_threads(threads)
    figs["umap"] = str(p.relative_to(out))
    return figs


def novelty_outputs(results: RunResults, curve: pd.DataFrame, out: Path) -> dict[str, str]:
    """Write ``novelty_curve.csv`` and the DR-on-unseen vs FPR figure; set ``results.novelty``.

    Returns the figure keys (``novelty:<test set>``) → paths relative to ``out``.
    """
    from gavae_ids.evaluation import figures as F

    curve = curve.sort_values(["seed", "test_set", "quantile"], kind="stable")
    curve.to_csv(out / "novelty_curve.csv", index=False)
    results.novelty = NoveltyCurve(fpr_budget=results.config.get("novelty_fpr_budget"),
                                   curve=curve.to_dict(orient="records"))  # fmt: skip
    figs = {}
    for name, part in curve.groupby("test_set", sort=False):
        if "dr_unseen" not in part or part["dr_unseen"].isna().all():
            continue
        p = F.plot_novelty_curve(
            part,
            out / "figures" / f"novelty_{figure_slug(name)}.png",
            title=f"{results.dataset_title} — {name}: GAVAE-DNN novelty flag",
        )
        figs[f"novelty:{name}"] = str(p.relative_to(out))
    return figs


def write_outputs(results: RunResults, out: Path) -> None:
    """``metrics.json`` (the results), ``metrics.csv`` (one row per seed × method × test set ×
    subset) and ``report.md`` (with ``results.figures``) into ``out``."""
    write_results(results, out / RESULTS_FILE)
    pd.DataFrame(metrics_rows(results.runs)).to_csv(out / "metrics.csv", index=False)
    if results.budgets:
        pd.DataFrame(results.budgets).to_csv(out / "budgets.csv", index=False)
    write_report(results, out)
