"""Methods at equal false-alarm budgets: test figures of a validation-chosen rule, and tables.

A method's argmax lands on whatever false-alarm rate (FPR) its training data gives it;
balanced training moves it along its detection–false-alarm curve. To compare methods at
the same point, a threshold on 1 − P(normal) is chosen on *validation* rows (a split of
the training data) for each budget of :data:`BUDGETS`, and the test rows are scored once
under it. This module holds the figures and the tables (no torch, no fitting); fitting
and choosing are :mod:`gavae_ids.experiments.budget_runs`.

Definitions: binary DR = share of attack test rows flagged (attack = any class but the
normal one); binary FPR = share of normal test rows flagged; macro-F1 over the classes
present in the test set, alerts labelled with their most probable attack class.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd
from sklearn.metrics import f1_score

from gavae_ids.evaluation.markdown import fmt_pct, markdown_table
from gavae_ids.evaluation.support import fpr_by_support

__all__ = ["BUDGETS", "budget_figures", "budget_markdown", "budget_tables", "pct_over_seeds"]

#: The false-alarm budgets every method is compared at (share of normal validation rows).
BUDGETS = (0.01, 0.05)


def budget_figures(y, labels, attack, normal_label: str, inside=None) -> dict:
    """Test macro-F1, binary DR and FPR of predicted ``labels`` / ``attack`` flags.

    ``inside`` (one flag per *normal* test row, e.g. from
    :func:`~gavae_ids.evaluation.support.support_split`) adds the FPR inside and outside
    the training data.
    """
    y = np.asarray(y).astype(str)
    labels = np.asarray(labels).astype(str)
    attack = np.asarray(attack, dtype=bool)
    normal = y == str(normal_label)
    nan = float("nan")
    out = {
        "test_macro_f1": float(f1_score(y, labels, labels=sorted(set(y)), average="macro",
                                        zero_division=0)),  # fmt: skip
        "test_dr": float(attack[~normal].mean()) if (~normal).any() else nan,
        "test_fpr": float(attack[normal].mean()) if normal.any() else nan,
    }
    if inside is not None:
        out.update(fpr_by_support(attack[normal], inside))
    return out


def pct_over_seeds(values) -> str:
    """Mean ± sample std over seeds, in % (the mean alone for one seed)."""
    v = np.asarray(values, dtype=float)
    std = float(np.nanstd(v, ddof=1)) if len(v) > 1 else float("nan")
    return fmt_pct({"mean": float(np.nanmean(v)), "std": std})


def budget_tables(rows: pd.DataFrame | Iterable[dict]) -> str:
    """Markdown: per test set, every method at every budget (mean ± std over seeds, in %):
    test macro-F1, binary DR, the test FPR reached, and, where measured, the FPR inside /
    outside the training data. ``rows`` are budget rows (columns ``test``, ``method``,
    ``seed``, ``rule`` = ``"budget F"``, ``test_macro_f1``, ``test_dr``, ``test_fpr``,
    optionally ``val_fpr``, ``fpr_inside``, ``fpr_outside``); other rules are ignored."""
    df = pd.DataFrame(list(rows)) if not isinstance(rows, pd.DataFrame) else rows
    if df.empty or "rule" not in df:
        return ""
    df = df[df["rule"].astype(str).str.startswith("budget ")]
    parts = []
    for test, block in df.groupby("test", sort=False):
        side = "fpr_inside" in block and block["fpr_inside"].notna().any()
        header = ["method", "budget", "seeds", "macro-F1", "DR", "test FPR",
                  *(["FPR inside", "FPR outside"] if side else [])]  # fmt: skip
        body = []
        for (method, rule), g in block.groupby(["method", "rule"], sort=False):
            cols = ["test_macro_f1", "test_dr", "test_fpr",
                    *(["fpr_inside", "fpr_outside"] if side else [])]  # fmt: skip
            row = [method, f"{100 * float(rule.split()[-1]):g} %", str(g["seed"].nunique()),
                   *(pct_over_seeds(g[c]) for c in cols)]  # fmt: skip
            body.append(row)
        parts.append(f"**{test}**\n\n" + markdown_table(header, body))
    return "\n\n".join(parts) + "\n" if parts else ""


def budget_markdown(rows, *, shift: bool, level: int = 2) -> str:
    """The report section: protocol, definitions and :func:`budget_tables`; ``shift`` says
    whether the test sets differ from the training data (NSL-KDD) or are iid (UNSW-NB15)."""
    tables = budget_tables(rows)
    if not tables:
        return ""
    hold = ("The test sets are shifted from the training data (new attack types and normal "
            "traffic outside its support), so a budget chosen on validation rows need not "
            "hold on them: the FPR is split between normal test rows inside and outside the "
            "training data (nearest training row within the 95th percentile of the training "
            "rows' own nearest-neighbour distances)." if shift else
            "Validation and test rows are drawn alike (iid), so a budget chosen on "
            "validation rows should hold on the test rows.")  # fmt: skip
    return "\n".join([
        f"{'#' * level} Methods at equal false-alarm budgets",
        "",
        "Each method is fitted again on a stratified 80 % of the training rows (seed = the "
        "run's seed); on the other 20 % (validation rows, never test rows) the lowest "
        "threshold on 1 − P(normal) that flags at most the budget's share of normal rows "
        "is chosen, and the test rows are scored once under it (alerts take their most "
        "probable attack class). " + hold + " DR = share of attack rows flagged, FPR = "
        "share of normal rows flagged (attack = any class but the normal one); macro-F1 "
        "over the classes present in the test set; % as mean ± std over seeds.",
        "",
        tables,
    ])  # fmt: skip
