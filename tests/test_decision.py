"""Decision rules: prior correction and the false-alarm budget (gavae_ids.detection.decision)."""

from __future__ import annotations

import json

import numpy as np
import pytest
from scipy.stats import norm

from gavae_ids.detection.decision import (
    DecisionRule,
    budget_threshold,
    budget_unmet,
    choose_rule,
    joint_threshold,
    prior_weights,
    reweight,
    too_few_normal_rows,
)
from gavae_ids.exceptions import DataError, ModelFileError


# -- prior correction ------------------------------------------------------------------------
def _posterior(x, priors, means=(0.0, 1.5, 3.0)):
    """Bayes posterior of three unit-variance Gaussian classes with ``priors``."""
    lik = np.stack([norm.pdf(x, m, 1.0) for m in means], axis=1)
    joint = lik * np.asarray(priors)
    return joint / joint.sum(axis=1, keepdims=True)


def test_reweighting_balanced_posteriors_recovers_the_training_posteriors():
    x = np.linspace(-3, 6, 301)
    train = np.array([0.85, 0.12, 0.03])  # e.g. normal, a common attack, a rare one
    balanced = np.full(3, 1 / 3)  # what a model fitted on balanced rows learns
    w = prior_weights(train * 10_000, balanced * 10_000)
    got = reweight(_posterior(x, balanced), w)
    np.testing.assert_allclose(got, _posterior(x, train), atol=1e-12)
    # and the correction moves the decision: fewer rows called an attack
    assert (got.argmax(1) != 0).sum() < (_posterior(x, balanced).argmax(1) != 0).sum()


def test_no_resampling_means_no_weights_and_bad_counts_are_refused():
    assert prior_weights([5, 3, 2], [10, 6, 4]) is None
    w = prior_weights([90, 10], [50, 50])
    np.testing.assert_allclose(w, [1.8, 0.2])
    with pytest.raises(DataError):
        prior_weights([1, 2], [1, 2, 3])
    with pytest.raises(DataError):
        prior_weights([0, 0], [1, 1])


# -- the false-alarm budget ------------------------------------------------------------------
@pytest.mark.parametrize("budget", [0.0, 0.01, 0.05, 0.2])
def test_budget_threshold_is_the_lowest_within_budget(budget):
    rng = np.random.default_rng(0)
    scores = rng.random(1000) ** 3
    t = budget_threshold(scores, budget)
    assert (scores >= t).mean() <= budget + 1e-12
    # the next lower distinct score would take one row more than the budget allows
    lower = np.sort(scores[scores < t])[-1]
    assert (scores >= lower).mean() > budget


def test_budget_threshold_never_splits_ties():
    scores = np.array([0.9] * 5 + [0.1] * 95)
    t = budget_threshold(scores, 0.03)  # 3 rows allowed, the top 5 tie
    assert (scores >= t).sum() == 0
    assert budget_threshold(scores, 0.05) <= 0.9 + 1e-9 and (scores >= budget_threshold(
        scores, 0.05)).sum() == 5  # fmt: skip
    with pytest.raises(DataError):
        budget_threshold(scores, 1.0)
    with pytest.raises(DataError):
        budget_threshold([], 0.01)


def test_choose_rule_keeps_its_budget_on_its_rows_and_labels_alerts_as_attacks():
    rng = np.random.default_rng(1)
    n = 2000
    y = rng.choice(["Normal", "DoS", "R2L"], size=n, p=[0.7, 0.2, 0.1])
    logits = rng.normal(size=(n, 3))
    logits[np.arange(n), np.searchsorted(["DoS", "Normal", "R2L"], y)] += 1.0
    proba = np.exp(logits) / np.exp(logits).sum(1, keepdims=True)
    classes = ["DoS", "Normal", "R2L"]
    argmax = choose_rule(proba, y, classes, "Normal")
    rule = choose_rule(proba, y, classes, "Normal", max_fpr=0.02)
    assert rule.validation["binary_fpr"] <= 0.02 < argmax.validation["binary_fpr"]
    assert rule.validation["normal_rows"] == (y == "Normal").sum()
    pred, attack = rule.decide(proba)
    assert (np.asarray(classes)[pred[attack]] != "Normal").all()
    assert (np.asarray(classes)[pred[~attack]] == "Normal").all()
    # a looser budget catches at least as many attacks
    loose = choose_rule(proba, y, classes, "Normal", max_fpr=0.2)
    assert loose.validation["binary_dr"] >= rule.validation["binary_dr"]


def test_cap_only_ever_cuts_false_alarms():
    rng = np.random.default_rng(2)
    y = rng.choice(["Normal", "DoS"], size=1000, p=[0.8, 0.2])
    p_dos = np.clip(np.where(y == "DoS", 0.7, 0.3) + rng.normal(0, 0.2, 1000), 0, 1)
    proba = np.stack([p_dos, 1 - p_dos], axis=1)  # classes DoS, Normal
    argmax_fpr = choose_rule(proba, y, ["DoS", "Normal"], "Normal").validation["binary_fpr"]
    assert 0.01 < argmax_fpr < 0.5
    tight = choose_rule(proba, y, ["DoS", "Normal"], "Normal", max_fpr=0.01, cap=True)
    assert tight.threshold is not None and tight.validation["binary_fpr"] <= 0.01
    loose = choose_rule(proba, y, ["DoS", "Normal"], "Normal", max_fpr=0.5, cap=True)
    assert loose.threshold is None and loose.validation["binary_fpr"] == argmax_fpr
    assert "within the false-alarm budget 0.5" in loose.describe()
    # without the cap a loose budget spends it: more alarms, more attacks caught
    spend = choose_rule(proba, y, ["DoS", "Normal"], "Normal", max_fpr=0.5)
    assert spend.validation["binary_fpr"] > argmax_fpr
    assert spend.validation["binary_dr"] >= loose.validation["binary_dr"]


def test_coarse_probabilities_still_flag_the_surest_rows_and_say_the_budget_is_unmet():
    # a forest's unanimous votes: 5 % of normal rows and most attacks at P(normal) = 0
    y = np.array(["Normal"] * 200 + ["DoS"] * 100)
    p_normal = np.r_[np.zeros(10), np.full(190, 0.9), np.zeros(80), np.full(20, 0.6)]
    proba = np.stack([1 - p_normal, p_normal], axis=1)
    for cap in (False, True):
        rule = choose_rule(proba, y, ["DoS", "Normal"], "Normal", max_fpr=0.01, cap=cap)
        assert rule.threshold == 1.0  # not above 1: a detector that never alerts
        assert rule.validation["binary_dr"] == 0.8 and rule.validation["binary_fpr"] == 0.05
        msg = budget_unmet(rule)
        assert "budget 0.01 cannot be met" in msg and "5.00%" in msg and "\n" not in msg
    assert budget_unmet(choose_rule(proba, y, ["DoS", "Normal"], "Normal", max_fpr=0.1)) is None


def test_joint_threshold_leaves_the_novel_rows_their_share_of_the_budget():
    rng = np.random.default_rng(3)
    scores = rng.random(1000)
    novel = rng.random(1000) < 0.006  # 6 novel normal rows
    for budget in (0.01, 0.05):
        t = joint_threshold(scores, novel, budget)
        assert ((scores >= t) | novel).mean() <= budget + 1e-12
        lower = np.sort(scores[(scores < t) & ~novel])[-1]
        assert ((scores >= lower) | novel).mean() > budget  # the lowest such threshold
    assert joint_threshold(scores, rng.random(1000) < 0.05, 0.01) == 1.0  # novelty takes it all


def test_too_few_normal_rows_for_the_budget_is_one_line():
    assert too_few_normal_rows(1000, 0.01) is None
    msg = too_few_normal_rows(400, 0.01)
    assert "400 normal validation rows" in msg and "1,000" in msg and "\n" not in msg


def test_rule_file_round_trip_and_refusals(tmp_path):
    rule = DecisionRule(["DoS", "Normal"], "Normal", prior_weights=[0.2, 1.8], threshold=0.7,
                        max_fpr=0.01, validation={"binary_fpr": 0.009})  # fmt: skip
    back = DecisionRule.load(rule.save(tmp_path / "d.json"))
    assert back == rule
    p = np.array([[0.6, 0.4], [0.95, 0.05]])
    np.testing.assert_array_equal(back.decide(back.proba(p))[1], rule.decide(rule.proba(p))[1])
    d = rule.to_dict()
    d["prior_weights"] = [1.0]
    (tmp_path / "bad.json").write_text(json.dumps(d))
    with pytest.raises(ModelFileError, match="bad.json: damaged decision rule"):
        DecisionRule.load(tmp_path / "bad.json")
    d = rule.to_dict() | {"format_version": 99}
    (tmp_path / "new.json").write_text(json.dumps(d))
    with pytest.raises(ModelFileError, match="version 99"):
        DecisionRule.load(tmp_path / "new.json")


# -- in a detector and its bundle ------------------------------------------------------------
@pytest.fixture(scope="module")
def detector(make_detector):
    return make_detector(seed=3)


def test_bundle_keeps_the_rule_and_one_without_it_decides_by_argmax(detector, nsl_small,
                                                                     tmp_path):  # fmt: skip
    from gavae_ids.detection.detector import Detector

    X = nsl_small["X"].iloc[:300]
    plain = detector.predict(X)
    assert detector.decision_ is None
    np.testing.assert_array_equal(Detector.load(detector.save(tmp_path / "a")).predict(X), plain)

    proba = detector.predict_proba(X)
    weights = np.linspace(0.5, 1.5, len(detector.classes_))
    rule = choose_rule(proba, nsl_small["y"].iloc[:300], list(detector.classes_), "Normal",
                       prior=weights, max_fpr=0.0)  # fmt: skip
    detector.decision_ = rule
    try:
        flags = detector.is_attack(X)
        labels = detector.predict(X)
        loaded = Detector.load(detector.save(tmp_path / "b"))
    finally:
        detector.decision_ = None
    assert loaded.decision_ == rule
    np.testing.assert_array_equal(loaded.is_attack(X), flags)
    np.testing.assert_array_equal(loaded.predict(X), labels)
    assert not flags[nsl_small["y"].iloc[:300].to_numpy() == "Normal"].any()  # budget 0
    assert (labels[flags] != "Normal").all() and (labels[~flags] == "Normal").all()
    # --threshold overrides the rule's threshold
    np.testing.assert_array_equal(loaded.is_attack(X, threshold=0.0), np.ones(len(X), bool))

    (tmp_path / "b" / "decision.json").write_text("{}")
    with pytest.raises(ModelFileError, match="decision.json: checksum"):
        Detector.load(tmp_path / "b")


def test_train_with_a_budget_meets_it_on_its_validation_rows(tmp_path, data_home):
    from typer.testing import CliRunner

    from gavae_ids.cli import app
    from gavae_ids.detection.detector import Detector
    from gavae_ids.detection.train import train_detector

    det = train_detector("nsl-kdd", method="smote-dnn", data_home=data_home, quick=True,
                         verbose=False, decision="prior", max_fpr=0.02, epochs=3,
                         out=tmp_path / "m")  # fmt: skip
    rule = det.decision_
    assert rule.threshold is not None and rule.prior_weights is not None
    assert rule.validation["binary_fpr"] <= 0.02
    card = det.model_card
    assert card.decision["metrics"]["binary_fpr"] == pytest.approx(rule.validation["binary_fpr"])
    assert "## Decision rule" in card.to_markdown()
    # SMOTE balanced the classes, so the rare classes' weights fall below the normal's
    w = dict(zip(det.classes_, rule.prior_weights, strict=True))
    assert w["Normal"] > max(w["R2L"], w["U2R"])
    assert Detector.load(tmp_path / "m").decision_ == rule

    test = tmp_path / "t.csv"
    from gavae_ids.datasets import load_nsl_kdd

    t = load_nsl_kdd("test21", data_home=data_home)
    t.X.iloc[:200].to_csv(test, index=False)
    r = CliRunner().invoke(app, ["score", str(tmp_path / "m"), str(test), "-o",
                                 str(tmp_path / "s.csv"), "-q"])  # fmt: skip
    assert r.exit_code == 0, r.output
    assert "decision: posteriors re-weighted to the training class priors; attack when" in r.output
    r = CliRunner().invoke(app, ["score", str(tmp_path / "m"), str(test), "-o",
                                 str(tmp_path / "s2.csv"), "-q", "--threshold", "0.5"])  # fmt: skip
    assert "decision: attack when 1 - P(Normal) >= 0.5 (overriding the bundle's rule)" in r.output


def test_novelty_and_the_classifier_keep_the_budget_together(tmp_path, data_home):
    from gavae_ids.detection.train import train_detector

    det = train_detector("nsl-kdd", method="gavae-dnn", data_home=data_home, quick=True,
                         verbose=False, decision="budget", max_fpr=0.05, sampler__n_iter=3,
                         frozen_epochs=1, finetune_epochs=1, novelty_fpr_budget=0.02,
                         out=tmp_path / "g")  # fmt: skip
    rule = det.decision_
    assert det.novelty_ is not None and rule.novelty_validation is not None
    assert rule.novelty_validation["binary_fpr"] <= 0.05 + 1e-12
    assert rule.novelty_threshold >= rule.threshold  # the novel rows take part of the budget
    assert "with --novelty: attack when" in rule.describe()
    from gavae_ids.detection.detector import Detector

    loaded = Detector.load(tmp_path / "g")
    assert loaded.decision_ == rule
    from gavae_ids.datasets import load_nsl_kdd

    X = load_nsl_kdd("test21", data_home=data_home).X.iloc[:300]
    proba = loaded.predict_proba(X)
    flags = loaded.is_attack(X, novelty=True)
    plain = loaded.decide(proba)[1]
    pred_joint, joint = loaded.decide(proba, novelty=True)
    novel = loaded.novel_mask_encoded(loaded.encode(X)[0], pred_joint)
    np.testing.assert_array_equal(flags, joint | novel)
    assert (joint <= plain).all()  # a higher threshold: a subset of the plain alerts


def test_budget_without_validation_rows_is_refused_before_any_work(tmp_path):
    from gavae_ids.detection.train import train_detector

    with pytest.raises(DataError, match="--max-fpr needs validation rows"):
        train_detector("nsl-kdd", method="dnn", data_home=tmp_path / "none", validation=0,
                       max_fpr=0.01)  # fmt: skip
    with pytest.raises(DataError, match="--max-fpr has no effect with --decision argmax"):
        train_detector("nsl-kdd", method="dnn", data_home=tmp_path / "none", decision="argmax",
                       max_fpr=0.01)  # fmt: skip
    with pytest.raises(DataError, match="unknown decision rule"):
        train_detector("nsl-kdd", method="dnn", data_home=tmp_path / "none", decision="magic")
