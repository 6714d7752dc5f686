"""Typed run results: the versioned metrics.json schema, and the committed runs read back."""

from __future__ import annotations

import json
import math
import shutil
from pathlib import Path

import pytest

from gavae_ids.evaluation.report_sections import update_report_sections
from gavae_ids.evaluation.results import (
    RESULTS_FORMAT,
    RESULTS_FORMAT_VERSION,
    Augmentation,
    NoveltyCurve,
    Provenance,
    RunResults,
    SeedRun,
    TestSetInfo,
    TrainData,
    aggregate_runs,
    read_results,
    read_run_table,
    write_results,
)
from gavae_ids.exceptions import DataError
from gavae_ids.experiments.merge import merge_runs

RESULTS_DIR = Path(__file__).resolve().parents[1] / "docs" / "results"
#: Committed run directories: a report.md beside a metrics.csv.
COMMITTED = sorted(
    p.parent for p in RESULTS_DIR.rglob("metrics.csv") if (p.parent / "report.md").is_file()
)


def _results() -> RunResults:
    runs = [SeedRun(seed=s, method=m, fit_seconds=1.5 + s,
                    summary={"T": {"all": {"accuracy": 0.5 + s / 10 + (m == "DNN") / 100,
                                           "macro_f1": 0.4, "dr_A": 0.25}}},
                    novelty={"quantile": 0.99} if m == "GAVAE-DNN" else None)
            for s in (0, 1) for m in ("GAVAE-DNN", "DNN")]  # fmt: skip
    return RunResults(
        dataset="nsl-kdd", dataset_title="NSL-KDD", protocol="p", command="c",
        config={"dataset": "nsl-kdd", "k": 1.0, "outlier_filter": False}, device="cpu",
        quick=True, seeds=[0, 1], methods=["GAVAE-DNN", "DNN"], classes=["A", "B"],
        train=TrainData(name="train.csv", rows=10, rows_used=9, classes={"A": 6, "B": 3}),
        outliers=None, test_sets={"T": TestSetInfo(rows=4, classes={"A": 2, "B": 2},
                                                   ceiling=0.97)},
        runs=runs, aggregate=aggregate_runs(runs, ["GAVAE-DNN", "DNN"], ["T"]),
        augmentation=Augmentation(mean=[{"class": "B", "real": 3.0, "generated": 3.0}],
                                  per_seed=[{"class": "B", "seed": 0, "generated": 3}]),
        environment={"python": "3"}, protocol_notes=["n"], roc_methods={"T": ["GAVAE-DNN"]},
        novelty=NoveltyCurve(fpr_budget=0.02, curve=[{"seed": 0, "quantile": 0.99}]),
        figures={"bars:T": "figures/bars_T.png"}, wall_seconds=12.0,
        merged_from=[Provenance(run_dir="a", seeds=[0], device="cpu", wall_seconds=None,
                                command=None, metrics_json=False)],
    )  # fmt: skip


def test_results_round_trip_through_json(tmp_path):
    res = _results()
    path = write_results(res, tmp_path / "metrics.json")
    doc = json.loads(path.read_text())
    assert (doc["format"], doc["format_version"]) == (RESULTS_FORMAT, RESULTS_FORMAT_VERSION)
    back = read_results(tmp_path)  # the run directory or the file itself
    assert back == res
    assert isinstance(back.runs[0], SeedRun) and isinstance(back.test_sets["T"], TestSetInfo)
    assert back.merged_from[0].wall_seconds is None


def test_nan_is_written_as_null_and_read_back_as_none(tmp_path):
    res = _results()
    res.runs[0].summary["T"]["all"]["macro_f1"] = math.nan
    text = write_results(res, tmp_path / "metrics.json").read_text()
    assert "NaN" not in text
    assert read_results(tmp_path).runs[0].summary["T"]["all"]["macro_f1"] is None


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"format_version": RESULTS_FORMAT_VERSION + 1},
         f"results file format version {RESULTS_FORMAT_VERSION + 1} is not supported"),
        ({"format": "gavae-ids-model-card"}, "not a gavae-ids results file"),
    ],
)  # fmt: skip
def test_another_format_or_a_newer_version_is_refused_naming_the_file(tmp_path, change, message):
    path = tmp_path / "metrics.json"
    path.write_text(json.dumps({**_results().to_dict(), **change}))
    with pytest.raises(DataError, match=message) as e:
        read_results(path)
    assert str(path) in str(e.value) and "\n" not in str(e.value)


def test_merge_refuses_a_newer_results_file_before_writing(tmp_path):
    dirs = []
    for seed in (0, 1):
        d = tmp_path / f"seed{seed}"
        d.mkdir()
        (d / "config.json").write_text(json.dumps({"dataset": "nsl-kdd", "first_seed": seed}))
        (d / "metrics.json").write_text(json.dumps({**_results().to_dict(), "format_version": 99}))
        dirs.append(d)
    with pytest.raises(DataError, match="format version 99 is not supported"):
        merge_runs(dirs, tmp_path / "merged")
    assert not (tmp_path / "merged").exists()


def test_a_file_without_the_header_reads_as_the_same_layout(tmp_path):
    doc = _results().to_dict()
    del doc["format"], doc["format_version"]  # as runs committed before the header
    (tmp_path / "metrics.json").write_text(json.dumps(doc))
    assert read_results(tmp_path) == _results()
    del doc["runs"]
    (tmp_path / "metrics.json").write_text(json.dumps(doc))
    with pytest.raises(DataError, match="not a gavae-ids results file"):
        read_results(tmp_path)


def test_a_results_file_missing_a_field_fails_in_one_line(tmp_path):
    doc = _results().to_dict()
    del doc["train"]
    (tmp_path / "metrics.json").write_text(json.dumps(doc))
    with pytest.raises(DataError, match="missing or malformed 'train'"):
        read_results(tmp_path)


@pytest.mark.parametrize("run_dir", [p for p in COMMITTED if (p / "metrics.json").is_file()],
                         ids=lambda p: str(p.relative_to(RESULTS_DIR)))  # fmt: skip
def test_committed_metrics_json_agrees_with_its_metrics_csv(run_dir):
    res = read_results(run_dir)
    keep = {(r.method, t, s): set(flat) for r in res.runs
            for t, subs in r.summary.items() for s, flat in subs.items()}  # fmt: skip
    table = read_run_table(run_dir, keep=keep)
    assert table.methods == res.methods and table.seeds == res.seeds
    assert table.classes == res.classes and table.test_sets == list(res.test_sets)
    by_key = {(r.seed, r.method): r for r in res.runs}
    for r in table.runs:
        assert r.summary == by_key[(r.seed, r.method)].summary


@pytest.mark.parametrize("run_dir", COMMITTED, ids=lambda p: str(p.relative_to(RESULTS_DIR)))
def test_committed_reports_regenerate_identically(run_dir, tmp_path):
    for name in ("config.json", "metrics.csv", "report.md"):
        shutil.copy2(run_dir / name, tmp_path / name)
    committed = (run_dir / "report.md").read_text()
    assert update_report_sections(tmp_path).read_text() == committed


def test_table4_caption_names_the_manifold_check_only_where_the_run_recorded_it():
    from gavae_ids.evaluation.report import _manifold_note
    from gavae_ids.evaluation.results import Augmentation

    def aug(*values):
        return Augmentation(mean=[], per_seed=[{"class": "U2R", **v} for v in values])

    assert "manifold_k = 5" in _manifold_note(aug({"manifold_k": 5}, {"manifold_k": 5.0}))
    assert "manifold_k = 10" in _manifold_note(aug({"manifold_k": 10}))
    assert _manifold_note(aug({"manifold_k": None}, {"manifold_k": float("nan")})) == ""
    # Runs that did not record it (before the check) or recorded it for some seeds only.
    assert _manifold_note(aug({}, {})) == ""
    assert _manifold_note(aug({"manifold_k": 5}, {})) == ""
    assert _manifold_note(None) == ""
