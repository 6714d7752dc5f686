"""The --quick reproduction end to end on real NSL-KDD slices, through the CLI in-process."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from gavae_ids.cli import app
from gavae_ids.evaluation.report import VIEWS, parse_markdown_table, parse_pct, table_heading
from gavae_ids.evaluation.results import read_results

pytestmark = pytest.mark.slow


#: torch's thread count set before the quick run, and found after it.
THREADS = {}


@pytest.fixture(scope="module")
def quick_run(tmp_path_factory, data_home):
    import torch

    out = tmp_path_factory.mktemp("run")
    outer = torch.get_num_threads()
    torch.set_num_threads(1)  # UMAP's OpenMP layer would raise it to the core count
    result = CliRunner().invoke(
        app,
        ["reproduce", "--dataset", "nsl-kdd", "--quick", "--quiet", "--out", str(out),
         "--data-dir", str(data_home), "--seeds", "2",
         "--methods", "knn,rf,svm,dnn,cnn,gavae-dnn,smote-dnn"],
    )  # fmt: skip
    THREADS["after"] = torch.get_num_threads()
    torch.set_num_threads(outer)
    assert result.exit_code == 0, result.output + repr(result.exception)
    return out, read_results(out), (out / "report.md").read_text()


def test_every_artefact_is_written(quick_run):
    out, results, _ = quick_run
    for name in ("config.json", "metrics.json", "metrics.csv", "report.md",
                 "discriminator_history.csv", "augmentation.csv",
                 "models/manifest.json", "models/preprocessor.json",
                 "models/classifier/weights.safetensors", "models/gavae/config.json"):  # fmt: skip
        assert (out / name).is_file(), name
    figs = sorted(p.name for p in (out / "figures").glob("*.png"))
    assert "fig7_discriminator.png" in figs and "umap_original_vs_generated.png" in figs
    for slug in ("KDDTestplus", "KDDTest_21"):
        for kind in ("bars", "roc", "confusion"):
            assert f"{kind}_{slug}.png" in figs
    for p in (out / "figures").glob("*.png"):
        assert p.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and p.stat().st_size > 5000
    assert set(results.test_sets) == {"KDDTest+", "KDDTest-21"}
    assert results.seeds == [0, 1] and len(results.runs) == 2 * len(results.methods)


def test_the_saved_model_is_a_bundle_that_score_reads(quick_run, nsl_test, tmp_path):
    from gavae_ids.detection.detector import Detector
    from gavae_ids.scoring import score_file

    out, results, _ = quick_run
    det = Detector.load(out / "models")
    assert det.method == "gavae-dnn" and det.sampler is not None
    assert (det.novelty_ is not None) == (results.novelty is not None)
    src = tmp_path / "in.csv"
    nsl_test.X.iloc[:50].to_csv(src, index=False)
    s = score_file(out / "models", src, tmp_path / "out.csv", verbose=False,
                   novelty=det.novelty_ is not None)  # fmt: skip
    assert (s.scored, s.rejected) == (50, 0)


def test_report_tables_parse_back_to_the_json(quick_run):
    _, results, report = quick_run
    for test_set in results.test_sets:
        for view, keys in VIEWS.items():
            rows = parse_markdown_table(report, table_heading(test_set, view))
            assert [r["Method"] for r in rows] == results.methods
            for row in rows:
                stats = results.aggregate[test_set]["all"][row["Method"]]
                for col, key in zip(
                    ("Accuracy", "Recall (DR)", "Precision", "F1", "G-mean", "FPR"),
                    keys,
                    strict=True,
                ):
                    mean, std = parse_pct(row[col])
                    want = stats[key]
                    if want["mean"] is None:
                        assert row[col] == "n/a"
                        continue
                    assert mean == pytest.approx(100 * want["mean"], abs=0.006)
                    assert std == pytest.approx(100 * want["std"], abs=0.006)


def test_aggregate_is_mean_and_std_of_the_seed_runs(quick_run):
    _, results, _ = quick_run
    accs = [r.summary["KDDTest+"]["all"]["accuracy"] for r in results.runs
            if r.method == "GAVAE-DNN"]  # fmt: skip
    agg = results.aggregate["KDDTest+"]["all"]["GAVAE-DNN"]["accuracy"]
    assert agg["mean"] == pytest.approx(np.mean(accs))
    assert agg["std"] == pytest.approx(np.std(accs, ddof=1))


def test_seen_and_unseen_subsets_partition_the_attacks(quick_run):
    _, results, _ = quick_run
    run = results.runs[0].evaluations["KDDTest+"]
    n_all = run["all"]["overall"]["n_samples"]
    assert run["seen"]["overall"]["n_samples"] + run["unseen"]["overall"]["n_samples"] == n_all
    # the unseen subset holds attacks only: no normal record in its truth
    cm = np.asarray(run["unseen"]["confusion_matrix"])
    assert cm[run["unseen"]["labels"].index("Normal")].sum() == 0


def test_augmentation_table_balances_the_classes(quick_run):
    out, results, report = quick_run
    aug = pd.read_csv(out / "augmentation.csv")
    for _, rows in aug.groupby("seed"):
        total = rows["real"] + rows["generated"]
        assert (rows["generated"] <= rows["attempts"]).all()
        assert total.max() == rows["real"].max()  # nobody exceeds the majority count
    assert "Table 4" in report
    rows = parse_markdown_table(report, "Table 4")
    assert {r["Class"] for r in rows} == set(results.classes)
    # The paper preset (the default --hyperparameters) runs Eq. 9 alone: the run records the
    # check off, every candidate that passed Eq. 9 is accepted, and the caption says so.
    assert aug["manifold_k"].isna().all()
    assert (aug["passed_eq9"] == aug["accepted"]).all()
    assert "Passed Eq. 9" in rows[0] and "NN radius of a real row" not in report


def test_discriminator_history_covers_each_class(quick_run):
    out, results, _ = quick_run
    hist = pd.read_csv(out / "discriminator_history.csv")
    assert set(hist["class"]) >= set(results.classes) - {"Normal"}
    assert hist["accuracy"].between(0, 1).all()


def test_metrics_json_is_strict(quick_run):
    out, _, _ = quick_run

    def refuse(token):
        raise AssertionError(f"non-standard JSON constant {token} in metrics.json")

    json.loads((out / "metrics.json").read_text(), parse_constant=refuse)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["reproduce", "--methods", "knn,nosuchmethod"], "unknown or unavailable method"),
        (["reproduce", "--dataset", "kdd99"], "unknown dataset 'kdd99'"),
        (["reproduce", "--seeds", "0"], "--seeds must be at least 1"),
        (["data", "summary", "--dataset", "kdd99"], "unknown dataset 'kdd99'"),
    ],
)
def test_bad_arguments_fail_in_one_line_before_any_work(tmp_path, data_home, args, message):
    out = tmp_path / "run"
    extra = ["--out", str(out)] if args[0] == "reproduce" else []
    r = CliRunner().invoke(app, [*args, *extra, "--data-dir", str(data_home)])
    assert r.exit_code == 2
    assert message in r.output and "Traceback" not in r.output
    assert not (out / "config.json").exists()  # refused before anything was trained


def test_duplicate_method_names_are_trained_once():
    from gavae_ids.experiments.reproduce import resolve_methods

    assert resolve_methods(["dnn", "DNN", "gavae-dnn", "GAVAE-DNN"]) == ("DNN", "GAVAE-DNN")


def test_figures_leave_torch_threads_as_they_were(quick_run):
    """UMAP (numba/OpenMP) resets torch's thread count; the run must put it back."""
    _, results, _ = quick_run
    assert "umap" in results.figures
    assert THREADS["after"] == 1


def test_report_measures_the_fidelity_of_gavae_and_smote_rows(quick_run):
    out, _, report = quick_run
    fid = pd.read_csv(out / "fidelity.csv")
    aug = pd.read_csv(out / "augmentation.csv")
    generated = set(aug.loc[(aug["seed"] == 0) & (aug["generated"] > 0), "class"])
    assert set(fid.loc[fid["sampler"] == "gavae", "class"]) == generated
    assert set(fid["sampler"]) == {"gavae", "smote"}
    assert fid["c2st_auc"].between(0, 1).all() and fid["coverage"].between(0, 1).all()
    assert "## Fidelity of the generated rows (seed 0)" in report


def test_novelty_is_chosen_on_training_rows_and_reported_beside_the_plain_view(quick_run):
    out, results, report = quick_run
    curve = pd.read_csv(out / "novelty_curve.csv")
    budget = results.config["novelty_fpr_budget"]
    for _, part in curve.groupby(["seed", "test_set"]):
        (chosen,) = part.loc[part["chosen"], "quantile"]
        # the smallest quantile whose flags stay within the budget on validation rows
        ok = part.loc[part["validation_added_fpr"] <= budget, "quantile"]
        assert chosen == (ok.min() if len(ok) else part["quantile"].max())
        # the flag only adds attacks: DR and FPR never fall below the classifier's own
        assert (part["dr_unseen"] >= part["base_dr_unseen"] - 1e-12).all()
        assert (part["fpr"] >= part["base_fpr"] - 1e-12).all()
    rows = parse_markdown_table(report, "Seen vs unseen attack types — KDDTest+")
    gavae = next(r for r in rows if r["Method"] == "GAVAE-DNN")
    agg = results.aggregate["KDDTest+"]["unseen"]["GAVAE-DNN"]["novelty_binary_recall"]
    cell = gavae["With novelty: binary DR (unseen attacks)"]
    assert parse_pct(cell)[0] == pytest.approx(100 * agg["mean"], abs=0.006)
    assert "novelty:KDDTest+" in results.figures
    assert "## What the paper's numbers can mean — KDDTest+" in report
