"""UNSW-NB15 loader: the official partitions, recognised by content, or the documented split."""

from __future__ import annotations

import gzip
import logging
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.model_selection import train_test_split
from sklearn.utils import Bunch

from gavae_ids.datasets._home import DATA_DIRECTORY, get_data_home
from gavae_ids.datasets._read import read_table, to_numeric
from gavae_ids.datasets._schema import (
    UNSW_NB15_ALIASES,
    UNSW_NB15_CATEGORICAL,
    UNSW_NB15_CLASSES,
    UNSW_NB15_SOURCE,
    UNSW_NB15_TEST_ROWS,
    UNSW_NB15_TRAIN_ROWS,
)
from gavae_ids.exceptions import DataError, DatasetNotFoundError

log = logging.getLogger(__name__)

SPLIT_PROTOCOL = "stratified split of the official testing partition ({train:.0%} train / {test:.0%} test, seed {seed})"  # noqa: E501
OFFICIAL_PROTOCOL = "official UNSW-NB15 partitions (train 175,341 rows, test 82,332 rows)"
_DROP = ("id", "label", "attack_cat")


def _count_rows(path: Path) -> int:
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rb") as f:
        n = sum(chunk.count(b"\n") for chunk in iter(lambda: f.read(1 << 20), b""))
    return n - 1  # header line


def find_partitions(data_home=None) -> dict[str, Path]:
    """Map ``"train"``/``"test"`` to the official partition files found, by row count.

    File names are not trusted (some mirrors swap them): a CSV with 175,341
    data rows is the training partition, one with 82,332 the testing one.
    """
    home = get_data_home(data_home)
    found: dict[str, Path] = {}
    for folder in (home / "unsw-nb15", home):
        if not folder.is_dir():
            continue
        for p in sorted(folder.iterdir()):
            name = p.name.lower()
            if not (name.endswith(".csv") or name.endswith(".csv.gz")) or "unsw" not in name:
                continue
            try:
                n = _count_rows(p)
            except (OSError, EOFError) as e:
                raise DataError(f"cannot be read ({e})", path=p) from None
            # A trailing newline-less last line makes the count one short.
            for part, rows in (("train", UNSW_NB15_TRAIN_ROWS), ("test", UNSW_NB15_TEST_ROWS)):
                if n in (rows, rows - 1) and part not in found:
                    found[part] = p
    return found


def read_unsw_nb15_file(path) -> Bunch:
    """Read one UNSW-NB15 partition CSV (header row, 45 columns, BOM and CRLF tolerated)."""
    raw = read_table(path, header=True)
    missing = [c for c in ("attack_cat", *UNSW_NB15_CATEGORICAL) if c not in raw.columns]
    if missing:
        raise DataError(f"missing column(s) {', '.join(missing)}", path=path, row=1)
    features = [c for c in raw.columns if c not in _DROP]
    numeric = [c for c in features if c not in UNSW_NB15_CATEGORICAL]
    nums = to_numeric(raw, numeric, path=path, header=True)
    X = pd.DataFrame(index=raw.index)
    for c in features:
        X[c] = raw[c].str.strip() if c in UNSW_NB15_CATEGORICAL else nums[c]
    cat = raw["attack_cat"].str.strip().replace(UNSW_NB15_ALIASES)
    bad = ~cat.isin(UNSW_NB15_CLASSES)
    if bad.any():
        names = sorted(cat[bad].unique())
        raise DataError(
            f"unknown attack_cat value(s) {', '.join(map(repr, names))} "
            f"(first at row {int(bad.to_numpy().argmax()) + 2}); expected one of "
            f"{', '.join(UNSW_NB15_CLASSES)}",
            path=path,
            column="attack_cat",
        )
    return Bunch(
        X=X,
        y=cat.rename("category"),
        categorical=list(UNSW_NB15_CATEGORICAL),
        numeric=numeric,
        classes=list(UNSW_NB15_CLASSES),
        path=str(path),
    )


def _subset(b: Bunch, idx: np.ndarray, name: str) -> Bunch:
    return Bunch(
        X=b.X.iloc[idx].reset_index(drop=True),
        y=b.y.iloc[idx].reset_index(drop=True),
        categorical=b.categorical,
        numeric=b.numeric,
        classes=b.classes,
        path=b.path,
        origin=b.origin,
        name=name,
    )


def load_unsw_nb15(*, data_home=None, test_size: float = 1 / 3, random_state: int = 0) -> Bunch:
    """Load UNSW-NB15 as a train/test pair, following the project's protocol.

    When both official partitions are in the data directory they are used as
    they are (train on 175,341 rows, test on 82,332). When only the testing
    partition is there, it is split, stratified by class, into ``1 - test_size``
    training and ``test_size`` testing rows with ``random_state``; the result's
    ``protocol`` says so and every report prints it.

    Returns
    -------
    sklearn.utils.Bunch
        ``train`` and ``test`` (each a Bunch with ``X``, ``y``, ``categorical``,
        ``numeric``, ``classes``, ``path``, ``origin``, ``name``), ``protocol`` (a sentence)
        and ``official`` (bool).
    """
    parts = find_partitions(data_home)
    home = get_data_home(data_home)
    if "test" not in parts:
        raise DatasetNotFoundError(
            f"no UNSW-NB15 testing partition (a CSV with {UNSW_NB15_TEST_ROWS:,} rows whose name "
            f"contains 'UNSW') in {home / 'unsw-nb15'} or {home}; set --data-dir or "
            f"GAVAE_IDS_DATA, or download it there with `gavae-ids data fetch --dataset "
            f"unsw-nb15 --data-dir {home}`. Source: {UNSW_NB15_SOURCE}",
            path=home / "unsw-nb15",
        )
    test = read_unsw_nb15_file(parts["test"])
    test.origin = DATA_DIRECTORY
    if "train" in parts:
        train = read_unsw_nb15_file(parts["train"])
        train.origin = DATA_DIRECTORY
        train.name, test.name = "UNSW-NB15 training partition", "UNSW-NB15 testing partition"
        return Bunch(train=train, test=test, protocol=OFFICIAL_PROTOCOL, official=True)
    log.info("UNSW-NB15 training partition not found; splitting the testing partition")
    idx = np.arange(len(test.y))
    tr, te = train_test_split(
        idx, test_size=test_size, stratify=test.y.to_numpy(), random_state=random_state
    )
    protocol = SPLIT_PROTOCOL.format(train=1 - test_size, test=test_size, seed=random_state)
    return Bunch(
        train=_subset(test, np.sort(tr), "UNSW-NB15 testing partition, split: train"),
        test=_subset(test, np.sort(te), "UNSW-NB15 testing partition, split: test"),
        protocol=protocol,
        official=False,
    )


def accuracy_ceiling(X: pd.DataFrame, y: pd.Series) -> float:
    """Best accuracy any classifier can reach when identical feature vectors carry different labels.

    Predicting, for every distinct feature vector, its most frequent label is
    optimal; the fraction of rows that prediction gets right is the ceiling.
    """
    keys = pd.util.hash_pandas_object(X.reset_index(drop=True), index=False).to_numpy()
    counts = pd.DataFrame({"k": keys, "y": y.to_numpy()}).value_counts()
    best = counts.groupby(level="k").max()
    return float(best.sum() / len(y))
