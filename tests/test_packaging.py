"""The wheel a user installs: it holds the shipped data and its console script runs."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    r = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
                        "-q", "-w", str(out), str(ROOT)],
                       capture_output=True, text=True)  # fmt: skip
    if r.returncode != 0:
        pytest.fail(f"building the wheel failed:\n{r.stderr[-2000:]}")
    (whl,) = out.glob("gavae_ids-*.whl")
    return whl


def test_wheel_ships_the_nsl_kdd_files_with_their_checksums(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    data = "gavae_ids/datasets/data/"
    for f in (
        "KDDTrain+_20Percent.txt.gz",
        "KDDTest+.txt.gz",
        "KDDTest-21.txt.gz",
        "SHA256SUMS",
        "NOTICE-NSL-KDD.md",
    ):
        assert data + f in names, f"{f} missing from {wheel.name}"
    assert not any(n.startswith(("tests/", "docs/", "benchmarks/")) for n in names)


def test_installed_wheel_runs_its_console_script(wheel, tmp_path):
    from gavae_ids import __version__

    site = tmp_path / "site"
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--no-index",
                    "--target", str(site), str(wheel)], check=True)  # fmt: skip
    env = {**os.environ, "PYTHONPATH": str(site), "HOME": str(tmp_path)}
    env.pop("GAVAE_IDS_DATA", None)
    where = subprocess.run([sys.executable, "-c", "import gavae_ids; print(gavae_ids.__file__)"],
                           env=env, capture_output=True, text=True, check=True)  # fmt: skip
    assert Path(where.stdout.strip()).is_relative_to(site)  # the wheel's copy, not the checkout
    r = subprocess.run([str(site / "bin" / "gavae-ids"), "--help"], env=env, capture_output=True,
                       text=True)  # fmt: skip
    assert r.returncode == 0, r.stderr
    for command in ("reproduce", "train", "score"):
        assert command in r.stdout
    v = subprocess.run([str(site / "bin" / "gavae-ids"), "--version"], env=env,
                       capture_output=True, text=True)  # fmt: skip
    assert v.returncode == 0 and v.stdout.strip() == f"gavae-ids {__version__}"
