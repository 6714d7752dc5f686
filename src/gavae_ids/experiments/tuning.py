"""Hyperparameter search with stratified k-fold cross-validation (the paper tunes by grid
search + 5-fold CV): the plain function behind ``gavae-ids tune``.

Only the training data are used. Each fold fits the
:class:`~gavae_ids.detection.pipeline.DetectionPipeline` — the preprocessing and the whole
method — oversampling included, for GAVAE-DNN and the SMOTE/CTGAN peers — on its
training part alone, then scores the held-out part, so nothing of a validation
fold leaks into what is fitted. The nominal vocabulary is taken from the whole
training set (it is the schema, not a statistic), so every fold has the same
one-hot layout and the GAVAE decoder can be built for it.

A grid file is TOML::

    method = "gavae-dnn"        # a registry name
    search = "grid"             # or "random" (then n_iter candidates)
    n_iter = 10
    scoring = "f1_macro"        # a scikit-learn scorer name
    [params]                    # each a list of candidate values
    lr = [5e-5, 1e-4]
    sampler__n_iter = [1000, 1500]
    sampler__hidden = [[80, 40, 20], [100, 50, 25]]
"""

from __future__ import annotations

import json
import logging
import time
import tomllib
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.metrics import get_scorer
from sklearn.model_selection import ParameterGrid, ParameterSampler, StratifiedKFold

from gavae_ids._util.progress import progress_bar
from gavae_ids.detection.methods import QUICK_ROWS_PER_CLASS, build_method, stratified_rows
from gavae_ids.detection.pipeline import build_pipeline
from gavae_ids.detection.train import load_training_data
from gavae_ids.exceptions import DataError

log = logging.getLogger(__name__)

_GRID_KEYS = {"method", "search", "n_iter", "scoring", "params"}


def _tuplify(v):
    return tuple(_tuplify(x) for x in v) if isinstance(v, list) else v


def _read_doc(path: Path, parse, error, what: str, fmt: str):
    """``parse(text)`` of the file at ``path``; a missing or malformed file is a DataError."""
    try:
        return parse(path.read_text())
    except FileNotFoundError:
        raise DataError(f"{what} not found", path=path) from None
    except error as e:
        raise DataError(f"not valid {fmt} ({e})", path=path) from None


def load_grid(path) -> dict:
    """Read and check a TOML grid file; list-valued candidates become tuples."""
    path = Path(path)
    doc = _read_doc(path, tomllib.loads, tomllib.TOMLDecodeError, "grid file", "TOML")
    unknown = set(doc) - _GRID_KEYS
    if unknown:
        raise DataError(f"unknown key(s) {', '.join(sorted(unknown))}; allowed: "
                        f"{', '.join(sorted(_GRID_KEYS))}", path=path)  # fmt: skip
    if not isinstance(doc.get("method"), str):
        raise DataError('needs method = "<name>" (e.g. "gavae-dnn")', path=path)
    params = doc.get("params")
    if not isinstance(params, dict) or not params:
        raise DataError("needs a [params] table with at least one parameter", path=path)
    for k, v in params.items():
        if not isinstance(v, list) or not v:
            raise DataError(f"params.{k} must be a non-empty list of candidates", path=path)
    search = doc.get("search", "grid")
    if search not in ("grid", "random"):
        raise DataError(f"search must be 'grid' or 'random', not {search!r}", path=path)
    n_iter = doc.get("n_iter", 10)
    if not isinstance(n_iter, int) or isinstance(n_iter, bool) or n_iter < 1:
        raise DataError(f"n_iter must be a positive whole number, not {n_iter!r}", path=path)
    try:
        get_scorer(doc.get("scoring", "f1_macro"))
    except (ValueError, TypeError):
        raise DataError(
            f"scoring {doc.get('scoring')!r} is not a scikit-learn scorer name "
            "(e.g. f1_macro, accuracy, balanced_accuracy)",
            path=path,
        ) from None
    return {
        "method": doc["method"],
        "search": search,
        "n_iter": n_iter,
        "scoring": doc.get("scoring", "f1_macro"),
        "params": {k: [_tuplify(x) for x in v] for k, v in params.items()},
    }


def candidates(grid: dict, random_state: int = 0) -> list[dict]:
    """The parameter settings a grid asks for (all of them, or ``n_iter`` random ones)."""
    if grid["search"] == "grid":
        return list(ParameterGrid(grid["params"]))
    return list(ParameterSampler(grid["params"], n_iter=grid["n_iter"],
                                 random_state=random_state))  # fmt: skip


def _fold_task(X, y, train_idx, val_idx, categorical, vocab, grid, params, seed, scorer,
               quick):  # fmt: skip
    pipe = build_pipeline(grid["method"], categorical=categorical, categories=vocab,
                          random_state=seed, verbose=False, quick=quick, **params)  # fmt: skip
    t0 = time.perf_counter()
    pipe.fit(X.iloc[train_idx], y[train_idx])
    fit_s = time.perf_counter() - t0
    score = scorer(pipe, X.iloc[val_idx], y[val_idx])
    return float(score), fit_s


def tune(
    dataset: str,
    grid: dict,
    *,
    data_home=None,
    out_dir=None,
    cv: int = 5,
    n_jobs: int = 1,
    random_state: int = 0,
    quick: bool = False,
    verbose: bool = True,
    **data_kw,
) -> dict:
    """Cross-validate every candidate of ``grid`` on the training data of ``dataset``.

    ``quick`` keeps ≤ 500 rows per class and applies the ``--quick`` budgets
    (:data:`gavae_ids.detection.methods.QUICK_PARAMS`) under the grid's own values.

    Returns ``{"best": {...}, "results": DataFrame}`` and, with ``out_dir``, writes
    ``cv_results.csv`` and ``best_config.json`` (which ``reproduce``/``train`` take
    with ``--config``).
    """
    from joblib import Parallel, delayed

    if cv < 2:
        raise DataError(f"--cv must be at least 2, got {cv}")
    data = load_training_data(dataset, data_home=data_home, **data_kw)
    X, y = data["X"].reset_index(drop=True), data["y"].to_numpy()
    if quick:
        rows = stratified_rows(y, QUICK_ROWS_PER_CLASS, random_state)
        X, y = X.iloc[rows].reset_index(drop=True), y[rows]
    counts = pd.Series(y).value_counts()
    if counts.min() < cv:
        raise DataError(f"class {counts.idxmin()!r} has {counts.min()} rows, fewer than the "
                        f"{cv} folds; lower --cv")  # fmt: skip
    build_method(grid["method"], **candidates(grid, random_state)[0])  # fail fast on bad names
    cands = candidates(grid, random_state)
    vocab = {c: sorted(X[c].astype(str).unique()) for c in data["categorical"]}
    folds = list(StratifiedKFold(cv, shuffle=True, random_state=random_state).split(X, y))
    scorer = get_scorer(grid["scoring"])
    tasks = [(ci, fi) for ci in range(len(cands)) for fi in range(len(folds))]
    scores = np.full((len(cands), cv), np.nan)
    times = np.full((len(cands), cv), np.nan)
    with progress_bar(f"tune {grid['method']}", len(tasks), verbose) as bar:
        results = Parallel(n_jobs=n_jobs, return_as="generator")(
            delayed(_fold_task)(X, y, folds[fi][0], folds[fi][1], data["categorical"], vocab,
                                grid, cands[ci], random_state, scorer, quick)
            for ci, fi in tasks
        )  # fmt: skip
        for (ci, fi), (score, fit_s) in zip(tasks, results, strict=True):
            scores[ci, fi], times[ci, fi] = score, fit_s
            done = np.isfinite(scores).all(axis=1)  # candidates with every fold scored
            best = f"best {scores[done].mean(axis=1).max():.4f}" if done.any() else ""
            bar.advance(1, status=best)
    table = _results_table(cands, scores, times)
    best_i = int(np.argmax(table["mean_score"].to_numpy()))
    best = {
        "method": grid["method"],
        "params": {k: list(v) if isinstance(v, tuple) else v for k, v in cands[best_i].items()},
        "scoring": grid["scoring"],
        "mean_score": float(table["mean_score"].iloc[best_i]),
        "std_score": float(table["std_score"].iloc[best_i]),
        "cv": cv,
        "dataset": dataset,
        "rows": int(len(y)),
        "protocol": f"stratified {cv}-fold CV on the training data only ({data['info']['protocol']}"
                    f"{', quick slice' if quick else ''}), seed {random_state}",
    }  # fmt: skip
    if out_dir is not None:
        out = Path(out_dir)
        out.mkdir(parents=True, exist_ok=True)
        table.sort_values("rank").to_csv(out / "cv_results.csv", index=False)
        (out / "best_config.json").write_text(json.dumps(best, indent=2))
    return {"best": best, "results": table}


def _results_table(cands: list[dict], scores: np.ndarray, times: np.ndarray) -> pd.DataFrame:
    """``cv_results.csv``: one row per candidate — its parameters (JSON), mean, std and
    per-fold scores, mean fit seconds and rank (1 = best)."""
    cv = scores.shape[1]
    table = pd.DataFrame([{f"param_{k}": json.dumps(v) for k, v in c.items()} for c in cands])
    table["mean_score"] = scores.mean(axis=1)
    table["std_score"] = scores.std(axis=1, ddof=1) if cv > 1 else np.nan
    for f in range(cv):
        table[f"fold{f}_score"] = scores[:, f]
    table["mean_fit_seconds"] = times.mean(axis=1)
    table["rank"] = table["mean_score"].rank(ascending=False, method="min").astype(int)
    return table


def load_best_config(path) -> dict:
    """Read a ``best_config.json`` written by :func:`tune`: ``{"method", "params", ...}``."""
    path = Path(path)
    doc = _read_doc(path, json.loads, json.JSONDecodeError, "config file", "JSON")
    if not isinstance(doc, dict) or not isinstance(doc.get("method"), str) \
            or not isinstance(doc.get("params"), dict):  # fmt: skip
        raise DataError("expected {\"method\": ..., \"params\": {...}} as written by "
                        "'gavae-ids tune'", path=path)  # fmt: skip
    doc["params"] = {k: _tuplify(v) for k, v in doc["params"].items()}
    return doc
