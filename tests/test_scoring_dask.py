"""The Dask engine on a LocalCluster on loopback: same output as the local engine, row for
row; a worker killed mid-job is survived, or stops the job with a clear error."""

from __future__ import annotations

import functools
import gzip
import os
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from gavae_ids.cli import app
from gavae_ids.scoring.jobs import REJECTS_DIR, ScoringJobError, score_files

distributed = pytest.importorskip("distributed")
pytest.importorskip("pyarrow")
cloudpickle = pytest.importorskip("cloudpickle")

pytestmark = pytest.mark.slow  # worker processes import torch: seconds each


@pytest.fixture(scope="module")
def cluster():
    """Two single-threaded worker processes on 127.0.0.1, no dashboard."""
    # The kill tests send functions of this module to the workers, which cannot import it.
    cloudpickle.register_pickle_by_value(sys.modules[__name__])
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  host="127.0.0.1", dashboard_address=None,
                                  silence_logs=50) as c:  # fmt: skip
        yield c
    cloudpickle.unregister_pickle_by_value(sys.modules[__name__])


@pytest.fixture(scope="module")
def bundle(small_detector, tmp_path_factory):
    return small_detector.save(tmp_path_factory.mktemp("dask") / "model")


@pytest.fixture(scope="module")
def flows(nsl_test, tmp_path_factory):
    """Five inputs with good and bad rows: Parquet (nulls, NaN), CSV (bad lines), gzip CSV."""
    d = tmp_path_factory.mktemp("flows")
    X = nsl_test.X.iloc[:1500].reset_index(drop=True)
    for i in range(3):
        part = X.iloc[i * 300 : (i + 1) * 300].reset_index(drop=True)
        part.loc[7 + i, "src_bytes"] = float("nan")
        part.loc[50, "service"] = None
        part.to_parquet(d / f"p{i}.parquet", row_group_size=100)
    part = X.iloc[900:1200].reset_index(drop=True)
    part["protocol_type"] = part["protocol_type"].astype(object)
    part.loc[9, "protocol_type"] = ""  # empty value
    lines = part.to_csv(index=False).splitlines(keepends=True)
    lines[5] = "1,2,3\n"  # wrong field count
    (d / "c.csv").write_text("".join(lines))
    with gzip.open(d / "g.csv.gz", "wt") as f:
        f.write(X.iloc[1200:].to_csv(index=False) + "\n")  # an empty last line
    return d


@pytest.fixture(scope="module")
def local(bundle, flows, tmp_path_factory):
    out = tmp_path_factory.mktemp("local")
    return score_files(bundle, flows, out, fmt="csv", chunk_size=64, verbose=False), out


def same_files(a: Path, b: Path) -> None:
    names = sorted(p.relative_to(a) for p in a.rglob("*"))
    assert names == sorted(p.relative_to(b) for p in b.rglob("*"))
    for n in names:
        if (a / n).is_file():
            assert (a / n).read_bytes() == (b / n).read_bytes(), n


def test_dask_engine_equals_local_engine(cluster, bundle, flows, local, tmp_path):
    job_local, out_local = local
    job = score_files(bundle, flows, tmp_path, fmt="csv", chunk_size=64, engine="dask",
                      scheduler=cluster.scheduler_address, verbose=False)  # fmt: skip
    same_files(out_local, tmp_path)
    assert job.engine == "dask" and len(job.files) == 5
    for a, b in zip(job_local.files, job.files, strict=True):
        assert (a.source, a.total, a.scored, a.rejected) == (b.source, b.total, b.scored,
                                                             b.rejected)  # fmt: skip
        assert a.reject_details == b.reject_details
    assert (job.total, job.rejected) == (1501, 3 * 2 + 2 + 1)
    assert job.reject_reasons == job_local.reject_reasons
    # Each worker loaded and verified the bundle once, whatever it scored.
    from gavae_ids.scoring import dask_cluster as scoring_dask

    with distributed.Client(cluster) as client:
        cached = client.run(lambda: len(scoring_dask._DETECTORS))
    assert set(cached.values()) <= {0, 1} and sum(cached.values()) >= 1


def test_cli_parquet_glob_with_dask(cluster, bundle, flows, tmp_path):
    args = ["score", str(bundle), str(flows / "*.parquet"), "-q", "--chunk-size", "64"]
    r = CliRunner().invoke(app, [*args, "--out", str(tmp_path / "local")])
    assert r.exit_code == 0, r.output
    dask = ["--engine", "dask", "--scheduler", cluster.scheduler_address]
    r = CliRunner().invoke(app, [*args, *dask, "--out", str(tmp_path / "dask")])
    assert r.exit_code == 0, r.output
    assert "scored 894 / rejected 6 / total 900 rows" in r.output
    assert sorted(p.name for p in (tmp_path / "dask").iterdir()) == [
        REJECTS_DIR, "p0.parquet", "p1.parquet", "p2.parquet"]  # fmt: skip
    same_files(tmp_path / "local", tmp_path / "dask")


def _die(unit, *, bundle, opts, marker=None):
    """Kill this worker process half-way through a file (once per ``marker``, or always)."""
    from gavae_ids.scoring.dask_cluster import score_unit_task

    if marker is not None:
        try:
            os.close(os.open(marker, os.O_CREAT | os.O_EXCL | os.O_WRONLY))
        except FileExistsError:
            return score_unit_task(unit, bundle=bundle, opts=opts)
    out = Path(unit.out)
    out.with_name(f".{out.name}.part-dead").write_bytes(b"row,prediction\n1,")
    os._exit(1)


def test_a_worker_killed_mid_file_is_survived(cluster, bundle, flows, local, tmp_path):
    task = functools.partial(_die, marker=str(tmp_path / "died"))
    job = score_files(bundle, flows, tmp_path / "out", fmt="csv", chunk_size=64,
                      engine="dask", scheduler=cluster.scheduler_address, verbose=False,
                      _task=task)  # fmt: skip
    assert (tmp_path / "died").exists()  # a worker did die
    assert job.total == 1501
    same_files(local[1], tmp_path / "out")  # complete, and no part file left


def test_workers_that_keep_dying_stop_the_job_clearly(cluster, bundle, flows, tmp_path):
    def set_allowed(n, dask_scheduler=None):
        before, dask_scheduler.allowed_failures = dask_scheduler.allowed_failures, n
        return before

    client = distributed.Client(cluster)
    before = client.run_on_scheduler(set_allowed, 0)
    try:
        with pytest.raises(ScoringJobError, match=r"Dask workers died while scoring .*flows"):
            score_files(bundle, flows, tmp_path / "out", engine="dask",
                        scheduler=cluster.scheduler_address, verbose=False, _task=_die)  # fmt: skip
    finally:
        client.run_on_scheduler(set_allowed, before)
        client.close()
    left = [p for p in (tmp_path / "out").rglob("*") if p.is_file()]
    assert left == []  # nothing partial: no output, no part file
