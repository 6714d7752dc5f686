"""Compiled tree inference: a forest as flat arrays, scored by numba kernels.

Chosen by measurement (``benchmarks/bench_trees.py --runtimes``,
docs/results/trees-runtime/): on one thread the tree walk scored LightGBM 1.5x and
random forests 1.1x as fast as the libraries' own ``predict``, with the same
argmax on every row of KDDTest+ and the UNSW-NB15 test split (LightGBM bit for
bit), and needs no C compiler and no new package (numba comes with umap-learn).
lleaves was 3.8x but pins an llvmlite that numba cannot share; ONNX Runtime
converts LightGBM with float32 thresholds (probabilities off by up to 6e-3).
LightGBM forests (trees of at most 64 leaves) now take bit vectors instead of the
walk (``--kernels``): 5.2-5.7x less CPU per row on NSL-KDD, the same sums bit for bit.

Safety: the arrays are *data* taken from the verified native model (LightGBM's
``model.txt`` through ``Booster.dump_model()``, scikit-learn's ``tree_`` arrays
from the allow-listed skops file); the only code that runs is this package's
kernel (:mod:`._tree_kernel`). Nothing compiled is ever read from a bundle. The
arrays are cached in a local folder (:func:`cache_dir`) under the SHA-256 of the
native model file; a cached entry is used only if its own SHA-256, its indices
(numba does not check bounds) and its probabilities on probe rows agree with the
native model — otherwise it is refused with a warning and rebuilt.

Without numba the native ``predict_proba`` scores, after one log line; so it does
with ``GAVAE_IDS_TREES=native`` in the environment (for comparisons).
"""

from __future__ import annotations

import json
import logging
import os
import threading
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import numpy as np

from gavae_ids._util.hashing import sha256_file

log = logging.getLogger(__name__)
#: numba's "workqueue" threading layer (used where neither OpenMP nor TBB loads) must not
#: run two parallel kernels at once: calls from several threads take turns.
_WORKQUEUE_LOCK = threading.Lock()

FAST_TREES_EXTRA = "pip install 'gavae-ids[fast-trees]'"
#: Layout of the cached arrays; a new layout gets a new number (old entries are rebuilt).
CACHE_FORMAT = 1
#: Probe rows compared with the native model before a cached forest is used.
PROBE_ROWS = 256
#: Largest difference of a probability from the native model's that a forest may show.
TOLERANCE = 1e-5
#: Rows per thread block of the kernel (64-256 measured within 5 % of each other).
BLOCK_ROWS = 128
#: Rows per block of the bit-vector kernel (128 and 256 within noise of each other, 32 and
#: 64 slower: docs/results/trees-runtime/).
BITMASK_BLOCK_ROWS = 128
#: Most leaves a tree may have for the bit-vector kernel (one 64-bit word per tree and row).
BITMASK_LEAVES = 64
#: The arrays of a forest and their types.
_ARRAYS = {"roots": np.int32, "feature": np.int32, "threshold": np.float64,
           "children": np.int32, "nan_left": np.bool_, "zero_missing": np.bool_,
           "leaf_value": np.float64, "tree_col": np.int32}  # fmt: skip


@dataclass(frozen=True)
class FlatForest:
    """A forest as arrays: ``arrays`` (see :mod:`._tree_kernel`), ``n_out`` summed
    outputs, ``link`` (``"softmax"``, ``"sigmoid"`` or ``"mean"``) and whether rows
    are rounded to float32 first (scikit-learn's trees compare float32 values)."""

    arrays: dict
    n_out: int
    link: str
    float32_inputs: bool

    def predict_proba(self, X, threads: int = 0) -> np.ndarray:
        """Class probabilities of the float64 rows ``X`` (``threads`` 0: numba's default)."""
        import numba

        from gavae_ids.classifiers import _tree_kernel as K

        X = np.ascontiguousarray(X, dtype=np.float32 if self.float32_inputs else np.float64)
        a = self.arrays
        if threads > 0:
            numba.set_num_threads(min(threads, numba.config.NUMBA_NUM_THREADS))
        try:
            shared = numba.threading_layer() != "workqueue"
        except ValueError:  # no parallel kernel ran yet in this process
            shared = False
        if shared:
            return self._finish(K, self._raw(K, X, a))
        with _WORKQUEUE_LOCK:
            return self._finish(K, self._raw(K, X, a))

    @cached_property
    def bitmask(self) -> dict | None:
        """The forest laid out for the bit-vector kernel (:func:`_bitmask_layout`),
        built on first use; ``None`` where that kernel does not apply."""
        return _bitmask_layout(self.arrays)

    def _raw(self, K, X, a) -> np.ndarray:
        if a["zero_missing"].any() or np.isnan(X).any():
            return K.forest_sum_missing(X, a["roots"], a["feature"], a["threshold"],
                                        a["children"], a["nan_left"], a["zero_missing"],
                                        a["leaf_value"], a["tree_col"], self.n_out)  # fmt: skip
        q = self.bitmask
        if q is not None:
            return K.forest_sum_bitmask(X, q["used"], q["split_slot"], q["threshold"],
                                        q["clear"], q["split_start"], q["leaf_start"],
                                        q["leaf_value"], a["tree_col"], self.n_out,
                                        BITMASK_BLOCK_ROWS)  # fmt: skip
        return K.forest_sum(X, a["roots"], a["feature"], a["threshold"], a["children"],
                            a["leaf_value"], a["tree_col"], self.n_out, BLOCK_ROWS)  # fmt: skip

    def _finish(self, K, raw: np.ndarray) -> np.ndarray:
        if self.link == "mean":
            return raw / len(self.arrays["roots"])
        if self.link == "sigmoid":
            return K.sigmoid_pairs(raw)
        return K.softmax_rows(raw)


def _bitmask_layout(a: dict) -> dict | None:
    """The splits of each tree with the masks of QuickScorer (see :mod:`._tree_kernel`).

    Leaves are numbered left to right within their tree; a split's ``clear`` mask has
    the bits of its left subtree's leaves off. ``None`` for forests with several values
    per leaf (scikit-learn's), a tree of more than :data:`BITMASK_LEAVES` leaves, or
    arrays that are not trees (a split reached twice).
    """
    if a["leaf_value"].shape[1] != 1:
        return None
    children, seen = a["children"].tolist(), np.zeros(len(a["feature"]), np.bool_)
    nodes, clear, leaves, split_start, leaf_start = [], [], [], [0], []
    for root in a["roots"].tolist():
        leaf_start.append(len(leaves))
        if not _walk(root, children, seen, nodes, clear, leaves):
            return None
        split_start.append(len(nodes))
    nodes, leaves = np.asarray(nodes, np.int64), np.asarray(leaves, np.int64)
    feature = a["feature"][nodes]
    used = np.unique(feature).astype(np.int32)
    return {"used": used, "split_slot": np.searchsorted(used, feature).astype(np.int32),
            "threshold": a["threshold"][nodes], "clear": np.asarray(clear, np.uint64),
            "split_start": np.asarray(split_start, np.int32),
            "leaf_start": np.asarray(leaf_start, np.int32),
            "leaf_value": np.ascontiguousarray(a["leaf_value"][leaves, 0])}  # fmt: skip


def _walk(root: int, children: list, seen, nodes: list, clear: list, leaves: list) -> bool:
    """Append one tree's splits with their masks and its leaves in left-to-right order;
    ``False`` for a split seen before or more than :data:`BITMASK_LEAVES` leaves."""
    first, stack, left_from = len(leaves), [(root, False)], {}
    while stack:
        node, left_done = stack.pop()
        if node < 0:
            leaves.append(~node)
        elif left_done:  # its left subtree's leaves are left_from[node] .. now
            nodes.append(node)
            clear.append(_clear_mask(left_from[node], len(leaves) - first))
            stack.append((children[2 * node + 1], False))
        elif seen[node]:
            return False
        else:
            seen[node] = True
            left_from[node] = len(leaves) - first
            stack += [(node, True), (children[2 * node], False)]
        if len(leaves) - first > BITMASK_LEAVES:
            return False
    return True


def _clear_mask(lo: int, hi: int) -> int:
    """All 64 bits but ``lo .. hi - 1``."""
    return ((1 << 64) - 1) ^ ((1 << hi) - (1 << lo))


def _pack(roots, feature, threshold, left, right, nan_left, zero_missing, leaf_value, tree_col):
    children = np.empty(2 * len(left), dtype=np.int32)
    children[0::2], children[1::2] = left, right
    return {"roots": np.asarray(roots, np.int32), "feature": np.asarray(feature, np.int32),
            "threshold": np.asarray(threshold, np.float64), "children": children,
            "nan_left": np.asarray(nan_left, np.bool_),
            "zero_missing": np.asarray(zero_missing, np.bool_),
            "leaf_value": np.asarray(leaf_value, np.float64),
            "tree_col": np.asarray(tree_col, np.int32)}  # fmt: skip


def from_lightgbm(booster) -> FlatForest | None:
    """The trees of a LightGBM ``Booster``; ``None`` for what the kernel does not do
    (categorical or linear-tree splits, objectives other than multiclass softmax and
    binary logloss with sigmoid 1, ``average_output`` forests)."""
    d = booster.dump_model()
    objective = str(d.get("objective", "")).split()
    k = int(d.get("num_class", 1))
    if d.get("average_output") or not objective:
        return None
    if objective[0] == "multiclass" and k > 1:
        link = "softmax"
    elif objective[0] == "binary" and k == 1 and "sigmoid:1" in objective:
        link = "sigmoid"
    else:
        return None
    cols = {n: [] for n in ("feature", "threshold", "left", "right", "nan_left", "zero_missing")}
    leaves, roots = [], []

    def visit(node) -> int:
        if "split_index" not in node:
            leaves.append(node["leaf_value"])
            return ~(len(leaves) - 1)
        if node.get("decision_type") != "<=" or "leaf_coeff" in node:
            raise _Unsupported
        i = len(cols["feature"])
        missing, thr = node["missing_type"], float(node["threshold"])
        for name, v in (
            ("feature", node["split_feature"]),
            ("threshold", thr),
            ("left", 0),
            ("right", 0),
            ("zero_missing", missing == "Zero"),
            ("nan_left", 0.0 <= thr if missing == "None" else node["default_left"]),
        ):
            cols[name].append(v)  # fmt: skip
        cols["left"][i] = visit(node["left_child"])
        cols["right"][i] = visit(node["right_child"])
        return i

    try:
        for tree in d["tree_info"]:
            roots.append(visit(tree["tree_structure"]))
    except _Unsupported:
        return None
    tree_col = np.arange(len(roots)) % k if k > 1 else np.zeros(len(roots), int)
    arrays = _pack(roots, leaf_value=np.asarray(leaves, np.float64)[:, None],
                   tree_col=tree_col, **cols)  # fmt: skip
    return FlatForest(arrays, n_out=k, link=link, float32_inputs=False)


class _Unsupported(Exception):
    pass


def from_sklearn_forest(forest) -> FlatForest:
    """The trees of a fitted scikit-learn random forest (one output): each leaf holds its
    class fractions, normalised as ``DecisionTreeClassifier.predict_proba`` does."""
    k = int(forest.n_classes_)
    parts = {n: [] for n in ("feature", "threshold", "left", "right", "nan_left", "leaf_value")}
    roots, n_inner, n_leaves = [], 0, 0
    for est in forest.estimators_:
        t = est.tree_
        leaf = t.children_left < 0
        leaf_id = np.cumsum(leaf) - 1 + n_leaves
        inner_id = np.cumsum(~leaf) - 1 + n_inner

        def ref(c, leaf=leaf, leaf_id=leaf_id, inner_id=inner_id):
            return np.where(leaf[c], ~leaf_id[c], inner_id[c])

        inner = np.flatnonzero(~leaf)
        v = t.value[leaf][:, 0, :k].astype(np.float64)
        s = v.sum(axis=1, keepdims=True)
        s[s == 0] = 1.0
        for name, arr in (("feature", t.feature[inner]), ("threshold", t.threshold[inner]),
                          ("left", ref(t.children_left[inner])),
                          ("right", ref(t.children_right[inner])),
                          ("nan_left", np.asarray(t.missing_go_to_left)[inner].astype(bool)),
                          ("leaf_value", v / s)):  # fmt: skip
            parts[name].append(arr)
        roots.append(int(ref(np.array([0]))[0]))
        n_inner += len(inner)
        n_leaves += int(leaf.sum())
    cat = {n: np.concatenate(p) for n, p in parts.items()}
    arrays = _pack(roots, zero_missing=np.zeros(n_inner, np.bool_),
                   tree_col=np.zeros(len(roots), int), **cat)  # fmt: skip
    return FlatForest(arrays, n_out=k, link="mean", float32_inputs=True)


# -- the local cache -----------------------------------------------------------------------------
def cache_dir() -> Path:
    """Where compiled forests are kept: ``$GAVAE_IDS_CACHE/trees``, else
    ``$XDG_CACHE_HOME/gavae-ids/trees`` (``~/.cache/gavae-ids/trees``)."""
    root = os.environ.get("GAVAE_IDS_CACHE")
    if root:
        return Path(root) / "trees"
    xdg = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(xdg) / "gavae-ids" / "trees"


def _numba_ready() -> bool:
    try:
        import numba  # noqa: F401
    except ImportError:
        return False
    return True


def compiled_forest(native_file: Path, native_digest: str, build, native_proba, n_features: int,
                    *, seed: int = 0) -> FlatForest | None:  # fmt: skip
    """The :class:`FlatForest` of a verified native model, from the cache or built now.

    ``native_digest`` is the SHA-256 that the bundle's config recorded for
    ``native_file`` (already checked), ``build()`` makes the forest from the loaded
    model, ``native_proba(X)`` is the model's own ``predict_proba``. ``None`` (score
    natively) when numba is missing or the model has splits the kernel lacks.
    """
    if os.environ.get("GAVAE_IDS_TREES", "").lower() == "native":
        return None
    if not _numba_ready():
        log.info("%s: scoring with the native tree library (for compiled trees: %s)",
                 native_file, FAST_TREES_EXTRA)  # fmt: skip
        return None
    probe = _probe_rows(n_features, seed)
    expected = np.asarray(native_proba(probe))
    entry = cache_dir() / f"{native_digest}.safetensors"
    forest, why = _read_cached(entry, native_digest, n_features, probe, expected)
    if forest is not None:
        return forest
    if why:
        log.warning("%s: cached compiled trees refused (%s); rebuilding them", entry, why)
    forest = build()
    if forest is None:
        return None
    why = _disagreement(forest, probe, expected) or _bad_indices(forest, n_features)
    if why:  # a kernel limit, not tampering: keep the native model
        log.warning("%s: compiled trees differ from the native model (%s); scoring natively",
                    native_file, why)  # fmt: skip
        return None
    _write_cached(entry, native_digest, forest)
    return forest


def _probe_rows(n_features: int, seed: int) -> np.ndarray:
    """Rows in and around the encoded range: half uniform in [-0.1, 1.1], half 0/1."""
    rng = np.random.default_rng(seed)
    half = PROBE_ROWS // 2
    return np.vstack(
        [
            rng.uniform(-0.1, 1.1, (half, n_features)),
            rng.integers(0, 2, (PROBE_ROWS - half, n_features)).astype(np.float64),
        ]
    )


def _disagreement(forest: FlatForest, probe, expected) -> str:
    got = forest.predict_proba(probe)
    if got.shape != expected.shape:
        return f"{got.shape[1]} outputs instead of {expected.shape[1]}"
    diff = float(np.max(np.abs(got - expected)))
    if diff > TOLERANCE or (got.argmax(1) != expected.argmax(1)).any():
        return f"probabilities on probe rows differ by up to {diff:.3g}"
    return ""


def _bad_indices(forest: FlatForest, n_features: int) -> str:
    a = forest.arrays
    n_inner, n_leaves = len(a["feature"]), len(a["leaf_value"])
    kids, roots = a["children"], a["roots"]
    same = len(kids) == 2 * n_inner and all(len(a[n]) == n_inner for n in
                                            ("threshold", "nan_left", "zero_missing"))  # fmt: skip
    width_ok = (
        a["leaf_value"].ndim == 2
        and (a["tree_col"] + a["leaf_value"].shape[1] <= forest.n_out).all()
    )
    if not (same and width_ok and len(a["tree_col"]) == len(roots)):
        return "array lengths do not fit together"
    for name, idx in (("children", kids), ("roots", roots)):
        if len(idx) and ((idx >= n_inner) | (idx < -n_leaves)).any():
            return f"{name} point outside the trees"
    if len(a["feature"]) and ((a["feature"] < 0) | (a["feature"] >= n_features)).any():
        return "a split reads a feature that the model does not have"
    if (a["tree_col"] < 0).any():
        return "a tree writes outside the outputs"
    return ""


def _read_cached(entry: Path, native_digest: str, n_features: int, probe, expected):
    """``(forest, "")`` for a usable entry, ``(None, reason)`` for a refused one,
    ``(None, "")`` for none."""
    sidecar = entry.with_suffix(".json")
    if not entry.is_file() or not sidecar.is_file():
        return None, ""
    from safetensors import SafetensorError
    from safetensors.numpy import load_file

    try:
        meta = json.loads(sidecar.read_text(encoding="utf-8"))
        if meta.get("format") != CACHE_FORMAT or meta.get("native_sha256") != native_digest:
            return None, "made for another model or layout"
        if sha256_file(entry) != meta.get("sha256"):
            return None, "its checksum does not match"
        arrays = load_file(entry)
        forest = FlatForest(
            {n: arrays[n] for n in _ARRAYS},
            n_out=int(meta["n_out"]),
            link=str(meta["link"]),
            float32_inputs=bool(meta["float32_inputs"]),
        )
    except (OSError, ValueError, KeyError, TypeError, SafetensorError) as e:
        return None, f"unreadable: {e}"
    if forest.link not in ("softmax", "sigmoid", "mean"):
        return None, f"unknown link {forest.link!r}"
    if any(forest.arrays[n].dtype != t for n, t in _ARRAYS.items()):
        return None, "an array has another type"
    why = _bad_indices(forest, n_features) or _disagreement(forest, probe, expected)
    return (None, why) if why else (forest, "")


def _write_cached(entry: Path, native_digest: str, forest: FlatForest) -> None:
    from safetensors.numpy import save_file

    try:
        entry.parent.mkdir(parents=True, exist_ok=True)
        tmp = entry.with_name(f".{entry.name}.{os.getpid()}")
        save_file(dict(forest.arrays), tmp)
        meta = {"format": CACHE_FORMAT, "native_sha256": native_digest, "sha256": sha256_file(tmp),
                "n_out": forest.n_out, "link": forest.link,
                "float32_inputs": forest.float32_inputs}  # fmt: skip
        os.replace(tmp, entry)
        entry.with_suffix(".json").write_text(json.dumps(meta, indent=2), encoding="utf-8")
    except OSError as e:  # a read-only home: score from memory
        log.info("%s: compiled trees not cached (%s)", entry, e)
