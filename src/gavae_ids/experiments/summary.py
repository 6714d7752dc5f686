"""``gavae-ids data summary``: what the loaders and the preprocessing make of a dataset."""

from __future__ import annotations

from gavae_ids.datasets import BENCHMARKS, load_benchmark
from gavae_ids.datasets.unsw_nb15 import accuracy_ceiling
from gavae_ids.preprocessing import MADOutlierFilter, TabularPreprocessor

DATASETS = BENCHMARKS


def summarize_dataset(dataset: str, *, data_home=None, train_split: str = "train20") -> dict:
    """Per-split class counts, seen/unseen attacks, encoded width and outlier removals.

    Each split also names the file it was read from and its ``origin``: the
    data directory, or the copy shipped with the package.

    Returns a JSON-serialisable dict; the CLI renders it as tables.
    """
    bench = load_benchmark(dataset, data_home=data_home, train_split=train_split,
                           unsw_test_name="test")  # fmt: skip
    train, tests, protocol = bench.train, bench.tests, bench.protocol
    classes = train.classes

    def counts(y):
        vc = y.value_counts()
        return {c: int(vc.get(c, 0)) for c in classes}

    filt = MADOutlierFilter().fit(train.X, train.y, train.numeric)
    pre = TabularPreprocessor(categorical=train.categorical).fit(train.X)

    def origin(b):  # which file the split was read from: data directory or shipped copy
        return {"file": b.path, "origin": b.origin}

    splits = {train.name: {"rows": len(train.y), "classes": counts(train.y), **origin(train)}}
    for name, t in tests.items():
        info = {"rows": len(t.y), "classes": counts(t.y), **origin(t)}
        _, unseen = pre.encode(t.X)
        info["rows_with_unseen_category"] = int(unseen.any(axis=1).sum())
        if "seen" in t:
            info["seen_attack_rows"] = int((t.seen & (t.y != "Normal")).sum())
            info["unseen_attack_rows"] = int((~t.seen).sum())
            info["unseen_attack_names"] = sorted(t.attack[~t.seen].unique().tolist())
        if dataset == "unsw-nb15":
            info["accuracy_ceiling"] = accuracy_ceiling(t.X, t.y)
        splits[name] = info
    rep = filt.report_
    return {
        "dataset": dataset,
        "protocol": protocol,
        "splits": splits,
        "encoded_width": pre.layout_.n_features,
        "numeric_columns": len(pre.numeric_),
        "onehot_blocks": {b.name: b.width for b in pre.layout_.onehot_blocks},
        "outliers": {
            str(c): {"rows": int(r["rows"]), "removed": int(r["removed"]), "note": r["note"]}
            for c, r in rep.iterrows()
        },
    }
