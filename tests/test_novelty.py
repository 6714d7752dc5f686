"""The novelty flag: thresholds from training rows only, far rows flagged, safe persistence."""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest

from gavae_ids.detection.novelty import (
    NoveltyThresholds,
    binary_with_novelty,
    calibrate,
    choose_quantile,
    class_quantiles,
    novel_mask,
)
from gavae_ids.exceptions import DataError, ModelFileError, NotFittedError

CLASSES = ["Attack", "Normal"]
CENTRES = {"Attack": np.array([1.0, 0.0]), "Normal": np.array([0.0, 1.0])}


class DistanceSampler:
    """Stands in for a fitted GAVAE: the "reconstruction loss" of a row under a class is
    its distance to that class's centre."""

    def __init__(self):
        self.calls = []

    def reconstruction_error(self, X, y):
        X, y = np.asarray(X, dtype=float), np.asarray(y)
        self.calls.append(len(X))
        centres = np.stack([CENTRES[c] for c in y])
        return np.linalg.norm(X - centres, axis=1)


def blob(label, n, rng, scale=0.1):
    return CENTRES[label] + rng.normal(0, scale, size=(n, 2)), np.full(n, label)


@pytest.fixture()
def rows():
    rng = np.random.default_rng(0)
    Xa, ya = blob("Attack", 200, rng)
    Xn, yn = blob("Normal", 300, rng)
    Xva, yva = blob("Attack", 50, rng)
    Xvn, yvn = blob("Normal", 100, rng)
    return (np.vstack([Xa, Xn]), np.concatenate([ya, yn]),
            np.vstack([Xva, Xvn]), np.concatenate([yva, yvn]))  # fmt: skip


def test_thresholds_are_quantiles_of_the_reference_rows_only(rows):
    X_ref, y_ref, X_val, y_val = rows
    sampler = DistanceSampler()
    thr, table = calibrate(sampler, CLASSES, "Normal", X_ref, y_ref, X_val, y_val, y_val,
                           quantile=0.9)  # fmt: skip
    losses = sampler.reconstruction_error(X_ref, y_ref)
    for j, c in enumerate(CLASSES):
        assert thr.thresholds[j] == pytest.approx(np.quantile(losses[y_ref == c], 0.9))
    # other validation rows choose another quantile but never move the thresholds
    far_val = X_val + 0.3
    _, table2 = calibrate(sampler, CLASSES, "Normal", X_ref, y_ref, far_val, y_val, y_val)
    np.testing.assert_array_equal(table["thresholds"][: len(table2["thresholds"])],
                                  table2["thresholds"][: len(table["thresholds"])])  # fmt: skip


def test_a_row_far_from_every_class_is_novel_under_any_prediction(rows):
    X_ref, y_ref, X_val, y_val = rows
    sampler = DistanceSampler()
    thr, _ = calibrate(sampler, CLASSES, "Normal", X_ref, y_ref, X_val, y_val, y_val)
    far = np.array([[5.0, 5.0], [5.0, 5.0], [1.0, 0.0], [0.0, 1.0]])
    pred = np.array([0, 1, 0, 1])
    losses = sampler.reconstruction_error(far, np.asarray(CLASSES)[pred])
    np.testing.assert_array_equal(thr.mask(losses, pred), [True, True, False, False])


def test_the_quantile_is_the_smallest_within_the_fpr_budget(rows):
    X_ref, y_ref, X_val, y_val = rows
    thr, table = calibrate(DistanceSampler(), CLASSES, "Normal", X_ref, y_ref, X_val, y_val,
                           y_val, fpr_budget=0.05)  # fmt: skip
    added = np.asarray(table["added_fpr"])
    qs = np.asarray(table["quantiles"])
    assert added[qs == thr.quantile][0] <= 0.05
    assert (added[qs < thr.quantile] > 0.05).all()
    assert thr.calibration["n_validation_normal"] == 100
    # a stricter budget never picks a more sensitive quantile
    strict, _ = calibrate(DistanceSampler(), CLASSES, "Normal", X_ref, y_ref, X_val, y_val,
                          y_val, fpr_budget=0.0)  # fmt: skip
    assert strict.quantile >= thr.quantile


def test_choose_quantile_falls_back_to_the_largest():
    assert choose_quantile([0.5, 0.2, 0.1], [0.8, 0.9, 0.99], 0.01) == 2
    assert choose_quantile([0.5, 0.2, 0.1], [0.8, 0.9, 0.99], 0.3) == 1
    with pytest.raises(DataError, match="budget"):
        choose_quantile([0.1], [0.9], 1.5)


def test_class_without_reference_rows_flags_nothing():
    table = class_quantiles([1.0, 2.0, 3.0], ["a", "a", "a"], ["a", "b"], [0.5, 1.0])
    assert math.isinf(table[0, 1]) and table[1, 0] == 3.0
    assert not novel_mask([1e9], [1], table[0]).any()


def test_novel_rows_become_attacks_but_attacks_stay_attacks():
    y = np.array(["Normal", "Normal", "DoS", "DoS"])
    pred = np.array(["Normal", "Normal", "Normal", "DoS"])
    flags = np.array([False, True, True, False])
    with_flag = binary_with_novelty(y, pred, flags, "Normal")
    without = binary_with_novelty(y, pred, np.zeros(4, dtype=bool), "Normal")
    assert without["recall"] == 0.5 and with_flag["recall"] == 1.0
    assert without["fpr"] == 0.0 and with_flag["fpr"] == 0.5


def test_thresholds_round_trip_through_json_and_refuse_damage(tmp_path):
    thr = NoveltyThresholds(["a", "b"], 0.95, [1.5, math.inf], 0.02, {"quantiles": [0.95]})
    back = NoveltyThresholds.load(thr.save(tmp_path / "n.json"))
    assert back.thresholds[0] == 1.5 and math.isinf(back.thresholds[1])
    assert (back.classes, back.quantile, back.fpr_budget) == (["a", "b"], 0.95, 0.02)
    doc = json.loads((tmp_path / "n.json").read_text())
    doc["thresholds"] = [1.0]
    (tmp_path / "n.json").write_text(json.dumps(doc))
    with pytest.raises(ModelFileError, match="damaged"):
        NoveltyThresholds.load(tmp_path / "n.json")
    (tmp_path / "n.json").write_text("{not json")
    with pytest.raises(ModelFileError, match="n.json"):
        NoveltyThresholds.load(tmp_path / "n.json")


# -- the Detector ------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def gavae_detector(make_detector):
    """A tiny DNN plus a tiny GAVAE on ~1,200 real NSL-KDD rows (seconds)."""
    return make_detector(seed=0, sampler=True)


def test_detector_needs_thresholds_before_flagging(gavae_detector, nsl_small):
    gavae_detector.novelty_ = None
    with pytest.raises(NotFittedError, match="fit_novelty"):
        gavae_detector.novel(nsl_small["X"].iloc[:5])


def test_detector_novelty_round_trips_through_the_bundle(gavae_detector, nsl_small, nsl_test,
                                                         tmp_path):  # fmt: skip
    from gavae_ids.detection.detector import NOVEL_LABEL, Detector

    X, y = nsl_small["X"], nsl_small["y"].to_numpy()
    half = np.arange(len(y)) % 2 == 0
    thr = gavae_detector.fit_novelty(X[half], y[half], X_validation=X[~half],
                                     y_validation=y[~half], quantile=0.5)  # fmt: skip
    assert thr.quantile == 0.5
    records = nsl_test.X.iloc[:300].reset_index(drop=True)
    novel = gavae_detector.novel(records)
    assert novel.any() and not novel.all()  # at the median some test rows fit, some do not
    plain = gavae_detector.is_attack(records)
    flagged = gavae_detector.is_attack(records, novelty=True)
    np.testing.assert_array_equal(flagged, plain | novel)
    labels = gavae_detector.predict(records, novelty=True)
    np.testing.assert_array_equal(labels == NOVEL_LABEL, novel)

    path = gavae_detector.save(tmp_path / "model")
    assert (path / "novelty.json").is_file()
    loaded = Detector.load(path)  # the GAVAE comes along because the flag needs it
    assert loaded.novelty_.thresholds == pytest.approx(thr.thresholds)
    np.testing.assert_array_equal(loaded.novel(records), novel)
    # the thresholds are covered by the manifest's checksums
    (path / "novelty.json").write_text((path / "novelty.json").read_text().replace("0.5", "0.6"))
    with pytest.raises(ModelFileError, match="checksum"):
        Detector.load(path)


def test_novel_mask_encoded_checks_its_inputs(gavae_detector):
    gavae_detector.novelty_ = NoveltyThresholds(list(gavae_detector.classes_), 1.0,
                                                [1.0] * len(gavae_detector.classes_))  # fmt: skip
    Xt = np.zeros((2, gavae_detector.preprocessor.layout_.n_features), dtype=np.float32)
    with pytest.raises(DataError, match="predicted classes"):
        gavae_detector.novel_mask_encoded(Xt, [0])
    with pytest.raises(DataError, match="indices"):
        gavae_detector.novel_mask_encoded(Xt, [0, 99])
    assert gavae_detector.novel_mask_encoded(Xt[:0], []).shape == (0,)


def test_score_writes_the_novel_column_and_counts_novel_rows_as_attacks(gavae_detector,
                                                                       nsl_small, nsl_test,
                                                                       tmp_path):  # fmt: skip
    from gavae_ids.scoring import score_file

    X, y = nsl_small["X"], nsl_small["y"].to_numpy()
    half = np.arange(len(y)) % 2 == 0
    gavae_detector.fit_novelty(X[half], y[half], X_validation=X[~half], y_validation=y[~half],
                               quantile=0.5)  # fmt: skip
    records = nsl_test.X.iloc[:300].reset_index(drop=True)
    src = tmp_path / "in.csv"
    records.to_csv(src, index=False)
    plain = score_file(gavae_detector, src, tmp_path / "plain.csv", verbose=False, chunk_size=64)
    s = score_file(gavae_detector, src, tmp_path / "novel.csv", verbose=False, chunk_size=64,
                   novelty=True)  # fmt: skip
    out = pd.read_csv(tmp_path / "novel.csv")
    base = pd.read_csv(tmp_path / "plain.csv")
    assert list(out.columns) == [*base.columns, "novel"] and plain.novel is None
    novel = gavae_detector.novel(records)
    np.testing.assert_array_equal(out["novel"].to_numpy() == 1, novel)
    np.testing.assert_array_equal(out["is_attack"].to_numpy() == 1,
                                  gavae_detector.is_attack(records, novelty=True))  # fmt: skip
    assert s.novel == novel.sum() > 0 and s.attacks == int(out["is_attack"].sum())
    assert "novel" in s.line()
    score_file(gavae_detector, src, tmp_path / "novel.parquet", verbose=False, novelty=True)
    pq = pd.read_parquet(tmp_path / "novel.parquet")
    np.testing.assert_array_equal(pq["novel"].to_numpy(), novel)
    gavae_detector.novelty_ = None
    with pytest.raises(DataError, match="no novelty thresholds"):
        score_file(gavae_detector, src, tmp_path / "x.csv", verbose=False, novelty=True)
    assert not (tmp_path / "x.csv").exists()
