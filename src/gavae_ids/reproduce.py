"""The paper end to end: ``gavae-ids reproduce --dataset nsl-kdd|unsw-nb15``.

Loads the data, applies the §3.5 preprocessing (fitted on training data only),
trains every method of Tables 6-7 plus the peer oversamplers for each seed,
evaluates on every test set (and, for NSL-KDD, on seen/unseen attack types),
and writes a run directory::

    run_dir/
      config.json          resolved configuration
      metrics.json         every figure of the report (per seed and aggregated)
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

import numpy as np
import pandas as pd

from gavae_ids.datasets import load_benchmark
from gavae_ids.datasets.benchmarks import BENCHMARK_TITLES
from gavae_ids.datasets.unsw_nb15 import accuracy_ceiling
from gavae_ids.evaluation import aggregate, evaluate
from gavae_ids.evaluation.metrics import to_jsonable
from gavae_ids.exceptions import DataError
from gavae_ids.methods import QUICK_ROWS_PER_CLASS, stratified_rows
from gavae_ids.pipeline import build_pipeline
from gavae_ids.preprocessing import TabularPreprocessor, fit_preprocessing

log = logging.getLogger(__name__)

DATASETS = BENCHMARK_TITLES
PAPER_METHODS = ("KNN", "CNN", "DNN", "RF", "SVM", "GAVAE-DNN")
PEER_METHODS = ("SMOTE+DNN", "CTGAN+DNN", "TVAE+DNN")
#: Tree models beyond the paper (not in the default list: ask for them with ``methods``).
TREE_METHODS = ("LightGBM", "SMOTE+LightGBM", "GAVAE+LightGBM", "SMOTE+RF", "GAVAE+RF")
NORMAL = "Normal"


@dataclass
class ReproduceConfig:
    """Everything that decides a reproduction run; saved as ``config.json``."""

    dataset: str = "nsl-kdd"
    train_split: str = "train20"  # NSL-KDD only: "train20" (paper, Table 4) or "train"
    seeds: int = 3
    first_seed: int = 0  # seeds first_seed .. first_seed + seeds - 1 (split a run; see merge_runs)
    quick: bool = False
    methods: tuple[str, ...] | None = None  # None: the paper's six + available peers
    outlier_filter: bool = False  # see protocol_notes: the paper's Table 4 counts every row
    k: float = 1.0  # Eq. 8 threshold scale of GAVAE-DNN's sampler
    # "paper": methods.PAPER_PARAMS (the paper's DNN learning rate); "defaults": the
    # library's cross-validated defaults. --config / method_params win over both.
    hyperparameters: str = "paper"
    device: str = "auto"
    quick_rows_per_class: int = QUICK_ROWS_PER_CLASS
    quick_test_rows: int = 3000
    umap_per_class: int = 500
    method_params: dict = field(default_factory=dict)
    # GAVAE-DNN's novelty flag (gavae_ids.novelty): evaluated beside the plain predictions,
    # its quantile chosen on training rows for this budget of added validation FPR.
    novelty: bool = True
    novelty_fpr_budget: float = 0.02

    def __post_init__(self):
        if self.dataset not in DATASETS:
            raise DataError(
                f"unknown dataset {self.dataset!r}; choose one of {', '.join(DATASETS)}"
            )
        if self.seeds < 1:
            raise DataError(f"--seeds must be at least 1, got {self.seeds}")
        if self.hyperparameters not in ("paper", "defaults"):
            raise DataError(
                f"hyperparameters must be 'paper' or 'defaults', got {self.hyperparameters!r}"
            )
        if self.first_seed < 0:
            raise DataError(f"--first-seed must be 0 or more, got {self.first_seed}")
        if not 0.0 <= self.novelty_fpr_budget <= 1.0:
            raise DataError(f"--novelty-fpr-budget must lie in [0, 1], got "
                            f"{self.novelty_fpr_budget}")  # fmt: skip

    @property
    def seed_list(self) -> list[int]:
        return list(range(self.first_seed, self.first_seed + self.seeds))


def run_params(cfg: ReproduceConfig, method: str) -> dict:
    """Parameters ``method`` is built with beyond the presets: --config's, and cfg.k."""
    params = dict(cfg.method_params.get(method, {}))
    if method == "GAVAE-DNN":
        params.setdefault("sampler__k", cfg.k)
    return params


def seed_span(seeds) -> str:
    seeds = sorted(seeds)
    if seeds == list(range(seeds[0], seeds[-1] + 1)):
        return f"{seeds[0]}..{seeds[-1]}"
    return ", ".join(map(str, seeds))


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
    from gavae_ids.classifiers.registry import method_key

    return method_key(method)


def display_name(method: str) -> str:
    """Registry or report name → the report's spelling (``"gavae-dnn"`` → ``"GAVAE-DNN"``)."""
    from gavae_ids.classifiers.registry import display_name as _display

    return _display(method)


def resolve_methods(names) -> tuple[str, ...]:
    """Report names of ``names`` (default: :func:`default_methods`), de-duplicated; an unknown
    or unavailable method is refused before any data is loaded."""
    from gavae_ids.classifiers import available_methods

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
    from gavae_ids.classifiers import available_methods

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
) -> dict:
    """Run the reproduction described by ``cfg``; returns the results dict (``metrics.json``)."""
    from gavae_ids._torch import resolve_device

    t_start = time.perf_counter()
    out = Path(out_dir)
    (out / "figures").mkdir(parents=True, exist_ok=True)
    device = str(resolve_device(cfg.device))
    methods = resolve_methods(cfg.methods)
    unknown_params = sorted(set(cfg.method_params) - set(methods))
    if unknown_params:
        raise DataError(f"parameters given for {', '.join(unknown_params)}, which this run does "
                        f"not train (methods: {', '.join(methods)})")  # fmt: skip
    exp = load_experiment(cfg, data_home)
    train, tests = exp["train"], exp["tests"]
    classes = list(train.classes)

    # The report's view of the training data (rows kept, UMAP, fidelity); every method's
    # pipeline below fits the same filter and preprocessing itself, identically.
    X, y, pre, outlier_report = fit_preprocessing(
        train.X, train.y, categorical=train.categorical, numeric=train.numeric,
        outlier_filter=cfg.outlier_filter)  # fmt: skip
    Xtr, ytr = pre.transform(X), y.to_numpy()
    encoded = {}
    for name, t in tests.items():
        Xt, unseen = pre.encode(t.X)
        encoded[name] = (Xt, t.y.to_numpy(), t.seen.to_numpy() if "seen" in t else None)

    (out / "config.json").write_text(json.dumps({**asdict(cfg), "methods": list(methods),
                                                 "device": device}, indent=2))  # fmt: skip
    runs, aug_rows, first, novelty_rows = [], [], {}, []
    for seed in cfg.seed_list:
        for method in methods:
            pipe = build_pipeline(registry_name(method), categorical=train.categorical,
                                  numeric=train.numeric, outlier_filter=cfg.outlier_filter,
                                  quick=cfg.quick, random_state=seed, verbose=verbose,
                                  device=cfg.device, paper=cfg.hyperparameters == "paper",
                                  **run_params(cfg, method))  # fmt: skip
            log.info("seed %d: fitting %s", seed, method)
            t0 = time.perf_counter()
            pipe.fit(train.X, train.y)
            fit_s = time.perf_counter() - t0
            # The report reads the classifier and the test sets encoded once by `pre`,
            # which is what the pipeline fitted too (same rows, deterministic).
            if pipe.preprocessor_.to_dict() != pre.to_dict():
                raise RuntimeError("the pipeline's preprocessing differs from the report's")
            model = pipe.classifier_
            evals = {}
            for name, (Xt, yt, seen) in encoded.items():
                evals[name] = _evaluations(model, Xt, yt, seen, classes)
            runs.append({"seed": seed, "method": method, "fit_seconds": fit_s,
                         "evaluations": {n: {s: r.to_dict() for s, r in e.items()}
                                         for n, e in evals.items()},
                         "summary": {n: {s: _flat(r) for s, r in e.items()}
                                     for n, e in evals.items()}})  # fmt: skip
            if method == "GAVAE-DNN" and cfg.novelty:
                novelty_rows += add_novelty(runs[-1], model, Xtr, ytr, encoded, cfg)
            if method == "GAVAE-DNN":
                rep = pd.DataFrame(model.augmentation_report_)
                rep["seed"] = seed
                aug_rows.append(rep)
            if seed == cfg.first_seed:
                first[method] = (model, evals)
            s = runs[-1]["summary"][next(iter(encoded))]["all"]
            log.info("seed %d %-10s fit %6.1fs  acc %.4f  macro-F1 %.4f", seed, method, fit_s,
                     s["accuracy"], s["macro_f1"])  # fmt: skip

    agg = aggregate_runs(runs, methods, list(encoded))
    augmentation = None
    if aug_rows:
        allrep = pd.concat(aug_rows, ignore_index=True)
        allrep.to_csv(out / "augmentation.csv", index=False)
        augmentation = aggregate_augmentation(allrep, classes)

    results = {
        "dataset": cfg.dataset,
        "dataset_title": DATASETS[cfg.dataset],
        "protocol": exp["protocol"],
        "command": command or "gavae_ids.reproduce.reproduce(...)",
        "config": {**asdict(cfg), "methods": list(methods)},
        "device": device,
        "quick": cfg.quick,
        "seeds": cfg.seed_list,
        "methods": list(methods),
        "classes": classes,
        **_data_summary(train, ytr, classes, outlier_report, encoded, exp["ceilings"]),
        "runs": runs,
        "aggregate": agg,
        "augmentation": augmentation,
        "environment": {"python": platform.python_version(), "platform": platform.platform()},
        "protocol_notes": protocol_notes(cfg, exp, device),
    }
    figures = make_figures(results, first, Xtr, ytr, out, cfg, verbose)
    if novelty_rows:
        figures.update(novelty_outputs(results, pd.DataFrame(novelty_rows), out))
    results["figures"] = figures
    if "GAVAE-DNN" in first:
        from gavae_ids.fidelity import run_fidelity_section

        log.info("fidelity of the seed-%d GAVAE's rows", cfg.first_seed)
        per_class, results["fidelity_markdown"] = run_fidelity_section(
            first["GAVAE-DNN"][0].sampler_, Xtr, ytr, random_state=cfg.first_seed,
            max_rows=500 if cfg.quick else 3000,
        )  # fmt: skip
        per_class.reset_index().to_csv(out / "fidelity.csv", index=False)
        novelty = next((r.get("novelty") for r in runs if r["method"] == "GAVAE-DNN"
                        and r["seed"] == cfg.first_seed), None)  # fmt: skip
        _save_models(first["GAVAE-DNN"][0], pre, out / "models", novelty=novelty,
                     info={"dataset": cfg.dataset, "source": train.name,
                           "protocol": exp["protocol"], "random_state": cfg.first_seed,
                           "rows_trained": int(len(ytr))})  # fmt: skip
    results["wall_seconds"] = time.perf_counter() - t_start
    write_outputs(results, out, figures)
    return results


def _data_summary(train, ytr, classes, outlier_report, encoded, ceilings) -> dict:
    """The results' description of the data: training rows used, outliers removed, test sets."""
    return {
        "train": {
            "name": train.name,
            "rows": len(train.y),
            "rows_used": len(ytr),
            "classes": {c: int((ytr == c).sum()) for c in classes},
        },  # fmt: skip
        "outliers": None
        if outlier_report is None
        else {
            str(c): {k: (v if isinstance(v, str) else int(v)) for k, v in r.items()}
            for c, r in outlier_report.iterrows()
        },  # fmt: skip
        "test_sets": {
            n: {
                "rows": len(yt),
                "ceiling": ceilings.get(n),
                "classes": {c: int((yt == c).sum()) for c in classes},
            }
            for n, (_, yt, _) in encoded.items()
        },  # fmt: skip
    }


SUBSETS = ("all", "seen", "unseen")


def add_novelty(run: dict, model, Xtr, ytr, encoded: dict, cfg: ReproduceConfig) -> list[dict]:
    """Evaluate GAVAE-DNN's novelty flag (:mod:`gavae_ids.novelty`) for one fitted seed.

    Adds the :data:`gavae_ids.novelty.SUMMARY_KEYS` at the quantile chosen on the
    training rows to ``run["summary"]`` (so they reach ``metrics.csv`` and the
    aggregate) and the thresholds to ``run["novelty"]``; returns the curve rows of
    every quantile, tagged with the seed.
    """
    from gavae_ids.novelty import evaluate_novelty

    log.info("seed %d: novelty flag of GAVAE-DNN", run["seed"])
    try:
        ev = evaluate_novelty(model, Xtr, ytr, encoded, NORMAL,
                              fpr_budget=cfg.novelty_fpr_budget)  # fmt: skip
    except DataError as e:  # e.g. the classifier's validation split cannot be re-drawn
        log.warning("seed %d: novelty flag not evaluated: %s", run["seed"], e)
        return []
    for name, subsets in ev["summary"].items():
        for subset, values in subsets.items():
            run["summary"][name].setdefault(subset, {}).update(values)
    run["novelty"] = ev["thresholds"].to_dict()
    return [{"seed": run["seed"], **row} for row in ev["curve"]]


def novelty_outputs(results: dict, curve: pd.DataFrame, out: Path) -> dict[str, str]:
    """Write ``novelty_curve.csv`` and the DR-on-unseen vs FPR figure; set ``results["novelty"]``.

    Returns the figure keys (``novelty:<test set>``) → paths relative to ``out``.
    """
    from gavae_ids.evaluation import figures as F

    curve = curve.sort_values(["seed", "test_set", "quantile"], kind="stable")
    curve.to_csv(out / "novelty_curve.csv", index=False)
    results["novelty"] = {"fpr_budget": results["config"].get("novelty_fpr_budget"),
                          "curve": curve.to_dict(orient="records")}  # fmt: skip
    figs = {}
    for name, part in curve.groupby("test_set", sort=False):
        if "dr_unseen" not in part or part["dr_unseen"].isna().all():
            continue
        p = F.plot_novelty_curve(
            part,
            out / "figures" / f"novelty_{figure_slug(name)}.png",
            title=f"{results['dataset_title']} — {name}: GAVAE-DNN novelty flag",
        )
        figs[f"novelty:{name}"] = str(p.relative_to(out))
    return figs


def aggregate_runs(runs, methods, test_names) -> dict:
    """Mean ± std over seeds of every flat metric: the ``aggregate`` of ``metrics.json``.

    Parameters
    ----------
    runs : list of dict
        One entry per seed × method, each with ``method`` and ``summary``
        (``{test set: {subset: {metric: value}}}``).
    methods : sequence of str
        Methods to aggregate, in report order.
    test_names : sequence of str
        Test sets to aggregate.

    Returns
    -------
    dict
        ``{test set: {subset: {method: {metric: {"mean", "std", "n"}}}}}``; a
        subset no run evaluated (``seen``/``unseen`` outside NSL-KDD) is left out.
    """
    agg = {}
    for name in test_names:
        agg[name] = {}
        for subset in SUBSETS:
            per_method = {}
            for method in methods:
                flats = [r["summary"][name][subset] for r in runs
                         if r["method"] == method and subset in r["summary"][name]]  # fmt: skip
                if flats:
                    per_method[method] = aggregate(flats)
            if per_method:
                agg[name][subset] = per_method
    return agg


def aggregate_augmentation(per_seed: pd.DataFrame, classes) -> dict:
    """Table 4/5 figures from the GAVAE-DNN augmentation rows of every seed.

    Parameters
    ----------
    per_seed : DataFrame
        One row per seed × class with ``class``, ``real``, ``generated``,
        ``attempts``, ``accepted`` (and ``seed``): ``augmentation.csv``.
    classes : sequence of str
        Class order of the table.

    Returns
    -------
    dict
        ``{"mean": [{"class", "real", "generated", "attempts", "acceptance_rate"}],
        "per_seed": records of per_seed}``; the acceptance rate pools accepted and
        attempted candidates over seeds.
    """
    by_class = per_seed.groupby("class", sort=False)
    mean = by_class[["real", "generated", "attempts"]].mean()
    mean = mean.reindex([c for c in classes if c in mean.index])
    mean["acceptance_rate"] = (by_class["accepted"].sum()
                               / by_class["attempts"].sum().replace(0, np.nan))  # fmt: skip
    return {"mean": [{"class": c, **{k: float(v) for k, v in r.items()}}
                     for c, r in mean.iterrows()],
            "per_seed": per_seed.to_dict(orient="records")}  # fmt: skip


def _hyperparameters_note(cfg: ReproduceConfig) -> str:
    from gavae_ids.methods import PAPER_PARAMS

    if cfg.hyperparameters == "paper":
        pinned = ", ".join(
            f"{k} = {v:g}" if isinstance(v, float) else f"{k} = {v}"
            for k, v in PAPER_PARAMS.items()
        )
        text = (f"Hyperparameters: the paper preset ({pinned}): lr = 5e-5 is the paper's Adam "
                "learning rate (§4); the sampler__ values are the GAVAE as the paper describes "
                "it read literally, with network sizes of our choosing where the paper gives "
                "none; everything else the library's defaults")  # fmt: skip
    else:
        text = (
            "Hyperparameters: the library's cross-validated defaults (--hyperparameters defaults)"
        )
    if cfg.method_params:
        given = "; ".join(f"{m}: {p}" for m, p in cfg.method_params.items())
        text += f"; given for this run (--config): {given}"
    return text + f". GAVAE-DNN's Eq. 8 threshold scale k = {cfg.k:g}."


def protocol_notes(cfg: ReproduceConfig, exp: dict, device: str) -> list[str]:
    notes = [
        exp["protocol"] + ".",
        "Preprocessing (§3.5) is fitted on the training data only: one-hot encoding (unseen "
        "test categories → all-zero block) and min-max scaling with clipping. The per-class "
        f"MAD outlier filter is {'ON' if cfg.outlier_filter else 'OFF'} (--outliers/"
        "--no-outliers): the paper's Table 4 counts all 13,449 Normal and 9,234 DoS rows of "
        "KDDTrain+_20Percent as real records and generates no Normal ones, which only holds "
        "with no rows removed, whereas its §3.5 rule read literally (10·σ̂, MAD = 0 attributes "
        "skipped) removes 5,702 of those Normal rows and makes DoS the majority class.",
        "Validation data for early stopping come from a stratified split of the training "
        "data, made before augmentation; the test sets are used only for evaluation.",
        seeds_note(cfg.seed_list),
        _hyperparameters_note(cfg),
        novelty_note(cfg),
        "Metrics: from the confusion matrix; per class one-vs-all; 'macro' = unweighted mean "
        "over classes (NaN classes skipped); 'binary' = attack (any non-normal class) vs "
        "normal; DR = recall; FPR = FP/(FP+TN); G-mean = sqrt(recall·specificity); AUC from "
        "predict_proba, one-vs-all.",
        "The paper does not state how it averaged precision/recall/FPR, nor its seeds; its "
        "numbers are shown beside ours, not as a match.",
        "KNN and the exact RBF SVC (used up to 30,000 training rows) involve no randomness, "
        "so their standard deviation over seeds is 0.",
        f"Device: {device}; torch intra-op threads: {_torch_threads()}. Runs are repeatable "
        "for a given thread count; another count changes float summation order and so the "
        "trained networks.",
    ]
    if not exp["official"]:
        notes.append("The official UNSW-NB15 training partition is not available here, so the "
                     "paper's Table 5/7 protocol (train 175,341 / test 82,332) could not be "
                     "followed; see the ceiling above.")  # fmt: skip
    return notes


def novelty_note(cfg: ReproduceConfig) -> str:
    if not cfg.novelty:
        return "Novelty flag: off (--no-novelty)."
    return (f"Novelty flag (GAVAE-DNN): a row is novel when its Eq. 7 reconstruction loss under "
            "its predicted class exceeds a quantile of the losses of that class's training "
            "rows (those the GAVAE was fitted on); the quantile is the smallest that flags at "
            f"most {100 * cfg.novelty_fpr_budget:g} % of the normal validation rows the "
            "classifier calls normal (validation rows = the classifier's held-out training "
            "rows; --novelty-fpr-budget). Test data play no part in choosing it.")  # fmt: skip


def seeds_note(seeds) -> str:
    """The protocol note on ``seeds`` (also rewritten by :func:`gavae_ids.merge.merge_runs`)."""
    return (f"Seeds {seed_span(seeds)}: each seed re-initialises and re-trains every method "
            "(and re-draws the validation split and the GAVAE samples); data splits of the "
            "protocol stay fixed.")  # fmt: skip


def _torch_threads() -> int:
    import torch

    return torch.get_num_threads()


def best_baseline(results: dict, test_set: str) -> str | None:
    agg = results["aggregate"][test_set]["all"]
    others = [m for m in results["methods"] if m != "GAVAE-DNN"]
    if not others:
        return None
    return max(others, key=lambda m: agg[m]["macro_f1"]["mean"])


def figure_slug(test_set: str) -> str:
    """File-name form of a test set's name in ``figures/`` (``"KDDTest+"`` → ``"KDDTestplus"``)."""
    return test_set.replace("+", "plus").replace(" ", "_").replace("-", "_")


def bars_figure(results: dict, test_set: str, out: Path) -> str:
    """Figs. 10/11 for ``test_set`` from ``results["aggregate"]``; its path relative to ``out``."""
    from gavae_ids.evaluation import figures as F
    from gavae_ids.evaluation.metrics import PAPER_COLUMNS, TABLE_METRICS
    from gavae_ids.evaluation.report import VIEWS

    agg = results["aggregate"][test_set]["all"]
    keys = VIEWS["macro"]  # the report's Tables 6/7 columns, in order
    means = {m: {k: agg[m][k]["mean"] for k in keys} for m in results["methods"]}
    stds = {m: {k: agg[m][k]["std"] for k in keys} for m in results["methods"]}
    title = f"{results['dataset_title']} — {test_set} (macro view, %)"
    p = F.plot_metric_bars(means, stds, keys, [PAPER_COLUMNS[m] for m in TABLE_METRICS],
                           out / "figures" / f"bars_{figure_slug(test_set)}.png",
                           title=title)  # fmt: skip
    return str(p.relative_to(out))


def make_figures(results, first, Xtr, ytr, out: Path, cfg, verbose) -> dict[str, str]:
    from gavae_ids.evaluation import figures as F

    figs: dict[str, str] = {}
    title = results["dataset_title"]
    for name in results["test_sets"]:
        slug = figure_slug(name)
        figs[f"bars:{name}"] = bars_figure(results, name, out)
        roc_methods = [m for m in ("GAVAE-DNN", best_baseline(results, name)) if m in first]
        results.setdefault("roc_methods", {})[name] = roc_methods
        curves = {}
        for m in roc_methods:
            ev = first[m][1][name]["all"]
            curves[m] = {**{str(c): ev.roc.get(c) for c in results["classes"]},
                         "auc": {str(c): v for c, v in ev.auc["per_class"].items()}}  # fmt: skip
        if curves:
            p = F.plot_roc_curves(curves, out / "figures" / f"roc_{slug}.png",
                                  title=f"{title} — {name}: one-vs-all ROC")  # fmt: skip
            figs[f"roc:{name}"] = str(p.relative_to(out))
        mats = {m: first[m][1][name]["all"].confusion_matrix for m in results["methods"]}
        p = F.plot_confusion_matrices(mats, results["classes"],
                                      out / "figures" / f"confusion_{slug}.png",
                                      title=f"{title} — {name}")  # fmt: skip
        figs[f"confusion:{name}"] = str(p.relative_to(out))
    if "GAVAE-DNN" in first:
        model = first["GAVAE-DNN"][0]
        sampler = model.sampler_
        hist = sampler.discriminator_history()
        hist.to_csv(out / "discriminator_history.csv", index=False)
        p = F.plot_discriminator_accuracy(
            hist,
            out / "figures" / "fig7_discriminator.png",
            title=f"{title}: latent discriminator accuracy",
        )
        figs["fig7"] = str(p.relative_to(out))
        syn_X, syn_y = [], []
        counts = pd.Series(ytr).value_counts()
        for c in counts.index[1:]:  # every class but the majority one
            s = sampler.sample(cfg.umap_per_class, c)
            syn_X.append(np.asarray(s))
            syn_y += [c] * len(s)
        threads = _torch_threads()
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


def _save_models(model, pre: TabularPreprocessor, path: Path, *, novelty=None,
                 info=None) -> None:  # fmt: skip
    """The first seed's GAVAE-DNN as a model bundle (``gavae-ids score`` reads it), with its
    GAVAE and, when the run evaluated it, the novelty thresholds chosen on training rows."""
    from gavae_ids.detector import Detector
    from gavae_ids.novelty import NoveltyThresholds

    det = Detector(pre, model, normal_label=NORMAL, method="gavae-dnn", sampler=model.sampler_,
                   info=info)  # fmt: skip
    if novelty:
        det.novelty_ = NoveltyThresholds.from_dict(novelty)
    det.save(path, overwrite=True)


def write_outputs(results: dict, out: Path, figures: dict[str, str]) -> None:
    from gavae_ids.evaluation.report import write_report

    (out / "metrics.json").write_text(json.dumps(to_jsonable(results), indent=1, allow_nan=False))
    rows = []
    for r in results["runs"]:
        for name, subsets in r["summary"].items():
            for subset, s in subsets.items():
                rows.append({"seed": r["seed"], "method": r["method"], "test_set": name,
                             "subset": subset, "fit_seconds": r["fit_seconds"], **s})  # fmt: skip
    pd.DataFrame(rows).to_csv(out / "metrics.csv", index=False)
    write_report(results, out, figures)


def command_line() -> str:
    return " ".join(shlex.quote(a) for a in ["gavae-ids", *sys.argv[1:]])
