"""``--method auto``: pick a method by stratified k-fold CV on the training rows.

:func:`select_method` cross-validates each candidate
:class:`~gavae_ids.detection.pipeline.DetectionPipeline` (MAD filter → one-hot + min-max →
classifier with its sampler, every step fitted on the fold's training part
only) on the **training data only**, scores every fold with a scikit-learn
scorer (default ``f1_macro``) and returns an :class:`AutoSelection`: the table
(mean ± std and per-fold scores, fit seconds, status) and the winner with the
reason. ``gavae-ids train --method auto`` then trains the winner exactly as
``--method <winner>`` would and puts the table into the model card.

Rules, in the order they apply:

* **Rows.** The comparison uses at most ``max_rows_per_class`` random rows of
  every class (stratified, seed ``random_state``); the winner's refit uses all
  training rows.
* **Order and time budget.** Candidates run cheapest first, by the static
  order :data:`COST_ORDER` (typical fit time on the project's datasets: trees
  before networks, samplers last). There is no pilot fit: a candidate's own
  first fold is its pilot. A candidate is started only while budget is left;
  after each of its folds its total is projected as mean fold seconds × folds,
  and if that would end past the budget it is stopped and listed as
  ``skipped: over budget``. The first candidate always runs all its folds, so
  there is always a winner; the budget can therefore be overrun by at most one
  fold of a later candidate (or by the first candidate).
* **Winner.** The highest mean score over the folds among the candidates that
  finished; every candidate within :data:`TIE_TOLERANCE` (0.005) of it counts
  as tied, and the tie goes to the one with the lowest mean fit seconds.
* Unknown names are refused; a candidate whose optional package is missing
  is listed as ``skipped: not installed``, one that cannot be bundled as
  ``skipped: cannot be bundled``, and one that raises as ``failed: <reason>``.
"""

from __future__ import annotations

import time
import warnings
from dataclasses import asdict, dataclass, field

import numpy as np

from gavae_ids._util.progress import progress_bar
from gavae_ids.classifiers import available_methods, check_bundleable, get_method
from gavae_ids.detection.methods import stratified_rows
from gavae_ids.detection.pipeline import build_pipeline
from gavae_ids.exceptions import DataError, ModelFileError

#: The candidates of ``--method auto`` (those installed).
DEFAULT_CANDIDATES = ("gavae-dnn", "dnn", "rf", "lgbm", "gavae-lgbm", "smote-lgbm")
#: Static cost order, cheapest first; names not listed run after these, in the given order.
COST_ORDER = ("lgbm", "rf", "smote-lgbm", "smote-rf", "dnn", "smote-dnn", "cnn",
              "gavae-lgbm", "gavae-rf", "gavae-dnn")  # fmt: skip
#: Mean scores within this of the best are ties; the faster candidate wins.
TIE_TOLERANCE = 0.005
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
        ``skipped: ...``, ``failed: ...``), ``mean``, ``std`` (over folds,
        ``ddof=1``), ``folds`` (per-fold scores), ``fit_seconds`` (mean per
        fold), ``seconds`` (all its folds, fitting and scoring) and ``warnings``
        (distinct warning messages raised while it ran, at most 3).
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

    def to_dict(self) -> dict:
        return asdict(self)

    def to_markdown(self) -> str:
        """The table and the choice, as Markdown (the model card's auto section)."""
        cap = (f"at most {self.max_rows_per_class:,} rows per class: "
               if self.max_rows_per_class else "")  # fmt: skip
        budget = "none" if self.time_budget is None else f"{self.time_budget:g} s"
        lines = [
            f"Chosen by `--method auto`: **{self.winner}** — {self.reason}.", "",
            f"Stratified {self.folds}-fold CV on the training rows only ({cap}{self.rows:,} of "
            f"{self.rows_total:,}; seed {self.seed}); scorer `{self.scoring}`; time budget "
            f"{budget}; candidates run in {self.order}; ties (within {self.tie_tolerance}) go "
            f"to the faster; {self.seconds:.0f} s in all. The winner was then trained as "
            f"`--method {self.winner}` would be (see *Trained on / measured on*).", "",
            f"| candidate | mean {self.scoring} | std | per fold | fit s / fold | status |",
            "|---|---:|---:|---|---:|---|",
        ]  # fmt: skip
        for r in self.table:
            fold = ", ".join(f"{v:.4f}" for v in r["folds"])
            mean = "—" if r["mean"] is None else f"{r['mean']:.4f}"
            std = "—" if r["std"] is None else f"{r['std']:.4f}"
            fit = "—" if r["fit_seconds"] is None else f"{r['fit_seconds']:.1f}"
            name = f"**{r['candidate']}**" if r["candidate"] == self.winner else r["candidate"]
            lines.append(f"| {name} | {mean} | {std} | {fold or '—'} | {fit} | {r['status']} |")
        return "\n".join(lines) + "\n"


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
        A scikit-learn scorer name; higher is better.
    folds : int, default=3
        Stratified folds (shuffled, seed ``random_state``).
    time_budget : float, optional
        Seconds for the whole comparison (see the module docstring for the rule).
    max_rows_per_class : int, optional
        Per-class cap on the rows compared (default 5,000); None: all rows.
    random_state : int, default=0
        Seeds the subsample, the folds and every candidate.
    categorical, numeric, outlier_filter, quick, device
        As for :func:`~gavae_ids.detection.pipeline.build_pipeline`.
    verbose : bool, default=True
        One progress bar over candidates × folds (the candidates' own bars stay off).

    Raises
    ------
    DataError
        Unknown candidate or scorer, a class with fewer rows than ``folds``, or
        no candidate that finished.
    """
    t_start = time.perf_counter()
    names = order_candidates(candidates)
    scorer = check_scoring(scoring)
    if folds < 2:
        raise DataError(f"auto selection needs at least 2 folds, got {folds}")
    if time_budget is not None and time_budget <= 0:
        raise DataError(f"--time-budget must be positive, got {time_budget}")
    rows_total = len(y)
    X, y, splits = _cv_rows(X, y, folds=folds, max_rows_per_class=max_rows_per_class,
                            random_state=random_state)  # fmt: skip
    table = []
    with progress_bar("auto: CV", len(names) * folds, verbose) as bar:
        for i, name in enumerate(names):
            row = {"candidate": name, "status": "ok", "mean": None, "std": None, "folds": [],
                   "fit_seconds": None, "seconds": 0.0, "warnings": []}  # fmt: skip
            table.append(row)
            skip = _unusable(name)
            left = None if time_budget is None else time_budget - (time.perf_counter() - t_start)
            if skip is None and i > 0 and left is not None and left <= 0:
                skip = f"skipped: over budget (nothing left of {time_budget:g} s)"
            if skip is not None:
                row["status"] = skip
                bar.advance(folds)
                continue
            bar.update(status=name)
            _run_candidate(row, name, X, y, splits, scorer, build_pipeline, bar,
                           first=i == 0, t_start=t_start, time_budget=time_budget,
                           kw=dict(categorical=categorical, numeric=numeric,
                                   outlier_filter=outlier_filter, quick=quick,
                                   random_state=random_state, device=device))  # fmt: skip
    winner, reason = _pick(table, scoring, folds)
    return AutoSelection(winner=winner, reason=reason, scoring=scoring, folds=folds,
                         seed=random_state, rows=len(y), rows_total=rows_total,
                         max_rows_per_class=max_rows_per_class, time_budget=time_budget,
                         seconds=round(time.perf_counter() - t_start, 2),
                         table=table)  # fmt: skip


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


def _run_candidate(row, name, X, y, splits, scorer, build_pipeline, bar, *, first, t_start,
                   time_budget, kw):  # fmt: skip
    from sklearn.base import clone

    t0 = time.perf_counter()
    fits = []
    seen: list[str] = []
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            pipe = build_pipeline(name, verbose=False, **kw)
            for j, (tr, te) in enumerate(splits):
                f0 = time.perf_counter()
                fitted = clone(pipe).fit(X.iloc[tr], y[tr])
                fits.append(time.perf_counter() - f0)
                row["folds"].append(float(scorer(fitted, X.iloc[te], y[te])))
                bar.advance(1)
                done = j + 1
                if first or time_budget is None or done == len(splits):
                    continue
                per_fold = (time.perf_counter() - t0) / done
                end = (time.perf_counter() - t_start) + per_fold * (len(splits) - done)
                if end > time_budget:
                    row["status"] = (f"skipped: over budget (projected {per_fold * len(splits):.0f}"
                                     f" s for {len(splits)} folds from its first {done}; it would "
                                     f"end at {end:.0f} s of {time_budget:g} s)")  # fmt: skip
                    bar.advance(len(splits) - done)
                    break
        for w in caught:
            msg = str(w.message).split("\n")[0]
            if msg not in seen and len(seen) < 3:
                seen.append(msg)
    except Exception as e:  # noqa: BLE001 - one candidate failing must not stop the others
        row["status"] = f"failed: {type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''}"
        bar.advance(len(splits) - len(row["folds"]))
    row["seconds"] = round(time.perf_counter() - t0, 2)
    row["warnings"] = seen
    if fits:
        row["fit_seconds"] = round(float(np.mean(fits)), 3)
    if row["status"] == "ok":
        f = np.asarray(row["folds"])
        row["mean"] = float(f.mean())
        row["std"] = float(f.std(ddof=1)) if len(f) > 1 else 0.0


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
    n_skip = len(table) - len(ok)
    if n_skip:
        reason += f"; {n_skip} candidate(s) skipped or failed (see the table)"
    return win["candidate"], reason
