"""Figures of the reproduction report (matplotlib, Agg backend; no torch here).

Each function draws one figure from plain arrays or frames and writes a PNG.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

log = logging.getLogger(__name__)

_DPI = 110


def _save(fig, path) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=_DPI, bbox_inches="tight")
    plt.close(fig)
    return path


def _colors(n: int):
    cmap = plt.get_cmap("tab10" if n <= 10 else "tab20")
    return [cmap(i % cmap.N) for i in range(n)]


def plot_discriminator_accuracy(history: pd.DataFrame, path, *, title: str, window: int = 25):
    """Fig. 7: the latent discriminator's accuracy against iteration, one panel per class.

    ``history`` has columns ``iteration``, ``class`` and ``accuracy``; curves are
    smoothed with a centred moving average over ``window`` iterations (raw values faint),
    i.e. over fewer points where the accuracy was recorded every few iterations.
    """
    step = np.median(np.diff(np.unique(history["iteration"]))) if len(history) > 1 else 1
    window = max(1, int(round(window / max(step, 1))))
    classes = list(dict.fromkeys(history["class"]))
    n = len(classes)
    cols = min(n, 3)
    rows = int(np.ceil(n / cols))
    fig, axes = plt.subplots(rows, cols, figsize=(4.2 * cols, 2.9 * rows), squeeze=False)
    for ax, cls in zip(axes.flat, classes, strict=False):
        h = history[history["class"] == cls].sort_values("iteration")
        ax.plot(h["iteration"], h["accuracy"], color="0.8", lw=0.6)
        smooth = h["accuracy"].rolling(window, center=True, min_periods=1).mean()
        ax.plot(h["iteration"], smooth, color="C0", lw=1.5)
        ax.axhline(0.5, color="C3", ls="--", lw=0.8)
        ax.set_ylim(-0.02, 1.02)
        ax.set_title(str(cls))
        ax.set_xlabel("iteration")
        ax.set_ylabel("D accuracy")
    for ax in list(axes.flat)[n:]:
        ax.axis("off")
    fig.suptitle(title)
    fig.tight_layout(rect=(0, 0, 1, 0.97))  # room for the suptitle
    return _save(fig, path)


def plot_umap(
    real: np.ndarray,
    real_y: np.ndarray,
    synthetic: np.ndarray,
    synthetic_y: np.ndarray,
    path,
    *,
    title: str,
    max_per_class: int = 600,
    random_state: int = 0,
):
    """Figs. 8/9: 2-D UMAP of original and generated training samples, coloured by class.

    Real samples are dots, synthetic ones crosses. At most ``max_per_class`` of each
    (class, origin) pair are embedded, so the figure stays legible and fast.
    """
    import umap

    rng = np.random.RandomState(random_state)

    def pick(y):
        idx = []
        for c in np.unique(y):
            rows = np.flatnonzero(y == c)
            idx.append(rng.choice(rows, size=min(max_per_class, len(rows)), replace=False))
        return np.concatenate(idx) if idx else np.zeros(0, dtype=int)

    ri = pick(np.asarray(real_y))
    si = pick(np.asarray(synthetic_y)) if len(synthetic_y) else np.zeros(0, dtype=int)
    data = np.vstack([real[ri], synthetic[si]]) if len(si) else real[ri]
    labels = np.concatenate([np.asarray(real_y)[ri], np.asarray(synthetic_y)[si]])
    origin = np.r_[np.zeros(len(ri), bool), np.ones(len(si), bool)]
    emb = umap.UMAP(n_components=2, random_state=random_state, n_jobs=1).fit_transform(data)
    classes = list(dict.fromkeys(np.asarray(real_y)[ri]))
    fig, ax = plt.subplots(figsize=(7.5, 6))
    for c, color in zip(classes, _colors(len(classes)), strict=True):
        m = labels == c
        ax.scatter(*emb[m & ~origin].T, s=6, color=color, alpha=0.6, marker="o",
                   label=f"{c} (real)")  # fmt: skip
        if (m & origin).any():
            ax.scatter(*emb[m & origin].T, s=10, color=color, alpha=0.8, marker="x", lw=0.7,
                       label=f"{c} (generated)")  # fmt: skip
    ax.set_title(title)
    ax.set_xticks([])
    ax.set_yticks([])
    ax.legend(markerscale=2, fontsize=7, loc="center left", bbox_to_anchor=(1, 0.5))
    return _save(fig, path)


def plot_metric_bars(
    means: Mapping[str, Mapping[str, float]],
    stds: Mapping[str, Mapping[str, float]],
    metrics: Sequence[str],
    metric_labels: Sequence[str],
    path,
    *,
    title: str,
):
    """Figs. 10/11: grouped bars, one group per metric, one bar per method (percent)."""
    methods = list(means)
    x = np.arange(len(metrics))
    width = 0.8 / max(len(methods), 1)
    fig, ax = plt.subplots(figsize=(max(7, 1.3 * len(metrics) * len(methods) / 3), 4.2))
    for i, (m, color) in enumerate(zip(methods, _colors(len(methods)), strict=True)):
        vals = np.array([means[m].get(k, np.nan) for k in metrics], float) * 100
        errs = np.array([stds[m].get(k, np.nan) for k in metrics], float) * 100
        errs = np.where(np.isfinite(errs), errs, 0)
        ax.bar(x + (i - (len(methods) - 1) / 2) * width, vals, width, yerr=errs, label=m,
               color=color, capsize=2)  # fmt: skip
    ax.set_xticks(x, metric_labels)
    ax.set_ylabel("%")
    ax.set_ylim(0, 105)
    ax.set_title(title)
    ax.legend(fontsize=8, ncol=min(len(methods), 5), loc="upper center",
              bbox_to_anchor=(0.5, -0.1))  # fmt: skip
    return _save(fig, path)


def plot_roc_curves(curves: Mapping[str, Mapping], path, *, title: str):
    """One-vs-all ROC per class; ``curves`` maps method → {class: {"fpr","tpr"} or None, ...}
    plus ``"auc"``: {class: value}."""
    methods = list(curves)
    fig, axes = plt.subplots(1, len(methods), figsize=(5 * len(methods), 4.4), squeeze=False)
    for ax, m in zip(axes.flat, methods, strict=True):
        aucs = curves[m].get("auc", {})
        classes = [c for c in curves[m] if c not in ("auc", "binary")]
        for c, color in zip(classes, _colors(len(classes)), strict=True):
            cur = curves[m][c]
            if cur is None:
                continue
            a = aucs.get(c)
            lab = f"{c} (AUC {a:.3f})" if a is not None and np.isfinite(a) else str(c)
            ax.plot(cur["fpr"], cur["tpr"], color=color, lw=1.2, label=lab)
        ax.plot([0, 1], [0, 1], color="0.6", ls="--", lw=0.8)
        ax.set_xlabel("false positive rate")
        ax.set_ylabel("true positive rate (DR)")
        ax.set_title(m)
        ax.legend(fontsize=7, loc="lower right")
    fig.suptitle(title)
    fig.tight_layout(rect=(0, 0, 1, 0.97))  # room for the suptitle
    return _save(fig, path)


def plot_confusion_matrices(matrices: Mapping[str, np.ndarray], labels: Sequence[str], path, *,
                            title: str):  # fmt: skip
    """Row-normalised confusion matrices (true rows, predicted columns), one panel per method."""
    methods = list(matrices)
    cols = min(len(methods), 3)
    rows = int(np.ceil(len(methods) / cols))
    k = len(labels)
    size = 0.45 * k + 1.6
    fig, axes = plt.subplots(rows, cols, figsize=(size * cols, size * rows), squeeze=False)
    for ax, m in zip(axes.flat, methods, strict=False):
        cm = np.asarray(matrices[m], dtype=float)
        norm = cm / np.maximum(cm.sum(axis=1, keepdims=True), 1)
        ax.imshow(norm, cmap="Blues", vmin=0, vmax=1)
        for i in range(k):
            for j in range(k):
                ax.text(j, i, f"{int(cm[i, j])}", ha="center", va="center", fontsize=6,
                        color="white" if norm[i, j] > 0.5 else "black")  # fmt: skip
        ax.set_xticks(range(k), labels, rotation=60, fontsize=7)
        ax.set_yticks(range(k), labels, fontsize=7)
        ax.set_title(m, fontsize=9)
        ax.set_xlabel("predicted", fontsize=8)
        ax.set_ylabel("true", fontsize=8)
    for ax in list(axes.flat)[len(methods) :]:
        ax.axis("off")
    fig.suptitle(title)
    fig.tight_layout(rect=(0, 0, 1, 0.97))  # room for the suptitle
    return _save(fig, path)


def plot_novelty_curve(curve: pd.DataFrame, path, *, title: str):
    """Detection rate against false positive rate of the novelty flag, over its quantiles.

    ``curve`` holds one row per seed × quantile of one test set with columns
    ``quantile``, ``fpr``, ``dr_unseen``, ``dr_seen`` (optional), ``base_fpr``,
    ``base_dr_unseen``, ``base_dr_seen`` (optional) and ``chosen``; points are
    means over seeds, the plain classifier (no flag) a separate marker, and the
    quantile chosen on training data is circled for each seed.
    """
    mean = curve.groupby("quantile", sort=True).mean(numeric_only=True)
    fig, ax = plt.subplots(figsize=(6.2, 4.4))
    for col, base, label, color in (
        ("dr_unseen", "base_dr_unseen", "unseen attack types", "C3"),
        ("dr_seen", "base_dr_seen", "seen attack types", "C0"),
    ):
        if col not in mean or mean[col].isna().all():
            continue
        ax.plot(
            100 * mean["fpr"],
            100 * mean[col],
            "-o",
            ms=3,
            color=color,
            label=f"DR on {label}, with novelty",
        )
        ax.plot(
            100 * mean["base_fpr"].iloc[0],
            100 * mean[base].iloc[0],
            "s",
            ms=8,
            color=color,
            mfc="white",
            label=f"DR on {label}, classifier alone",
        )
        chosen = curve[curve["chosen"].astype(bool)]
        ax.plot(
            100 * chosen["fpr"],
            100 * chosen[col],
            "o",
            ms=11,
            mfc="none",
            color="k",
            label="quantile chosen on training data" if color == "C3" else None,
        )
    for q, r in mean.iterrows():
        if q in (0.5, 0.8, 0.9, 0.95, 0.99, 1.0) and "dr_unseen" in r:
            ax.annotate(
                f"q={q:g}",
                (100 * r["fpr"], 100 * r["dr_unseen"]),
                fontsize=7,
                xytext=(3, -9),
                textcoords="offset points",
            )
    ax.set_xlabel("binary FPR on normal test rows, %")
    ax.set_ylabel("binary detection rate, %")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7, loc="lower right")
    ax.set_title(title, fontsize=9)
    return _save(fig, path)
