"""Model bundles: round trip, manifest, safe and validated loading, raw-record prediction."""

from __future__ import annotations

import json
import shutil
import warnings

import numpy as np
import pandas as pd
import pytest

from gavae_ids.classifiers import DNNClassifier, make_knn, make_random_forest
from gavae_ids.datasets import NSL_KDD_FEATURES
from gavae_ids.detection.detector import (
    BUNDLE_FORMAT,
    BundleVersionWarning,
    Detector,
    check_bundleable,
)
from gavae_ids.detection.train import parse_params, resolve_normal_label, train_detector
from gavae_ids.exceptions import DataError, ModelFileError
from gavae_ids.preprocessing import TabularPreprocessor


@pytest.fixture(scope="module")
def detector(make_detector):
    return make_detector(seed=0, note="test")


@pytest.fixture(scope="module")
def bundle(detector, tmp_path_factory):
    return detector.save(tmp_path_factory.mktemp("bundles") / "model")


@pytest.fixture()
def bundle_copy(bundle, tmp_path):
    dst = tmp_path / "model"
    shutil.copytree(bundle, dst)
    return dst


@pytest.fixture(scope="module")
def records(nsl_test):
    return nsl_test.X.iloc[:2000].reset_index(drop=True)


# -- round trip --------------------------------------------------------------------------------
def test_round_trip_gives_identical_probabilities(detector, bundle, records):
    loaded = Detector.load(bundle)
    in_memory = detector.classifier.predict_proba(detector.preprocessor.transform(records))
    np.testing.assert_array_equal(detector.predict_proba(records), in_memory)
    np.testing.assert_array_equal(loaded.predict_proba(records), in_memory)
    np.testing.assert_array_equal(loaded.predict(records), detector.predict(records))
    assert list(loaded.classes_) == ["DoS", "Normal", "Probe", "R2L", "U2R"]
    assert loaded.normal_label == "Normal" and loaded.method == "dnn"
    assert loaded.info == {"note": "test"}


def test_manifest_records_schema_classes_versions_and_checksums(bundle, detector):
    m = json.loads((bundle / "manifest.json").read_text())
    assert m["format"] == BUNDLE_FORMAT and m["format_version"] == 1
    assert set(m["versions"]) == {"gavae_ids", "torch", "numpy", "scikit-learn"}
    assert m["classes"] == list(detector.classes_) and m["normal_label"] == "Normal"
    assert m["label_map"]["1"] == "Normal"
    assert m["schema"]["columns"] == list(NSL_KDD_FEATURES)
    assert m["schema"]["dtypes"]["service"] == "categorical"
    assert m["schema"]["dtypes"]["src_bytes"] == "numeric"
    assert m["schema"]["categories"]["protocol_type"] == ["icmp", "tcp", "udp"]
    expected = {"preprocessor.json", "classifier/weights.safetensors", "classifier/config.json"}
    assert expected <= set(m["files"])
    assert all(len(h) == 64 for h in m["files"].values())
    assert m["gavae"] is None


def test_columns_are_reordered_by_name_and_extra_columns_ignored(detector, records):
    shuffled = records[list(reversed(records.columns))].assign(label="x", id=1)
    np.testing.assert_array_equal(detector.predict_proba(shuffled), detector.predict_proba(records))


def test_missing_columns_are_named(detector, records):
    with pytest.raises(DataError, match="missing column.*service.*flag"):
        detector.predict_proba(records.drop(columns=["service", "flag"]))


def test_array_input_in_training_order(detector, records):
    np.testing.assert_array_equal(
        detector.predict_proba(records.to_numpy(dtype=object)), detector.predict_proba(records)
    )
    with pytest.raises(DataError, match="41 columns"):
        detector.predict_proba(np.zeros((2, 5)))


def test_unseen_categories_are_flagged_and_padding_is_forgiven(detector, records):
    rows = records.iloc[:3].copy()
    rows["service"] = ["no_such_service", rows["service"].iloc[1], " " + rows["service"].iloc[2]]
    _, unseen = detector.encode(rows)
    assert unseen.tolist() == [True, False, False]
    np.testing.assert_array_equal(
        detector.predict_proba(rows.iloc[2:]), detector.predict_proba(records.iloc[2:3])
    )


def test_threshold_on_attack_probability(detector, records):
    proba = detector.predict_proba(records)
    pn = proba[:, detector.normal_index_]
    default = detector.attack_mask(proba)
    np.testing.assert_array_equal(default, proba.argmax(1) != detector.normal_index_)
    np.testing.assert_array_equal(detector.attack_mask(proba, 0.5), 1 - pn >= 0.5)
    assert detector.attack_mask(proba, 0.0).all()
    with pytest.raises(DataError):
        detector.attack_mask(proba, 1.5)


# -- damaged bundles ---------------------------------------------------------------------------
def test_truncated_weights_are_refused(bundle_copy):
    w = bundle_copy / "classifier" / "weights.safetensors"
    w.write_bytes(w.read_bytes()[:100])
    with pytest.raises(ModelFileError, match="weights.safetensors.*checksum.*altered or truncated"):
        Detector.load(bundle_copy)


def test_altered_weights_are_refused(bundle_copy):
    w = bundle_copy / "classifier" / "weights.safetensors"
    data = bytearray(w.read_bytes())
    data[-3] ^= 0xFF  # same size, one weight changed
    w.write_bytes(bytes(data))
    with pytest.raises(ModelFileError, match="checksum"):
        Detector.load(bundle_copy)


def test_altered_preprocessor_is_refused(bundle_copy):
    p = bundle_copy / "preprocessor.json"
    p.write_text(p.read_text().replace('"tcp"', '"tcP"'))
    with pytest.raises(ModelFileError, match="preprocessor.json.*checksum"):
        Detector.load(bundle_copy)


def test_missing_file_is_named(bundle_copy):
    (bundle_copy / "preprocessor.json").unlink()
    with pytest.raises(ModelFileError, match="preprocessor.json: missing"):
        Detector.load(bundle_copy)


def test_missing_manifest_and_not_a_folder(bundle_copy, tmp_path):
    (bundle_copy / "manifest.json").unlink()
    with pytest.raises(ModelFileError, match="not a gavae-ids model bundle"):
        Detector.load(bundle_copy)
    with pytest.raises(ModelFileError, match="no such model bundle"):
        Detector.load(tmp_path / "nope")


def _edit_manifest(path, fn):
    m = json.loads((path / "manifest.json").read_text())
    fn(m)
    (path / "manifest.json").write_text(json.dumps(m))


def test_incompatible_format_version_is_refused(bundle_copy):
    _edit_manifest(bundle_copy, lambda m: m.update(format_version=2))
    with pytest.raises(ModelFileError, match="format version 2 is not supported.*upgrade"):
        Detector.load(bundle_copy)


def test_damaged_manifest_is_refused(bundle_copy):
    (bundle_copy / "manifest.json").write_text('{"format": "gavae-ids-bundle", ')
    with pytest.raises(ModelFileError, match="not valid JSON"):
        Detector.load(bundle_copy)


def test_manifest_paths_cannot_leave_the_bundle(bundle_copy):
    _edit_manifest(bundle_copy, lambda m: m["files"].update({"../outside": "0" * 64}))
    with pytest.raises(ModelFileError, match="outside the bundle"):
        Detector.load(bundle_copy)


def test_unknown_classifier_class_is_refused(bundle_copy):
    _edit_manifest(bundle_copy, lambda m: m["classifier"].update({"class": "os.system"}))
    with pytest.raises(ModelFileError, match="not a gavae-ids classifier"):
        Detector.load(bundle_copy)


def test_library_version_mismatch_warns_but_loads(bundle_copy, records, detector):
    _edit_manifest(bundle_copy, lambda m: m["versions"].update(torch="1.0.0"))
    with pytest.warns(BundleVersionWarning, match="torch 1.0.0"):
        det = Detector.load(bundle_copy)
    np.testing.assert_array_equal(det.predict_proba(records), detector.predict_proba(records))


def test_other_gavae_ids_version_warns_once_and_hashes_each_file_once(bundle, monkeypatch):
    """The bundle checks files and versions for its parts: their loaders neither hash a
    file again nor warn about the same version again."""
    from collections import Counter

    import gavae_ids._util.persistence as persistence
    import gavae_ids.detection.bundle as bundle_module

    hashed = Counter()
    real_hash = persistence.sha256_file

    def counting_hash(path):
        hashed[str(path)] += 1
        return real_hash(path)

    monkeypatch.setattr(persistence, "__version__", "99.0.0")  # the running version
    monkeypatch.setattr(persistence, "sha256_file", counting_hash)
    monkeypatch.setattr(bundle_module, "sha256_file", counting_hash)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        Detector.load(bundle)
    assert [type(w.message) for w in caught] == [BundleVersionWarning]
    assert "gavae_ids" in str(caught[0].message) and "running 99.0.0" in str(caught[0].message)
    files = {p.as_posix() for p in bundle.rglob("*") if p.is_file() and p.name != "manifest.json"}
    assert set(hashed) == files and set(hashed.values()) == {1}


def test_matching_versions_do_not_warn(bundle):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        Detector.load(bundle)


# -- saving ------------------------------------------------------------------------------------
def test_save_refuses_to_clobber(detector, bundle_copy, tmp_path):
    with pytest.raises(ModelFileError, match="already there"):
        detector.save(bundle_copy)
    detector.save(bundle_copy, overwrite=True)
    Detector.load(bundle_copy)
    other = tmp_path / "notes"
    other.mkdir()
    (other / "todo.txt").write_text("keep me")
    with pytest.raises(ModelFileError, match="not a model bundle"):
        detector.save(other, overwrite=True)
    assert (other / "todo.txt").read_text() == "keep me"


def test_sklearn_models_cannot_be_bundled():
    with pytest.raises(ModelFileError, match="pickl"):
        check_bundleable(make_knn(), "knn")
    check_bundleable(DNNClassifier(), "dnn")
    check_bundleable(make_random_forest(), "rf")


def test_detector_checks_normal_label(detector):
    with pytest.raises(DataError, match="normal label 'benign'"):
        Detector(detector.preprocessor, detector.classifier, normal_label="benign")


# -- train_detector ----------------------------------------------------------------------------
def test_train_detector_refuses_sklearn_methods_before_reading_data(tmp_path):
    with pytest.raises(ModelFileError, match="cannot be saved in a model bundle"):
        train_detector("nsl-kdd", method="knn", data_home=tmp_path / "no-data", out=tmp_path / "m")
    assert not (tmp_path / "m").exists()


def test_train_detector_on_a_csv(tmp_path, nsl_small):
    df = nsl_small["X"].assign(kind=np.where(nsl_small["y"] == "Normal", "benign", "attack"))
    path = tmp_path / "flows.csv"
    df.to_csv(path, index=False)
    det = train_detector("csv", method="dnn", csv_path=path, label="kind", out=tmp_path / "m",
                         verbose=False, epochs=2, hidden=(8,), validation_fraction=0.0)  # fmt: skip
    assert list(det.classes_) == ["attack", "benign"] and det.normal_label == "benign"
    loaded = Detector.load(tmp_path / "m")
    np.testing.assert_array_equal(loaded.predict_proba(df), det.predict_proba(df))
    assert loaded.info["dataset"] == "csv"
    # the default 20 % validation holdout: the bundled model saw the other 80 %
    assert loaded.info["rows_trained"] == len(df) - loaded.model_card.metrics["rows"]
    assert loaded.info["rows_trained"] == pytest.approx(0.8 * len(df), abs=2)
    with pytest.raises(DataError, match="no parameter.*nope"):
        train_detector("csv", method="dnn", csv_path=path, label="kind", nope=1)


def test_gavae_dnn_bundle_holds_the_gavae(data_home, tmp_path, nsl_test):
    det = train_detector("nsl-kdd", "gavae-dnn", data_home=data_home, out=tmp_path / "g",
                         quick=True, verbose=False, sampler__n_iter=3, frozen_epochs=1,
                         finetune_epochs=1)  # fmt: skip
    assert (tmp_path / "g" / "gavae" / "weights.safetensors").is_file()
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)  # no noise on load
        loaded = Detector.load(tmp_path / "g", load_gavae=True)
    assert loaded.sampler is not None and list(loaded.sampler.classes_) == list(det.classes_)
    X = nsl_test.X.iloc[:200]
    np.testing.assert_array_equal(loaded.predict_proba(X), det.predict_proba(X))


def test_parse_params_and_normal_label():
    assert parse_params(["epochs=5", "hidden=[8,4]", "device=cpu", "lr=1e-3"]) == {
        "epochs": 5, "hidden": (8, 4), "device": "cpu", "lr": 1e-3}  # fmt: skip
    with pytest.raises(DataError, match="NAME=VALUE"):
        parse_params(["epochs"])
    assert resolve_normal_label(["DoS", "Normal"]) == "Normal"
    assert resolve_normal_label(["1", "0"]) == "0"
    with pytest.raises(DataError, match="normal_label"):
        resolve_normal_label(["a", "b"])


def test_frame_with_string_dtypes(detector, records):
    as_text = records.astype(str)
    np.testing.assert_allclose(detector.predict_proba(as_text), detector.predict_proba(records))
    assert isinstance(detector.predict(records.iloc[:3]), np.ndarray)
    assert isinstance(pd.Series(detector.predict(records.iloc[:3])).iloc[0], str)


def test_train_keeps_going_when_a_class_has_one_row(tmp_path):
    from typer.testing import CliRunner

    from gavae_ids.cli import app

    rng = np.random.RandomState(0)
    y = np.array(["normal"] * 120 + ["scan"] * 40 + ["rare"])
    df = pd.DataFrame({"x1": rng.rand(len(y)) + (y == "scan"), "x2": rng.randint(0, 5, len(y)),
                       "label": y})  # fmt: skip
    df.to_csv(tmp_path / "t.csv", index=False)
    result = CliRunner().invoke(app, [
        "train", "--dataset", "csv", "--input", str(tmp_path / "t.csv"), "--out",
        str(tmp_path / "m"), "--quick", "--quiet", "--param", "sampler__n_iter=3",
    ])  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "'rare' has 1 row; it is left out of oversampling" in result.output
    det = Detector.load(tmp_path / "m", load_gavae=True)
    assert "rare" in det.classes_ and det.sampler.skipped_classes_ == ["rare"]


# -- tree models in bundles (LightGBM text, skops with an allow-list) -------------------------
TREES = {
    "rf": {"n_estimators": 15},
    "lgbm": {"n_estimators": 15, "n_jobs": 1},
    "smote-lgbm": {"classifier__n_estimators": 10, "classifier__n_jobs": 1},
    "gavae-rf": {"classifier__n_estimators": 10, "sampler__n_iter": 5,
                 "sampler__device": "cpu"},
    "hgb": None,  # HGBClassifier, not a registered method: built below
}  # fmt: skip


@pytest.fixture(scope="module")
def tree_bundles(nsl_small, tmp_path_factory):
    """One small detector per tree kind, saved: name → (detector, bundle path)."""
    from gavae_ids.classifiers import HGBClassifier
    from gavae_ids.detection.methods import build_method

    pre = TabularPreprocessor(categorical=nsl_small["categorical"]).fit(nsl_small["X"])
    Xt, y = pre.transform(nsl_small["X"]), nsl_small["y"].to_numpy()
    root = tmp_path_factory.mktemp("tree-bundles")
    out = {}
    for name, params in TREES.items():
        if params is None:
            est = HGBClassifier(max_iter=10, random_state=0)
        else:
            est = build_method(name, layout=pre.layout_, random_state=0, verbose=False, **params)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # a 5-step GAVAE fills few rare rows
            est.fit(Xt, y)
        det = Detector(
            pre,
            est,
            normal_label="Normal",
            method=name,
            sampler=getattr(est, "sampler_", None) if name == "gavae-rf" else None,
        )
        out[name] = det, det.save(root / name)
    return out


def _rehash(bundle):
    """Rewrite every checksum (inner config.json files, then the manifest), as an attacker
    who can write the whole folder would: only the allow-lists stand in the way then."""
    from gavae_ids._util.hashing import sha256_file

    for cfg in sorted(bundle.rglob("config.json"), key=lambda p: -len(p.parts)):
        meta = json.loads(cfg.read_text())
        if "files" in meta:
            meta["files"] = {k: sha256_file(cfg.parent / k) for k in meta["files"]}
            cfg.write_text(json.dumps(meta))
    m = json.loads((bundle / "manifest.json").read_text())
    m["files"] = {k: sha256_file(bundle / k) for k in m["files"]}
    (bundle / "manifest.json").write_text(json.dumps(m))


@pytest.mark.parametrize("name", sorted(TREES))
def test_tree_bundle_round_trip_gives_identical_probabilities(name, tree_bundles, records):
    det, path = tree_bundles[name]
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no version or rebuild warnings
        loaded = Detector.load(path, load_gavae=True)
    np.testing.assert_array_equal(loaded.predict_proba(records), det.predict_proba(records))
    assert type(loaded.classifier) is type(det.classifier)
    files = json.loads((path / "manifest.json").read_text())["files"]
    assert not any(f.endswith((".pkl", ".pickle", ".joblib")) for f in files)
    assert any(f.endswith(("model.txt", "model.skops")) for f in files)
    assert (loaded.sampler is not None) == (name == "gavae-rf")


def test_tampered_skops_file_is_refused(tree_bundles, tmp_path):
    path = shutil.copytree(tree_bundles["rf"][1], tmp_path / "m")
    f = path / "classifier" / "model.skops"
    data = bytearray(f.read_bytes())
    data[len(data) // 2] ^= 0xFF
    f.write_bytes(bytes(data))
    with pytest.raises(ModelFileError, match="model.skops: checksum does not match"):
        Detector.load(path)


def test_tampered_lightgbm_text_is_refused(tree_bundles, tmp_path):
    path = shutil.copytree(tree_bundles["lgbm"][1], tmp_path / "m")
    f = path / "classifier" / "model.txt"
    f.write_text(f.read_text().replace("leaf_value=", "leaf_value=9", 1))
    with pytest.raises(ModelFileError, match="model.txt: checksum does not match"):
        Detector.load(path)
    # With every checksum rewritten, the damaged text is still refused, by LightGBM's parser
    # or by the check of trees per round against config.json.
    f.write_text("tree\nversion=v4\nnum_class=5\n" + "garbage\n" * 3)
    _rehash(path)
    with pytest.raises(ModelFileError, match="model.txt"):
        Detector.load(path)


TRAPPED: list = []


class Trap:
    """Records it if anything ever builds it from a file."""

    def __setstate__(self, state):
        TRAPPED.append(state)


def test_skops_file_with_a_type_outside_the_allow_list_is_refused_unbuilt(tree_bundles, tmp_path):
    import os

    import skops.io as sio

    path = shutil.copytree(tree_bundles["rf"][1], tmp_path / "m")
    forest = Detector.load(path).classifier
    forest.trap_, forest.hook_ = Trap(), os.system
    sio.dump(forest, path / "classifier" / "model.skops")
    _rehash(path)  # checksums all match: only the type allow-list stands in the way
    with pytest.raises(ModelFileError, match=r"model.skops: holds the type\(s\) .*system.*Trap"):
        Detector.load(path)
    assert TRAPPED == []


def test_resampled_bundle_names_only_loadable_classifier_classes(tree_bundles, tmp_path):
    path = shutil.copytree(tree_bundles["smote-lgbm"][1], tmp_path / "m")
    cfg = path / "classifier" / "config.json"
    for bad in ("system", "make_random_forest", "ResampledClassifier.load"):
        meta = json.loads(cfg.read_text())
        meta["config"]["classifier_class"] = bad
        cfg.write_text(json.dumps(meta))
        _rehash(path)
        with pytest.raises(
            ModelFileError, match="not a gavae-ids classifier this version can load"
        ):
            Detector.load(path)


@pytest.mark.parametrize("name", ["RandomForestClassifier", "make_random_forest", "os.system"])
def test_manifest_cannot_name_a_class_we_do_not_export(name, tree_bundles, tmp_path):
    path = shutil.copytree(tree_bundles["rf"][1], tmp_path / "m")
    _edit_manifest(path, lambda m: m["classifier"].update({"class": name}))
    with pytest.raises(ModelFileError, match="not a gavae-ids classifier"):
        Detector.load(path)


def test_bundling_needs_the_trees_extra_and_a_bundleable_inner_classifier(monkeypatch):
    import importlib.util

    from gavae_ids.classifiers import ResampledClassifier, make_smote_rf

    check_bundleable(make_smote_rf(), "smote-rf")
    with pytest.raises(ModelFileError, match="pickl"):
        check_bundleable(ResampledClassifier(classifier=make_knn()), "smote-knn")
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *a: None if name == "skops" else real(name, *a))  # fmt: skip
    with pytest.raises(ModelFileError, match=r"'skops': pip install 'gavae-ids\[trees\]'"):
        check_bundleable(make_smote_rf(), "smote-rf")


def test_scoring_a_tree_bundle_streams_and_counts_rejects(tree_bundles, nsl_test, tmp_path):
    from gavae_ids.scoring import score_file

    det, path = tree_bundles["lgbm"]
    rows = nsl_test.X.iloc[:300]
    src = tmp_path / "in.csv"
    text = rows.to_csv(index=False).splitlines()
    text.insert(10, "not,a,row")
    src.write_text("\n".join(text) + "\n")
    s = score_file(path, src, tmp_path / "out.csv", verbose=False, chunk_size=64)
    assert (s.total, s.scored, s.rejected) == (301, 300, 1)
    out = pd.read_csv(tmp_path / "out.csv")
    assert (out["prediction"].to_numpy() == det.predict(rows)).all()
    assert (tmp_path / "out.rejects.csv").read_text().count("\n") == 2  # header + the row


def test_score_threads_set_a_tree_models_n_jobs_and_restore_it(tree_bundles, nsl_test, tmp_path,
                                                              monkeypatch):  # fmt: skip
    from gavae_ids.scoring import score_file

    det, _ = tree_bundles["smote-lgbm"]
    inner = det.classifier.classifier_
    saved = inner.get_params()["n_jobs"]
    seen = []
    real = type(inner).predict_proba

    def spy(self, X):
        seen.append(self.n_jobs)
        return real(self, X)

    monkeypatch.setattr(type(inner), "predict_proba", spy)
    src = tmp_path / "in.csv"
    nsl_test.X.iloc[:200].to_csv(src, index=False)
    outs = []
    for threads in (1, 2):
        seen.clear()
        score_file(det, src, tmp_path / f"out{threads}.csv", verbose=False, chunk_size=64,
                   torch_threads=threads)  # fmt: skip
        assert seen and set(seen) == {threads}
        assert inner.get_params()["n_jobs"] == saved
        outs.append((tmp_path / f"out{threads}.csv").read_bytes())
    assert outs[0] == outs[1]


def test_train_detector_with_tree_methods(tmp_path, nsl_small):
    df = nsl_small["X"].assign(kind=nsl_small["y"])
    path = tmp_path / "flows.csv"
    df.to_csv(path, index=False)
    det = train_detector("csv", method="smote-rf", csv_path=path, label="kind", verbose=False,
                         out=tmp_path / "m", classifier__n_estimators=5)  # fmt: skip
    assert det.classifier.classifier_.n_estimators == 5 and det.sampler is None
    loaded = Detector.load(tmp_path / "m")
    assert loaded.method == "smote-rf"
    np.testing.assert_array_equal(loaded.predict_proba(df), det.predict_proba(df))


def test_loading_a_tree_bundle_without_the_extra_says_which_to_install(tree_bundles, monkeypatch):
    import importlib.util

    real = importlib.util.find_spec
    extras = ("skops", "lightgbm")
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *a: None if name in extras else real(name, *a))  # fmt: skip
    for name in ("rf", "lgbm"):
        with pytest.raises(
            ModelFileError, match=r"needs the optional package .*gavae-ids\[trees\]"
        ):
            Detector.load(tree_bundles[name][1])
