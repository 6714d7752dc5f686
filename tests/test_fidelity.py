"""Fidelity metrics on constructed cases whose answer is known, and the ``fidelity`` command."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from gavae_ids.cli import app
from gavae_ids.evaluation.fidelity import (
    FIDELITY_COLUMNS,
    c2st_auc,
    coverage_density,
    exact_copy_share,
    fidelity_markdown,
    fidelity_per_class,
    nn_distance_ratio,
    tstr,
    tstr_training_set,
)
from gavae_ids.exceptions import DataError


def grid_rows(n: int, d: int = 6, seed: int = 0, shift: float = 0.0) -> np.ndarray:
    """Uniform rows on a 0.01 grid: few distinct values per column, like the encoded data
    (and HistGradientBoosting's weighted binning stays fast)."""
    return np.round(np.random.RandomState(seed).rand(n, d), 2) + shift


@pytest.fixture(scope="module")
def real():
    return grid_rows(400, seed=1)


# -- identical sets ------------------------------------------------------------------


def test_identical_sets_are_indistinguishable_covered_and_all_copies(real):
    # Copies share a CV fold with their twins, so the classifier cannot learn a twin's
    # label: every pair gets one score, and the AUC is exactly chance.
    assert c2st_auc(real, real) == pytest.approx(0.5, abs=0.02)
    coverage, density = coverage_density(real, real)
    assert coverage == 1.0
    assert density >= 1.0  # every row lies in its own ball, and in its neighbours'
    syn_real, real_real, ratio = nn_distance_ratio(real, real)
    assert syn_real == 0.0 and real_real > 0 and ratio == 0.0
    assert exact_copy_share(real, real) == 1.0


def test_rows_from_the_same_distribution_score_like_real_rows(real):
    fresh = grid_rows(400, seed=2)
    assert abs(c2st_auc(real, fresh) - 0.5) < 0.1
    coverage, density = coverage_density(real, fresh)
    assert coverage > 0.9
    assert 0.8 < density < 1.2
    assert 0.8 < nn_distance_ratio(real, fresh)[2] < 1.25
    assert exact_copy_share(real, fresh) == 0.0


def test_resampled_copies_look_real_but_are_copies(real):
    copies = real[np.random.RandomState(3).randint(0, len(real), 600)]
    assert abs(c2st_auc(real, copies) - 0.5) < 0.1
    assert nn_distance_ratio(real, copies)[2] == 0.0
    assert exact_copy_share(real, copies) == 1.0


def test_copies_are_at_distance_zero_however_few_rows_are_queried(real):
    # With 50 of 400 real rows queried, copies of the other 350 must still be copies.
    syn_real, real_real, ratio = nn_distance_ratio(real, real[100:], max_rows=50)
    assert syn_real == 0.0 and ratio == 0.0
    # ...and the leave-one-out distance is that of all rows, up to subsampling noise
    full = nn_distance_ratio(real, real, max_rows=None)[1]
    assert real_real == pytest.approx(full, rel=0.25)


def test_leave_one_out_counts_duplicates_as_other_rows(real):
    doubled = np.vstack([real, real])
    assert nn_distance_ratio(doubled, grid_rows(20, seed=12))[1] == 0.0


# -- disjoint sets -------------------------------------------------------------------


def test_disjoint_sets_are_told_apart_and_cover_nothing(real):
    far = grid_rows(300, seed=4, shift=10.0)
    assert c2st_auc(real, far) == 1.0
    assert coverage_density(real, far) == (0.0, 0.0)
    syn_real, real_real, ratio = nn_distance_ratio(real, far)
    assert syn_real > 10 * real_real and ratio > 10


def test_mode_collapse_has_density_but_little_coverage(real):
    # Every synthetic row on top of one real row: faithful, not diverse.
    collapsed = np.repeat(real[:1], 200, axis=0)
    coverage, density = coverage_density(real, collapsed)
    assert coverage < 0.05
    assert density > 0


# -- exact copies --------------------------------------------------------------------


def test_exact_copy_share_counts_only_exact_rows(real):
    half = np.vstack([real[:50], real[50:100] + 1e-9])
    assert exact_copy_share(real, half) == 0.5
    assert exact_copy_share(real, real + 1e-12) == 0.0
    # float32 rows compare as produced; signed zeros are the same value
    assert exact_copy_share(real.astype(np.float32), real.astype(np.float32)[::-1]) == 1.0
    assert exact_copy_share(np.zeros((1, 3)), -np.zeros((2, 3))) == 1.0
    assert math.isnan(exact_copy_share(real, real[:0]))


# -- per class -----------------------------------------------------------------------


def test_each_class_is_compared_with_its_own_real_rows():
    a, b = grid_rows(300, seed=5), grid_rows(300, seed=6, shift=10.0)
    X = np.vstack([a, b])
    y = np.repeat(["a", "b"], 300)
    # "a" rows that look like "a"; "b"-labelled rows that look like "a"; "c" never generated
    X_syn = np.vstack([grid_rows(200, seed=7), grid_rows(100, seed=8)])
    y_syn = np.repeat(["a", "b"], [200, 100])
    table = fidelity_per_class(X, y, X_syn, y_syn)
    assert list(table.columns) == list(FIDELITY_COLUMNS)
    assert list(table.index) == ["a", "b"]
    assert table["n_real"].tolist() == [300, 300]
    assert table["n_synthetic"].tolist() == [200, 100]
    assert abs(table.loc["a", "c2st_auc"] - 0.5) < 0.12
    assert table.loc["b", "c2st_auc"] == 1.0
    assert table.loc["a", "coverage"] > 0.9 and table.loc["b", "coverage"] == 0.0
    # same seed, same numbers
    pd.testing.assert_frame_equal(table, fidelity_per_class(X, y, X_syn, y_syn))


def test_tiny_classes_give_nan_not_errors():
    one = grid_rows(1, seed=9)
    syn = grid_rows(50, seed=10)
    assert math.isnan(c2st_auc(one, syn))
    assert all(math.isnan(v) for v in coverage_density(one, syn))
    assert all(math.isnan(v) for v in nn_distance_ratio(one, syn))
    # 3 real rows: k falls to 2, the CV to 3 folds, and every metric is defined
    three = grid_rows(3, seed=11)
    assert not math.isnan(c2st_auc(three, syn))
    assert all(np.isfinite(coverage_density(three, syn)))


def test_mismatched_widths_and_unknown_classes_are_refused(real):
    with pytest.raises(DataError, match="columns"):
        c2st_auc(real, real[:, :3])
    with pytest.raises(DataError, match="no real rows"):
        fidelity_per_class(real, np.repeat("a", len(real)), real[:5], np.repeat("z", 5))


# -- TSTR ----------------------------------------------------------------------------


def blobs(n_per_class, seed, centres=((0, 0), (6, 0), (0, 6))):
    rng = np.random.RandomState(seed)
    X = np.vstack([rng.normal(c, 0.5, size=(n_per_class, 2)) for c in centres])
    return X, np.repeat(np.arange(len(centres)), n_per_class)


def test_tstr_training_set_keeps_real_rows_only_of_ungenerated_classes():
    X, y = blobs(20, 0)
    X_syn, y_syn = X[y == 1] + 0.01, y[y == 1]
    Xt, yt = tstr_training_set(X, y, X_syn, y_syn)
    assert np.bincount(yt).tolist() == [20, 20, 20]
    assert exact_copy_share(X[y != 1], Xt[yt == 1]) == 0.0  # class 1: synthetic only
    assert exact_copy_share(X[y == 0], Xt[yt == 0]) == 1.0


def test_tstr_on_a_separable_problem():
    X, y = blobs(60, 0)
    X_test, y_test = blobs(30, 1)
    # good synthetic rows: new draws from the real classes 1 and 2
    X_new, y_new = blobs(80, 2)
    good = tstr(X, y, X_new[y_new > 0], y_new[y_new > 0], X_test, y_test)
    assert good.tstr_macro_f1 > 0.95 and good.trtr_macro_f1 > 0.95
    assert good.per_class["n_train_synthetic"].tolist() == [0, 80, 80]
    assert good.per_class["n_train_real"].tolist() == [60, 0, 0]
    # synthetic rows with the labels of classes 1 and 2 swapped: the real ones are missed
    swapped = np.where(y_new == 1, 2, 1)[y_new > 0]
    bad = tstr(X, y, X_new[y_new > 0], swapped, X_test, y_test)
    assert bad.tstr_macro_f1 < 0.5
    assert bad.trtr_macro_f1 == good.trtr_macro_f1  # the reference does not depend on them
    assert bad.per_class.loc[1, "tstr_f1"] == 0.0


# -- Markdown ------------------------------------------------------------------------


def test_markdown_section_shows_the_table_values():
    from gavae_ids.evaluation.report import parse_markdown_table

    table = pd.DataFrame(
        {"n_real": [10, 2], "n_synthetic": [5, 0], "c2st_auc": [0.98765, math.nan],
         "coverage": [0.5, 0.0], "density": [1.0, 0.0], "nn_dist_syn_real_median": [0.1, 0.0],
         "nn_dist_real_real_median": [0.0, 0.0], "dist_ratio": [math.inf, math.nan],
         "exact_copy_share": [0.0, 1.0]},
        index=pd.Index(["R2L", "U2R"], name="class"),
    )  # fmt: skip
    summary = pd.DataFrame([{"sampler": "smote", "tstr_macro_f1": 0.5, "trtr_macro_f1": 0.75}])
    text = fidelity_markdown(table.assign(sampler="smote"), summary, title="Fidelity", level=3,
                             notes=["tvae skipped"])  # fmt: skip
    assert text.startswith("### Fidelity")
    rows = parse_markdown_table(text, "### Fidelity")
    assert [r["class"] for r in rows] == ["R2L", "U2R"]
    assert rows[0]["sampler"] == "smote" and rows[0]["C2ST AUC"] == "0.988"
    assert rows[1]["C2ST AUC"] == "n/a" and rows[0]["dist ratio"] == "∞"
    assert rows[0]["real rows"] == "10"
    tstr_rows = parse_markdown_table(text, "Train on synthetic")
    assert tstr_rows == [{"sampler": "smote", "TSTR macro-F1": "0.500", "TRTR macro-F1": "0.750"}]
    assert "- tvae skipped" in text


# -- orchestration and command line --------------------------------------------------


def test_synthetic_rows_are_the_rows_appended_after_the_originals():
    from imblearn.over_sampling import RandomOverSampler

    from gavae_ids.experiments.fidelity_runs import synthetic_rows

    X, y = blobs(10, 0)
    keep = np.r_[0:10, 10:13, 20:24]
    X, y = X[keep], y[keep]  # 10, 3 and 4 rows
    X_syn, y_syn = synthetic_rows(RandomOverSampler(random_state=0), X, y)
    assert np.bincount(y_syn, minlength=3).tolist() == [0, 7, 6]
    assert exact_copy_share(X[y == 1], X_syn[y_syn == 1]) == 1.0
    assert exact_copy_share(X[y == 1], X_syn[y_syn == 2]) == 0.0

    class Shuffler(RandomOverSampler):
        def _fit_resample(self, X, y):
            X_res, y_res = super()._fit_resample(X, y)
            return X_res[::-1], y_res[::-1]

    with pytest.raises(DataError, match="original rows first"):
        synthetic_rows(Shuffler(random_state=0), X, y)


def test_paper_preset_is_the_one_reproduce_uses():
    from gavae_ids.detection.methods import PAPER_PARAMS
    from gavae_ids.experiments.fidelity_runs import make_sampler

    paper = make_sampler("gavae-paper", random_state=3)
    default = make_sampler("gavae", random_state=3)
    assert paper.n_iter == PAPER_PARAMS["sampler__n_iter"] != default.n_iter
    assert paper.random_state == default.random_state == 3
    assert make_sampler("gavae", quick=True, n_iter=7).n_iter == 7  # params win over presets


def test_retired_samplers_are_unknown():
    from gavae_ids.experiments.fidelity_runs import SAMPLERS, resolve_samplers

    assert [n for n in SAMPLERS if n.startswith("gavae")] == ["gavae", "gavae-paper"]
    with pytest.raises(DataError, match="unknown sampler"):
        resolve_samplers(["gavae-mlp"])


@pytest.fixture(scope="module")
def quick_fidelity(tmp_path_factory, data_home):
    out = tmp_path_factory.mktemp("fidelity")
    r = CliRunner().invoke(
        app,
        ["fidelity", "--dataset", "nsl-kdd", "--samplers", "smote,ros", "--quick", "--quiet",
         "--seed", "0", "--max-rows", "300", "--out", str(out), "--data-dir", str(data_home)],
    )  # fmt: skip
    assert r.exit_code == 0, r.output + repr(r.exception)
    return out, r.output


def test_fidelity_command_measures_copies_and_interpolations(quick_fidelity):
    out, output = quick_fidelity
    table = pd.read_csv(out / "fidelity.csv")
    assert set(table["sampler"]) == {"smote", "ros"}
    ros, smote = table[table["sampler"] == "ros"], table[table["sampler"] == "smote"]
    # random oversampling makes nothing but copies of the rows it was fitted on
    assert (ros["exact_copy_share"] == 1.0).all() and (ros["dist_ratio"] == 0.0).all()
    # SMOTE interpolates between neighbours: new rows, closer to the real ones than those
    # are to each other
    assert (smote["exact_copy_share"] < 0.5).all()
    assert (smote["dist_ratio"] < 1.0).all()
    assert table["c2st_auc"].between(0, 1).all()
    # both samplers fill the same classes up to the same counts
    assert ros["class"].tolist() == smote["class"].tolist()
    assert ros["n_synthetic"].tolist() == smote["n_synthetic"].tolist()
    summary = pd.read_csv(out / "summary.csv")
    assert summary["trtr_macro_f1"].nunique() == 1  # same classifier, same real rows
    assert summary[["tstr_macro_f1", "trtr_macro_f1"]].stack().between(0, 1).all()
    tstr_rows = pd.read_csv(out / "tstr.csv")
    assert (tstr_rows.groupby("sampler")["n_test"].sum() > 0).all()


def test_fidelity_report_says_what_the_csv_says(quick_fidelity):
    from gavae_ids.evaluation.report import parse_markdown_table

    out, output = quick_fidelity
    table = pd.read_csv(out / "fidelity.csv")
    rows = parse_markdown_table((out / "fidelity.md").read_text(), "# Fidelity")
    assert len(rows) == len(table)
    for row, (_, rec) in zip(rows, table.iterrows(), strict=True):
        assert (row["sampler"], row["class"]) == (rec["sampler"], rec["class"])
        assert row["C2ST AUC"] == f"{rec['c2st_auc']:.3f}"
        assert row["exact copies"] == f"{rec['exact_copy_share']:.3f}"
    assert "report:" in output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--samplers", "smote,gan"], "unknown sampler(s) gan"),
        (["--dataset", "kdd99"], "unknown dataset 'kdd99'"),
    ],
)
def test_bad_arguments_fail_in_one_line(tmp_path, data_home, args, message):
    out = tmp_path / "fid"
    r = CliRunner().invoke(app, ["fidelity", *args, "--out", str(out), "--data-dir",
                                 str(data_home)])  # fmt: skip
    assert r.exit_code == 2
    assert message in r.output and "Traceback" not in r.output
    assert not out.exists()


def test_missing_ctgan_is_a_note_not_an_error():
    from gavae_ids.classifiers.peers import ctgan_available
    from gavae_ids.experiments.fidelity_runs import resolve_samplers

    names, notes = resolve_samplers(["ros", "tvae"])
    if ctgan_available():
        assert names == ["ros", "tvae"] and notes == []
    else:
        assert names == ["ros"] and "tvae skipped" in notes[0]
