"""Merging reproduction runs of different seeds: tiny quick NSL-KDD runs of the DNN."""

from __future__ import annotations

import json
import shutil
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from gavae_ids.cli import app
from gavae_ids.evaluation.results import aggregate_augmentation, read_results
from gavae_ids.exceptions import DataError
from gavae_ids.experiments.merge import merge_runs
from gavae_ids.experiments.reproduce import ReproduceConfig, reproduce

pytestmark = pytest.mark.slow

TINY = {"quick_rows_per_class": 100, "quick_test_rows": 500, "device": "cpu"}


def _run(out, data_home, first_seed, **kw):
    cfg = ReproduceConfig(dataset="nsl-kdd", quick=True, seeds=1, first_seed=first_seed,
                          methods=("DNN",), **{**TINY, **kw})  # fmt: skip
    reproduce(cfg, data_home=data_home, out_dir=out, verbose=False)
    return out


@pytest.fixture(scope="module")
def runs(tmp_path_factory, data_home):
    root = tmp_path_factory.mktemp("seeds")
    return _run(root / "seed0", data_home, 0), _run(root / "seed1", data_home, 1)


@pytest.fixture(scope="module")
def merged(runs, tmp_path_factory):
    out = tmp_path_factory.mktemp("merged")
    return out, merge_runs(runs, out)


def _metric(run_dir, metric="macro_f1", test_set="KDDTest+"):
    (run,) = read_results(run_dir).runs
    return run.summary[test_set]["all"][metric]


def _copy(src, dst, *, drop=()):
    shutil.copytree(src, dst)
    for name in drop:
        (dst / name).unlink()
    return dst


def test_merged_aggregate_is_over_the_seeds_of_both_runs(runs, merged):
    out, res = merged
    assert res.seeds == [0, 1] and [r.seed for r in res.runs] == [0, 1]
    for metric in ("macro_f1", "accuracy", "binary_fpr"):
        values = [_metric(d, metric) for d in runs]
        stats = res.aggregate["KDDTest+"]["all"]["DNN"][metric]
        assert stats["mean"] == pytest.approx(np.mean(values))
        assert stats["std"] == pytest.approx(np.std(values, ddof=1))
    written = read_results(out)
    assert written.seeds == [0, 1] and written.config["seeds"] == 2
    assert [e.run_dir for e in written.merged_from] == [str(d) for d in runs]
    assert all(e.device == "cpu" and e.seeds == [i] for i, e in
               enumerate(written.merged_from))  # fmt: skip
    assert set(pd.read_csv(out / "metrics.csv")["seed"]) == {0, 1}
    report = (out / "report.md").read_text()
    assert "- Seeds: 0, 1" in report and "Seeds 0..1:" in report
    assert "gavae-ids merge" in report and str(runs[1]) in report
    assert (out / "figures" / "confusion_KDDTestplus.png").is_file()
    assert written.wall_seconds == pytest.approx(sum(read_results(d).wall_seconds for d in runs))


def test_a_run_without_metrics_json_is_rebuilt_from_its_csv(runs, merged, tmp_path):
    # Lowest seed without metrics.json, as the committed results under docs/results/.
    csv_only = _copy(runs[0], tmp_path / "seed0", drop=["metrics.json"])
    out = tmp_path / "merged"
    res = merge_runs([runs[1], csv_only], out)
    assert res.seeds == [0, 1]
    assert read_results(out).aggregate == read_results(merged[0]).aggregate
    assert res.roc_methods == merged[1].roc_methods
    assert set(res.figures) == set(merged[1].figures)
    # its wall time and command are not in metrics.csv: unknown, and the report says so
    assert [e.wall_seconds is None for e in res.merged_from] == [True, False]  # seed 0 first
    assert "wall time unknown" in (out / "report.md").read_text()


def test_augmentation_of_every_seed_is_pooled(runs, tmp_path):
    dirs = [_copy(d, tmp_path / d.name) for d in runs]
    for seed, d in enumerate(dirs):
        pd.DataFrame({"class": ["DoS", "R2L"], "real": [50, 10], "generated": [0, 40 + seed],
                      "attempts": [0, 50], "accepted": [0, 45 + seed],
                      "acceptance_rate": [np.nan, 0.9], "seed": seed}).to_csv(
            d / "augmentation.csv", index=False)  # fmt: skip
    res = merge_runs(dirs, tmp_path / "merged")
    mean = {r["class"]: r for r in res.augmentation.mean}
    assert mean["R2L"]["generated"] == pytest.approx(40.5)
    assert mean["R2L"]["acceptance_rate"] == pytest.approx(91 / 100)
    assert len(pd.read_csv(tmp_path / "merged" / "augmentation.csv")) == 4
    (dirs[1] / "augmentation.csv").unlink()
    with pytest.raises(DataError, match="has no augmentation.csv") as e:
        merge_runs(dirs, tmp_path / "again")
    assert str(dirs[1]) in str(e.value)
    assert not (tmp_path / "again").exists()  # refused before writing anything


def test_novelty_curves_of_every_seed_are_pooled_and_redrawn(runs, tmp_path):
    dirs = [_copy(d, tmp_path / d.name) for d in runs]
    for seed, d in enumerate(dirs):
        pd.DataFrame({"seed": seed, "test_set": "KDDTest+", "quantile": [0.9, 0.99],
                      "validation_added_fpr": [0.05, 0.01], "chosen": [False, True],
                      "dr_unseen": [0.7, 0.6 + seed / 10], "base_dr_unseen": 0.5,
                      "dr_seen": [0.9, 0.9], "base_dr_seen": 0.85, "fpr": [0.1, 0.05],
                      "base_fpr": 0.04}).to_csv(d / "novelty_curve.csv", index=False)  # fmt: skip
    res = merge_runs(dirs, tmp_path / "merged")
    pooled = pd.read_csv(tmp_path / "merged" / "novelty_curve.csv")
    assert sorted(pooled["seed"].unique()) == [0, 1] and len(pooled) == 4
    assert len(res.novelty.curve) == 4
    fig = tmp_path / "merged" / res.figures["novelty:KDDTest+"]
    assert fig.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    (dirs[1] / "novelty_curve.csv").unlink()
    with pytest.raises(DataError, match="has no novelty_curve.csv") as e:
        merge_runs(dirs, tmp_path / "again")
    assert str(dirs[1]) in str(e.value)


def test_aggregate_augmentation_orders_classes_and_pools_rates():
    rows = pd.DataFrame({"class": ["U2R", "DoS", "U2R", "DoS"], "real": [5, 9, 5, 9],
                         "generated": [4, 0, 6, 0], "attempts": [10, 0, 10, 0],
                         "accepted": [4, 0, 8, 0], "seed": [0, 0, 1, 1]})  # fmt: skip
    out = aggregate_augmentation(rows, ["Normal", "DoS", "U2R"])
    assert [r["class"] for r in out.mean] == ["DoS", "U2R"]
    assert out.mean[1]["generated"] == 5 and out.mean[1]["acceptance_rate"] == 0.6
    assert np.isnan(out.mean[0]["acceptance_rate"])  # no attempts: no rate
    assert len(out.per_seed) == 4
    assert "eq9_rate" not in out.mean[1]  # runs from before the count: Eq. 9's share unknown


def test_table4_tells_eq9_from_the_manifold_check_where_the_runs_counted_both():
    from gavae_ids.evaluation.report import _augmentation_table

    rows = pd.DataFrame({"class": ["U2R", "U2R"], "real": [5, 5], "generated": [4, 6],
                         "attempts": [10, 10], "passed_eq9": [9, 7], "accepted": [4, 8],
                         "seed": [0, 1]})  # fmt: skip
    out = aggregate_augmentation(rows, ["U2R"])
    assert out.mean[0]["eq9_rate"] == 0.8 and out.mean[0]["acceptance_rate"] == 0.6
    run = SimpleNamespace(augmentation=out, dataset="nsl-kdd")
    header, _, row = _augmentation_table(run).splitlines()[:3]
    assert "Passed Eq. 9" in header and "| 80.0 % | 60.0 % |" in row
    old = aggregate_augmentation(rows.drop(columns="passed_eq9"), ["U2R"])
    header = _augmentation_table(SimpleNamespace(augmentation=old, dataset="nsl-kdd"))
    assert "Passed Eq. 9" not in header and "Acceptance rate (Eq. 9)" in header


def test_overlapping_seeds_are_refused_naming_the_directory(runs, tmp_path):
    again = _copy(runs[0], tmp_path / "seed0-again")
    with pytest.raises(DataError, match=r"seed\(s\) 0 were also trained in") as e:
        merge_runs([runs[0], again], tmp_path / "merged")
    assert str(again) in str(e.value)
    assert not (tmp_path / "merged").exists()


def test_another_configuration_is_refused_naming_the_directory(runs, tmp_path):
    other = _copy(runs[1], tmp_path / "other")
    cfg = json.loads((other / "config.json").read_text())
    (other / "config.json").write_text(json.dumps({**cfg, "k": 2.0}))
    with pytest.raises(DataError, match=r"differs .* in k \(2\.0 here, 1\.0 there\)") as e:
        merge_runs([runs[0], other], tmp_path / "merged")
    assert str(other) in str(e.value)
    (other / "config.json").write_text(json.dumps({**cfg, "methods": ["DNN", "RF"]}))
    with pytest.raises(DataError, match="trained other methods .*also RF") as e:
        merge_runs([runs[0], other], tmp_path / "merged")
    assert str(other) in str(e.value)


def test_at_least_one_input_needs_metrics_json(runs, tmp_path):
    dirs = [_copy(d, tmp_path / d.name, drop=["metrics.json"]) for d in runs]
    with pytest.raises(DataError, match="at least one must"):
        merge_runs(dirs, tmp_path / "merged")


def test_cli_merges_and_fails_in_one_line(runs, tmp_path):
    out = tmp_path / "merged"
    r = CliRunner().invoke(app, ["merge", *map(str, runs), "--out", str(out)])
    assert r.exit_code == 0, r.output + repr(r.exception)
    assert "seeds 0..1" in r.output and (out / "report.md").is_file()
    r = CliRunner().invoke(app, ["merge", str(runs[0]), str(runs[0]), "--out", str(out)])
    assert r.exit_code == 2
    assert r.output.startswith("error: ") and r.output.count("\n") == 1
    assert "Traceback" not in r.output and "were also trained in" in r.output
    r = CliRunner().invoke(app, ["merge", str(runs[0]), str(tmp_path / "nope"), "--out",
                                 str(out)])  # fmt: skip
    assert r.exit_code == 2 and "no such directory" in r.output


def test_budget_rows_of_every_seed_are_pooled_into_the_report(runs, data_home, tmp_path):
    assert "equal false-alarm budgets" not in (runs[0] / "report.md").read_text()
    seeds = [_run(tmp_path / f"b{s}", data_home, s, budgets=True) for s in (0, 1)]
    merged = merge_runs(seeds, tmp_path / "merged")
    assert {r["seed"] for r in merged.budgets} == {0, 1}
    assert read_results(tmp_path / "merged").budgets == merged.budgets
    assert len(pd.read_csv(tmp_path / "merged" / "budgets.csv")) == len(merged.budgets)
    report = (tmp_path / "merged" / "report.md").read_text()
    section = report[report.index("## Methods at equal false-alarm budgets"):]
    assert "| DNN | 1 % | 2 |" in section and "| DNN | 5 % | 2 |" in section
    assert "FPR inside" in section  # NSL-KDD's test sets are shifted: the FPR split
