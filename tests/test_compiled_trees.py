"""Compiled trees (classifiers/compiled_trees.py): same answers as the native models,
a local cache keyed by the native model's checksum, tampered entries refused."""

from __future__ import annotations

import json
import logging

import numpy as np
import pytest

pytest.importorskip("lightgbm")
pytest.importorskip("skops")
pytest.importorskip("numba")

from gavae_ids.classifiers import compiled_trees as CT  # noqa: E402
from gavae_ids.classifiers.trees import LightGBMClassifier, RFClassifier  # noqa: E402
from gavae_ids.preprocessing import fit_preprocessing  # noqa: E402


@pytest.fixture(autouse=True)
def _cache(tmp_path, monkeypatch):
    monkeypatch.setenv("GAVAE_IDS_CACHE", str(tmp_path / "cache"))
    monkeypatch.delenv("GAVAE_IDS_TREES", raising=False)


def _encoded(train, test):
    _, _, pre, _ = fit_preprocessing(train.X, train.y, categorical=train.categorical)
    return pre.transform(train.X), train.y.to_numpy(), pre.transform(test.X)


@pytest.fixture(scope="module")
def nsl(nsl_train20, nsl_test):
    return _encoded(nsl_train20, nsl_test)


@pytest.fixture(scope="module")
def fitted(nsl):
    X, y, _ = nsl
    lgbm = LightGBMClassifier(n_estimators=40, n_jobs=1, random_state=0).fit(X, y)
    rf = RFClassifier(n_estimators=20, n_jobs=1, random_state=0).fit(X, y)
    return {"lgbm": lgbm, "rf": rf}


def _reloaded(model, path):
    model.save(path)
    return type(model).load(path)


def _compiled(model):
    return getattr(model, "compiled_", None) or getattr(model, "_compiled", None)


def _assert_same(got, native):
    assert got.shape == native.shape
    assert (got.argmax(axis=1) == native.argmax(axis=1)).all()
    assert np.max(np.abs(got - native)) <= CT.TOLERANCE


@pytest.mark.parametrize("kind", ["lgbm", "rf"])
def test_compiled_equals_native_on_kddtest(kind, fitted, nsl, tmp_path):
    model = _reloaded(fitted[kind], tmp_path / kind)
    assert _compiled(model) is not None
    X_test = nsl[2]
    _assert_same(model.predict_proba(X_test), model._native_proba(X_test))
    assert (model.predict(X_test) == fitted[kind].predict(X_test)).all()


@pytest.mark.parametrize("kind", ["lgbm", "rf"])
def test_missing_values_follow_the_native_model(kind, fitted, nsl, tmp_path):
    model = _reloaded(fitted[kind], tmp_path / kind)
    X = nsl[2][:2000].copy()
    rng = np.random.default_rng(0)
    X[rng.random(X.shape) < 0.2] = np.nan
    X[rng.random(X.shape) < 0.1] = 0.0
    # the classifiers refuse NaN before a model sees it; the kernel must still agree
    _assert_same(_compiled(model).predict_proba(X), model._native_proba(X))


def test_binary_lightgbm_uses_the_sigmoid(nsl, tmp_path):
    X, y, X_test = nsl
    binary = np.where(y == np.unique(y)[0], "first", "other")
    model = _reloaded(LightGBMClassifier(n_estimators=20, n_jobs=1).fit(X, binary), tmp_path / "b")
    assert _compiled(model).link == "sigmoid"
    _assert_same(model.predict_proba(X_test), model._native_proba(X_test))


def _entry(tmp_path):
    (entry,) = (tmp_path / "cache" / "trees").glob("*.safetensors")
    return entry


def test_cache_is_keyed_by_the_native_checksum_and_reused(fitted, tmp_path, monkeypatch):
    model = _reloaded(fitted["lgbm"], tmp_path / "m")
    entry = _entry(tmp_path)
    meta = json.loads(entry.with_suffix(".json").read_text())
    recorded = json.loads((tmp_path / "m" / "config.json").read_text())["files"]["model.txt"]
    assert entry.stem == meta["native_sha256"] == recorded
    monkeypatch.setattr(CT, "from_lightgbm", lambda booster: pytest.fail("rebuilt"))
    assert _compiled(LightGBMClassifier.load(tmp_path / "m")) is not None
    del model


def _rewrite(entry, change):
    """Change the cached arrays and record the new file's checksum, as an attacker would."""
    from safetensors.numpy import load_file, save_file

    arrays = dict(load_file(entry))
    change(arrays)
    save_file(arrays, entry)
    sidecar = entry.with_suffix(".json")
    meta = json.loads(sidecar.read_text())
    meta["sha256"] = CT.sha256_file(entry)
    sidecar.write_text(json.dumps(meta))


def _out_of_range(a):
    a["children"][0] = 10**6


def _scaled_leaves(a):
    a["leaf_value"] *= 3.0


@pytest.mark.parametrize("tamper", ["bytes", "indices", "leaves"])
def test_tampered_cache_entry_is_refused_and_rebuilt(tamper, fitted, nsl, tmp_path, caplog):
    model = _reloaded(fitted["lgbm"], tmp_path / "m")
    entry = _entry(tmp_path)
    if tamper == "bytes":
        data = bytearray(entry.read_bytes())
        data[-9] ^= 0xFF
        entry.write_bytes(bytes(data))
    else:
        _rewrite(entry, _out_of_range if tamper == "indices" else _scaled_leaves)
    with caplog.at_level(logging.WARNING, logger=CT.__name__):
        again = LightGBMClassifier.load(tmp_path / "m")
    assert "refused" in caplog.text
    X_test = nsl[2]
    _assert_same(again.predict_proba(X_test), model._native_proba(X_test))
    meta = json.loads(entry.with_suffix(".json").read_text())
    assert CT.sha256_file(entry) == meta["sha256"]  # rebuilt
    assert CT._read_cached(entry, meta["native_sha256"], X_test.shape[1],
                           *_probe(again))[0] is not None  # fmt: skip


def _probe(model):
    probe = CT._probe_rows(model.n_features_in_, 0)
    return probe, model._native_proba(probe)


def test_without_numba_scores_natively_with_one_note(fitted, nsl, tmp_path, monkeypatch, caplog):
    monkeypatch.setattr(CT, "_numba_ready", lambda: False)
    with caplog.at_level(logging.INFO, logger=CT.__name__):
        model = _reloaded(fitted["rf"], tmp_path / "rf")
    assert _compiled(model) is None
    notes = [r for r in caplog.records if "fast-trees" in r.getMessage()]
    assert len(notes) == 1
    X_test = nsl[2][:500]
    assert np.array_equal(model.predict_proba(X_test), fitted["rf"].predict_proba(X_test))


def test_loaded_forest_saves_again_without_its_compiled_form(fitted, nsl, tmp_path):
    model = _reloaded(fitted["rf"], tmp_path / "a")
    again = _reloaded(model, tmp_path / "b")
    X_test = nsl[2][:500]
    assert np.array_equal(again.predict_proba(X_test), model.predict_proba(X_test))


def _random_forest(rng, leaf_counts, n_features=6, n_out=3):
    """A forest of random trees with the given leaf counts, thresholds on a grid."""
    cols = {n: [] for n in ("feature", "threshold", "left", "right")}
    leaves, roots = [], []
    for n_leaves in leaf_counts:
        split, open_ = [None], [0]  # slot -> (feature, threshold, left slot) or None (leaf)
        while len(open_) < n_leaves:
            k = open_.pop(int(rng.integers(len(open_))))
            split[k] = (int(rng.integers(n_features)), float(rng.integers(5)) / 4, len(split))
            open_ += [len(split), len(split) + 1]
            split += [None, None]
        ref = {}
        for k, s in enumerate(split):
            if s is None:
                ref[k] = ~len(leaves)
                leaves.append(rng.normal())
            else:
                ref[k] = len(cols["feature"])
                cols["feature"].append(s[0])
                cols["threshold"].append(s[1])
                cols["left"].append(0)
                cols["right"].append(0)
        for k, s in enumerate(split):
            if s is not None:
                cols["left"][ref[k]], cols["right"][ref[k]] = ref[s[2]], ref[s[2] + 1]
        roots.append(ref[0])
    n = len(cols["feature"])
    arrays = CT._pack(roots, nan_left=np.zeros(n, bool), zero_missing=np.zeros(n, bool),
                      leaf_value=np.asarray(leaves)[:, None],
                      tree_col=np.arange(len(roots)) % n_out, **cols)  # fmt: skip
    return CT.FlatForest(arrays, n_out=n_out, link="softmax", float32_inputs=False)


def _walked(forest, X):
    """The per-row sums of the tree-walking kernel (the reference)."""
    from gavae_ids.classifiers import _tree_kernel as K

    a = forest.arrays
    return K.forest_sum(X, a["roots"], a["feature"], a["threshold"], a["children"],
                        a["leaf_value"], a["tree_col"], forest.n_out, CT.BLOCK_ROWS)  # fmt: skip


def test_bitmask_kernel_adds_the_same_leaves_as_the_walk():
    from gavae_ids.classifiers import _tree_kernel as K

    rng = np.random.default_rng(0)
    forest = _random_forest(rng, [1, 2, 3, 31, 63, 64, 17, 1, 40])
    assert forest.bitmask is not None
    # rows on the threshold grid: many values equal a threshold (and must go left)
    X = rng.integers(-1, 6, (1000, 6)).astype(np.float64) / 4
    got = forest._raw(K, X, forest.arrays)
    assert np.array_equal(got, _walked(forest, X))  # bitwise: same additions, same order
    assert np.array_equal(forest.predict_proba(X[:7]), K.softmax_rows(_walked(forest, X[:7])))


def test_lightgbm_on_kddtest_takes_the_bitmask_kernel_bitwise(fitted, nsl, tmp_path):
    from gavae_ids.classifiers import _tree_kernel as K

    forest = _compiled(_reloaded(fitted["lgbm"], tmp_path / "lgbm"))
    assert forest.bitmask is not None  # 31 leaves at most
    X_test = nsl[2]
    assert np.array_equal(forest._raw(K, X_test, forest.arrays), _walked(forest, X_test))


def test_bitmask_layout_only_for_trees_it_can_hold():
    rng = np.random.default_rng(1)
    assert _random_forest(rng, [64, 64]).bitmask is not None
    big = _random_forest(rng, [3, 65])
    assert big.bitmask is None  # 65 leaves do not fit one 64-bit word: the walk scores
    several = _random_forest(rng, [4])
    several.arrays["leaf_value"] = np.repeat(several.arrays["leaf_value"], 2, axis=1)
    assert CT._bitmask_layout(several.arrays) is None  # scikit-learn's class fractions
    shared = _random_forest(rng, [4, 4])
    shared.arrays["roots"][1] = shared.arrays["roots"][0]  # two trees, one set of splits
    assert CT._bitmask_layout(shared.arrays) is None


def test_unsupported_objective_keeps_the_native_model(fitted):
    class Dumped:
        def dump_model(self):
            return {"objective": "regression", "num_class": 1, "tree_info": []}

    assert CT.from_lightgbm(Dumped()) is None


def test_unsw_test_split_compiled_equals_native(unsw_home, tmp_path):
    from gavae_ids.datasets.unsw_nb15 import load_unsw_nb15

    b = load_unsw_nb15(data_home=unsw_home)
    X, y, X_test = _encoded(b.train, b.test)
    for model in (LightGBMClassifier(n_jobs=1, random_state=0),
                  RFClassifier(n_estimators=30, n_jobs=1, random_state=0)):  # fmt: skip
        loaded = _reloaded(model.fit(X, y), tmp_path / type(model).__name__)
        assert _compiled(loaded) is not None
        _assert_same(loaded.predict_proba(X_test), loaded._native_proba(X_test))
