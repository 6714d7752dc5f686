"""Metrics of §5.3 against confusion matrices worked out by hand."""

from __future__ import annotations

import json
import math
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from sklearn.metrics import (
    accuracy_score,
    confusion_matrix,
    precision_recall_fscore_support,
    roc_auc_score,
)

from gavae_ids.evaluation import (
    AVERAGES,
    PAPER_RESULTS,
    TABLE_METRICS,
    aggregate,
    binary_metrics,
    confusion,
    evaluate,
    per_class_metrics,
    roc_auc,
    table_keys,
)
from gavae_ids.exceptions import DataError

PAPER = Path("/work/shared/paper/000_b037817ec8b1d3f4.txt")

# Four classes, U2R never predicted.  Rows = true, columns = predicted.
LABELS = ["Normal", "DoS", "R2L", "U2R"]
CM = np.array(
    [
        [5, 1, 0, 0],  # Normal: 6
        [2, 3, 1, 0],  # DoS: 6
        [0, 2, 1, 0],  # R2L: 3
        [1, 0, 1, 0],  # U2R: 2
    ]
)  # N = 17; column sums 8, 6, 3, 0

# (tp, fp, fn, tn) and the rates, worked out by hand from CM.
EXPECTED = {
    "Normal": dict(
        tp=5,
        fp=3,
        fn=1,
        tn=8,
        precision=5 / 8,
        recall=5 / 6,
        fpr=3 / 11,
        specificity=8 / 11,
        f1=10 / 14,
        accuracy=13 / 17,
    ),
    "DoS": dict(
        tp=3,
        fp=3,
        fn=3,
        tn=8,
        precision=3 / 6,
        recall=3 / 6,
        fpr=3 / 11,
        specificity=8 / 11,
        f1=6 / 12,
        accuracy=11 / 17,
    ),
    "R2L": dict(
        tp=1,
        fp=2,
        fn=2,
        tn=12,
        precision=1 / 3,
        recall=1 / 3,
        fpr=2 / 14,
        specificity=12 / 14,
        f1=2 / 6,
        accuracy=13 / 17,
    ),
    # never predicted: precision 0/0 -> 0.0 because it has true samples
    "U2R": dict(
        tp=0,
        fp=0,
        fn=2,
        tn=15,
        precision=0.0,
        recall=0.0,
        fpr=0.0,
        specificity=1.0,
        f1=0.0,
        accuracy=15 / 17,
    ),
}


def expand(cm, labels):
    """Samples whose confusion matrix is ``cm`` (in a shuffled order)."""
    y_true, y_pred = [], []
    for i, t in enumerate(labels):
        for j, p in enumerate(labels):
            y_true += [t] * int(cm[i, j])
            y_pred += [p] * int(cm[i, j])
    order = np.random.default_rng(0).permutation(len(y_true))
    return [y_true[k] for k in order], [y_pred[k] for k in order]


@pytest.fixture(scope="module")
def hand():
    y_true, y_pred = expand(CM, LABELS)
    return y_true, y_pred, evaluate(y_true, y_pred, labels=LABELS)


# --------------------------------------------------------------------------- confusion


def test_confusion_small_by_hand():
    cm = confusion(["a", "b", "b", "c"], ["a", "a", "b", "a"], labels=["c", "b", "a", "d"])
    # rows/cols in the given order c, b, a, d; d absent from both
    assert cm.tolist() == [[0, 0, 1, 0], [0, 1, 1, 0], [0, 0, 1, 0], [0, 0, 0, 0]]


def test_confusion_counts_and_matches_sklearn(hand):
    y_true, y_pred, result = hand
    np.testing.assert_array_equal(confusion(y_true, y_pred, LABELS), CM)
    np.testing.assert_array_equal(result.confusion_matrix, CM)
    np.testing.assert_array_equal(CM, confusion_matrix(y_true, y_pred, labels=LABELS))


def test_confusion_default_labels_are_sorted_union():
    cm = confusion([2, 0], [1, 0])
    assert cm.shape == (3, 3) and cm[2, 1] == 1 and cm[0, 0] == 1


@pytest.mark.parametrize(
    ("y_true", "y_pred", "labels", "match"),
    [
        (["a", "b"], ["a"], None, "samples"),
        ([], [], None, "no samples"),
        (["a", "x"], ["a", "a"], ["a", "b"], "'x'"),
        (["a"], ["a"], ["a", "a"], "duplicates"),
    ],
)
def test_confusion_rejects_bad_input(y_true, y_pred, labels, match):
    with pytest.raises(DataError, match=match):
        confusion(y_true, y_pred, labels)


# --------------------------------------------------------------------------- per class


def test_per_class_matches_hand_computation(hand):
    table = hand[2].per_class
    assert list(table.index) == LABELS
    for label, exp in EXPECTED.items():
        row = table.loc[label]
        assert row["support"] == exp["tp"] + exp["fn"]
        for key, value in exp.items():
            assert row[key] == pytest.approx(value), (label, key)
        assert row["g_mean"] == pytest.approx(math.sqrt(exp["recall"] * exp["specificity"]))


def test_class_absent_from_predictions_is_flagged(hand):
    table = hand[2].per_class
    assert table.loc["U2R", "zero_division"] == "precision"
    assert table.loc["Normal", "zero_division"] == ""


def test_macro_and_weighted_by_hand(hand):
    result = hand[2]
    support = {"Normal": 6, "DoS": 6, "R2L": 3, "U2R": 2}
    for metric in ("precision", "recall", "f1", "fpr", "accuracy"):
        values = [EXPECTED[c][metric] for c in LABELS]
        assert result.macro[metric] == pytest.approx(sum(values) / 4)
        weighted = sum(EXPECTED[c][metric] * support[c] for c in LABELS) / 17
        assert result.weighted[metric] == pytest.approx(weighted)
    assert result.overall["accuracy"] == pytest.approx(9 / 17)
    # any zero recall sends the multi-class G-mean (geometric mean of recalls) to 0
    assert result.overall["multiclass_g_mean"] == 0.0


def test_agrees_with_sklearn_where_definitions_coincide(hand):
    y_true, y_pred, result = hand
    p, r, f, s = precision_recall_fscore_support(y_true, y_pred, labels=LABELS, zero_division=0)
    np.testing.assert_allclose(result.per_class["precision"], p)
    np.testing.assert_allclose(result.per_class["recall"], r)
    np.testing.assert_allclose(result.per_class["f1"], f)
    np.testing.assert_array_equal(result.per_class["support"], s)
    for average in ("macro", "weighted"):
        p, r, f, _ = precision_recall_fscore_support(
            y_true, y_pred, labels=LABELS, average=average, zero_division=0
        )
        values = getattr(result, average)
        assert (values["precision"], values["recall"], values["f1"]) == pytest.approx((p, r, f))
    assert result.overall["accuracy"] == pytest.approx(accuracy_score(y_true, y_pred))


def test_g_mean_agrees_with_imbalanced_learn():
    imblearn_metrics = pytest.importorskip("imblearn.metrics")
    y_true, y_pred = expand(np.array([[4, 1, 0], [1, 3, 1], [0, 1, 2]]), ["a", "b", "c"])
    result = evaluate(y_true, y_pred, normal_label=None)
    per_class = imblearn_metrics.geometric_mean_score(y_true, y_pred, average=None)
    np.testing.assert_allclose(result.per_class["g_mean"], per_class)
    # our macro G-mean is the mean of the per-class G-means; imbalanced-learn's
    # "macro" is sqrt(macro recall * macro specificity) — both follow from our table
    assert result.macro["g_mean"] == pytest.approx(np.mean(per_class))
    assert math.sqrt(result.macro["recall"] * result.macro["specificity"]) == pytest.approx(
        imblearn_metrics.geometric_mean_score(y_true, y_pred, average="macro")
    )
    assert result.overall["multiclass_g_mean"] == pytest.approx(
        imblearn_metrics.geometric_mean_score(y_true, y_pred, average="multiclass")
    )
    assert result.overall["multiclass_g_mean"] == pytest.approx((4 / 5 * 3 / 5 * 2 / 3) ** (1 / 3))


def test_class_absent_from_truth():
    # Probe never occurs but is predicted once; Absent neither occurs nor is predicted.
    labels = ["Normal", "DoS", "Probe", "Absent"]
    result = evaluate(
        ["Normal", "Normal", "DoS", "DoS"], ["Normal", "Probe", "DoS", "DoS"], labels=labels
    )
    table = result.per_class
    probe, absent = table.loc["Probe"], table.loc["Absent"]
    assert probe["support"] == 0 and probe["fp"] == 1 and probe["tn"] == 3
    assert math.isnan(probe["recall"]) and math.isnan(probe["g_mean"])
    assert probe["precision"] == 0.0 and probe["f1"] == 0.0  # a false alarm is measurable
    assert probe["fpr"] == pytest.approx(1 / 4)
    assert probe["zero_division"] == "recall,g_mean"
    assert math.isnan(absent["precision"]) and math.isnan(absent["f1"])
    assert absent["fpr"] == 0.0 and absent["accuracy"] == 1.0
    # macro skips undefined values: recall over Normal (1/2) and DoS (1)
    assert result.macro["recall"] == pytest.approx(0.75)
    # precision over Normal (1), DoS (1), Probe (0)
    assert result.macro["precision"] == pytest.approx(2 / 3)
    assert result.weighted["recall"] == pytest.approx((2 * 0.5 + 2 * 1.0) / 4)
    assert result.overall["multiclass_g_mean"] == pytest.approx(math.sqrt(0.5))


def test_all_correct_edge_case():
    y = ["Normal"] * 3 + ["DoS"] * 2 + ["U2R"]
    result = evaluate(y, y)
    table = result.per_class
    assert (table["recall"] == 1).all() and (table["fpr"] == 0).all()
    assert (table["g_mean"] == 1).all() and (table["precision"] == 1).all()
    assert result.summary()["binary_g_mean"] == 1.0
    assert result.binary["fpr"] == 0.0 and result.binary["dr"] == 1.0


def test_all_wrong_edge_case():
    # Normal 3 all called Attack, Attack 2 all called Normal
    result = evaluate(["Normal"] * 3 + ["Attack"] * 2, ["Attack"] * 3 + ["Normal"] * 2)
    for label in ("Normal", "Attack"):
        row = result.per_class.loc[label]
        assert row["recall"] == 0 and row["fpr"] == 1 and row["specificity"] == 0
        assert row["g_mean"] == 0 and row["precision"] == 0 and row["f1"] == 0
    b = result.binary
    assert (b["tp"], b["fp"], b["fn"], b["tn"]) == (0, 3, 2, 0)
    assert (b["dr"], b["fpr"], b["g_mean"], b["accuracy"]) == (0, 1, 0, 0)


def test_single_class_truth_makes_fpr_and_dr_undefined():
    result = evaluate(["Normal"] * 4, ["Normal", "Normal", "DoS", "Normal"])
    normal = result.per_class.loc["Normal"]
    assert math.isnan(normal["fpr"]) and math.isnan(normal["g_mean"])
    assert normal["recall"] == pytest.approx(3 / 4)
    assert math.isnan(result.binary["dr"]) and result.binary["fpr"] == pytest.approx(1 / 4)
    assert "dr" in result.binary["zero_division"]
    # weighted FPR: the only class with support has none defined
    assert math.isnan(result.weighted["fpr"])


def test_per_class_metrics_rejects_mismatched_matrix():
    with pytest.raises(DataError, match="does not match"):
        per_class_metrics(np.eye(3), ["a", "b"])
    with pytest.raises(DataError, match="negative"):
        per_class_metrics(-np.eye(2), ["a", "b"])


# --------------------------------------------------------------------------- binary


def test_binary_view_by_hand(hand):
    b = hand[2].binary
    # attack block DoS/R2L/U2R × DoS/R2L/U2R: 3+1+0 + 2+1+0 + 0+1+0 = 8
    assert (b["tp"], b["fn"], b["fp"], b["tn"]) == (8, 3, 1, 5)
    assert b["dr"] == pytest.approx(8 / 11)
    assert b["fpr"] == pytest.approx(1 / 6)
    assert b["precision"] == pytest.approx(8 / 9)
    assert b["f1"] == pytest.approx(16 / 20)
    assert b["accuracy"] == pytest.approx(13 / 17)
    assert b["g_mean"] == pytest.approx(math.sqrt(8 / 11 * 5 / 6))
    assert b["zero_division"] == []


def test_binary_view_equals_relabelled_binary_problem(hand):
    y_true, y_pred, result = hand
    bt = ["attack" if y != "Normal" else "normal" for y in y_true]
    bp = ["attack" if y != "Normal" else "normal" for y in y_pred]
    p, r, f, _ = precision_recall_fscore_support(bt, bp, pos_label="attack", average="binary")
    assert (result.binary["precision"], result.binary["dr"], result.binary["f1"]) == (
        pytest.approx((p, r, f))
    )
    # the FPR of the binary view is the one-vs-all recall error of "normal"
    normal = evaluate(bt, bp, normal_label=None).per_class.loc["normal"]
    assert result.binary["fpr"] == pytest.approx(1 - normal["recall"])


def test_binary_uses_given_normal_label():
    b = binary_metrics(np.array([[2, 1], [0, 3]]), ["benign", "bad"], normal_label="benign")
    assert (b["tp"], b["fp"], b["fn"], b["tn"]) == (3, 1, 0, 2)
    with pytest.raises(DataError, match="normal label"):
        evaluate(["a", "b"], ["a", "b"])  # default "Normal" is not a class
    assert evaluate(["a", "b"], ["a", "b"], normal_label=None).binary is None


# --------------------------------------------------------------------------- ROC / AUC


def one_hot_scores(y, labels, high=0.9):
    low = (1 - high) / (len(labels) - 1)
    return np.array([[high if y_i == c else low for c in labels] for y_i in y])


def test_auc_of_perfect_scorer():
    y = ["Normal"] * 5 + ["DoS"] * 4 + ["U2R"] * 2
    labels = ["Normal", "DoS", "U2R"]
    result = evaluate(y, y, proba=one_hot_scores(y, labels), labels=labels)
    assert result.auc["per_class"] == {c: 1.0 for c in labels}
    assert result.auc["macro"] == 1.0 and result.auc["binary"] == 1.0
    curve = result.roc["U2R"]
    assert curve["fpr"][0] == 0 and curve["tpr"][-1] == 1
    assert result.summary()["macro_auc"] == 1.0


def test_auc_of_reversed_and_random_scorers():
    rng = np.random.default_rng(42)
    labels = ["DoS", "Normal", "Probe"]  # sorted, as roc_auc_score requires
    y = rng.choice(labels, size=3000)
    reversed_scores = 1.0 - one_hot_scores(y, labels)
    r = roc_auc(y, reversed_scores, labels)
    assert r["macro"] == pytest.approx(0.0) and r["binary"] == pytest.approx(0.0)
    random_scores = rng.dirichlet(np.ones(3), size=len(y))
    r = roc_auc(y, random_scores, labels)
    for value in r["per_class"].values():
        assert abs(value - 0.5) < 0.05
    assert r["macro"] == pytest.approx(
        roc_auc_score(y, random_scores, labels=labels, multi_class="ovr", average="macro")
    )
    is_attack = np.asarray(y) != "Normal"
    assert r["binary"] == pytest.approx(roc_auc_score(is_attack, 1 - random_scores[:, 1]))


def test_auc_nan_for_class_without_positives():
    labels = ["Normal", "DoS", "U2R"]
    y = ["Normal", "DoS", "Normal", "DoS"]
    scores = one_hot_scores(y, labels)
    result = evaluate(y, y, proba=scores, labels=labels)
    assert math.isnan(result.auc["per_class"]["U2R"]) and result.roc["U2R"] is None
    assert result.auc["macro"] == 1.0  # averaged over Normal and DoS
    assert result.to_dict()["auc"]["per_class"]["U2R"] is None


def test_binary_auc_nan_without_normal_traffic():
    labels = ["Normal", "DoS"]
    r = roc_auc(["DoS", "DoS"], [[0.2, 0.8], [0.6, 0.4]], labels)
    assert math.isnan(r["binary"]) and r["binary_curve"] is None


def test_proba_columns_follow_proba_labels():
    labels = ["Normal", "DoS", "U2R"]
    y = ["Normal", "DoS", "U2R", "DoS"]
    scores = one_hot_scores(y, labels)
    classes_ = ["DoS", "Normal", "U2R"]  # an estimator's sorted classes_
    shuffled = scores[:, [labels.index(c) for c in classes_]]
    r = roc_auc(y, shuffled, labels, proba_labels=classes_)
    assert r["macro"] == 1.0 and r["binary"] == 1.0
    with pytest.raises(DataError, match="no column"):
        roc_auc(y, shuffled, labels, proba_labels=["DoS", "Normal", "R2L"])
    with pytest.raises(DataError, match="columns"):
        roc_auc(y, scores[:, :2], labels)
    with pytest.raises(DataError, match="NaN"):
        roc_auc(y, np.full_like(scores, np.nan), labels)


# --------------------------------------------------------------------------- result


def test_to_dict_is_strict_json(hand):
    y_true, y_pred, _ = hand
    labels = [*LABELS, "Probe"]  # Probe absent: NaN recall must survive as null
    result = evaluate(y_true, y_pred, proba=one_hot_scores(y_true, labels), labels=labels)
    for curves in (False, True):
        data = json.loads(json.dumps(result.to_dict(include_curves=curves), allow_nan=False))
        assert set(data) >= {"overall", "macro", "weighted", "binary", "per_class", "auc"}
        assert ("roc" in data) is curves
    assert data["per_class"]["Probe"]["recall"] is None
    assert data["per_class"]["DoS"]["tp"] == 3
    assert data["confusion_matrix"][0][:4] == CM[0].tolist()
    assert data["roc"]["Probe"] is None and len(data["roc"]["DoS"]["fpr"]) > 1


def test_summary_keys_and_values(hand):
    result = hand[2]
    s = result.summary()
    for average in AVERAGES:
        for key in table_keys(average):
            assert isinstance(s[key], float)
    assert s["accuracy"] == pytest.approx(9 / 17)
    assert s["macro_f1"] == result.macro["f1"]
    assert s["weighted_recall"] == result.weighted["recall"]
    assert s["binary_dr"] == s["binary_recall"] == pytest.approx(8 / 11)
    assert s["binary_fpr"] == pytest.approx(1 / 6)
    assert "macro_auc" not in s  # no probabilities given
    assert table_keys("binary")[1] == "binary_recall"
    with pytest.raises(DataError):
        table_keys("micro")


# --------------------------------------------------------------------------- seeds


def test_aggregate_mean_and_std():
    runs = [
        {"macro_f1": 0.2, "binary_fpr": 0.1},
        {"macro_f1": 0.4, "binary_fpr": float("nan")},
        {"macro_f1": 0.9},
    ]
    agg = aggregate(runs)
    assert list(agg) == ["macro_f1", "binary_fpr"]
    assert agg["macro_f1"]["mean"] == pytest.approx(0.5)
    # sample std of 0.2, 0.4, 0.9: deviations -0.3, -0.1, 0.4 -> sqrt(0.26 / 2)
    assert agg["macro_f1"]["std"] == pytest.approx(math.sqrt(0.13))
    assert agg["macro_f1"]["n"] == 3
    assert agg["binary_fpr"] == {
        "mean": pytest.approx(0.1),
        "std": pytest.approx(math.nan, nan_ok=True),
        "n": 1,
    }
    assert aggregate(runs, ddof=0)["macro_f1"]["std"] == pytest.approx(np.std([0.2, 0.4, 0.9]))


def test_aggregate_of_summaries_and_bad_input(hand):
    y_true, y_pred, result = hand
    other = evaluate(y_true, y_true, labels=LABELS).summary()
    agg = aggregate([result.summary(), other])
    assert agg["accuracy"]["mean"] == pytest.approx((9 / 17 + 1) / 2)
    with pytest.raises(DataError, match="no results"):
        aggregate([])
    with pytest.raises(DataError, match="not a number"):
        aggregate([{"a": "0.5"}])


# --------------------------------------------------------------------------- the paper


@pytest.mark.skipif(not PAPER.exists(), reason="paper text not available")
def test_paper_results_copied_exactly():
    text = PAPER.read_text(encoding="utf-8")
    for dataset, heading in (("nsl-kdd", "Table 6."), ("unsw-nb15", "Table 7.")):
        block = text[text.index(heading) :]
        rows = {}
        for line in block.splitlines()[1:]:
            m = re.fullmatch(
                r"(\S+)\t([\d.]+)\t([\d.]+)\t([\d.]+)\t([\d.]+)\t([\d.]+)\t([\d.]+)", line.strip()
            )
            if m:
                rows[m.group(1)] = [float(v) for v in m.groups()[1:]]
            elif rows:
                break
        assert set(rows) == set(PAPER_RESULTS[dataset])
        for method, values in rows.items():
            assert [PAPER_RESULTS[dataset][method][k] for k in TABLE_METRICS] == values


def test_evaluation_does_not_import_torch():
    code = "import sys, gavae_ids.evaluation; sys.exit('torch' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], check=False).returncode == 0


def test_per_class_counts_agree_with_sklearn_multilabel_confusion_matrix():
    from sklearn.metrics import multilabel_confusion_matrix

    rng = np.random.default_rng(0)
    labels = ["a", "b", "c", "d"]
    y_true = rng.choice(labels[:3], size=500, p=[0.7, 0.2, 0.1])  # "d" never true
    y_pred = rng.choice(labels, size=500)
    per_class = per_class_metrics(confusion(y_true, y_pred, labels), labels)
    mcm = multilabel_confusion_matrix(y_true, y_pred, labels=labels)
    np.testing.assert_array_equal(per_class[["tn", "fp", "fn", "tp"]].to_numpy(),
                                  mcm.reshape(len(labels), 4))  # fmt: skip
