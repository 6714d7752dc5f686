"""The paper's two benchmarks as one training set plus named test sets, with their protocol."""

from __future__ import annotations

from sklearn.utils import Bunch

from gavae_ids.datasets.nsl_kdd import load_nsl_kdd
from gavae_ids.datasets.unsw_nb15 import load_unsw_nb15
from gavae_ids.exceptions import DataError

#: The benchmark datasets: name → how reports write it (the one list of them).
BENCHMARK_TITLES = {"nsl-kdd": "NSL-KDD", "unsw-nb15": "UNSW-NB15"}
BENCHMARKS = tuple(BENCHMARK_TITLES)
NSL_KDD_TEST_SETS = ("KDDTest+", "KDDTest-21")
UNSW_NB15_TEST_NAME = "UNSW-NB15 test"


def load_benchmark(
    dataset: str,
    *,
    data_home=None,
    train_split: str = "train20",
    with_tests: bool = True,
    unsw_test_name: str = UNSW_NB15_TEST_NAME,
) -> Bunch:
    """Load the training set and the named test sets of ``dataset``'s protocol.

    Parameters
    ----------
    dataset : {"nsl-kdd", "unsw-nb15"}
        Anything else raises :class:`~gavae_ids.exceptions.DataError` before
        any file is read.
    data_home : path-like, optional
        See :func:`gavae_ids.datasets.get_data_home`.
    train_split : str, default="train20"
        NSL-KDD training file (``train20`` = KDDTrain+_20Percent, ``train`` =
        KDDTrain+); the test sets' ``seen`` flags refer to it. Ignored for
        UNSW-NB15.
    with_tests : bool, default=True
        ``False`` reads no NSL-KDD test file (training needs none, and a data
        folder may hold only the training file); ``tests`` is then empty.
    unsw_test_name : str, default="UNSW-NB15 test"
        Key of the UNSW-NB15 test set in ``tests``.

    Returns
    -------
    sklearn.utils.Bunch
        ``train`` (a loader Bunch), ``tests`` (``{name: Bunch}``, in report
        order: ``KDDTest+`` then ``KDDTest-21``, or the one UNSW-NB15 test set),
        ``protocol`` (a sentence naming what is trained and tested on) and
        ``official`` (False when UNSW-NB15's official training partition is
        missing and the testing partition was split instead).

    Examples
    --------
    >>> b = load_benchmark("nsl-kdd", train_split="train")  # doctest: +SKIP
    >>> list(b.tests), b.protocol  # doctest: +SKIP
    (['KDDTest+', 'KDDTest-21'], 'train on KDDTrain+, test on KDDTest+ and KDDTest-21')
    """
    if dataset == "nsl-kdd":
        train = load_nsl_kdd(train_split, data_home=data_home)
        tests = {}
        if with_tests:
            tests = {name: load_nsl_kdd(name, data_home=data_home, train_split=train_split)
                     for name in NSL_KDD_TEST_SETS}  # fmt: skip
        protocol = f"train on {train.name}, test on {' and '.join(NSL_KDD_TEST_SETS)}"
        return Bunch(train=train, tests=tests, protocol=protocol, official=True)
    if dataset == "unsw-nb15":
        parts = load_unsw_nb15(data_home=data_home)
        tests = {unsw_test_name: parts.test} if with_tests else {}
        return Bunch(train=parts.train, tests=tests, protocol=parts.protocol,
                     official=parts.official)  # fmt: skip
    raise DataError(f"unknown dataset {dataset!r}; choose one of {', '.join(BENCHMARKS)}")
