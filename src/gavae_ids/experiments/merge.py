"""Merging reproduction runs of one configuration that trained different seeds.

A 3-seed run can be split over processes or machines (``gavae-ids reproduce
--seeds 1 --first-seed 1``, ``benchmarks/augmenters.py --first-seed 1``);
:func:`merge_runs` (``gavae-ids merge``) joins the run directories into one, with
the aggregate, tables and report of a single run over all the seeds.

An input needs ``config.json`` and ``metrics.json`` or ``metrics.csv``: a run
without ``metrics.json`` (older committed results) has its per-seed summaries
rebuilt from ``metrics.csv`` (:func:`gavae_ids.evaluation.results.read_run_table`);
its wall time and command are then unknown. At least one input must have
``metrics.json``, which supplies what the CSV does not hold (protocol, classes,
row counts, environment).
"""

from __future__ import annotations

import copy
import dataclasses
import json
import logging
import shlex
import shutil
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from gavae_ids.evaluation.results import (
    RESULTS_FILE,
    Provenance,
    RunResults,
    SeedRun,
    aggregate_augmentation,
    aggregate_runs,
    read_csv_exact,
    read_json_object,
    read_results,
    read_run_table,
)
from gavae_ids.exceptions import DataError
from gavae_ids.experiments.protocol_notes import seed_span, seeds_note
from gavae_ids.experiments.reproduce import ReproduceConfig
from gavae_ids.experiments.run_outputs import (
    bars_figure,
    best_baseline,
    figure_slug,
    novelty_outputs,
    write_outputs,
)

log = logging.getLogger(__name__)

#: config.json keys that may differ between merged runs.
SEED_KEYS = ("seeds", "first_seed", "device")
#: results fields every run with metrics.json must share.
SHARED_RESULTS = ("dataset", "protocol", "quick", "classes", "train", "test_sets", "outliers")
MERGE_NOTE = "Merged by `gavae-ids merge`"


@dataclass
class _Run:
    """One input run directory, read."""

    path: Path
    config: dict
    results: RunResults | None  # metrics.json, when the directory has it
    runs: list[SeedRun] | None = None
    seeds: list[int] | None = None

    @property
    def device(self) -> str:
        if self.results is not None:
            return str(self.results.device)
        return str(self.config.get("device", "unknown"))


def merge_runs(run_dirs, out_dir, *, command: str | None = None) -> RunResults:
    """Merge reproduction runs that trained different seeds of one configuration.

    Parameters
    ----------
    run_dirs : sequence of path-like
        Run directories written by :func:`gavae_ids.experiments.reproduce.reproduce` (or by
        an earlier merge), at least two.
    out_dir : path-like
        Directory of the merged run; not one of ``run_dirs``.
    command : str, optional
        Command line recorded in the report (default: a ``gavae-ids merge`` line).

    Returns
    -------
    RunResults
        The merged results, as written to ``out_dir/metrics.json``: runs of every
        seed sorted by seed, recomputed ``aggregate`` and ``augmentation``, and
        ``merged_from`` (each input's directory, seeds, device and wall time).
        ``wall_seconds`` sums the inputs' wall times where known. Figures from
        trained models (ROC, confusion matrices, Fig. 7, UMAP) and ``models/`` are
        copied from the input holding the lowest seed; Figs. 10/11 are redrawn
        from the merged aggregate.

    Raises
    ------
    DataError
        If fewer than two runs are given, an input cannot be read, no input has
        ``metrics.json``, the inputs differ in configuration, methods, dataset or
        protocol, or two inputs trained the same seed.
    """
    paths = [Path(d) for d in run_dirs]
    out = Path(out_dir)
    _check_paths(paths, out)
    inputs = [_read(p) for p in paths]
    base = _checked_inputs(inputs, paths)
    inputs.sort(key=lambda r: r.seeds[0])
    results = _merged_results(inputs, base, command or " ".join(
        ["gavae-ids", "merge", *(shlex.quote(str(p)) for p in paths), "--out",
         shlex.quote(str(out))]))  # fmt: skip
    aug = _augmentation(inputs)
    out.mkdir(parents=True, exist_ok=True)
    if aug is not None:
        aug.to_csv(out / "augmentation.csv", index=False)
        results.augmentation = aggregate_augmentation(aug, results.classes)
    _merged_figures(results, inputs, out)
    config = {**base.config, "seeds": len(results.seeds), "first_seed": results.seeds[0],
              "device": results.device}  # fmt: skip
    (out / "config.json").write_text(json.dumps(config, indent=2))
    write_outputs(results, out)
    log.info("merged seeds %s of %d runs into %s", seed_span(results.seeds), len(inputs), out)
    return results


def _check_paths(paths: list[Path], out: Path) -> None:
    if len(paths) < 2:
        raise DataError(f"give at least two run directories to merge, got {len(paths)}")
    for p in paths:
        if p.exists() and out.exists() and out.resolve() == p.resolve():
            raise DataError("the output directory is one of the runs to merge; choose another",
                            path=out)  # fmt: skip


def _checked_inputs(inputs: list[_Run], paths: list[Path]) -> _Run:
    """Check the inputs merge, read their seed runs; returns the base input (lowest seed
    with metrics.json), whose results the merged ones start from."""
    _check_configs(inputs)
    with_json = [r for r in inputs if r.results is not None]
    if not with_json:
        raise DataError(f"none of {', '.join(map(str, paths))} has metrics.json; at least one "
                        "must (it holds the protocol, classes and test sets)")  # fmt: skip
    ref = with_json[0]
    for r in with_json[1:]:
        for key in SHARED_RESULTS:
            if getattr(r.results, key) != getattr(ref.results, key):
                raise DataError(f"its {key!r} in metrics.json differs from that of {ref.path}; "
                                "only runs of one dataset and protocol merge",
                                path=r.path)  # fmt: skip
    methods, tests = ref.results.methods, list(ref.results.test_sets)
    ref_keys = _summary_keys([run for r in with_json for run in r.results.runs])
    for r in inputs:
        r.runs = r.results.runs if r.results is not None else \
            read_run_table(r.path, keep=ref_keys).runs  # fmt: skip
        r.seeds = _check_complete(r, methods, tests, ref.results.classes)
    _check_seeds(inputs)
    return min(with_json, key=lambda r: r.seeds[0])


def _merged_results(inputs: list[_Run], base: _Run, command: str) -> RunResults:
    """The base input's results with the runs, aggregate and provenance of every input."""
    methods = base.results.methods
    order = {m: i for i, m in enumerate(methods)}
    runs = sorted((run for r in inputs for run in r.runs),
                  key=lambda run: (run.seed, order[run.method]))  # fmt: skip
    seeds = sorted({run.seed for run in runs})
    merged_from = [e for r in inputs for e in _provenance(r)]
    results = copy.deepcopy(base.results)
    results.config = {**results.config, "seeds": len(seeds), "first_seed": seeds[0]}
    results.seeds = seeds
    results.runs = runs
    results.aggregate = aggregate_runs(runs, methods, list(results.test_sets))
    results.device = _devices(merged_from)
    results.command = command
    results.merged_from = merged_from
    results.augmentation = None
    rows = [row for r in inputs if r.results is not None for row in r.results.budgets]
    results.budgets = sorted(rows, key=lambda row: (row["seed"], order.get(row["method"], 0)))
    known = [e.wall_seconds for e in merged_from if e.wall_seconds is not None]
    results.wall_seconds = float(sum(known))
    results.protocol_notes = _notes(base.results.protocol_notes, seeds, merged_from,
                                    inputs[0], base)  # fmt: skip
    return results


def _merged_figures(results: RunResults, inputs: list[_Run], out: Path) -> None:
    """Copy the lowest seed's figures and models into ``out``; redraw those over all seeds."""
    source = inputs[0]  # holds the lowest seed: its models drew the seed figures
    for sub in ("figures", "models"):
        if (source.path / sub).is_dir():
            shutil.copytree(source.path / sub, out / sub, dirs_exist_ok=True)
    (out / "figures").mkdir(exist_ok=True)
    if (source.path / "discriminator_history.csv").is_file():
        shutil.copy2(source.path / "discriminator_history.csv", out)
    figures, roc = _seed_figures(source, results, out)
    for name in results.test_sets:  # Figs. 10/11 show mean ± std over seeds: redraw them
        figures[f"bars:{name}"] = bars_figure(results, name, out)
    results.novelty = None
    curve = _novelty_curve(inputs)
    if curve is not None:  # the novelty curve is a mean over seeds: redraw it
        figures.update(novelty_outputs(results, curve, out))
    results.figures = figures
    results.roc_methods = roc


def seeds_text(seeds) -> str:
    """``"seed 0"``, ``"seeds 1..2"`` or ``"seeds 0, 2"``."""
    return f"seed {seeds[0]}" if len(seeds) == 1 else f"seeds {seed_span(seeds)}"


def _read(path: Path) -> _Run:
    if not path.is_dir():
        raise DataError("not a run directory (no such directory)", path=path)
    if not (path / "config.json").is_file():
        raise DataError("missing; not a run directory of gavae-ids reproduce",
                        path=path / "config.json")  # fmt: skip
    config = read_json_object(path / "config.json")
    has_json = (path / RESULTS_FILE).is_file()
    if not has_json and not (path / "metrics.csv").is_file():
        raise DataError("has neither metrics.json nor metrics.csv; not a finished run", path=path)
    return _Run(path, config, read_results(path / RESULTS_FILE) if has_json else None)


def _normalised_config(config: dict) -> dict:
    """config.json with the defaults of fields older runs did not write, seeds left out."""
    defaults = {}
    for f in dataclasses.fields(ReproduceConfig):
        if f.default is not dataclasses.MISSING:
            defaults[f.name] = f.default
        elif f.default_factory is not dataclasses.MISSING:
            defaults[f.name] = f.default_factory()
    full = {**defaults, **config}
    return {k: v for k, v in full.items() if k not in SEED_KEYS and k != "methods"}


def _check_configs(inputs: list[_Run]) -> None:
    first = inputs[0]
    want = _normalised_config(first.config)
    methods = set(first.config.get("methods") or [])
    for r in inputs[1:]:
        got = _normalised_config(r.config)
        diff = [f"{k} ({got.get(k)!r} here, {want.get(k)!r} there)"
                for k in dict.fromkeys([*want, *got]) if got.get(k) != want.get(k)]  # fmt: skip
        if diff:
            raise DataError(f"config.json differs from {first.path / 'config.json'} in "
                            f"{'; '.join(diff)}; only seeds may differ", path=r.path)  # fmt: skip
        theirs = set(r.config.get("methods") or [])
        if theirs != methods:
            extra, missing = sorted(theirs - methods), sorted(methods - theirs)
            what = [f"also {', '.join(extra)}" if extra else "",
                    f"not {', '.join(missing)}" if missing else ""]  # fmt: skip
            raise DataError(f"trained other methods than {first.path} "
                            f"({'; '.join(w for w in what if w)})", path=r.path)  # fmt: skip


def _summary_keys(runs) -> dict:
    """``{(method, test set, subset): metric names}`` of runs read from metrics.json."""
    keys: dict = {}
    for run in runs:
        for name, subsets in run.summary.items():
            for subset, flat in subsets.items():
                keys.setdefault((run.method, name, subset), set()).update(flat)
    return keys


def _check_complete(r: _Run, methods: list, tests: list, classes: list) -> list[int]:
    """Seeds of ``r``, refusing a run that misses a method, test set or class."""
    if not r.runs:
        raise DataError("holds no runs", path=r.path)
    seeds = sorted({run.seed for run in r.runs})
    for seed in seeds:
        got = [run for run in r.runs if run.seed == seed]
        names = {run.method for run in got}
        if names != set(methods) or len(got) != len(names):
            raise DataError(f"seed {seed} has runs of {', '.join(sorted(names))}, not once "
                            f"each of {', '.join(methods)}", path=r.path)  # fmt: skip
        for run in got:
            if set(run.summary) != set(tests):
                raise DataError(f"seed {seed}, {run.method} is evaluated on "
                                f"{', '.join(run.summary)}, not on {', '.join(tests)}",
                                path=r.path)  # fmt: skip
            flat = run.summary[tests[0]]["all"]
            dr = {k[3:] for k in flat if k.startswith("dr_")}
            if r.results is None and dr != set(classes):
                raise DataError(f"its classes ({', '.join(sorted(dr))}) differ from "
                                f"{', '.join(classes)}", path=r.path / "metrics.csv")  # fmt: skip
    return seeds


def _check_seeds(inputs: list[_Run]) -> None:
    for i, r in enumerate(inputs):
        for earlier in inputs[:i]:
            both = sorted(set(r.seeds) & set(earlier.seeds))
            if both:
                raise DataError(f"seed(s) {', '.join(map(str, both))} were also trained in "
                                f"{earlier.path}; merge runs of different seeds "
                                "(reproduce --first-seed)", path=r.path)  # fmt: skip


def _provenance(r: _Run) -> list[Provenance]:
    """Where and how each seed of ``r`` ran (an earlier merge passes its inputs on).

    A run without metrics.json has no record of its wall time and command: unknown."""
    if r.results is not None and r.results.merged_from:
        return [dataclasses.replace(e) for e in r.results.merged_from]
    wall, command = None, None
    if r.results is not None:
        wall, command = r.results.wall_seconds, r.results.command
    return [Provenance(run_dir=str(r.path), seeds=r.seeds, device=r.device, wall_seconds=wall,
                       command=command, metrics_json=r.results is not None)]  # fmt: skip


def _devices(merged_from: list[Provenance]) -> str:
    devices = {e.device for e in merged_from}
    if len(devices) == 1:
        return devices.pop()
    return ", ".join(f"{e.device} ({seeds_text(e.seeds)})" for e in merged_from)


def _per_run_table(inputs: list[_Run], name: str, from_results, need: set[str],
                   lacking_note: str) -> pd.DataFrame | None:  # fmt: skip
    """The table ``name`` of every input (its CSV, else ``from_results(results)``), stacked.

    None when no input has one; a DataError when only some do (``lacking_note`` says
    why every run needs it) or a column of ``need`` is missing.
    """
    frames = {}
    for r in inputs:
        if (r.path / name).is_file():
            frames[r.path] = read_csv_exact(r.path / name)
        elif r.results is not None and (rows := from_results(r.results)):
            frames[r.path] = pd.DataFrame(rows)
    if not frames:
        return None
    lacking = [r.path for r in inputs if r.path not in frames]
    if lacking:
        raise DataError(f"has no {name} while {next(iter(frames))} has one; {lacking_note}",
                        path=lacking[0])  # fmt: skip
    table = pd.concat(frames.values(), ignore_index=True)
    if not need <= set(table.columns):
        raise DataError(f"{name} lacks {', '.join(sorted(need - set(table.columns)))}",
                        path=inputs[0].path)  # fmt: skip
    return table


def _augmentation(inputs: list[_Run]) -> pd.DataFrame | None:
    aug = _per_run_table(
        inputs, "augmentation.csv",
        lambda res: res.augmentation.per_seed if res.augmentation is not None else None,
        {"class", "real", "generated", "attempts", "accepted", "seed"},
        "the GAVAE-DNN augmentation of every seed is needed",
    )  # fmt: skip
    return None if aug is None else aug.sort_values("seed", kind="stable").reset_index(drop=True)


def _novelty_curve(inputs: list[_Run]) -> pd.DataFrame | None:
    """The novelty curves of every input (``novelty_curve.csv``), or None if no input has one."""
    return _per_run_table(
        inputs, "novelty_curve.csv",
        lambda res: res.novelty.curve if res.novelty is not None else None,
        {"seed", "test_set", "quantile", "fpr", "base_fpr", "chosen"},
        "merge runs that all evaluated the novelty flag (or none)",
    )  # fmt: skip


def _seed_figures(source: _Run, results: RunResults, out: Path) -> tuple[dict, dict]:
    """Figure paths and ROC methods of the lowest-seed input (copied into ``out``)."""
    if source.results is not None:
        figures = dict(source.results.figures)
        roc = dict(source.results.roc_methods)
        return {k: v for k, v in figures.items() if (out / v).is_file()}, roc
    # No metrics.json: find the figures by their file names, and the ROC methods as
    # reproduce picks them, from that run's own seeds.
    methods, tests = results.methods, list(results.test_sets)
    own = aggregate_runs(source.runs, methods, tests)
    figures, roc = {}, {}
    for name in tests:
        for kind in ("bars", "roc", "confusion"):
            rel = f"figures/{kind}_{figure_slug(name)}.png"
            if (out / rel).is_file():
                figures[f"{kind}:{name}"] = rel
        roc[name] = [m for m in ("GAVAE-DNN", best_baseline(own, methods, name)) if m in methods]
    for key, rel in (("fig7", "figures/fig7_discriminator.png"),
                     ("umap", "figures/umap_original_vs_generated.png")):  # fmt: skip
        if (out / rel).is_file():
            figures[key] = rel
    return figures, roc


def _notes(notes: list[str], seeds: list[int], merged_from: list[Provenance], source: _Run,
           base: _Run) -> list[str]:  # fmt: skip
    notes = [seeds_note(seeds) if n.startswith("Seeds ") else n for n in notes
             if not n.startswith(MERGE_NOTE)]  # fmt: skip
    parts = []
    for e in merged_from:
        wall = e.wall_seconds
        parts.append(
            f"`{e.run_dir}`: {seeds_text(e.seeds)} on {e.device}, "
            + (f"{wall / 60:.1f} min" if wall is not None else "wall time unknown")
        )
    unknown = any(e.wall_seconds is None for e in merged_from)
    notes.append(
        f"{MERGE_NOTE} from {len(merged_from)} runs of one configuration, each seed trained "
        f"once — {'; '.join(parts)}. The wall time above is the sum of theirs"
        + (" that are known" if unknown else "")
        + f". ROC curves, confusion matrices, Fig. 7, UMAP and models/ are those of "
        f"`{source.path}` (seed {seeds[0]}); the Device note above is that of `{base.path}`."
    )
    return notes
