"""Dataset loaders on the real files (shipped or in the data directory), and every bad-input case
on small written files."""

from __future__ import annotations

import gzip
import hashlib
import shutil
from pathlib import Path

import pandas as pd
import pytest

from gavae_ids.datasets import (
    NSL_KDD_FEATURES,
    _registry,
    accuracy_ceiling,
    find_partitions,
    get_data_home,
    load_benchmark,
    load_csv,
    load_nsl_kdd,
    load_unsw_nb15,
    nsl_kdd_attack_map,
    read_nsl_kdd_file,
)
from gavae_ids.datasets._registry import check_file, registry, shipped_checksums, shipped_copy
from gavae_ids.datasets.nsl_kdd import mark_seen
from gavae_ids.datasets.unsw_nb15 import SPLIT_PROTOCOL
from gavae_ids.exceptions import DataError, DatasetNotFoundError

TRAIN20_COUNTS = {"Normal": 13449, "DoS": 9234, "Probe": 2289, "R2L": 209, "U2R": 11}
TEST_COUNTS = {"Normal": 9711, "DoS": 7458, "Probe": 2421, "R2L": 2754, "U2R": 200}


def test_train20_class_counts(nsl_train20):
    assert nsl_train20.y.value_counts().to_dict() == TRAIN20_COUNTS
    assert list(nsl_train20.X.columns) == list(NSL_KDD_FEATURES)
    assert not pd.api.types.is_numeric_dtype(nsl_train20.X["protocol_type"])
    assert pd.api.types.is_float_dtype(nsl_train20.X["src_bytes"])


def test_test_plus_class_counts(nsl_test):
    assert nsl_test.y.value_counts().to_dict() == TEST_COUNTS
    assert nsl_test.difficulty.between(0, 21).all()


@pytest.mark.parametrize(
    "split", [pytest.param("train", marks=pytest.mark.data), "train20", "test", "test21"]
)
def test_every_attack_name_is_mapped(request, data_home, split):
    home = request.getfixturevalue("nsl_full_home") if split == "train" else data_home
    b = load_nsl_kdd(split, data_home=home)  # unknown="error" would raise otherwise
    assert set(b.attack.unique()) <= set(nsl_kdd_attack_map())
    assert set(b.y.unique()) <= set(b.classes)


def test_attack_map_is_the_darpa_taxonomy():
    m = nsl_kdd_attack_map()
    assert m["neptune"] == "DoS" and m["mscan"] == "Probe" and m["worm"] == "R2L"
    assert m["httptunnel"] == "U2R" and m["normal"] == "Normal"
    assert len(m) == 40  # 39 attack names + normal


def test_seen_flag_marks_attacks_absent_from_training(nsl_test, nsl_train20):
    train_names = set(nsl_train20.attack.unique())
    unseen = nsl_test.attack[~nsl_test.seen]
    assert len(unseen) > 0
    assert not set(unseen.unique()) & train_names
    assert nsl_test.seen[nsl_test.attack == "normal"].all()
    assert set(nsl_test.attack[nsl_test.seen].unique()) <= train_names | {"normal"}


def test_mark_seen_pure():
    s = mark_seen(pd.Series(["normal", "neptune", "mscan"]), {"neptune"})
    assert s.tolist() == [True, True, False]


def test_plain_and_gzip_read_alike(shipped_file, tmp_path):
    plain = tmp_path / "nsl-kdd" / "KDDTest-21.txt"
    plain.parent.mkdir()
    with gzip.open(shipped_file("KDDTest-21.txt"), "rb") as fi, open(plain, "wb") as fo:
        shutil.copyfileobj(fi, fo)
    a = load_nsl_kdd("test21", data_home=tmp_path)
    b = load_nsl_kdd("test21", data_home=tmp_path / "empty")
    pd.testing.assert_frame_equal(a.X, b.X)
    assert a.path.endswith(".txt") and b.path.endswith(".gz")
    assert (a.origin, b.origin) == ("data directory", "shipped copy")


def test_shipped_copies_are_the_fallback_and_the_data_directory_wins(shipped_file, tmp_path):
    empty = tmp_path / "nothing-here"
    for split, stem in (("train20", "KDDTrain+_20Percent"), ("test", "KDDTest+"),
                        ("test21", "KDDTest-21")):  # fmt: skip
        b = load_nsl_kdd(split, data_home=empty)
        assert b.origin == "shipped copy" and b.path == str(shipped_file(stem + ".txt"))
    # A copy in the data directory (here a one-record file) is read instead.
    (tmp_path / "nsl-kdd").mkdir()
    (tmp_path / "nsl-kdd" / "KDDTest-21.txt").write_text(GOOD + "\n")
    b = load_nsl_kdd("test21", data_home=tmp_path)
    assert b.origin == "data directory" and len(b.y) == 1


def test_unsw_split_protocol(unsw_home):
    b = load_unsw_nb15(data_home=unsw_home)
    assert not b.official and "stratified split" in b.protocol
    assert len(b.train.y) + len(b.test.y) == 82_332
    assert abs(len(b.test.y) - 82_332 / 3) < 2
    assert set(b.train.y.unique()) == set(b.train.classes)
    assert b.train.X.shape[1] == 42 and {"proto", "service", "state"} <= set(b.train.X.columns)
    # stratified: every class keeps its share
    full = pd.concat([b.train.y, b.test.y]).value_counts(normalize=True)
    part = b.test.y.value_counts(normalize=True)
    assert (part - full).abs().max() < 0.002


def test_unsw_partitions_recognised_by_content_not_name(unsw_home, tmp_path):
    # A mirror that names the testing partition "training": still found as the testing one.
    d = tmp_path / "unsw-nb15"
    d.mkdir()
    shutil.copy(unsw_home / "unsw-nb15" / "UNSW_NB15_testing-set.csv.gz",
                d / "UNSW_NB15_training-set.csv.gz")  # fmt: skip
    parts = find_partitions(tmp_path)
    assert list(parts) == ["test"] and parts["test"].name == "UNSW_NB15_training-set.csv.gz"


def _write_unsw(path, rows):
    header = "id,dur,proto,service,state,attack_cat,label"
    path.write_text("\ufeff" + header + "\r\n" + "\r\n".join(rows) + "\r\n")


def test_unsw_official_partitions_used_when_both_present(tmp_path, monkeypatch):
    import gavae_ids.datasets.unsw_nb15 as u

    d = tmp_path / "unsw-nb15"
    d.mkdir()
    _write_unsw(d / "UNSW_a.csv", ["1,0.1,tcp,-,FIN, Backdoors ,1", "2,0.2,udp,dns,CON,Normal,0"])
    _write_unsw(d / "UNSW_b.csv", ["1,0.3,tcp,-,FIN,Worms,1"])
    # Pretend the two small files have the official row counts.
    counts = {"UNSW_a.csv": u.UNSW_NB15_TRAIN_ROWS, "UNSW_b.csv": u.UNSW_NB15_TEST_ROWS}
    monkeypatch.setattr(u, "_count_rows", lambda p: counts[p.name])
    b = load_unsw_nb15(data_home=tmp_path)
    assert b.official and b.protocol == u.OFFICIAL_PROTOCOL
    assert b.train.y.tolist() == ["Backdoor", "Normal"]  # whitespace and spelling normalised
    assert b.test.y.tolist() == ["Worms"]
    assert list(b.train.X.columns) == ["dur", "proto", "service", "state"]


def test_accuracy_ceiling_of_conflicting_duplicates():
    X = pd.DataFrame({"a": [1, 1, 1, 2], "b": ["x", "x", "x", "y"]})
    y = pd.Series(["A", "A", "B", "C"])
    assert accuracy_ceiling(X, y) == pytest.approx(3 / 4)


def test_unsw_ceiling_matches_documented_value(unsw_home):
    from gavae_ids.datasets import read_unsw_nb15_file

    b = read_unsw_nb15_file(unsw_home / "unsw-nb15" / "UNSW_NB15_testing-set.csv.gz")
    assert round(accuracy_ceiling(b.X, b.y), 3) == 0.936


# -- data directory ------------------------------------------------------------------------
def test_data_dir_from_environment(monkeypatch, tmp_path):
    (tmp_path / "nsl-kdd").mkdir()
    (tmp_path / "nsl-kdd" / "KDDTest-21.txt").write_text(GOOD + "\n" + GOOD + "\n")
    monkeypatch.setenv("GAVAE_IDS_DATA", str(tmp_path))
    b = load_nsl_kdd("test21")
    assert len(b.y) == 2 and b.path.startswith(str(tmp_path))
    monkeypatch.setenv("GAVAE_IDS_DATA", str(tmp_path / "empty"))
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert load_nsl_kdd("test21").origin == "shipped copy"


def test_missing_file_names_file_directory_source_and_fetch_command(tmp_path):
    with pytest.raises(DatasetNotFoundError) as e:
        load_nsl_kdd("train", data_home=tmp_path)  # KDDTrain+ is not shipped
    msg = str(e.value)
    assert "KDDTrain+.txt" in msg and str(tmp_path) in msg and "unb.ca" in msg
    assert f"gavae-ids data fetch KDDTrain+.txt --data-dir {tmp_path}" in msg
    with pytest.raises(DatasetNotFoundError, match="unsw.*gavae-ids data fetch --dataset unsw"):
        load_unsw_nb15(data_home=tmp_path)


# -- the copies shipped with the package -----------------------------------------------------------
SHIPPED = ("KDDTrain+_20Percent.txt", "KDDTest+.txt", "KDDTest-21.txt")
#: MD5 of the decompressed files, from ../shared/datasets/README.md.
README_MD5 = {
    "KDDTrain+_20Percent.txt": "e160feff7844050fc42c6d30ad0f2454",
    "KDDTest+.txt": "7c6d1b1af246690766394920d6b4c751",
    "KDDTest-21.txt": "02368ff472bbcd6788019c4c6a1c6201",
}


@pytest.mark.parametrize("name", SHIPPED)
def test_shipped_copy_is_the_original_gzip_compressed(name):
    path = shipped_copy(name)
    raw = gzip.decompress(path.read_bytes())
    assert hashlib.md5(raw).hexdigest() == README_MD5[name]
    assert hashlib.sha256(raw).hexdigest() == registry()[name].sha256
    assert hashlib.sha256(path.read_bytes()).hexdigest() == shipped_checksums()[path.name]
    assert path.stat().st_size < 512 * 1024
    assert check_file(path, registry()[name]).ok


@pytest.mark.data
@pytest.mark.parametrize("name", SHIPPED)
def test_shipped_copy_has_the_bytes_of_the_data_folders_file(name):
    """Against the copy in $GAVAE_IDS_DATA (CI: ../shared/datasets), when there is one."""
    other = get_data_home() / "nsl-kdd" / (name + ".gz")
    if not other.is_file():
        pytest.skip(f"{other} not present; set GAVAE_IDS_DATA to a folder holding it")
    assert shipped_copy(name).read_bytes() == other.read_bytes()


def test_registry_and_notice_agree_with_what_is_shipped():
    shipped = {e.name for e in registry().values() if e.shipped}
    assert shipped == set(SHIPPED)
    assert set(shipped_checksums()) == {n + ".gz" for n in SHIPPED}
    assert {e.name for e in registry().values() if not e.shipped and not e.optional} == {
        "KDDTrain+.txt",
        "UNSW_NB15_testing-set.csv",
        "UNSW_NB15_training-set.csv",
    }
    assert {e.dataset for e in registry().values() if e.optional} == {"iot-23"}
    unsw_train = registry()["UNSW_NB15_training-set.csv"]
    assert unsw_train.sha256 is None and unsw_train.rows == 175_341
    assert len(unsw_train.columns) == 45 and unsw_train.columns[-2:] == ("attack_cat", "label")
    assert all(e.urls for e in registry().values())
    notice = (Path(str(shipped_copy("KDDTest+.txt"))).parent / "NOTICE-NSL-KDD.md").read_text()
    assert "Tavallaee" in notice and "CISDA" in notice and "University of New Brunswick" in notice
    for name in SHIPPED:
        assert registry()[name].sha256 in notice


def test_damaged_shipped_copy_is_refused(monkeypatch):
    sums = dict(shipped_checksums())
    sums["KDDTest-21.txt.gz"] = "0" * 64
    _registry._checked_shipped.cache_clear()
    monkeypatch.setattr(_registry, "shipped_checksums", lambda: sums)
    try:
        with pytest.raises(DataError, match="shipped copy is damaged.*reinstall"):
            shipped_copy("KDDTest-21.txt")
    finally:
        _registry._checked_shipped.cache_clear()


def test_data_summary_says_which_copy_it_read(tmp_path):
    from typer.testing import CliRunner

    from gavae_ids.cli import app

    r = CliRunner().invoke(app, ["data", "summary", "--dataset", "nsl-kdd",
                                 "--data-dir", str(tmp_path / "empty")])  # fmt: skip
    assert r.exit_code == 0, r.output
    assert "KDDTrain+_20Percent: shipped copy" in r.output
    assert "KDDTest-21: shipped copy" in r.output


# -- bad input -----------------------------------------------------------------------------
GOOD = "0,tcp,http,SF," + ",".join(["0"] * 37) + ",normal,21"


def _nsl(tmp_path, lines):
    p = tmp_path / "bad.txt"
    p.write_text("\n".join(lines) + ("\n" if lines else ""))
    return p


def test_good_line_reads(tmp_path):
    b = read_nsl_kdd_file(_nsl(tmp_path, [GOOD, GOOD]))
    assert b.y.tolist() == ["Normal", "Normal"]


def test_empty_file(tmp_path):
    with pytest.raises(DataError, match="empty") as e:
        read_nsl_kdd_file(_nsl(tmp_path, []))
    assert "bad.txt" in str(e.value)


def test_too_many_columns(tmp_path):
    with pytest.raises(DataError, match=r"row 2: expected 43 fields, found 44"):
        read_nsl_kdd_file(_nsl(tmp_path, [GOOD, GOOD + ",7"]))


def test_too_few_columns(tmp_path):
    short = GOOD.rsplit(",", 2)[0]
    with pytest.raises(DataError, match=r"row 3: expected 43 fields, found 41"):
        read_nsl_kdd_file(_nsl(tmp_path, [GOOD, GOOD, short]))


def test_non_numeric_value_names_row_and_column(tmp_path):
    bad = GOOD.replace("0,tcp", "abc,tcp", 1)
    with pytest.raises(DataError, match=r"row 2, column 'duration'.*'abc'"):
        read_nsl_kdd_file(_nsl(tmp_path, [GOOD, bad]))


@pytest.mark.parametrize("token", ["nan", "inf", "-inf", "NaN"])
def test_nan_and_inf_rejected(tmp_path, token):
    bad = GOOD.replace(",http,SF,0,", f",http,SF,{token},", 1)
    with pytest.raises(DataError, match=r"row 1, column 'src_bytes'"):
        read_nsl_kdd_file(_nsl(tmp_path, [bad]))


def test_unknown_attack_name_listed(tmp_path):
    bad = GOOD.replace("normal", "zeroday")
    with pytest.raises(DataError, match=r"zeroday.*row 2"):
        read_nsl_kdd_file(_nsl(tmp_path, [GOOD, bad]))
    b = read_nsl_kdd_file(_nsl(tmp_path, [GOOD, bad]), unknown="keep")
    assert b.y.tolist() == ["Normal", "Unknown"]


def test_single_row_class_loads(tmp_path):
    other = GOOD.replace("normal", "perl")
    b = read_nsl_kdd_file(_nsl(tmp_path, [GOOD, GOOD, other]))
    assert b.y.value_counts().to_dict() == {"Normal": 2, "U2R": 1}


# -- generic CSV ---------------------------------------------------------------------------
def test_load_csv_infers_categorical(tmp_path):
    p = tmp_path / "flows.csv"
    p.write_text("proto,bytes,port,label\ntcp,10,80,benign\nudp,3.5,53,dos\n")
    b = load_csv(p, label="label")
    assert b.categorical == ["proto"] and b.numeric == ["bytes", "port"]
    assert b.classes == ["benign", "dos"] and b.X["bytes"].tolist() == [10.0, 3.5]


def test_load_csv_errors(tmp_path):
    p = tmp_path / "flows.csv"
    p.write_text("proto,bytes,label\ntcp,10,a\nudp,x,b\n")
    with pytest.raises(DataError, match=r"no column 'class'"):
        load_csv(p, label="class")
    with pytest.raises(DataError, match=r"row 3, column 'bytes'"):
        load_csv(p, label="label", categorical=["proto"])
    with pytest.raises(DatasetNotFoundError):
        load_csv(tmp_path / "nope.csv", label="label")
    h = tmp_path / "header_only.csv"
    h.write_text("proto,bytes,label\n")
    with pytest.raises(DataError, match="no data rows"):
        load_csv(h, label="label")


# -- load_benchmark: one training set + named test sets ----------------------------------------
@pytest.mark.parametrize(("split", "train_name", "train_rows"),
                         [("train20", "KDDTrain+_20Percent", 25_192),
                          pytest.param("train", "KDDTrain+", 125_973,
                                       marks=pytest.mark.data)])  # fmt: skip
def test_nsl_benchmark_names_its_test_sets_and_training_file(request, data_home, split,
                                                             train_name, train_rows):  # fmt: skip
    home = request.getfixturevalue("nsl_full_home") if split == "train" else data_home
    b = load_benchmark("nsl-kdd", data_home=home, train_split=split)
    assert (b.train.name, len(b.train.y)) == (train_name, train_rows)
    assert {n: len(t.y) for n, t in b.tests.items()} == {"KDDTest+": 22_544, "KDDTest-21": 11_850}
    assert list(b.tests) == ["KDDTest+", "KDDTest-21"]  # report order
    assert b.protocol == f"train on {train_name}, test on KDDTest+ and KDDTest-21" and b.official
    # "seen" refers to the chosen training file: its attack names, no others
    t = b.tests["KDDTest+"]
    assert set(t.attack[t.seen]) <= set(b.train.attack) | {"normal"}
    assert not set(t.attack[~t.seen]) & set(b.train.attack)


def test_nsl_benchmark_takes_each_file_from_the_data_directory_or_the_shipped_copy(tmp_path):
    (tmp_path / "nsl-kdd").mkdir()
    (tmp_path / "nsl-kdd" / "KDDTrain+_20Percent.txt").write_text(GOOD + "\n")
    b = load_benchmark("nsl-kdd", data_home=tmp_path, with_tests=False)
    assert b.tests == {} and len(b.train.y) == 1 and b.train.origin == "data directory"
    b = load_benchmark("nsl-kdd", data_home=tmp_path)
    assert {n: (len(t.y), t.origin) for n, t in b.tests.items()} == {
        "KDDTest+": (22_544, "shipped copy"),
        "KDDTest-21": (11_850, "shipped copy"),
    }
    with pytest.raises(DatasetNotFoundError, match="KDDTrain\\+.txt"):
        load_benchmark("nsl-kdd", data_home=tmp_path, train_split="train")


def test_unsw_benchmark_follows_the_loader_protocol(unsw_home):
    b = load_benchmark("unsw-nb15", data_home=unsw_home, train_split="ignored")
    assert b.protocol == SPLIT_PROTOCOL.format(train=2 / 3, test=1 / 3, seed=0)
    assert not b.official  # only the testing partition is in the data folder
    assert list(b.tests) == ["UNSW-NB15 test"]
    assert len(b.train.y) + len(b.tests["UNSW-NB15 test"].y) == 82_332
    renamed = load_benchmark("unsw-nb15", data_home=unsw_home, unsw_test_name="test")
    assert list(renamed.tests) == ["test"]
    pd.testing.assert_frame_equal(renamed.tests["test"].X, b.tests["UNSW-NB15 test"].X)


def test_unknown_benchmark_is_refused_before_reading(tmp_path):
    msg = "unknown dataset 'kdd99'; choose one of nsl-kdd, unsw-nb15"
    with pytest.raises(DataError, match=msg):
        load_benchmark("kdd99", data_home=tmp_path / "nothing-here")
