"""``--method auto``: pick a method by stratified k-fold CV on the training rows.

:func:`select_method` cross-validates each candidate
:class:`~gavae_ids.detection.pipeline.DetectionPipeline` (every step fitted on the fold's
training part only) on the **training data only** and returns an :class:`AutoSelection`:
the table and the winner with the reason. ``gavae-ids train --method auto`` then trains
the winner as ``--method <winner>`` would and puts the table into the model card.

Rules, in the order they apply:

* **Rows.** The comparison uses at most ``max_rows_per_class`` random rows of
  every class (stratified, seed ``random_state``); the winner's refit uses all
  training rows.
* **Criterion: the score at the decision rule ``train`` applies.** Each fold
  model's probabilities of its held-out rows are kept (out-of-fold). With a
  ``normal_label`` the rule ``train`` will store (default ``cap`` at a 1 %
  false-alarm budget, :func:`~gavae_ids.detection.decision.choose_rule`) is
  chosen on a candidate's pooled out-of-fold rows, and every fold is scored
  (scikit-learn scorer, default ``f1_macro``) on the predictions *after* that
  rule: a candidate whose argmax raises many false alarms is ranked at what it
  catches once its alerts are cut to the budget. The table shows its
  out-of-fold binary FPR (share of normal rows flagged as any attack) at argmax
  and after the rule, and the binary DR after the rule.
* **Order.** Candidates run cheapest first, by the static order
  :data:`COST_ORDER`. The tree models (:data:`CHEAP`) run all their folds.
* **Racing the expensive ones** (every candidate not in :data:`CHEAP`: the
  networks and the GAVAE methods), in the spirit of successive halving
  (scikit-learn's ``HalvingGridSearchCV``): once some candidate has finished,
  the *leader* (best mean so far), an expensive candidate is first fitted as a
  **pilot** on at most ``pilot_rows_per_class`` rows per class of fold 1's
  training part (its GAVAE's default ``n_iter="auto"`` budget follows those fewer
  rows; an explicit ``n_iter`` is cut to :data:`PILOT_ITER_FRACTION` of itself) and
  scored on fold
  1's held-out rows, beside the leader fitted
  on the same rows; if the pilot's score plus ``race_margin`` (default 0.02)
  is still below the leader's, the candidate is dropped (``dropped: pilot
  ...``). A survivor runs its full folds; after fold 1 it is compared with the
  leader's own fold 1 in the same way and dropped if it trails by more than the
  margin. A dropped candidate cannot win.
* **Time budget.** A candidate is started only while budget is left; a pilot's
  time, scaled linearly by rows and iterations, projects its full folds; after each
  full fold the total is projected as mean fold seconds × folds; a candidate
  projected to end past the budget is stopped and listed as ``skipped: over
  budget``. The first candidate always runs all its folds, so there is always a
  winner.
* **Fits side by side** (``n_jobs`` > 1, the default on several cores): the fits run in
  worker processes, a candidate's folds at once, and ahead of need those that depend on no
  other result (the cheap candidates' folds, the raced candidates' pilots); decisions are
  taken in the order above on the same numbers (:mod:`gavae_ids.detection._fold_pool`).
  A leader's pilot is its own pilot when it was raced (the same fit).
* **Winner.** The highest mean score among the candidates that finished;
  every candidate within :data:`TIE_TOLERANCE` (0.005) of it counts as tied,
  and the tie goes to the one with the lowest mean fit seconds.
* Unknown names are refused; a candidate whose optional package is missing, that
  cannot be bundled or that raises is listed as ``skipped: ...`` or ``failed: ...``.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field

import numpy as np

from gavae_ids._util.progress import progress_bar
from gavae_ids.classifiers import available_methods, check_bundleable, get_method
from gavae_ids.detection._auto_folds import (  # noqa: F401 - re-exported
    PILOT_ITER_FRACTION,
    _Race,
    _run_candidate,
    prefetch,
)
from gavae_ids.detection._fold_pool import FoldPool, available_cores
from gavae_ids.detection.decision import DEFAULT_MAX_FPR, RULES
from gavae_ids.detection.methods import stratified_rows
from gavae_ids.exceptions import DataError, ModelFileError

#: The candidates of ``--method auto`` (those installed).
DEFAULT_CANDIDATES = ("gavae-dnn", "dnn", "rf", "lgbm", "gavae-lgbm", "smote-lgbm")
#: Static cost order, cheapest first; names not listed run after these, in the given order.
COST_ORDER = ("lgbm", "rf", "smote-lgbm", "smote-rf", "dnn", "smote-dnn", "cnn",
              "gavae-lgbm", "gavae-rf", "gavae-dnn")  # fmt: skip
#: Candidates that always run all their folds; every other one is raced (pilot first).
CHEAP = ("lgbm", "rf", "smote-lgbm", "smote-rf")
#: Mean scores within this of the best are ties; the faster candidate wins.
TIE_TOLERANCE = 0.005
#: A raced candidate whose pilot (or fold-1) score plus this is below the leader's is dropped.
RACE_MARGIN = 0.02
#: Rows per class of fold 1's training part a raced candidate's pilot is fitted on (a GAVAE
#: with an explicit n_iter runs PILOT_ITER_FRACTION of it, a constant of the fold machinery,
#: re-exported; the default "auto" budget already follows the pilot's rows).
PILOT_ROWS_PER_CLASS = 1000
DEFAULT_FOLDS = 3
DEFAULT_MAX_ROWS_PER_CLASS = 5000


@dataclass
class AutoSelection:
    """The outcome of :func:`select_method`.

    Attributes
    ----------
    winner : str
        The chosen method.
    reason : str
        Why, in words (score, folds, runner-up; tie-break when it applied).
    scoring : str
        The scikit-learn scorer name.
    folds, seed : int
    rows : int
        Rows the comparison used (after the per-class cap).
    rows_total : int
        Training rows given (the winner's refit uses them all).
    max_rows_per_class : int or None
    time_budget : float or None
        Seconds; None: unlimited.
    seconds : float
        Wall time of the whole comparison.
    table : list of dict
        One row per candidate, in run order: ``candidate``, ``status`` (``ok``,
        ``dropped: ...``, ``skipped: ...``, ``failed: ...``), ``mean``, ``std``
        (over folds, ``ddof=1``), ``folds`` (per-fold scores after the rule),
        ``binary_dr``, ``binary_fpr`` (out-of-fold, after the rule),
        ``argmax_fpr`` (out-of-fold, argmax), ``threshold`` (the rule's; None:
        argmax), ``pilot`` (a raced candidate's pilot: ``rows``, ``score``,
        ``leader``, ``leader_score``, ``seconds``), ``fit_seconds`` (mean per
        full fold, where it ran), ``seconds`` (the wall time the comparison spent on it:
        its fits and scoring, or with ``n_jobs`` > 1 the wait for those not done ahead)
        and ``warnings`` (distinct warning messages raised while it ran, at most 3).
    decision, max_fpr, normal_label, race_margin, pilot_rows_per_class
        The rule the scores were taken at (``"argmax"`` without a normal label); racing.
    n_jobs : int or None
        Cores the fits shared (None: a selection made before ``n_jobs`` existed).
    """

    winner: str
    reason: str
    scoring: str
    folds: int
    seed: int
    rows: int
    rows_total: int
    max_rows_per_class: int | None
    time_budget: float | None
    seconds: float
    table: list[dict] = field(default_factory=list)
    tie_tolerance: float = TIE_TOLERANCE
    order: str = "static cost order (gavae_ids.detection.auto.COST_ORDER), cheapest first"
    decision: str = "argmax"
    max_fpr: float | None = None
    normal_label: str | None = None
    race_margin: float | None = None
    pilot_rows_per_class: int | None = None
    n_jobs: int | None = None

    def to_dict(self) -> dict:
        return asdict(self)

    def to_markdown(self) -> str:
        """The table and the choice, as Markdown (the model card's auto section)."""
        cap = (f"at most {self.max_rows_per_class:,} rows per class: "
               if self.max_rows_per_class else "")  # fmt: skip
        budget = "none" if self.time_budget is None else f"{self.time_budget:g} s"
        rule = "argmax"
        if self.decision != "argmax" and self.max_fpr is not None:
            rule = f"`{self.decision}` at a false-alarm budget of {self.max_fpr:g}"
        race = ""
        if self.race_margin is not None:
            race = (f" Networks and GAVAE methods are raced: a pilot on ≤ "
                    f"{self.pilot_rows_per_class:,} rows per class of fold 1, then fold 1, "
                    f"each beside the leader; more than {self.race_margin:g} behind it is "
                    "dropped.")  # fmt: skip
        cores = "" if self.n_jobs is None else f" on {self.n_jobs} core(s)"
        lines = [
            f"Chosen by `--method auto`: **{self.winner}** — {self.reason}.", "",
            f"Stratified {self.folds}-fold CV on the training rows only ({cap}{self.rows:,} of "
            f"{self.rows_total:,}; seed {self.seed}); scorer `{self.scoring}` on the "
            f"predictions after the decision rule ({rule}, chosen on each candidate's "
            f"out-of-fold rows); binary FPR = share of normal rows flagged as any attack, "
            f"out-of-fold; time budget {budget}; candidates run in {self.order}; ties "
            f"(within {self.tie_tolerance}) go to the faster.{race} {self.seconds:.0f} s in "
            f"all{cores}. The winner was then trained as `--method {self.winner}` would be "
            "(see *Trained on / measured on*).", "",
            f"| candidate | mean {self.scoring} | std | per fold | FPR argmax → rule | DR "
            "| fit s / fold | status |",
            "|---|---:|---:|---|---|---:|---:|---|",
        ]  # fmt: skip
        for r in self.table:
            lines.append(_markdown_row(r, bold=r["candidate"] == self.winner))
        return "\n".join(lines) + "\n"


def _markdown_row(r: dict, *, bold: bool) -> str:
    def _fmt(v, spec: str = ".4f") -> str:
        return "—" if v is None else format(v, spec)

    fold = ", ".join(f"{v:.4f}" for v in r["folds"]) or "—"
    fpr = "—" if r.get("binary_fpr") is None else (
        f"{_fmt(r.get('argmax_fpr'), '.2%')} → {r['binary_fpr']:.2%}")  # fmt: skip
    name = f"**{r['candidate']}**" if bold else r["candidate"]
    return (f"| {name} | {_fmt(r['mean'])} | {_fmt(r['std'])} | {fold} | {fpr} | "
            f"{_fmt(r.get('binary_dr'), '.2%')} | {_fmt(r['fit_seconds'], '.1f')} | "
            f"{r['status']} |")  # fmt: skip


def order_candidates(candidates) -> list[str]:
    """``candidates`` (names, any case, no duplicates) sorted by :data:`COST_ORDER`."""
    known = set(available_methods(include_unavailable=True))
    names = []
    for c in candidates:
        c = str(c).strip().lower()
        if not c or c in names:
            continue
        if c == "auto" or c not in known:
            raise DataError(f"unknown candidate method {c!r}; choose among "
                            f"{', '.join(sorted(known))}")  # fmt: skip
        names.append(c)
    if not names:
        raise DataError("--candidates names no method")
    rank = {m: i for i, m in enumerate(COST_ORDER)}
    return sorted(names, key=lambda m: (rank.get(m, len(rank)), names.index(m)))


def _unusable(method: str) -> str | None:
    """Why ``method`` cannot be a candidate here (None: it can)."""
    if method not in available_methods():
        try:
            get_method(method)
        except ImportError as e:
            return f"skipped: not installed ({e})"
        return "skipped: not installed"
    try:
        check_bundleable(get_method(method), method)
    except ModelFileError:
        return "skipped: cannot be bundled (pickle only)"
    return None


def check_scoring(scoring: str):
    """The scikit-learn scorer named ``scoring``; a clear error for an unknown name."""
    from sklearn.metrics import get_scorer, get_scorer_names

    try:
        return get_scorer(scoring)
    except (ValueError, KeyError):
        raise DataError(f"unknown --scoring {scoring!r}; use a scikit-learn scorer name such "
                        f"as f1_macro, balanced_accuracy, accuracy, f1_weighted "
                        f"({len(get_scorer_names())} exist)") from None  # fmt: skip


def select_method(X, y, *, candidates=DEFAULT_CANDIDATES, scoring: str = "f1_macro",
                  folds: int = DEFAULT_FOLDS, time_budget: float | None = None,
                  max_rows_per_class: int | None = DEFAULT_MAX_ROWS_PER_CLASS,
                  random_state: int = 0, categorical=None, numeric=None,
                  outlier_filter: bool = False, quick: bool = False, device=None,
                  normal_label: str | None = None, decision: str = "cap",
                  max_fpr: float | None = None, race_margin: float | None = RACE_MARGIN,
                  pilot_rows_per_class: int = PILOT_ROWS_PER_CLASS, n_jobs: int | None = None,
                  verbose: bool = True) -> AutoSelection:  # fmt: skip
    """Cross-validate each candidate on ``X``/``y`` (training rows only) and pick the best.

    Parameters
    ----------
    X : DataFrame
        Raw training rows (as :class:`~gavae_ids.detection.pipeline.DetectionPipeline` takes them).
    y : array-like of str
    candidates : iterable of str
        Registered method names; unavailable ones are listed as skipped.
    scoring : str, default="f1_macro"
        A scikit-learn scorer name; higher is better. It reads the predictions
        after the decision rule (``predict_proba`` scorers: the raw probabilities).
    folds : int, default=3
        Stratified folds (shuffled, seed ``random_state``).
    time_budget : float, optional
        Seconds for the whole comparison (see the module docstring for the rule).
    max_rows_per_class : int, optional
        Per-class cap on the rows compared (default 5,000); None: all rows.
    random_state : int, default=0
        Seeds the subsample, the folds, the pilots and every candidate.
    categorical, numeric, outlier_filter, quick, device
        As for :func:`~gavae_ids.detection.pipeline.build_pipeline`.
    normal_label : str, optional
        The benign class. Without it the scores are taken at argmax and no FPR is shown.
    decision : {"cap", "budget", "prior", "argmax"}, default="cap"
        The rule ``train`` will apply (``"prior"`` is ranked without its prior
        correction: a threshold only when ``max_fpr`` is given).
    max_fpr : float, optional
        Its false-alarm budget (default 0.01 for ``"cap"`` and ``"budget"``).
    race_margin : float or None, default=0.02
        The racing rule's margin; None: no racing (every candidate runs all folds).
    pilot_rows_per_class : int, default=1000
        Rows per class of fold 1's training part a pilot is fitted on.
    n_jobs : int, optional
        Cores to use (None or -1: all this process may use). With more than one, fits run
        side by side in worker processes: a candidate's folds, and ahead of need the cheap
        candidates' folds and the raced ones' pilots; the decisions are taken in the same
        order on the same results. Every fit runs on ``max(1, n_jobs // folds)`` threads,
        so ``n_jobs`` from 1 to ``2 * folds - 1`` give the same table
        (:mod:`gavae_ids.detection._fold_pool`).
    verbose : bool, default=True
        One progress bar over candidates × folds (the candidates' own bars stay off).

    Raises
    ------
    DataError
        Unknown candidate, scorer or rule, a class with fewer rows than ``folds``,
        or no candidate that finished.
    """
    t_start = time.perf_counter()
    names = order_candidates(candidates)
    scorer = check_scoring(scoring)
    _check_request(folds, time_budget, decision, race_margin, pilot_rows_per_class, n_jobs)
    rows_total = len(y)
    X, y, splits = _cv_rows(X, y, folds=folds, max_rows_per_class=max_rows_per_class,
                            random_state=random_state)  # fmt: skip
    classes = sorted(np.unique(y).tolist())
    if normal_label is not None and str(normal_label) not in classes:
        raise DataError(f"normal label {normal_label!r} is not a class; classes: "
                        f"{', '.join(classes)}")  # fmt: skip
    if decision in ("cap", "budget") and max_fpr is None:
        max_fpr = DEFAULT_MAX_FPR
    if normal_label is None or max_fpr is None:
        decision, max_fpr = "argmax", None
    tr0 = splits[0][0]
    pilot = tr0[stratified_rows(y[tr0], pilot_rows_per_class, random_state)]
    race = _Race(X, y, splits, scorer, classes, None if normal_label is None else str(normal_label),
                 decision, max_fpr, race_margin, pilot if len(pilot) < len(tr0) else None,
                 dict(categorical=categorical, numeric=numeric, outlier_filter=outlier_filter,
                      quick=quick, random_state=random_state, device=device),
                 t_start, time_budget)  # fmt: skip
    n_jobs = available_cores() if n_jobs in (None, -1) else int(n_jobs)
    table = []
    with FoldPool(n_jobs, folds) as pool, progress_bar("auto: CV", len(names) * folds,
                                                       verbose) as bar:  # fmt: skip
        race.pool, race.bar = pool, bar
        prefetch(race, [(n, _raced(n, race)) for n in names if _unusable(n) is None])
        for name in names:
            table.append(_compete(name, race, leader=_leader(table)))
    winner, reason = _pick(table, scoring, folds)
    return AutoSelection(winner=winner, reason=reason, scoring=scoring, folds=folds,
                         seed=random_state, rows=len(y), rows_total=rows_total,
                         max_rows_per_class=max_rows_per_class, time_budget=time_budget,
                         seconds=round(time.perf_counter() - t_start, 2), table=table,
                         decision=decision, max_fpr=max_fpr, normal_label=race.normal,
                         race_margin=race_margin,
                         pilot_rows_per_class=pilot_rows_per_class, n_jobs=n_jobs)  # fmt: skip


def _raced(name: str, race) -> bool:
    return race.margin is not None and name not in CHEAP


def _compete(name: str, race, *, leader) -> dict:
    """``name``'s table row: skipped when unusable or past the budget, else run."""
    row = {"candidate": name, "status": "ok", "mean": None, "std": None, "folds": [],
           "binary_dr": None, "binary_fpr": None, "argmax_fpr": None, "threshold": None,
           "pilot": None, "fit_seconds": None, "seconds": 0.0, "warnings": []}  # fmt: skip
    skip = _unusable(name)
    left = race.left()
    if skip is None and leader is not None and left is not None and left <= 0:
        skip = f"skipped: over budget (nothing left of {race.time_budget:g} s)"
    if skip is not None:
        row["status"] = skip
        race.bar.advance(len(race.splits))
        return row
    race.bar.update(status=name)
    _run_candidate(row, name, race, leader=leader, raced=_raced(name, race))
    return row


def _check_request(folds, time_budget, decision, race_margin, pilot_rows_per_class,
                   n_jobs) -> None:  # fmt: skip
    if n_jobs is not None and n_jobs != -1 and n_jobs < 1:
        raise DataError(f"n_jobs must be a positive number of cores or -1 (all), got {n_jobs}")
    if folds < 2:
        raise DataError(f"auto selection needs at least 2 folds, got {folds}")
    if time_budget is not None and time_budget <= 0:
        raise DataError(f"--time-budget must be positive, got {time_budget}")
    if decision not in RULES:
        raise DataError(f"unknown decision rule {decision!r}; choose one of {', '.join(RULES)}")
    if (race_margin is not None and race_margin < 0) or pilot_rows_per_class < folds:
        raise DataError(f"race_margin must be >= 0 (got {race_margin}) and pilot_rows_per_class"
                        f" >= {folds} folds (got {pilot_rows_per_class})")  # fmt: skip


def _cv_rows(X, y, *, folds: int, max_rows_per_class, random_state: int):
    """The rows compared (at most ``max_rows_per_class`` of each class) and their stratified
    folds: ``(X, y, splits)``; refused when a class has fewer rows than ``folds``."""
    from sklearn.model_selection import StratifiedKFold

    X = X.reset_index(drop=True)
    y = np.asarray(y).astype(str)
    if max_rows_per_class is not None:
        if max_rows_per_class < folds:
            raise DataError(f"--cv-max-rows-per-class must be at least the {folds} folds")
        keep = stratified_rows(y, max_rows_per_class, random_state)
        X, y = X.iloc[keep].reset_index(drop=True), y[keep]
    labels, counts = np.unique(y, return_counts=True)
    if counts.min() < folds:
        raise DataError(f"class {labels[counts.argmin()]!r} has {counts.min()} row(s), fewer "
                        f"than the {folds} folds of --method auto")  # fmt: skip
    splits = list(StratifiedKFold(folds, shuffle=True, random_state=random_state).split(X, y))
    return X, y, splits


def _leader(table) -> dict | None:
    """The finished candidate with the best mean so far (None: none finished)."""
    return max((r for r in table if r["status"] == "ok"), key=lambda r: r["mean"], default=None)


def _pick(table, scoring: str, folds: int) -> tuple[str, str]:
    ok = [r for r in table if r["status"] == "ok"]
    if not ok:
        why = "; ".join(f"{r['candidate']}: {r['status']}" for r in table)
        raise DataError(f"--method auto: no candidate finished ({why})")
    best = max(r["mean"] for r in ok)
    tied = [r for r in ok if r["mean"] >= best - TIE_TOLERANCE]
    win = min(tied, key=lambda r: (r["fit_seconds"], -r["mean"]))
    others = sorted((r for r in ok if r is not win), key=lambda r: -r["mean"])
    vs = ", ".join(f"{r['mean']:.4f} {r['candidate']}" for r in others[:3])
    vs = f" (vs {vs})" if vs else ""
    if win["mean"] == best:
        reason = f"highest mean {scoring} over {folds} folds: {win['mean']:.4f}{vs}"
        if len(tied) > 1:
            names = ", ".join(r["candidate"] for r in tied if r is not win)
            reason += (f"; {names} within the {TIE_TOLERANCE} tie tolerance, and "
                       f"{win['candidate']} is the fastest to fit")  # fmt: skip
    else:
        top = max(ok, key=lambda r: r["mean"])
        reason = (f"mean {scoring} over {folds} folds {win['mean']:.4f}{vs}, within the "
                  f"{TIE_TOLERANCE} tie tolerance of the highest ({top['candidate']}), and "
                  f"faster to fit ({win['fit_seconds']:.1f} s vs {top['fit_seconds']:.1f} s per "
                  "fold)")  # fmt: skip
    if others:
        reason += _fold_by_fold(win, others[0])
    n_skip = len(table) - len(ok)
    if n_skip:
        reason += f"; {n_skip} candidate(s) skipped or failed (see the table)"
    return win["candidate"], reason


def _fold_by_fold(win: dict, other: dict) -> str:
    """How ``win`` fared against ``other`` (the best of the rest) on the same folds, and
    whether the folds resolve the difference ("" without per-fold scores for both).

    Unresolved: ``other`` scored as high or higher on some fold, or the mean difference is
    smaller than its spread over the folds. Then another seed or draw may well choose ``other``.
    """
    a, b = win.get("folds") or [], other.get("folds") or []
    if len(a) != len(b) or len(a) < 2:
        return ""
    d = np.subtract(a, b)
    ahead, mean, std = int((d > 0).sum()), float(d.mean()), float(d.std(ddof=1))
    text = (f"; against {other['candidate']} fold by fold: ahead on {ahead} of {len(d)}, by "
            f"{mean:+.4f} ± {std:.4f} (mean ± std)")  # fmt: skip
    if ahead < len(d) or abs(mean) < std:
        text += ", a difference these folds do not resolve"
    return text
