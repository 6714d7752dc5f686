"""Typed results of a reproduction run, and their one JSON schema (``metrics.json``).

:func:`gavae_ids.experiments.reproduce.reproduce` and :func:`gavae_ids.experiments.merge.merge_runs`
return a :class:`RunResults`; :func:`write_results` saves it as ``metrics.json``
(a ``gavae-ids-results`` document of format version :data:`RESULTS_FORMAT_VERSION`)
and :func:`read_results` reads it back, refusing another format or version in one
line. The report (:mod:`gavae_ids.evaluation.report`), ``gavae-ids merge`` and the
benchmarks read results only through these classes.

Runs committed before the schema had a version wrote the same layout without the
``format`` header: :func:`read_results` reads them as they are. Older runs still
have no ``metrics.json`` at all; :func:`read_run_table` rebuilds what their
``config.json`` and ``metrics.csv`` hold (:class:`RunTable`).

Per-metric values stay plain dicts: a seed's ``summary`` is
``{test set: {subset: {metric: value}}}`` and the ``aggregate`` is
``{test set: {subset: {method: {metric: {"mean", "std", "n"}}}}}``
(:func:`aggregate_runs`). No torch here.
"""

from __future__ import annotations

import dataclasses
import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from gavae_ids._util.documents import check_document
from gavae_ids.evaluation.metrics import aggregate, to_jsonable
from gavae_ids.exceptions import DataError, ModelFileError

RESULTS_FORMAT = "gavae-ids-results"
#: Version 1: the layout of :class:`RunResults`. Unversioned files (no ``format``) are
#: the same layout, written before the header existed.
RESULTS_FORMAT_VERSION = 1
RESULTS_FILE = "metrics.json"
#: Subsets a test set may be evaluated on, in report order.
SUBSETS = ("all", "seen", "unseen")
#: Columns of ``metrics.csv`` before the metrics.
ID_COLUMNS = ("seed", "method", "test_set", "subset", "fit_seconds")

#: ``{metric: {"mean", "std", "n"}}`` of one method (see :func:`gavae_ids.evaluation.aggregate`).
Stats = dict[str, dict[str, Any]]
#: ``{test set: {subset: {method: Stats}}}``.
Aggregate = dict[str, dict[str, dict[str, Stats]]]
#: ``{test set: {subset: {metric: value}}}`` of one seed and method.
Summary = dict[str, dict[str, dict[str, Any]]]


@dataclass
class TrainData:
    """The training data of a run: file, rows, rows after the outlier filter, per class."""

    name: str
    rows: int
    rows_used: int
    classes: dict[str, int]


@dataclass
class TestSetInfo:
    """One test set: rows evaluated, per-class counts and (UNSW-NB15) the accuracy ceiling."""

    __test__ = False  # not a pytest test class

    rows: int
    classes: dict[str, int]
    ceiling: float | None = None


@dataclass
class SeedRun:
    """One method trained with one seed and evaluated on every test set.

    ``evaluations`` (``{test set: {subset: EvaluationResult.to_dict()}}``) is None for
    a run rebuilt from ``metrics.csv``; ``novelty`` holds GAVAE-DNN's novelty
    thresholds (:class:`gavae_ids.detection.novelty.NoveltyThresholds` as a dict) when evaluated.
    """

    seed: int
    method: str
    fit_seconds: float
    summary: Summary
    evaluations: dict[str, dict[str, dict]] | None = None
    novelty: dict | None = None


@dataclass
class Augmentation:
    """Tables 4/5: GAVAE-DNN's augmentation, mean over seeds and per seed (see
    :func:`aggregate_augmentation`)."""

    mean: list[dict[str, Any]]
    per_seed: list[dict[str, Any]]


@dataclass
class NoveltyCurve:
    """GAVAE-DNN's novelty flag over its quantile: ``novelty_curve.csv`` as records."""

    fpr_budget: float | None
    curve: list[dict[str, Any]]


@dataclass
class Provenance:
    """Where one input of a merged run ran (``merged_from``)."""

    run_dir: str
    seeds: list[int]
    device: str
    wall_seconds: float | None
    command: str | None
    metrics_json: bool


@dataclass
class RunResults:
    """Every figure of a reproduction run (per seed and aggregated) and how it was made."""

    dataset: str
    dataset_title: str
    protocol: str
    command: str
    #: the resolved :class:`gavae_ids.experiments.reproduce.ReproduceConfig`, as in ``config.json``
    config: dict[str, Any]
    device: str
    quick: bool
    seeds: list[int]
    methods: list[str]
    classes: list[str]
    train: TrainData
    #: per class: rows before/after the MAD outlier filter; None when it was off
    outliers: dict[str, dict[str, Any]] | None
    test_sets: dict[str, TestSetInfo]
    runs: list[SeedRun]
    aggregate: Aggregate
    augmentation: Augmentation | None
    environment: dict[str, str]
    protocol_notes: list[str]
    roc_methods: dict[str, list[str]] = field(default_factory=dict)
    novelty: NoveltyCurve | None = None
    #: figure key (``fig7``, ``umap``, ``bars:<test set>``, ...) → path in the run directory
    figures: dict[str, str] = field(default_factory=dict)
    fidelity_markdown: str | None = None
    #: rows of :func:`gavae_ids.experiments.budget_runs.budget_run` (``reproduce --budgets``)
    budgets: list[dict] = field(default_factory=list)
    wall_seconds: float | None = None
    merged_from: list[Provenance] = field(default_factory=list)

    @property
    def full_train(self) -> bool:
        """An NSL-KDD run trained on KDDTrain+ (not the paper's protocol)."""
        return _full_train(self.dataset, self.config)

    def to_dict(self) -> dict[str, Any]:
        """The ``metrics.json`` document: the format header, then every field (NaN → null)."""
        return {"format": RESULTS_FORMAT, "format_version": RESULTS_FORMAT_VERSION,
                **to_jsonable(dataclasses.asdict(self))}  # fmt: skip

    @classmethod
    def from_dict(cls, doc, *, source=None) -> RunResults:
        """Read a ``metrics.json`` document (see :func:`read_results`)."""
        where = f"{source}: " if source is not None else ""
        if isinstance(doc, dict) and "format" not in doc and "runs" in doc:
            pass  # written before the header existed: the same layout
        else:
            try:
                check_document(doc, RESULTS_FORMAT, RESULTS_FORMAT_VERSION, "results file",
                               source=source)  # fmt: skip
            except ModelFileError as e:
                raise DataError(str(e)) from None
        try:
            return _results_from_dict(doc)
        except (KeyError, TypeError, ValueError) as e:
            raise DataError(f"{where}not a results file of gavae-ids reproduce "
                            f"(missing or malformed {e})") from None  # fmt: skip


def _full_train(dataset: str, config: dict) -> bool:
    return dataset == "nsl-kdd" and config.get("train_split") == "train"


def _results_from_dict(doc: dict) -> RunResults:
    known = {f.name for f in dataclasses.fields(RunResults)}
    kw = {k: v for k, v in doc.items() if k in known}
    kw["train"] = TrainData(**doc["train"])
    kw["test_sets"] = {n: TestSetInfo(**t) for n, t in doc["test_sets"].items()}
    kw["runs"] = [SeedRun(**r) for r in doc["runs"]]
    if kw.get("augmentation") is not None:
        kw["augmentation"] = Augmentation(**kw["augmentation"])
    if kw.get("novelty") is not None:
        kw["novelty"] = NoveltyCurve(**kw["novelty"])
    kw["merged_from"] = [Provenance(**e) for e in kw.get("merged_from") or []]
    return RunResults(**kw)


def write_results(results: RunResults, path) -> Path:
    """Save ``results`` as strict JSON (no NaN constants) at ``path``; returns the path."""
    path = Path(path)
    path.write_text(json.dumps(results.to_dict(), indent=1, allow_nan=False))
    return path


def read_json_object(path: Path) -> dict:
    """A JSON object from ``path``; a DataError naming the file if it is not one."""
    try:
        doc = json.loads(Path(path).read_text())
    except (OSError, json.JSONDecodeError, UnicodeDecodeError) as e:
        raise DataError(f"not readable JSON ({e})", path=path) from None
    if not isinstance(doc, dict):
        raise DataError("not a JSON object", path=path)
    return doc


def read_results(path) -> RunResults:
    """The :class:`RunResults` in ``path`` (a ``metrics.json`` or the run directory holding it).

    Raises
    ------
    DataError
        If the file is missing, not JSON, of another format or of a format version
        this gavae-ids does not read (one line, naming the file).
    """
    path = Path(path)
    if path.is_dir():
        path = path / RESULTS_FILE
    if not path.is_file():
        raise DataError("missing; not a finished run of gavae-ids reproduce", path=path)
    return RunResults.from_dict(read_json_object(path), source=path)


# -- aggregation ----------------------------------------------------------------------------------
def aggregate_runs(runs, methods, test_names) -> Aggregate:
    """Mean ± std over seeds of every flat metric: the ``aggregate`` of the results.

    Parameters
    ----------
    runs : sequence of SeedRun
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
                flats = [r.summary[name][subset] for r in runs
                         if r.method == method and subset in r.summary[name]]  # fmt: skip
                if flats:
                    per_method[method] = aggregate(flats)
            if per_method:
                agg[name][subset] = per_method
    return agg


def aggregate_augmentation(per_seed: pd.DataFrame, classes) -> Augmentation:
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
    Augmentation
        ``mean``: ``[{"class", "real", "generated", "attempts", "acceptance_rate"}]``,
        ``per_seed``: the records of ``per_seed``; the acceptance rate pools accepted
        and attempted candidates over seeds. Where every row has ``passed_eq9``
        (runs since the manifold check), ``mean`` also holds ``eq9_rate``, the share of
        candidates that passed Eq. 9, pooled the same way.
    """
    by_class = per_seed.groupby("class", sort=False)
    mean = by_class[["real", "generated", "attempts"]].mean()
    mean = mean.reindex([c for c in classes if c in mean.index])
    attempts = by_class["attempts"].sum().replace(0, np.nan)
    if "passed_eq9" in per_seed and per_seed["passed_eq9"].notna().all():
        mean["eq9_rate"] = by_class["passed_eq9"].sum() / attempts
    mean["acceptance_rate"] = by_class["accepted"].sum() / attempts
    return Augmentation(
        mean=[{"class": c, **{k: float(v) for k, v in r.items()}} for c, r in mean.iterrows()],
        per_seed=per_seed.to_dict(orient="records"),
    )


# -- runs without metrics.json --------------------------------------------------------------------
@dataclass
class RunTable:
    """A run as its ``config.json`` and ``metrics.csv`` alone describe it.

    Enough for the report sections that ``gavae-ids report`` rewrites and for
    ``gavae-ids merge``; older committed runs have nothing more.
    """

    path: Path
    config: dict[str, Any]
    runs: list[SeedRun]
    #: classes of the per-class detection rates (``dr_<class>`` columns), in column order
    classes: list[str]

    @property
    def dataset(self) -> str:
        return self.config["dataset"]

    @property
    def full_train(self) -> bool:
        return _full_train(self.dataset, self.config)

    @property
    def methods(self) -> list[str]:
        return list(dict.fromkeys(r.method for r in self.runs))

    @property
    def seeds(self) -> list[int]:
        return sorted({r.seed for r in self.runs})

    @property
    def test_sets(self) -> list[str]:
        return list(dict.fromkeys(name for r in self.runs for name in r.summary))

    @property
    def aggregate(self) -> Aggregate:
        return aggregate_runs(self.runs, self.methods, self.test_sets)


def read_run_table(run_dir, *, keep: dict | None = None) -> RunTable:
    """The :class:`RunTable` of ``run_dir`` (its ``config.json`` and ``metrics.csv``).

    ``keep`` maps ``(method, test set, subset)`` to metric names kept even where
    the CSV cell is empty (a NaN metric; see :func:`runs_from_metrics_csv`).
    """
    run_dir = Path(run_dir)
    if not (run_dir / "config.json").is_file():
        raise DataError("missing; not a run directory of gavae-ids reproduce",
                        path=run_dir / "config.json")  # fmt: skip
    config = read_json_object(run_dir / "config.json")
    frame = read_metrics_csv(run_dir / "metrics.csv")
    classes = [c[3:] for c in frame.columns if c.startswith("dr_")]
    runs = runs_from_metrics_csv(frame, run_dir / "metrics.csv", keep=keep)
    return RunTable(run_dir, config, runs, classes)


def read_csv_exact(path: Path) -> pd.DataFrame:
    """A CSV whose floats read back exactly as written; one DataError if it cannot be read."""
    # pandas 3 does so by default and deprecates the option pandas 2 needs for it.
    exact = {"float_precision": "round_trip"} if int(pd.__version__.split(".")[0]) < 3 else {}
    try:
        return pd.read_csv(path, **exact)
    except (OSError, pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as e:
        raise DataError(f"not a readable CSV ({e})", path=path) from None


def read_metrics_csv(path) -> pd.DataFrame:
    """A run's ``metrics.csv``, its identifying columns checked."""
    path = Path(path)
    frame = read_csv_exact(path)
    missing = [c for c in ID_COLUMNS if c not in frame.columns]
    if missing:
        raise DataError(f"missing column(s) {', '.join(missing)}", path=path)
    if not pd.api.types.is_integer_dtype(frame["seed"]):
        raise DataError("seeds are not all integers", path=path, column="seed")
    return frame


def runs_from_metrics_csv(frame: pd.DataFrame, path, *, keep: dict | None = None
                          ) -> list[SeedRun]:  # fmt: skip
    """The seed runs (seed, method, fit_seconds, summary) of ``metrics.csv`` read from ``path``.

    An empty cell is a metric the run did not compute or a NaN one: it is left out
    of the summary unless ``keep`` lists it for that method, test set and subset
    (then it is None, as in ``metrics.json``), so both kinds of input aggregate alike.
    """
    metrics = [c for c in frame.columns if c not in ID_COLUMNS]
    keep = keep or {}
    runs: dict[tuple[int, str], SeedRun] = {}
    for i, rec in enumerate(frame.to_dict(orient="records")):
        seed, method = int(rec["seed"]), str(rec["method"])
        name, subset = str(rec["test_set"]), str(rec["subset"])
        run = runs.setdefault((seed, method), SeedRun(seed, method, float(rec["fit_seconds"]),
                                                      {}))  # fmt: skip
        subsets = run.summary.setdefault(name, {})
        if subset in subsets:
            raise DataError(f"a second row of seed {seed}, {method}, {name}, {subset}",
                            path=path, row=i + 2)  # fmt: skip
        wanted = keep.get((method, name, subset), set())
        subsets[subset] = {k: _number(rec[k]) for k in metrics
                           if k in wanted or _number(rec[k]) is not None}  # fmt: skip
    return list(runs.values())


def _number(v) -> float | None:
    try:
        v = float(v)
    except (TypeError, ValueError):
        return None
    return v if math.isfinite(v) else None


def metrics_rows(runs) -> list[dict[str, Any]]:
    """``metrics.csv`` as records: one row per seed × method × test set × subset."""
    rows = []
    for r in runs:
        for name, subsets in r.summary.items():
            for subset, s in subsets.items():
                rows.append({"seed": r.seed, "method": r.method, "test_set": name,
                             "subset": subset, "fit_seconds": r.fit_seconds, **s})  # fmt: skip
    return rows
