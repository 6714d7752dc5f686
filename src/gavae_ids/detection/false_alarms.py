"""The false-alarm side of the model card: the DR-FPR curve, simple reference models, a warning.

Three things the card of :mod:`gavae_ids.detection.model_card` shows about false
alarms, all measured on the card's validation rows (the holdout, or the pooled
out-of-fold predictions with ``--cv``); binary view: attack = any class but the
normal one, **DR** = share of attack rows flagged, **FPR** = share of normal rows
flagged.

* :func:`dr_fpr_curve` — DR against FPR as the threshold on the attack score
  1 − P(normal) sweeps (after the decision rule's prior re-weighting when it has
  one), with the rule's own operating point; :func:`save_curve_png` draws it
  (``dr_fpr.png`` in the bundle; the points stay in the card's JSON).
* :func:`simple_reference` — the FPR of a cheap model fitted on the same rows,
  at argmax (:func:`simple_models`); with ``--method auto`` the out-of-fold
  FPRs of its cheap candidates are reused instead when its table records them.
* :func:`fpr_warning` — one line when the validation FPR exceeds both
  :data:`FPR_WARN` (5 %) and :data:`FPR_RATIO` (2) times the best simple model's.
"""

from __future__ import annotations

import time

import numpy as np

#: The figure file of the bundle.
FIGURE = "dr_fpr.png"
#: At most this many points of the curve are kept in the card's JSON.
CURVE_POINTS = 300
#: The card warns when the validation FPR exceeds this share …
FPR_WARN = 0.05
#: … and this many times the best simple model's FPR.
FPR_RATIO = 2.0
#: Start of :func:`fpr_warning`'s line (so a card can replace its own warning).
WARNING_START = "many false alarms"
#: ``--method auto`` candidates whose out-of-fold FPR counts as a simple model's.
AUTO_SIMPLE = ("rf", "lgbm")


def simple_models(random_state: int = 0) -> dict:
    """The simple reference model, unfitted: a random forest of 20 depth-12 trees on
    half-size bootstraps. Measured against a logistic regression, depth-8 and depth-12
    trees and a 30-tree forest (benchmarks/card_reference.py, NSL-KDD-20 % and the
    UNSW-NB15 training part): the lowest validation FPR of them all but the 30-tree
    forest's, at about the cost of one deep tree; the logistic regression took 1-3
    minutes."""
    from sklearn.ensemble import RandomForestClassifier

    return {
        "random forest (20 trees, depth 12)": RandomForestClassifier(
            20, max_depth=12, max_samples=0.5, n_jobs=1, random_state=random_state),
    }  # fmt: skip


def _binary(y, attack, normal_label) -> tuple[float | None, float | None]:
    """``(DR, FPR)`` of the attack flags ``attack`` against the true classes ``y``."""
    normal = np.asarray(y).astype(str) == str(normal_label)
    attack = np.asarray(attack, dtype=bool)
    dr = float(attack[~normal].mean()) if (~normal).any() else None
    fpr = float(attack[normal].mean()) if normal.any() else None
    return dr, fpr


def simple_reference(pipeline, X, y, splits, normal_label: str, *, random_state: int = 0,
                     selection: dict | None = None) -> dict:  # fmt: skip
    """The card's ``simple`` section: each simple model's validation FPR at argmax.

    Parameters
    ----------
    pipeline : DetectionPipeline
        The detector's (unfitted) pipeline; each simple model replaces its
        classifier, so the preprocessing (and outlier filter) is the same.
    X, y
        All training rows.
    splits : list of (fit rows, validation rows)
        One pair for a holdout, the folds for ``--cv`` (pooled out-of-fold).
    selection : dict, optional
        The ``--method auto`` table: its :data:`AUTO_SIMPLE` candidates' out-of-fold
        ``binary_fpr``, when recorded, are used and nothing is fitted here.
    """
    from sklearn.base import clone

    reused = _from_auto(selection)
    if reused:
        models = reused
    else:
        y = np.asarray(y).astype(str)
        models = []
        for name, clf in simple_models(random_state).items():
            t0 = time.perf_counter()
            attack = np.zeros(len(y), dtype=bool)
            rows = np.concatenate([te for _, te in splits])
            for tr, te in splits:
                fit = clone(pipeline).set_params(classifier=clf).fit(X.iloc[tr], y[tr])
                attack[te] = np.asarray(fit.predict(X.iloc[te])).astype(str) != normal_label
            dr, fpr = _binary(y[rows], attack[rows], normal_label)
            models.append({"name": name, "binary_dr": dr, "binary_fpr": fpr,
                           "seconds": round(time.perf_counter() - t0, 2),
                           "measured_on": "the card's validation rows, at argmax"})  # fmt: skip
    known = [m for m in models if m["binary_fpr"] is not None]
    best = min(known, key=lambda m: m["binary_fpr"]) if known else None
    return {"models": models, "best": None if best is None else best["name"],
            "best_fpr": None if best is None else best["binary_fpr"]}  # fmt: skip


def _from_auto(selection: dict | None) -> list[dict]:
    """The ``--method auto`` table's simple candidates with a recorded out-of-fold FPR: at
    argmax (``argmax_fpr``) when the table has it, else after the rule (``binary_fpr``)."""
    out = []
    for r in (selection or {}).get("table", []):
        if r.get("candidate") not in AUTO_SIMPLE or r.get("status") != "ok":
            continue
        at_argmax = r.get("argmax_fpr") is not None
        fpr = r.get("argmax_fpr") if at_argmax else r.get("binary_fpr")
        if fpr is None:
            continue
        out.append({"name": f"{r['candidate']} (--method auto candidate)",
                    "binary_dr": None if at_argmax else r.get("binary_dr"),
                    "binary_fpr": float(fpr), "seconds": r.get("seconds"),
                    "measured_on": f"out-of-fold rows of --method auto's "
                                   f"{selection.get('folds')}-fold CV, "
                                   + ("at argmax" if at_argmax else "after the rule")})  # fmt: skip
    return out


def fpr_warning(fpr: float | None, best_fpr: float | None, best: str | None, on: str) -> str | None:
    """One line when ``fpr`` exceeds both :data:`FPR_WARN` and :data:`FPR_RATIO` × ``best_fpr``."""
    if fpr is None or best_fpr is None or not fpr > FPR_WARN or not fpr > FPR_RATIO * best_fpr:
        return None
    return (f"{WARNING_START}: the model flags {fpr:.2%} of the normal {on} rows, more than "
            f"{FPR_WARN:.0%} and more than {FPR_RATIO:g}x the {best_fpr:.2%} of the best simple "
            f"model ({best}); set a tighter false-alarm budget (--max-fpr) or use a simpler "
            "method")  # fmt: skip


def dr_fpr_curve(proba, y, classes, normal_label: str, rule=None) -> dict | None:
    """DR vs FPR as the threshold on 1 − P(normal) sweeps, and the rule's operating point.

    Parameters
    ----------
    proba : array of shape (n_rows, n_classes)
        The classifier's (uncorrected) validation probabilities.
    y : array-like of str
        Their true classes.
    rule : DecisionRule, optional
        The detector's rule: its prior correction applies before the sweep, and
        its decision gives the ``chosen`` point. None: argmax.

    Returns
    -------
    dict or None
        ``fpr``, ``dr``, ``threshold`` (at most :data:`CURVE_POINTS` points, FPR
        rising; the threshold of the first is None: nothing flagged),
        ``chosen`` (``fpr``, ``dr``, ``threshold`` or None for argmax, ``label``),
        ``max_fpr`` (the rule's budget or None), ``normal_rows``, ``attack_rows``,
        ``score``. None when the rows lack normal or attack rows.
    """
    from sklearn.metrics import roc_curve

    classes = [str(c) for c in classes]
    k = classes.index(str(normal_label))
    p = np.asarray(proba, dtype=np.float64) if rule is None else rule.proba(proba)
    y = np.asarray(y).astype(str)
    is_attack = y != str(normal_label)
    if is_attack.all() or not is_attack.any():
        return None
    score = 1.0 - p[:, k]
    fpr, dr, thr = roc_curve(is_attack, score)
    keep = np.unique(np.round(np.linspace(0, len(fpr) - 1, min(len(fpr), CURVE_POINTS))))
    keep = keep.astype(int)
    if rule is not None and rule.threshold is not None:
        t = rule.threshold
        flag = score >= t
        label = f"rule: 1 - P({normal_label}) >= {t:.4g}"
    else:
        t = None
        flag = p.argmax(axis=1) != k
        label = "argmax" + ("" if rule is None or rule.prior_weights is None
                            else " after prior re-weighting")  # fmt: skip
        if rule is not None and rule.max_fpr is not None:
            label += " (within the budget)"
    c_dr, c_fpr = _binary(y, flag, normal_label)
    return {
        "fpr": [float(v) for v in fpr[keep]], "dr": [float(v) for v in dr[keep]],
        "threshold": [None if not np.isfinite(v) else float(min(v, 1.0)) for v in thr[keep]],
        "chosen": {"fpr": c_fpr, "dr": c_dr, "threshold": t, "label": label},
        "max_fpr": None if rule is None else rule.max_fpr,
        "normal_rows": int((~is_attack).sum()), "attack_rows": int(is_attack.sum()),
        "score": "1 - P(normal)" + ("" if rule is None or rule.prior_weights is None
                                    else ", after prior re-weighting"),
    }  # fmt: skip


def save_curve_png(curve: dict, path, title: str = "") -> None:
    """Draw ``curve`` (:func:`dr_fpr_curve`) to the PNG ``path``: log-x FPR, the chosen
    point marked and labelled, the false-alarm budget as a dashed line."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fpr, dr = np.asarray(curve["fpr"], float), np.asarray(curve["dr"], float)
    floor = 0.5 / max(curve["normal_rows"], 1)  # FPR 0 cannot sit on a log axis
    fig = Figure(figsize=(6.4, 4.4), dpi=100)
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    ax.plot(np.maximum(fpr, floor), dr, color="C0", lw=1.6,
            label=f"threshold on {curve['score']}")  # fmt: skip
    c = curve["chosen"]
    if c["fpr"] is not None and c["dr"] is not None:
        ax.plot([max(c["fpr"], floor)], [c["dr"]], "o", color="C3", ms=8, zorder=3,
                label=f"chosen: {c['label']}")  # fmt: skip
        ax.annotate(f"FPR {c['fpr']:.2%}, DR {c['dr']:.2%}", (max(c["fpr"], floor), c["dr"]),
                    textcoords="offset points", xytext=(8, -16), color="C3")  # fmt: skip
    if curve.get("max_fpr"):
        ax.axvline(curve["max_fpr"], color="0.4", ls="--", lw=1,
                   label=f"false-alarm budget {curve['max_fpr']:g}")  # fmt: skip
    ax.set_xscale("log")
    ax.set_xlim(floor * 0.8, 1.05)
    ax.set_ylim(-0.02, 1.02)
    ax.set_xlabel(f"binary FPR: share of the {curve['normal_rows']:,} normal rows flagged "
                  f"(log; 0 drawn at {floor:.1g})")  # fmt: skip
    ax.set_ylabel(f"binary DR: share of the {curve['attack_rows']:,} attack rows flagged")
    ax.set_title(title or "Detection rate vs false-alarm rate on the validation rows",
                 fontsize=10)  # fmt: skip
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(loc="lower right", fontsize=8)
    fig.tight_layout()
    fig.savefig(path, format="png", metadata={"Software": None})
