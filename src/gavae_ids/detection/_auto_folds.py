"""The fold-running machinery of ``--method auto`` (:func:`gavae_ids.detection.auto.select_method`).

:class:`_Race` holds what one comparison shares (rows, folds, scorer, decision rule,
clock); :func:`_run_candidate` runs one candidate into its table row: the pilot of a
raced candidate beside the leader's, then its folds, stopped by the race or the budget.
The rules themselves are stated in :mod:`gavae_ids.detection.auto`.
"""

from __future__ import annotations

import time
import warnings
from dataclasses import dataclass, field

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin

from gavae_ids.detection._fold_pool import FoldPool
from gavae_ids.detection.decision import choose_rule
from gavae_ids.detection.pipeline import build_pipeline

#: The share of an explicit ``sampler__n_iter`` a raced candidate's pilot runs (re-exported by
#: :mod:`gavae_ids.detection.auto`). The default ``n_iter="auto"`` is left alone: it
#: already follows the pilot's fewer rows (32 passes: 311 iterations on 4,980 rows).
PILOT_ITER_FRACTION = 0.25


class _Decided(ClassifierMixin, BaseEstimator):
    """Stands in for a candidate's fold models so a scikit-learn scorer reads its decisions:
    ``X`` holds row positions; ``predict`` gives the classes after the decision rule,
    ``predict_proba`` the out-of-fold probabilities."""

    def __init__(self, classes=None, pred=None, proba=None):
        self.classes = classes
        self.pred = pred
        self.proba = proba

    @property
    def classes_(self):
        return np.asarray(self.classes)

    def predict(self, X):
        return self.pred[np.asarray(X).ravel()]

    def predict_proba(self, X):
        return self.proba[np.asarray(X).ravel()]


@dataclass
class _Race:
    """What one comparison shares: its rows, folds, scorer, rule and clock, and the
    :class:`~gavae_ids.detection._fold_pool.FoldPool` its fits run on (keys
    :meth:`fold_key`, :meth:`pilot_key`: a candidate's pilot is also its pilot as leader)."""

    X: object
    y: np.ndarray
    splits: list
    scorer: object
    classes: list
    normal: str | None
    decision: str
    max_fpr: float | None
    margin: float | None
    pilot_rows: np.ndarray | None
    kw: dict
    t_start: float
    time_budget: float | None
    pool: FoldPool = None
    bar: object = None
    oof: dict = field(default_factory=dict)

    @staticmethod
    def fold_key(name: str, j: int) -> tuple:
        return ("fold", name, j)

    @staticmethod
    def pilot_key(name: str) -> tuple:
        return ("pilot", name)

    def submit_fold(self, name: str, pipe, j: int, *, now: bool = False) -> None:
        """Queue ``name``'s fit on fold ``j``'s training part (``pipe``: its pipeline)."""
        tr, te = self.splits[j]
        self.pool.submit(self.fold_key(name, j), pipe, self.X.iloc[tr], self.y[tr],
                         self.X.iloc[te], self.classes, now=now)  # fmt: skip

    def submit_pilot(self, name: str, pipe, *, now: bool = False) -> None:
        """Queue ``name``'s pilot: on the pilot rows, its GAVAE (if any) shortened."""
        from sklearn.base import clone

        pilot = clone(pipe).set_params(**_shortened(pipe))
        te = self.splits[0][1]
        self.pool.submit(self.pilot_key(name), pilot, self.X.iloc[self.pilot_rows],
                         self.y[self.pilot_rows], self.X.iloc[te], self.classes,
                         now=now)  # fmt: skip

    def rounds(self, fits: int) -> int:
        """Rounds of the pool that ``fits`` fits side by side take."""
        return -(-fits // self.pool.workers)

    def left(self) -> float | None:
        t = self.time_budget
        return None if t is None else t - (time.perf_counter() - self.t_start)

    def score(self, proba: np.ndarray, groups: list[np.ndarray]) -> dict:
        """Scores of ``proba`` (rows of ``np.concatenate(groups)``, in that order) per group,
        at the decision rule chosen on all of them, with its binary DR and FPR."""
        rows = np.concatenate(groups)
        y = self.y[rows]
        cls = np.asarray(self.classes, dtype=object)
        out = {"threshold": None, "binary_dr": None, "binary_fpr": None, "argmax_fpr": None}
        pred = cls[proba.argmax(axis=1)].astype(str)
        if self.normal is not None:
            normal = y == self.normal
            out["argmax_fpr"] = float((pred[normal] != self.normal).mean())
            if self.decision != "argmax" and self.max_fpr is not None:
                rule = choose_rule(proba, y, self.classes, self.normal, max_fpr=self.max_fpr,
                                   cap=self.decision != "budget")  # fmt: skip
                idx, attack = rule.decide(proba)
                pred = cls[idx].astype(str)
                out["threshold"] = rule.threshold
            attack = pred != self.normal
            out["binary_fpr"] = float(attack[normal].mean()) if normal.any() else None
            out["binary_dr"] = float(attack[~normal].mean()) if (~normal).any() else None
        est = _Decided(self.classes, pred, proba)
        pos = np.cumsum([0] + [len(g) for g in groups])
        out["folds"] = [float(self.scorer(est, np.arange(a, b), y[a:b]))
                        for a, b in zip(pos[:-1], pos[1:], strict=True)]  # fmt: skip
        return out


def _run_candidate(row, name, race: _Race, *, leader, raced: bool) -> None:
    t0 = time.perf_counter()
    fits: list[float] = []
    seen: list[str] = []
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            pipe = build_pipeline(name, verbose=False, **race.kw)
            rival = leader if raced else None
            if rival is None or race.pilot_rows is None or _pilot(row, name, rival, race, seen):
                _run_folds(row, name, pipe, race, rival, fits, seen, first=leader is None)
        seen.extend(str(w.message).split("\n")[0] for w in caught)
    except Exception as e:  # noqa: BLE001 - one candidate failing must not stop the others
        row["status"] = f"failed: {type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''}"
        race.pool.drop(race.fold_key(name, j) for j in range(len(race.splits)))
    if row["status"] != "ok":
        race.bar.advance(len(race.splits) - len(fits))
    row["seconds"] = round(time.perf_counter() - t0, 2)
    row["warnings"] = list(dict.fromkeys(seen))[:3]
    if fits:
        row["fit_seconds"] = round(float(np.mean(fits)), 3)
    if row["status"] == "ok":
        f = np.asarray(row["folds"])
        row["mean"] = float(f.mean())
        row["std"] = float(f.std(ddof=1)) if len(f) > 1 else 0.0


def prefetch(race: _Race, plan) -> None:
    """Queue, ahead of need, the fits that depend on no other result: the folds of each
    ``(name, raced)`` in ``plan`` that is not raced (or is first: it has no leader) and the
    pilots of the raced ones. Only a pool of several workers starts them before they are
    asked for."""
    if not race.pool.parallel:
        return
    for i, (name, raced) in enumerate(plan):
        pipe = build_pipeline(name, verbose=False, **race.kw)
        if raced and i > 0 and race.pilot_rows is not None:
            race.submit_pilot(name, pipe)
        else:
            for j in range(len(race.splits)):
                race.submit_fold(name, pipe, j)


def _shortened(pipe) -> dict:
    """A pilot's GAVAE iterations: :data:`PILOT_ITER_FRACTION` of an explicit ``n_iter``;
    nothing for ``"auto"``, whose budget already follows the pilot's rows."""
    return {k: max(1, round(v * PILOT_ITER_FRACTION)) for k, v in pipe.get_params().items()
            if k.endswith("sampler__n_iter") and isinstance(v, int)}  # fmt: skip


def _pilot(row, name: str, leader: dict, race: _Race, seen: list) -> bool:
    """Fit ``name`` on the pilot rows of fold 1 (its GAVAE, if any, at its budget for those
    rows: see :func:`_shortened`), score it beside the leader fitted on the
    same rows (the same fit as the leader's own pilot when it had one); False (and the row's
    status says why) when it is dropped or over budget."""
    te, n_tr = race.splits[0][1], len(race.splits[0][0])
    rival = leader["candidate"]
    for c in (name, rival):  # both pilots at the same resources, run side by side
        race.submit_pilot(c, build_pipeline(c, verbose=False, **race.kw), now=True)
    proba, secs, msgs = race.pool.result(race.pilot_key(name))
    seen.extend(msgs)
    score = race.score(proba, [te])["folds"][0]
    lead = race.score(race.pool.result(race.pilot_key(rival))[0], [te])["folds"][0]
    n = len(race.pilot_rows)
    short = _shortened(build_pipeline(name, verbose=False, **race.kw))
    row["pilot"] = {"rows": int(n), "score": score, "leader": rival, "leader_score": lead,
                    "seconds": round(secs, 2), **short}  # fmt: skip
    if score + race.margin < lead:
        it = f", GAVAE n_iter {next(iter(short.values()))}" if short else ""
        row["status"] = (f"dropped: pilot on {n:,} rows of fold 1{it} scored {score:.4f}, "
                         f"more than {race.margin:g} below {rival}'s {lead:.4f} on the same "
                         "rows")  # fmt: skip
        return False
    left = race.left()
    scale = max(1.0, n_tr / n) / (PILOT_ITER_FRACTION if short else 1.0)
    projected = secs * scale * race.rounds(len(race.splits))
    if left is not None and projected > left:
        row["status"] = (f"skipped: over budget (its pilot projects {projected:.0f} s for "
                         f"{len(race.splits)} folds; {max(left, 0):.0f} s were left of "
                         f"{race.time_budget:g} s)")  # fmt: skip
        return False
    return True


def _run_folds(row, name, pipe, race: _Race, leader, fits, seen, *, first: bool) -> None:
    """The candidate's folds (all queued at once; read in order, stopped when it drops behind
    ``leader`` after fold 1 or is projected past the budget); its scores at the decision rule
    go into ``row``."""
    n = len(race.splits)
    for j in range(n):
        race.submit_fold(name, pipe, j, now=True)
    probas, groups = [], []
    for j, (_, te) in enumerate(race.splits):
        proba, secs, msgs = race.pool.result(race.fold_key(name, j))
        probas.append(proba)
        groups.append(te)
        fits.append(secs)
        seen.extend(msgs)
        race.bar.advance(1)
        done = j + 1
        if done == 1 and leader is not None:
            mine = race.score(probas[0], [te])["folds"][0]
            theirs = race.score(race.oof[leader["candidate"]][0], [te])["folds"][0]
            if mine + race.margin < theirs:
                row["status"] = (f"dropped: fold 1 scored {mine:.4f}, more than {race.margin:g}"
                                 f" below {leader['candidate']}'s {theirs:.4f}")  # fmt: skip
                break
        if first or race.time_budget is None or done == n:
            continue
        per_fold = float(np.mean(fits))
        end = (time.perf_counter() - race.t_start) + per_fold * race.rounds(n - done)
        if end > race.time_budget:
            row["status"] = (f"skipped: over budget (projected {per_fold * n:.0f} s for {n} "
                             f"folds from its first {done}; it would end at {end:.0f} s of "
                             f"{race.time_budget:g} s)")  # fmt: skip
            break
    race.pool.drop(race.fold_key(name, j) for j in range(len(probas), n))
    res = race.score(np.concatenate(probas), groups)
    row.update({k: res[k] for k in ("folds", "binary_dr", "binary_fpr", "argmax_fpr",
                                    "threshold")})  # fmt: skip
    if row["status"] == "ok":
        race.oof[name] = probas
