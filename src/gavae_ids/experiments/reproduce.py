"""The paper end to end: ``gavae-ids reproduce --dataset nsl-kdd|unsw-nb15``.

Loads the data, applies the §3.5 preprocessing (fitted on training data only),
trains every method of Tables 6-7 plus the peer oversamplers for each seed,
evaluates on every test set (and, for NSL-KDD, on seen/unseen attack types),
and writes a run directory::

    run_dir/
      config.json          resolved configuration
      metrics.json         every figure of the report (per seed and aggregated): the
                           RunResults of gavae_ids.evaluation.results, versioned
      metrics.csv          one row per seed × method × test set × subset
      report.md            the report (Tables 4-7, per-class DR, seen/unseen, figures)
      figures/*.png        Fig. 7, Figs. 8/9 (UMAP), Figs. 10/11, ROC, confusion matrices
      discriminator_history.csv
      augmentation.csv
      novelty_curve.csv    GAVAE-DNN's novelty flag per seed × test set × quantile
      models/              seed-0 GAVAE-DNN as a model bundle (gavae-ids score reads it)

Test sets are never used for training, early stopping or tuning: the torch
classifiers carve their validation split out of the training data.
"""

from __future__ import annotations

import json
import logging
import platform
import shlex
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from gavae_ids._util.torch_helpers import resolve_device
from gavae_ids.classifiers import available_methods
from gavae_ids.classifiers.registry import display_name as _display
from gavae_ids.classifiers.registry import method_key
from gavae_ids.datasets import load_benchmark
from gavae_ids.datasets.unsw_nb15 import accuracy_ceiling
from gavae_ids.detection.detector import Detector
from gavae_ids.detection.methods import stratified_rows
from gavae_ids.detection.novelty import NoveltyThresholds, evaluate_novelty
from gavae_ids.detection.pipeline import build_pipeline
from gavae_ids.evaluation import evaluate
from gavae_ids.evaluation.results import (
    RunResults,
    SeedRun,
    TestSetInfo,
    TrainData,
    aggregate_augmentation,
    aggregate_runs,
)
from gavae_ids.evaluation.support import support_split
from gavae_ids.exceptions import DataError
from gavae_ids.experiments.budget_runs import budget_run
from gavae_ids.experiments.config import DATASETS, ReproduceConfig  # noqa: F401 (re-exported)
from gavae_ids.experiments.fidelity_runs import run_fidelity_section
from gavae_ids.experiments.protocol_notes import protocol_notes
from gavae_ids.experiments.run_outputs import make_figures, novelty_outputs, write_outputs
from gavae_ids.experiments.tuning import load_best_config
from gavae_ids.preprocessing import TabularPreprocessor, fit_preprocessing

log = logging.getLogger(__name__)

PAPER_METHODS = ("KNN", "CNN", "DNN", "RF", "SVM", "GAVAE-DNN")
PEER_METHODS = ("SMOTE+DNN", "CTGAN+DNN", "TVAE+DNN")
#: Tree models beyond the paper (not in the default list: ask for them with ``methods``).
TREE_METHODS = ("LightGBM", "SMOTE+LightGBM", "GAVAE+LightGBM", "SMOTE+RF", "GAVAE+RF")
NORMAL = "Normal"


def run_params(cfg: ReproduceConfig, method: str) -> dict:
    """Parameters ``method`` is built with beyond the presets: --config's."""
    return dict(cfg.method_params.get(method, {}))


def tuned_params(path, dataset: str) -> dict[str, dict]:
    """``method_params`` from a ``best_config.json`` of ``gavae-ids tune`` (``--config``):
    its method (report spelling) → its parameters; warns when it was tuned on another dataset."""
    best = load_best_config(path)
    if best.get("dataset") not in (None, dataset):
        log.warning("%s was tuned on %s, not %s", path, best["dataset"], dataset)
    return {display_name(best["method"]): best["params"]}


def load_experiment(cfg: ReproduceConfig, data_home=None) -> dict:
    """Training frame and the named test frames of the chosen dataset and protocol."""
    bench = load_benchmark(cfg.dataset, data_home=data_home, train_split=cfg.train_split)
    train, tests, official = bench.train, bench.tests, bench.official
    protocol = f"NSL-KDD: {bench.protocol}" if cfg.dataset == "nsl-kdd" else bench.protocol
    ceilings = {name: None for name in tests}
    if cfg.quick:
        rows = stratified_rows(train.y.to_numpy(), cfg.quick_rows_per_class, 0)
        train = _take(train, rows)
        for name, t in list(tests.items()):
            if len(t.y) > cfg.quick_test_rows:
                rng = np.random.RandomState(1)
                tests[name] = _take(t, np.sort(rng.choice(len(t.y), cfg.quick_test_rows,
                                                          replace=False)))  # fmt: skip
        protocol += f" — QUICK: ≤{cfg.quick_rows_per_class} training rows per class, " \
                    f"≤{cfg.quick_test_rows} test rows"  # fmt: skip
    if cfg.dataset == "unsw-nb15":  # of the test rows actually evaluated
        ceilings = {n: accuracy_ceiling(t.X, t.y) for n, t in tests.items()}
    return {"train": train, "tests": tests, "protocol": protocol, "ceilings": ceilings,
            "official": official}  # fmt: skip


def _take(b, rows):
    out = type(b)(**b)
    for key in ("X", "y", "attack", "difficulty", "seen"):
        if key in b:
            out[key] = b[key].iloc[rows].reset_index(drop=True)
    return out


def registry_name(method: str) -> str:
    """Report name → registry name: ``"SMOTE+DNN"`` → ``"smote-dnn"``,
    ``"GAVAE+LightGBM"`` → ``"gavae-lgbm"`` (the registry knows both spellings)."""
    return method_key(method)


def display_name(method: str) -> str:
    """Registry or report name → the report's spelling (``"gavae-dnn"`` → ``"GAVAE-DNN"``)."""
    return _display(method)


def resolve_methods(names) -> tuple[str, ...]:
    """Report names of ``names`` (default: :func:`default_methods`), de-duplicated; an unknown
    or unavailable method is refused before any data is loaded."""
    if not names:
        return default_methods()
    avail = set(available_methods())
    methods = tuple(dict.fromkeys(display_name(m.strip()) for m in names if m.strip()))
    missing = [m for m in methods if registry_name(m) not in avail]
    if missing:
        raise DataError(f"unknown or unavailable method(s) {', '.join(missing)}; available: "
                        f"{', '.join(display_name(m) for m in available_methods())}")  # fmt: skip
    return methods


def default_methods() -> tuple[str, ...]:
    avail = set(available_methods())
    return PAPER_METHODS + tuple(m for m in PEER_METHODS if registry_name(m) in avail)


def _evaluations(model, Xt: np.ndarray, y: np.ndarray, seen, classes) -> dict:
    proba = model.predict_proba(Xt)
    pred = np.asarray(model.classes_)[proba.argmax(axis=1)]
    subsets = {"all": np.ones(len(y), dtype=bool)}
    if seen is not None:
        subsets["seen"] = seen
        subsets["unseen"] = ~seen
    out = {}
    for name, m in subsets.items():
        if not m.any():
            continue
        out[name] = evaluate(y[m], pred[m], proba[m], labels=classes, normal_label=NORMAL,
                             proba_labels=list(model.classes_))  # fmt: skip
    return out


def _flat(result) -> dict:
    s = result.summary()
    for c, row in result.per_class.iterrows():
        s[f"dr_{c}"] = float(row["recall"])
    return s


def reproduce(
    cfg: ReproduceConfig,
    *,
    data_home=None,
    out_dir="runs/reproduce",
    verbose: bool = True,
    command: str | None = None,
) -> RunResults:
    """Run the reproduction described by ``cfg``; returns its results (``metrics.json``)."""
    t_start = time.perf_counter()
    out = Path(out_dir)
    (out / "figures").mkdir(parents=True, exist_ok=True)
    device = str(resolve_device(cfg.device))
    methods = _checked_methods(cfg)
    exp = load_experiment(cfg, data_home)
    data = prepare_data(exp["train"], exp["tests"], cfg)
    (out / "config.json").write_text(json.dumps({**asdict(cfg), "methods": list(methods),
                                                 "device": device}, indent=2))  # fmt: skip
    trained = train_all(cfg, methods, data, verbose)
    results = _assemble(cfg, methods, device, command, exp, data, trained, out)
    results.figures = make_figures(results, trained.first, data.Xtr, data.ytr, out, cfg)
    if trained.novelty_rows:
        results.figures.update(novelty_outputs(results, pd.DataFrame(trained.novelty_rows), out))
    if "GAVAE-DNN" in trained.first:
        _first_gavae_outputs(results, trained.first["GAVAE-DNN"][0], data, exp, cfg, out)
    results.wall_seconds = time.perf_counter() - t_start
    write_outputs(results, out)
    return results


def _checked_methods(cfg: ReproduceConfig) -> tuple[str, ...]:
    """The run's methods; refuses --config parameters of a method the run does not train."""
    methods = resolve_methods(cfg.methods)
    unknown_params = sorted(set(cfg.method_params) - set(methods))
    if unknown_params:
        raise DataError(f"parameters given for {', '.join(unknown_params)}, which this run does "
                        f"not train (methods: {', '.join(methods)})")  # fmt: skip
    return methods


@dataclass
class PreparedData:
    """The report's view of the training data (rows kept, UMAP, fidelity) and the test sets
    encoded once; every method's pipeline fits the same filter and preprocessing itself."""

    train: Any
    classes: list
    pre: TabularPreprocessor
    outlier_report: pd.DataFrame | None
    Xtr: np.ndarray
    ytr: np.ndarray
    #: test set → (encoded X, labels, seen mask or None)
    encoded: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray | None]]
    #: test set → (raw X, labels): what a refitted pipeline (``--budgets``) scores
    raw: dict[str, tuple[pd.DataFrame, pd.Series]] = field(default_factory=dict)
    #: ``--budgets`` on NSL-KDD: test set → which normal test rows lie inside the training data
    support: dict | None = None


def prepare_data(train, tests: dict, cfg: ReproduceConfig) -> PreparedData:
    X, y, pre, outlier_report = fit_preprocessing(
        train.X, train.y, categorical=train.categorical, numeric=train.numeric,
        outlier_filter=cfg.outlier_filter)  # fmt: skip
    encoded = {}
    for name, t in tests.items():
        Xt, unseen = pre.encode(t.X)
        encoded[name] = (Xt, t.y.to_numpy(), t.seen.to_numpy() if "seen" in t else None)
    raw = {n: (t.X, t.y) for n, t in tests.items()}
    return PreparedData(train, list(train.classes), pre, outlier_report, pre.transform(X),
                        y.to_numpy(), encoded, raw)  # fmt: skip


@dataclass
class Trained:
    """What :func:`train_all` keeps of the fitted models."""

    runs: list[SeedRun] = field(default_factory=list)
    #: GAVAE-DNN's augmentation report of each seed (``augmentation.csv``)
    augmentation: list[pd.DataFrame] = field(default_factory=list)
    #: method → (model, evaluations) of the first seed, for figures and the model bundle
    first: dict = field(default_factory=dict)
    novelty_rows: list[dict] = field(default_factory=list)
    #: ``--budgets``: rows of :func:`~gavae_ids.experiments.budget_runs.budget_run`
    budgets: list[dict] = field(default_factory=list)


def train_all(cfg: ReproduceConfig, methods, data: PreparedData, verbose: bool) -> Trained:
    """Fit every method for every seed and evaluate it on every test set."""
    trained = Trained()
    for seed in cfg.seed_list:
        for method in methods:
            run, model, evals = fit_and_evaluate(cfg, method, seed, data, verbose)
            trained.runs.append(run)
            if method == "GAVAE-DNN" and cfg.novelty:
                trained.novelty_rows += add_novelty(run, model, data.Xtr, data.ytr, data.encoded,
                                                    cfg)  # fmt: skip
            if method == "GAVAE-DNN":
                rep = pd.DataFrame(model.augmentation_report_)
                rep["seed"] = seed
                # What Table 4/5's caption says of the manifold check; empty when it was off.
                rep["manifold_k"] = getattr(getattr(model, "sampler_", None), "manifold_k_", None)
                trained.augmentation.append(rep)
            if seed == cfg.first_seed:
                trained.first[method] = (model, evals)
            if cfg.budgets:
                trained.budgets += budget_rows(cfg, method, seed, data, verbose)
            s = run.summary[next(iter(data.encoded))]["all"]
            log.info("seed %d %-10s fit %6.1fs  acc %.4f  macro-F1 %.4f", seed, method,
                     run.fit_seconds, s["accuracy"], s["macro_f1"])  # fmt: skip
    return trained


def fit_and_evaluate(cfg: ReproduceConfig, method: str, seed: int, data: PreparedData,
                     verbose: bool):  # fmt: skip
    """Fit ``method`` with ``seed``; returns its :class:`SeedRun`, classifier and evaluations."""
    train = data.train
    pipe = _pipeline(cfg, method, seed, train, verbose)
    log.info("seed %d: fitting %s", seed, method)
    t0 = time.perf_counter()
    pipe.fit(train.X, train.y)
    fit_s = time.perf_counter() - t0
    # The report reads the classifier and the test sets encoded once by `pre`,
    # which is what the pipeline fitted too (same rows, deterministic).
    if pipe.preprocessor_.to_dict() != data.pre.to_dict():
        raise RuntimeError("the pipeline's preprocessing differs from the report's")
    model = pipe.classifier_
    evals = {name: _evaluations(model, Xt, yt, seen, data.classes)
             for name, (Xt, yt, seen) in data.encoded.items()}  # fmt: skip
    run = SeedRun(seed=seed, method=method, fit_seconds=fit_s,
                  summary={n: {s: _flat(r) for s, r in e.items()} for n, e in evals.items()},
                  evaluations={n: {s: r.to_dict() for s, r in e.items()}
                               for n, e in evals.items()})  # fmt: skip
    return run, model, evals


def _pipeline(cfg: ReproduceConfig, method: str, seed: int, train, verbose: bool):
    return build_pipeline(registry_name(method), categorical=train.categorical,
                          numeric=train.numeric, outlier_filter=cfg.outlier_filter,
                          quick=cfg.quick, random_state=seed, verbose=verbose,
                          device=cfg.device, paper=cfg.hyperparameters == "paper",
                          **run_params(cfg, method))  # fmt: skip


def budget_rows(cfg: ReproduceConfig, method: str, seed: int, data: PreparedData,
                verbose: bool) -> list[dict]:  # fmt: skip
    """``--budgets``: ``method`` refitted on 80 % of the training rows, every test set
    scored at the validation-chosen budgets (:mod:`gavae_ids.experiments.budget_runs`)."""
    if data.support is None:  # the run's own encoding of the training and test rows
        data.support = {}
        if cfg.dataset == "nsl-kdd":
            data.support = {name: support_split(data.Xtr, Xt[yt == NORMAL]).inside
                            for name, (Xt, yt, _) in data.encoded.items()}  # fmt: skip
    log.info("seed %d: %s on 80 %% of the training rows, at false-alarm budgets", seed, method)
    return budget_run(_pipeline(cfg, method, seed, data.train, verbose), data.train.X,
                      data.train.y.astype(str), data.raw, method=method, seed=seed,
                      normal_label=NORMAL, inside=data.support, cap=False)  # fmt: skip


def _assemble(cfg, methods, device, command, exp, data: PreparedData, trained: Trained,
              out: Path) -> RunResults:  # fmt: skip
    """The results of the trained runs: aggregate, augmentation (``augmentation.csv``), notes."""
    augmentation = None
    if trained.augmentation:
        allrep = pd.concat(trained.augmentation, ignore_index=True)
        allrep.to_csv(out / "augmentation.csv", index=False)
        augmentation = aggregate_augmentation(allrep, data.classes)
    train, outliers, test_sets = _data_summary(data, exp["ceilings"])
    return RunResults(
        dataset=cfg.dataset,
        dataset_title=DATASETS[cfg.dataset],
        protocol=exp["protocol"],
        command=command or "gavae_ids.experiments.reproduce.reproduce(...)",
        config={**asdict(cfg), "methods": list(methods)},
        device=device,
        quick=cfg.quick,
        seeds=cfg.seed_list,
        methods=list(methods),
        classes=data.classes,
        train=train,
        outliers=outliers,
        test_sets=test_sets,
        runs=trained.runs,
        aggregate=aggregate_runs(trained.runs, methods, list(data.encoded)),
        augmentation=augmentation,
        budgets=trained.budgets,
        environment={"python": platform.python_version(), "platform": platform.platform()},
        protocol_notes=protocol_notes(cfg, exp, device),
    )


def _data_summary(data: PreparedData, ceilings: dict):
    """The results' description of the data: training rows used, outliers removed, test sets."""
    classes, ytr = data.classes, data.ytr
    train = TrainData(name=data.train.name, rows=len(data.train.y), rows_used=len(ytr),
                      classes={c: int((ytr == c).sum()) for c in classes})  # fmt: skip
    outliers = None
    if data.outlier_report is not None:
        outliers = {str(c): {k: (v if isinstance(v, str) else int(v)) for k, v in r.items()}
                    for c, r in data.outlier_report.iterrows()}  # fmt: skip
    test_sets = {n: TestSetInfo(rows=len(yt), ceiling=ceilings.get(n),
                                classes={c: int((yt == c).sum()) for c in classes})
                 for n, (_, yt, _) in data.encoded.items()}  # fmt: skip
    return train, outliers, test_sets


def _first_gavae_outputs(results: RunResults, model, data: PreparedData, exp: dict,
                         cfg: ReproduceConfig, out: Path) -> None:  # fmt: skip
    """Fidelity of the first seed's GAVAE rows (``fidelity.csv``), and its model bundle."""
    log.info("fidelity of the seed-%d GAVAE's rows", cfg.first_seed)
    per_class, results.fidelity_markdown = run_fidelity_section(
        model.sampler_, data.Xtr, data.ytr, random_state=cfg.first_seed,
        max_rows=500 if cfg.quick else 3000,
    )  # fmt: skip
    per_class.reset_index().to_csv(out / "fidelity.csv", index=False)
    novelty = next((r.novelty for r in results.runs if r.method == "GAVAE-DNN"
                    and r.seed == cfg.first_seed), None)  # fmt: skip
    _save_models(model, data.pre, out / "models", novelty=novelty,
                      info={"dataset": cfg.dataset, "source": data.train.name,
                            "protocol": exp["protocol"], "random_state": cfg.first_seed,
                            "rows_trained": int(len(data.ytr))})  # fmt: skip


def add_novelty(run: SeedRun, model, Xtr, ytr, encoded: dict, cfg: ReproduceConfig) -> list[dict]:
    """Evaluate GAVAE-DNN's novelty flag (:mod:`gavae_ids.detection.novelty`) for one fitted seed.

    Adds the :data:`gavae_ids.detection.novelty.SUMMARY_KEYS` at the quantile chosen on the
    training rows to ``run.summary`` (so they reach ``metrics.csv`` and the
    aggregate) and the thresholds to ``run.novelty``; returns the curve rows of
    every quantile, tagged with the seed.
    """
    log.info("seed %d: novelty flag of GAVAE-DNN", run.seed)
    try:
        ev = evaluate_novelty(model, Xtr, ytr, encoded, NORMAL,
                              fpr_budget=cfg.novelty_fpr_budget)  # fmt: skip
    except DataError as e:  # e.g. the classifier's validation split cannot be re-drawn
        log.warning("seed %d: novelty flag not evaluated: %s", run.seed, e)
        return []
    for name, subsets in ev["summary"].items():
        for subset, values in subsets.items():
            run.summary[name].setdefault(subset, {}).update(values)
    run.novelty = ev["thresholds"].to_dict()
    return [{"seed": run.seed, **row} for row in ev["curve"]]


def _save_models(model, pre: TabularPreprocessor, path: Path, *, novelty=None,
                 info=None) -> None:  # fmt: skip
    """The first seed's GAVAE-DNN as a model bundle (``gavae-ids score`` reads it), with its
    GAVAE and, when the run evaluated it, the novelty thresholds chosen on training rows."""
    det = Detector(pre, model, normal_label=NORMAL, method="gavae-dnn", sampler=model.sampler_,
                   info=info)  # fmt: skip
    if novelty:
        det.novelty_ = NoveltyThresholds.from_dict(novelty)
    det.save(path, overwrite=True)


def command_line() -> str:
    return " ".join(shlex.quote(a) for a in ["gavae-ids", *sys.argv[1:]])
