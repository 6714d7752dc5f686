"""``gavae-ids data summary``: what the loaders and the preprocessing make of a dataset."""

from __future__ import annotations

from gavae_ids.datasets import load_nsl_kdd, load_unsw_nb15
from gavae_ids.datasets.unsw_nb15 import accuracy_ceiling
from gavae_ids.exceptions import DataError
from gavae_ids.preprocessing import MADOutlierFilter, TabularPreprocessor

DATASETS = ("nsl-kdd", "unsw-nb15")


def summarize_dataset(dataset: str, *, data_home=None, train_split: str = "train20") -> dict:
    """Per-split class counts, seen/unseen attacks, encoded width and outlier removals.

    Returns a JSON-serialisable dict; the CLI renders it as tables.
    """
    if dataset == "nsl-kdd":
        train = load_nsl_kdd(train_split, data_home=data_home)
        tests = {
            s: load_nsl_kdd(s, data_home=data_home, train_split=train_split)
            for s in ("KDDTest+", "KDDTest-21")
        }
        protocol = f"train on {train.name}, test on KDDTest+ and KDDTest-21"
        classes = train.classes
    elif dataset == "unsw-nb15":
        b = load_unsw_nb15(data_home=data_home)
        train, tests, protocol = b.train, {"test": b.test}, b.protocol
        classes = train.classes
    else:
        raise DataError(f"unknown dataset {dataset!r}; choose one of {', '.join(DATASETS)}")

    def counts(y):
        vc = y.value_counts()
        return {c: int(vc.get(c, 0)) for c in classes}

    filt = MADOutlierFilter().fit(train.X, train.y, train.numeric)
    pre = TabularPreprocessor(categorical=train.categorical).fit(train.X)
    splits = {train.name: {"rows": len(train.y), "classes": counts(train.y)}}
    for name, t in tests.items():
        info = {"rows": len(t.y), "classes": counts(t.y)}
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
