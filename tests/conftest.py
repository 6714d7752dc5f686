"""Shared fixtures: real slices of the datasets.

NSL-KDD's KDDTrain+_20Percent, KDDTest+ and KDDTest-21 ship with the package, so
tests that need only those run anywhere: they reach them through the loaders, which
fall back to the shipped copies, or through ``shipped_file``. KDDTrain+ and UNSW-NB15
are read from the data directory the package itself resolves ($GAVAE_IDS_DATA, else
~/gavae_ids_data); their tests carry the ``data`` marker and skip, naming the file
and the setting, without it. CI runs the suite once as a newcomer would (no data
folder), then ``pytest -m data`` with GAVAE_IDS_DATA=../shared/datasets.
"""

from __future__ import annotations

import os
from pathlib import Path

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")  # before torch loads; see gavae_ids.cli

import numpy as np
import pytest

from gavae_ids.datasets import get_data_home  # noqa: E402

DATA_HOME = get_data_home()
#: Fixtures that need data the package does not ship; a test using one is marked ``data``.
DATA_FIXTURES = ("unsw_home", "nsl_full_home")


def pytest_collection_modifyitems(config, items):
    for item in items:
        if any(f in getattr(item, "fixturenames", ()) for f in DATA_FIXTURES):
            item.add_marker(pytest.mark.data)


@pytest.fixture(scope="session")
def data_home() -> Path:
    """The data directory the package resolves; NSL-KDD files it lacks come from the shipped
    copies. Use ``unsw_home`` / ``nsl_full_home`` for files that do not ship."""
    return DATA_HOME


def _require(path: Path, what: str) -> Path:
    if not path.is_file():
        pytest.skip(f"{what} not found at {path} (not shipped with the package); set "
                    "GAVAE_IDS_DATA to a folder holding it (CI: ../shared/datasets) or run "
                    f"`gavae-ids data fetch {path.name.removesuffix('.gz')}`")  # fmt: skip
    return DATA_HOME


@pytest.fixture(scope="session")
def unsw_home() -> Path:
    """A data directory holding the UNSW-NB15 testing partition, else the test is skipped."""
    return _require(DATA_HOME / "unsw-nb15" / "UNSW_NB15_testing-set.csv.gz",
                    "UNSW-NB15 testing partition")  # fmt: skip


@pytest.fixture(scope="session")
def nsl_full_home() -> Path:
    """A data directory holding NSL-KDD's full KDDTrain+, else the test is skipped."""
    return _require(DATA_HOME / "nsl-kdd" / "KDDTrain+.txt.gz", "NSL-KDD KDDTrain+")


@pytest.fixture(scope="session")
def shipped_file():
    """Path of a shipped NSL-KDD copy, e.g. ``shipped_file("KDDTest-21.txt")``."""
    from gavae_ids.datasets._registry import shipped_copy

    return shipped_copy


@pytest.fixture(scope="session")
def nsl_train20(data_home):
    from gavae_ids.datasets import load_nsl_kdd

    return load_nsl_kdd("train20", data_home=data_home)


@pytest.fixture(scope="session")
def nsl_test(data_home):
    from gavae_ids.datasets import load_nsl_kdd

    return load_nsl_kdd("test", data_home=data_home, train_split="train20")


def sampler_with(**constants):
    """A GAVAESampler whose method constants (GAVAEConfig fields that are no parameters, e.g.
    ``decoder_hidden``, ``n_bins``) are ``constants``: small networks keep the tests fast."""
    import dataclasses

    from gavae_ids.sampling import GAVAESampler

    class SmallGAVAESampler(GAVAESampler):
        def config(self):
            return dataclasses.replace(super().config(), **constants)

    return SmallGAVAESampler


def stratified_slice(y, n_per_class: int, seed: int = 0) -> np.ndarray:
    """Row indices: up to ``n_per_class`` rows of every class, sorted."""
    rng = np.random.RandomState(seed)
    y = np.asarray(y)
    idx = []
    for c in np.unique(y):
        rows = np.flatnonzero(y == c)
        idx.append(rng.choice(rows, size=min(n_per_class, len(rows)), replace=False))
    return np.sort(np.concatenate(idx))


@pytest.fixture(scope="session")
def nsl_small(nsl_train20):
    """~1,200 real KDDTrain+_20Percent rows (≤300 per class, all 11 U2R), as a Bunch-like dict."""
    idx = stratified_slice(nsl_train20.y, 300)
    return {
        "X": nsl_train20.X.iloc[idx].reset_index(drop=True),
        "y": nsl_train20.y.iloc[idx].reset_index(drop=True),
        "categorical": nsl_train20.categorical,
        "numeric": nsl_train20.numeric,
    }


@pytest.fixture(scope="session")
def nsl_small_encoded(nsl_small):
    """The slice above, encoded: (X float32 in [0,1], y ndarray of str, layout)."""
    from gavae_ids.preprocessing import TabularPreprocessor

    pre = TabularPreprocessor(categorical=nsl_small["categorical"]).fit(nsl_small["X"])
    return pre.transform(nsl_small["X"]), nsl_small["y"].to_numpy(), pre.layout_


@pytest.fixture(scope="session")
def make_detector(nsl_small):
    """``make_detector(seed=0, sampler=False, **info)``: a tiny DNN detector on the slice above
    (seconds to fit); ``sampler=True`` adds a tiny GAVAE fitted on the same rows."""
    import torch

    from gavae_ids.classifiers import DNNClassifier
    from gavae_ids.detection.detector import Detector
    from gavae_ids.preprocessing import TabularPreprocessor
    from gavae_ids.sampling import GAVAESampler

    def make(seed: int = 0, *, sampler: bool = False, **info):
        threads = torch.get_num_threads()
        torch.set_num_threads(1)
        try:
            pre = TabularPreprocessor(categorical=nsl_small["categorical"]).fit(nsl_small["X"])
            Xt, y = pre.transform(nsl_small["X"]), nsl_small["y"].to_numpy()
            clf = DNNClassifier(hidden=(16,), epochs=3, lr=1e-2, validation_fraction=0.0,
                                device="cpu", random_state=seed).fit(Xt, y)  # fmt: skip
            gavae = None
            if sampler:
                gavae = GAVAESampler(
                    layout=pre.layout_,
                    n_iter=40,
                    batch_size=64,
                    hidden=(16, 8),
                    latent_dim=3,
                    device="cpu",
                    random_state=seed,
                    sampling_strategy={},
                )
                gavae.fit_resample(Xt, y)
        finally:
            torch.set_num_threads(threads)
        return Detector(pre, clf, normal_label="Normal", method="dnn", sampler=gavae,
                        info=info or None)  # fmt: skip

    return make


@pytest.fixture(scope="session")
def small_detector(make_detector):
    """A tiny DNN detector, for the scoring tests."""
    return make_detector(seed=1)


@pytest.fixture(scope="module")
def one_torch_thread():
    """Tiny networks on a shared 2-core box: a second intra-op thread only adds contention
    (OpenMP threads waiting on each other make them many times slower). A module opts in
    with ``pytestmark = pytest.mark.usefixtures("one_torch_thread")``."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)
