"""NSL-KDD loader: KDDTrain+, KDDTrain+_20Percent, KDDTest+, KDDTest-21."""

from __future__ import annotations

import pandas as pd
from sklearn.utils import Bunch

from gavae_ids.datasets._home import file_origin, find_file, get_data_home
from gavae_ids.datasets._read import read_table, to_numeric
from gavae_ids.datasets._schema import (
    NSL_KDD_CATEGORICAL,
    NSL_KDD_CLASSES,
    NSL_KDD_COLUMNS,
    NSL_KDD_FEATURES,
    NSL_KDD_SOURCE,
    NSL_KDD_SPLITS,
    nsl_kdd_attack_map,
)
from gavae_ids.exceptions import DataError

UNKNOWN = "Unknown"


def _split_stem(split: str) -> str:
    try:
        return NSL_KDD_SPLITS[split]
    except KeyError:
        raise ValueError(
            f"unknown NSL-KDD split {split!r}; choose one of {sorted(NSL_KDD_SPLITS)}"
        ) from None


def read_nsl_kdd_file(path, *, unknown: str = "error") -> Bunch:
    """Read one NSL-KDD file (43 columns, no header, plain or gzip) from ``path``.

    See :func:`load_nsl_kdd` for the returned fields and ``unknown``.
    """
    if unknown not in ("error", "keep"):
        raise ValueError(f"unknown must be 'error' or 'keep', got {unknown!r}")
    raw = read_table(path, names=NSL_KDD_COLUMNS, header=False)
    numeric = [c for c in NSL_KDD_FEATURES if c not in NSL_KDD_CATEGORICAL]
    nums = to_numeric(raw, numeric + ["difficulty"], path=path, header=False)
    X = pd.DataFrame(index=raw.index)
    for c in NSL_KDD_FEATURES:
        X[c] = raw[c].str.strip() if c in NSL_KDD_CATEGORICAL else nums[c]
    for c in NSL_KDD_CATEGORICAL:
        empty = (X[c] == "").to_numpy()
        if empty.any():
            raise DataError("empty value", path=path, row=int(empty.argmax()) + 1, column=c)
    attack = raw["attack"].str.strip().str.lower()
    amap = nsl_kdd_attack_map()
    category = attack.map(amap)
    unmapped = category.isna()
    if unmapped.any():
        names = sorted(attack[unmapped].unique())
        if unknown == "error":
            first = int(unmapped.to_numpy().argmax()) + 1
            raise DataError(
                f"attack name(s) not in the NSL-KDD attack→category map: {', '.join(names)} "
                f"(first at row {first}); pass unknown='keep' to label them {UNKNOWN!r}",
                path=path,
                column="attack",
            )
        category = category.fillna(UNKNOWN)
    return Bunch(
        X=X,
        y=category.rename("category"),
        attack=attack.rename("attack"),
        difficulty=nums["difficulty"].astype("int64").rename("difficulty"),
        categorical=list(NSL_KDD_CATEGORICAL),
        numeric=numeric,
        classes=list(NSL_KDD_CLASSES),
        path=str(path),
    )


def load_nsl_kdd(
    split: str = "train20",
    *,
    data_home=None,
    train_split: str | None = None,
    unknown: str = "error",
) -> Bunch:
    """Load one NSL-KDD file.

    Parameters
    ----------
    split : {"train", "train20", "test", "test21"} or a file stem
        ``train`` = KDDTrain+, ``train20`` = KDDTrain+_20Percent (the paper's
        Table 4 set), ``test`` = KDDTest+, ``test21`` = KDDTest-21. The stems
        ``"KDDTrain+"`` etc. are accepted too.
    data_home : path-like, optional
        Folder holding the files, directly or in ``nsl-kdd/``; see
        :func:`gavae_ids.datasets.get_data_home`. A file it lacks is read from
        the copy shipped with the package when there is one (KDDTrain+_20Percent,
        KDDTest+, KDDTest-21); ``origin`` says which was used.
    train_split : str, optional
        When given, each record gets ``seen``: whether its attack name occurs
        in that training file (normal records count as seen).
    unknown : {"error", "keep"}
        An attack name missing from the attack→category map raises a
        :class:`~gavae_ids.exceptions.DataError` listing the names (default),
        or with ``"keep"`` is labelled ``"Unknown"``.

    Returns
    -------
    sklearn.utils.Bunch
        ``X`` (41 features; nominal columns as strings), ``y`` (5-class
        category), ``attack``, ``difficulty``, ``categorical``, ``numeric``,
        ``classes``, ``path``, ``origin`` (``"data directory"`` or ``"shipped
        copy"``), ``name`` and, with ``train_split``, ``seen``.

    Examples
    --------
    >>> b = load_nsl_kdd("test", train_split="train20")  # doctest: +SKIP
    >>> b.y.value_counts()["U2R"]  # doctest: +SKIP
    200
    """
    home = get_data_home(data_home)
    stem = _split_stem(split)
    path = find_file(home, "nsl-kdd", stem, source=NSL_KDD_SOURCE)
    bunch = read_nsl_kdd_file(path, unknown=unknown)
    bunch.name = stem.removesuffix(".txt")
    bunch.origin = file_origin(path)
    if train_split is not None:
        train_path = find_file(home, "nsl-kdd", _split_stem(train_split), source=NSL_KDD_SOURCE)
        seen_names = set(read_table(train_path, names=NSL_KDD_COLUMNS, header=False)["attack"]
                         .str.strip().str.lower().unique())  # fmt: skip
        bunch.seen = mark_seen(bunch.attack, seen_names)
    return bunch


def mark_seen(attack: pd.Series, training_attacks) -> pd.Series:
    """True where the attack name occurs among ``training_attacks`` (normal is always seen)."""
    known = set(training_attacks) | {"normal"}
    return attack.isin(known).rename("seen")
