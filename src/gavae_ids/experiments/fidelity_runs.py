"""Fidelity of each oversampler's synthetic rows on a benchmark: ``gavae-ids fidelity``.

What an oversampler makes, measured before what it buys (issue #11, part 1):
for every named sampler, the per-class metrics of
:mod:`gavae_ids.evaluation.fidelity` (C2ST AUC, coverage, density, distance
ratio, exact copies) and train-on-synthetic / test-on-real macro-F1.

Protocol
--------
1. Load the benchmark's training data (``load_benchmark``, no test set is read)
   and fit the preprocessing on all of it, as ``gavae-ids reproduce`` does
   (``--quick``: at most 500 rows per class first, as there).
2. Hold out a stratified ``holdout_fraction`` of every class (seeded by
   ``random_state``; a class keeps at least one row to fit on), the real rows
   TSTR/TRTR are tested on.
3. Fit every sampler on the rest with its default ``sampling_strategy`` (every
   class up to the majority count); the synthetic rows are the rows
   ``fit_resample`` returns after the originals (imbalanced-learn's samplers,
   the GAVAE and the CTGAN/TVAE wrapper all append; this is checked).
4. Compare the synthetic rows of each class with the real rows the sampler was
   fitted on (:func:`~gavae_ids.evaluation.fidelity.fidelity_per_class`) and run
   :func:`~gavae_ids.evaluation.tstr.tstr` on the held-out rows.

Samplers (:data:`SAMPLERS`): ``gavae`` (library defaults), ``gavae-paper`` (the
GAVAE settings ``reproduce --hyperparameters paper`` uses, from
:data:`gavae_ids.detection.methods.PAPER_PARAMS`), ``smote`` (k = 5, as SMOTE+DNN), ``ros`` (random
oversampling), ``tvae`` and ``ctgan`` (per class, optional ``ctgan`` package; skipped with
a note when it is missing).
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from gavae_ids._util.progress import progress_bar
from gavae_ids._util.split import validation_split
from gavae_ids.classifiers.peers import SynthesizerOverSampler, ctgan_available
from gavae_ids.datasets import load_benchmark
from gavae_ids.detection.methods import (
    PAPER_PARAMS,
    QUICK_PARAMS,
    QUICK_ROWS_PER_CLASS,
    stratified_rows,
)
from gavae_ids.evaluation.fidelity import MAX_ROWS, fidelity_markdown, fidelity_per_class, tstr
from gavae_ids.exceptions import DataError
from gavae_ids.preprocessing import fit_preprocessing
from gavae_ids.sampling import GAVAESampler

log = logging.getLogger(__name__)

#: Sampler names → what they are.
SAMPLERS = {
    "gavae": "GAVAE, library defaults",
    "gavae-paper": "GAVAE, paper preset (reproduce --hyperparameters paper)",
    "smote": "SMOTE, k = 5",
    "ros": "random oversampling",
    "tvae": "TVAE per class (ctgan package)",
    "ctgan": "CTGAN per class (ctgan package)",
}
#: The samplers ``measure_fidelity`` runs when none are named.
DEFAULT_SAMPLERS = ("gavae", "gavae-paper", "smote", "ros", "tvae", "ctgan")
#: Share of each class's training rows held out as the real test rows of TSTR/TRTR.
HOLDOUT_FRACTION = 0.2


def paper_sampler_params() -> dict:
    """The GAVAE sampler's parameters of the paper preset (``sampler__*`` of PAPER_PARAMS)."""
    prefix = "sampler__"
    return {k[len(prefix) :]: v for k, v in PAPER_PARAMS.items() if k.startswith(prefix)}


def resolve_samplers(names: Sequence[str] | None) -> tuple[list[str], list[str]]:
    """The samplers to run and notes on those skipped.

    Unknown names raise :class:`~gavae_ids.exceptions.DataError` (before any data
    is read); ``tvae``/``ctgan`` without the ``ctgan`` package are skipped with a note.
    """
    names = list(dict.fromkeys(n.strip().lower() for n in (names or DEFAULT_SAMPLERS)
                               if n.strip()))  # fmt: skip
    unknown = [n for n in names if n not in SAMPLERS]
    if unknown:
        raise DataError(f"unknown sampler(s) {', '.join(unknown)}; choose from "
                        f"{', '.join(SAMPLERS)}")  # fmt: skip
    if not names:
        raise DataError("no sampler named")
    run, notes = [], []
    for n in names:
        if n in ("tvae", "ctgan") and not ctgan_available():
            notes.append(f"{n} skipped: the optional 'ctgan' package is not installed "
                         "(pip install 'gavae-ids[ctgan]')")  # fmt: skip
        else:
            run.append(n)
    return run, notes


def make_sampler(name: str, *, layout=None, random_state=0, quick: bool = False,
                 device: str = "auto", verbose: bool = False, **params):  # fmt: skip
    """The unfitted oversampler called ``name`` (see :data:`SAMPLERS`).

    ``layout`` (the preprocessing's :class:`~gavae_ids.preprocessing.layout.FeatureLayout`)
    lets the GAVAE decode valid one-hot blocks. ``quick`` applies the
    ``--quick`` budgets of :data:`gavae_ids.detection.methods.QUICK_PARAMS`; ``params``
    (``set_params`` names of the sampler) win over every preset.
    """
    if name in ("gavae", "gavae-paper"):
        sampler = GAVAESampler(layout=layout, random_state=random_state, device=device,
                               verbose=verbose)  # fmt: skip
        if name == "gavae-paper":
            sampler.set_params(**paper_sampler_params())
        if quick:
            sampler.set_params(n_iter=QUICK_PARAMS["sampler__n_iter"])
    elif name == "smote":
        from imblearn.over_sampling import SMOTE

        sampler = SMOTE(k_neighbors=5, random_state=random_state)
    elif name == "ros":
        from imblearn.over_sampling import RandomOverSampler

        sampler = RandomOverSampler(random_state=random_state)
    elif name in ("tvae", "ctgan"):
        sampler = SynthesizerOverSampler(synthesizer=name, random_state=random_state)
        if quick:
            sampler.set_params(epochs=QUICK_PARAMS["epochs"])
    else:
        raise DataError(f"unknown sampler {name!r}; choose from {', '.join(SAMPLERS)}")
    try:
        sampler.set_params(**params)
    except ValueError as e:
        raise DataError(f"sampler {name!r}: {e}") from None
    return sampler


def synthetic_rows(sampler, X: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Fit ``sampler`` on ``X, y``; the rows it added (after the originals) and their labels."""
    X_res, y_res = sampler.fit_resample(X, y)
    X_res, y_res = np.asarray(X_res), np.asarray(y_res)
    n = len(X)
    if len(X_res) < n or not (np.array_equal(X_res[:n], X) and np.array_equal(y_res[:n], y)):
        raise DataError(f"{type(sampler).__name__} does not return the original rows first; "
                        "its synthetic rows cannot be told from them")  # fmt: skip
    return X_res[n:], y_res[n:]


@dataclass
class FidelityResult:
    """What :func:`measure_fidelity` measured.

    Attributes
    ----------
    dataset, protocol : str
    per_class : DataFrame
        One row per sampler × class: ``sampler``, ``class`` and
        :data:`~gavae_ids.evaluation.fidelity.FIDELITY_COLUMNS`.
    summary : DataFrame
        One row per sampler: ``sampler``, ``n_synthetic``, ``fit_seconds``,
        ``tstr_macro_f1``, ``trtr_macro_f1``.
    tstr_per_class : DataFrame
        One row per sampler × class: the per-class F1 of TSTR and TRTR.
    notes : list of str
        Protocol and skipped samplers.
    config : dict
    wall_seconds : float
    """

    dataset: str
    protocol: str
    per_class: pd.DataFrame
    summary: pd.DataFrame
    tstr_per_class: pd.DataFrame
    notes: list[str] = field(default_factory=list)
    config: dict = field(default_factory=dict)
    wall_seconds: float = float("nan")

    def to_markdown(self, *, title: str | None = None, level: int = 2) -> str:
        """The fidelity section of a report (see :func:`fidelity_markdown`)."""
        title = title or f"Fidelity of the synthetic rows — {self.dataset}"
        return fidelity_markdown(self.per_class, self.summary, title=title, level=level,
                                 notes=self.notes)  # fmt: skip

    def write(self, out_dir) -> dict[str, Path]:
        """Write fidelity.csv, tstr.csv, summary.csv, fidelity.md and config.json to ``out_dir``."""
        out = Path(out_dir)
        out.mkdir(parents=True, exist_ok=True)
        paths = {
            "fidelity": out / "fidelity.csv",
            "tstr": out / "tstr.csv",
            "summary": out / "summary.csv",
            "markdown": out / "fidelity.md",
            "config": out / "config.json",
        }
        self.per_class.to_csv(paths["fidelity"], index=False)
        self.tstr_per_class.to_csv(paths["tstr"], index=False)
        self.summary.to_csv(paths["summary"], index=False)
        paths["markdown"].write_text(self.to_markdown(level=1))
        paths["config"].write_text(json.dumps(
            {**self.config, "wall_seconds": self.wall_seconds}, indent=2, default=str))  # fmt: skip
        return paths


def measure_fidelity(
    dataset: str = "nsl-kdd",
    samplers: Sequence[str] | None = None,
    *,
    data_home=None,
    train_split: str = "train20",
    random_state: int = 0,
    holdout_fraction: float = HOLDOUT_FRACTION,
    max_rows: int | None = MAX_ROWS,
    quick: bool = False,
    device: str = "auto",
    sampler_params: Mapping[str, Mapping] | None = None,
    verbose: bool = True,
    out_dir=None,
    command: str | None = None,
) -> FidelityResult:
    """Fit each sampler on a benchmark's training data and measure its synthetic rows.

    Parameters
    ----------
    dataset : {"nsl-kdd", "unsw-nb15"}
    samplers : sequence of str, optional
        Names of :data:`SAMPLERS` (default :data:`DEFAULT_SAMPLERS`).
    data_home : path-like, optional
    train_split : str, default="train20"
        NSL-KDD training file (``train20`` = KDDTrain+_20Percent, ``train``).
    random_state : int, default=0
        Seeds the hold-out split, every sampler, the metrics and the classifiers.
    holdout_fraction : float, default=0.2
        Share of every class held out as TSTR/TRTR test rows.
    max_rows : int or None, default=3000
        Per-class cap on real and synthetic rows for the sample-based metrics.
    quick : bool, default=False
        At most 500 rows per class and the ``--quick`` sampler budgets: a smoke run.
    device : str, default="auto"
        Device of the GAVAE.
    sampler_params : mapping, optional
        ``{sampler name: {parameter: value}}``, applied last.
    verbose : bool, default=True
        Progress bars (stderr).
    out_dir : path-like, optional
        Where to :meth:`FidelityResult.write` the results.
    command : str, optional
        The command line, recorded in the notes.

    Returns
    -------
    FidelityResult
    """
    t_start = time.perf_counter()
    names, notes = resolve_samplers(samplers)
    sampler_params = _check_sampler_params(sampler_params, names)
    data = fidelity_data(dataset, data_home=data_home, train_split=train_split, quick=quick,
                          holdout_fraction=holdout_fraction, random_state=random_state)  # fmt: skip
    notes = [*_protocol_notes(data, names, holdout_fraction=holdout_fraction,
                              random_state=random_state, max_rows=max_rows), *notes]  # fmt: skip
    if command:
        notes.append(f"Command: `{command}`")

    measured = [
        _measure_sampler(name, make_sampler(name, layout=data.layout, random_state=random_state,
                                            quick=quick, device=device, verbose=verbose,
                                            **sampler_params.get(name, {})),
                         data, random_state=random_state, max_rows=max_rows, verbose=verbose)
        for name in names
    ]  # fmt: skip
    config = dict(dataset=dataset, samplers=names, train_split=train_split,
                  random_state=random_state, holdout_fraction=holdout_fraction,
                  max_rows=max_rows, quick=quick, device=device,
                  sampler_params=sampler_params, command=command)  # fmt: skip
    result = FidelityResult(
        dataset=dataset,
        protocol=data.protocol,
        per_class=_lead(pd.concat([m[0] for m in measured], ignore_index=True)),
        summary=pd.DataFrame([m[2] for m in measured]),
        tstr_per_class=_lead(pd.concat([m[1] for m in measured], ignore_index=True)),
        notes=notes,
        config=config,
    )
    result.wall_seconds = time.perf_counter() - t_start
    result.notes.append(f"Wall time: {result.wall_seconds / 60:.1f} min.")
    if out_dir is not None:
        result.write(out_dir)
    return result


def _check_sampler_params(sampler_params, names: Sequence[str]) -> dict:
    """``sampler_params`` as a dict, refused when it names a sampler this run does not fit."""
    sampler_params = dict(sampler_params or {})
    stray = sorted(set(sampler_params) - set(names))
    if stray:
        raise DataError(f"parameters given for sampler(s) {', '.join(stray)}, which this run "
                        f"does not fit (samplers: {', '.join(names)})")  # fmt: skip
    return sampler_params


@dataclass
class FidelityData:
    """The encoded training rows of a fidelity run: those the samplers are fitted on and
    those held out for TSTR/TRTR."""

    protocol: str
    layout: object
    X_fit: np.ndarray
    y_fit: np.ndarray
    X_hold: np.ndarray
    y_hold: np.ndarray


def fidelity_data(dataset: str, *, data_home, train_split: str, quick: bool,
                   holdout_fraction: float, random_state: int) -> FidelityData:  # fmt: skip
    """Steps 1-2 of the protocol: load and encode the training data, hold out a share."""
    bench = load_benchmark(dataset, data_home=data_home, train_split=train_split,
                           with_tests=False)  # fmt: skip
    train = bench.train
    X_raw, y_raw = train.X, train.y
    protocol = f"{dataset}: training data {train.name}"
    if quick:
        rows = stratified_rows(y_raw.to_numpy(), QUICK_ROWS_PER_CLASS, 0)
        X_raw, y_raw = X_raw.iloc[rows], y_raw.iloc[rows]
        protocol += f" — QUICK: ≤{QUICK_ROWS_PER_CLASS} rows per class, tiny sampler budgets"
    X_df, y_ser, pre, _ = fit_preprocessing(X_raw, y_raw, categorical=train.categorical,
                                            numeric=train.numeric)  # fmt: skip
    X, y = pre.transform(X_df), y_ser.to_numpy()
    fit_idx, hold_idx = validation_split(y, holdout_fraction, np.random.RandomState(random_state))
    return FidelityData(protocol, pre.layout_, X[fit_idx], y[fit_idx], X[hold_idx],
                         y[hold_idx])  # fmt: skip


def _protocol_notes(data: FidelityData, names: Sequence[str], *, holdout_fraction: float,
                    random_state: int, max_rows) -> list[str]:  # fmt: skip
    """The report's notes on the data, the metrics and the samplers of a run."""
    y_fit = data.y_fit
    counts = ", ".join(f"{c} {int((y_fit == c).sum()):,}"
                       for c in np.unique(np.concatenate([y_fit, data.y_hold])))  # fmt: skip
    return [
        f"{data.protocol}; {data.X_fit.shape[1]} encoded columns; samplers fitted on "
        f"{len(y_fit):,} rows ({counts}), {len(data.y_hold):,} real rows "
        f"({holdout_fraction:.0%} of each class) held out for TSTR/TRTR; seed {random_state}.",
        f"C2ST, coverage and density on at most {max_rows} real and {max_rows} synthetic rows "
        f"per class; NN distances from at most {max_rows} rows of each to all real rows of the "
        "class; exact copies over all rows (float64 bytes, no tolerance).",
        "TSTR: RandomForest (100 trees) trained on the synthetic rows plus the real rows of "
        "the classes a sampler does not generate; TRTR: the same on the real rows; both "
        "tested on the held-out real rows; macro-F1 over all classes.",
        *[f"{n}: {SAMPLERS[n]}" for n in names],
    ]


def _measure_sampler(name: str, sampler, data: FidelityData, *, random_state: int, max_rows,
                     verbose: bool):  # fmt: skip
    """Steps 3-4 for one sampler: fit it, then measure its rows per class and by TSTR.

    Returns the per-class fidelity rows and the per-class TSTR rows (both with a
    ``sampler`` column), and the sampler's summary row."""
    X_fit, y_fit = data.X_fit, data.y_fit
    log.info("fitting %s on %d rows", name, len(y_fit))
    t0 = time.perf_counter()
    X_syn, y_syn = synthetic_rows(sampler, X_fit, y_fit)
    fit_s = time.perf_counter() - t0
    log.info("%s: %d synthetic rows in %.1fs", name, len(y_syn), fit_s)
    classes = np.unique(y_syn)
    with progress_bar(f"fidelity {name}", len(classes) + 1, verbose) as bar:
        tables = []
        for c in classes:
            bar.update(status=str(c))
            tables.append(fidelity_per_class(X_fit, y_fit, X_syn[y_syn == c], y_syn[y_syn == c],
                                             random_state=random_state,
                                             max_rows=max_rows))  # fmt: skip
            bar.advance()
        bar.update(status="TSTR")
        res = tstr(X_fit, y_fit, X_syn, y_syn, data.X_hold, data.y_hold,
                   random_state=random_state)  # fmt: skip
        bar.advance()
    table = pd.concat(tables) if tables else fidelity_per_class(X_fit, y_fit, X_syn, y_syn)
    log.info("%s: TSTR macro-F1 %.4f (TRTR %.4f)", name, res.tstr_macro_f1, res.trtr_macro_f1)
    row = {"sampler": name, "n_synthetic": len(y_syn), "fit_seconds": fit_s,
           "tstr_macro_f1": res.tstr_macro_f1, "trtr_macro_f1": res.trtr_macro_f1}  # fmt: skip
    tstr_rows = res.per_class.reset_index().assign(sampler=name)
    return table.reset_index().assign(sampler=name), tstr_rows, row


def _lead(frame: pd.DataFrame, first=("sampler", "class")) -> pd.DataFrame:
    return frame[[*first, *[c for c in frame.columns if c not in first]]]


def run_fidelity_section(gavae_sampler, X: np.ndarray, y: np.ndarray, *, random_state=0,
                         max_rows: int = MAX_ROWS) -> tuple[pd.DataFrame, str]:  # fmt: skip
    """Fidelity of a fitted GAVAE's rows beside SMOTE's on the same data, for a report.

    ``gavae_sampler`` is already fitted (e.g. a GAVAE-DNN's ``sampler_``); for every
    class it generated, up to ``max_rows`` rows are drawn again with
    :meth:`~gavae_ids.sampling.GAVAESampler.sample`. SMOTE (k = 5) is fitted on
    ``X, y``. Both are measured against the real rows ``X, y`` by
    :func:`~gavae_ids.evaluation.fidelity.fidelity_per_class`.

    Returns
    -------
    per_class : DataFrame
        One row per sampler × class.
    markdown : str
        The report section.
    """
    report = gavae_sampler.augmentation_report_
    grown = report[report["generated"] > 0]
    Xg = [np.asarray(gavae_sampler.sample(int(min(n, max_rows)), c)) for c, n
          in zip(grown["class"], grown["generated"], strict=True)]  # fmt: skip
    yg = [np.full(len(r), c, dtype=np.asarray(y).dtype) for c, r
          in zip(grown["class"], Xg, strict=True)]  # fmt: skip
    frames = []
    if Xg:
        frames.append(fidelity_per_class(X, y, np.vstack(Xg), np.concatenate(yg),
                                         random_state=random_state,
                                         max_rows=max_rows).assign(sampler="gavae"))  # fmt: skip
    smote = make_sampler("smote", random_state=random_state)
    try:
        Xs, ys = synthetic_rows(smote, X, y)
        frames.append(fidelity_per_class(X, y, Xs, ys, random_state=random_state,
                                         max_rows=max_rows).assign(sampler="smote"))  # fmt: skip
        note = "SMOTE (k = 5) fitted on the same rows, for comparison."
    except ValueError as e:  # e.g. a class with fewer than 6 rows
        note = f"SMOTE could not be fitted on these rows ({str(e).splitlines()[0]})."
    per_class = pd.concat(frames) if frames else pd.DataFrame()
    md = fidelity_markdown(
        per_class, title=f"Fidelity of the generated rows (seed {random_state})",
        notes=[f"GAVAE: the seed-{random_state} GAVAE-DNN's sampler, up to {max_rows:,} rows "
               "per class drawn again through its filters (Eq. 9, and the manifold check where "
               "it was on); real rows: the whole "
               "training data.", note,
               "`gavae-ids fidelity` measures the same with TSTR and several seeds."],
    ) if frames else ""  # fmt: skip
    return per_class, md
