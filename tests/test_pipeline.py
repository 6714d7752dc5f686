"""DetectionPipeline: one estimator from raw frames, in cross_validate / GridSearchCV."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.model_selection import GridSearchCV, cross_validate
from sklearn.tree import DecisionTreeClassifier

from gavae_ids.detection.methods import build_method
from gavae_ids.detection.pipeline import DetectionPipeline, build_pipeline
from gavae_ids.preprocessing import fit_preprocessing

TINY_GAVAE = {"sampler__n_iter": 3, "frozen_epochs": 1,
              "finetune_epochs": 1}  # fmt: skip


@pytest.fixture(scope="module")
def frame():
    rng = np.random.RandomState(0)
    n = 240
    X = pd.DataFrame({"proto": rng.choice(["tcp", "udp", "icmp"], n), "a": rng.rand(n),
                      "b": rng.randint(0, 5, n)})  # fmt: skip
    y = np.where(X["a"] > 0.7, "dos", np.where(X["proto"] == "icmp", "probe", "normal"))
    return X, y


def test_cross_validate_fits_the_preprocessing_on_each_training_fold(frame):
    X, y = frame
    pipe = DetectionPipeline(DecisionTreeClassifier(random_state=0))
    res = cross_validate(pipe, X, y, cv=3, return_estimator=True, return_indices=True)
    assert res["test_score"].mean() > 0.9  # the label is a function of proto and a
    for est, tr in zip(res["estimator"], res["indices"]["train"], strict=True):
        assert est.preprocessor_.data_max_[0] == X["a"].iloc[tr].max()
        assert est.class_counts_ == dict(zip(*np.unique(y[tr], return_counts=True), strict=True))


def test_grid_search_reaches_nested_sampler_params_and_the_layout_arrives_at_fit(frame):
    X, y = frame
    pipe = build_pipeline("gavae-dnn", verbose=False, **TINY_GAVAE)
    assert pipe.classifier.sampler.layout is None
    grid = GridSearchCV(pipe, {"classifier__sampler__n_iter": [2, 3]}, cv=2, scoring="f1_macro")
    grid.fit(X, y)
    assert [p["classifier__sampler__n_iter"] for p in grid.cv_results_["params"]] == [2, 3]
    best = grid.best_estimator_
    assert best.classifier_.sampler_.layout_ == best.preprocessor_.layout_
    assert best.layout_.onehot_blocks[0].name == "proto"
    # the unfitted parameters stay as given: clone-safe
    assert best.classifier.sampler.layout is None
    assert clone(best).get_params()["classifier__sampler__n_iter"] == grid.best_params_[
        "classifier__sampler__n_iter"]  # fmt: skip


def test_same_predictions_as_the_separate_steps(nsl_train20, nsl_test):
    """The pipeline fits exactly what preprocessing + build_method(layout) + fit did."""
    from conftest import stratified_slice

    b = nsl_train20
    rows = stratified_slice(b.y, 60, seed=0)
    X, y = b.X.iloc[rows], b.y.iloc[rows]
    test = nsl_test.X.iloc[:300]
    kw = {"quick": True, "random_state": 3, "verbose": False, "device": "cpu", **TINY_GAVAE}
    Xf, yf, pre, _ = fit_preprocessing(X, y, categorical=b.categorical, numeric=b.numeric,
                                       outlier_filter=True)  # fmt: skip
    old = build_method("gavae-dnn", layout=pre.layout_, **kw).fit(pre.transform(Xf), yf.to_numpy())
    pipe = build_pipeline("gavae-dnn", categorical=b.categorical, numeric=b.numeric,
                          outlier_filter=True, **kw).fit(X, y)  # fmt: skip
    assert pipe.outlier_report_["removed"].sum() == len(y) - len(yf) > 0
    np.testing.assert_array_equal(pipe.predict_proba(test), old.predict_proba(pre.transform(test)))
    np.testing.assert_array_equal(pipe.classes_, old.classes_)


def test_augmentation_counts_of_a_smote_classifier(frame):
    X, y = frame
    pipe = build_pipeline("smote-dnn", verbose=False, epochs=1, random_state=0).fit(X, y)
    counts = pipe.augmentation_counts()
    labels, n = np.unique(y, return_counts=True)
    # SMOTE grows every class of the classifier's training part to the majority's size
    assert counts.loc[labels[n.argmax()], "generated"] == 0
    assert (counts["generated"].drop(labels[n.argmax()]) > 0).all()
