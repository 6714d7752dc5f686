"""The Dask engine of :func:`gavae_ids.scoring.jobs.score_files`: one task per input file.

Each task runs :func:`gavae_ids.scoring.jobs.score_unit` — the local engine's
function — on a worker, so the outputs are byte for byte those of the local
engine. A worker loads and verifies the bundle once (checksums of every file)
and keeps the :class:`~gavae_ids.detection.detector.Detector` for later tasks, keyed by the
bundle's path and the SHA-256 of its manifest, so a bundle replaced on disk is
loaded again.

The tasks are Dask futures (``Client.map``), which is the simplest mapping of a
function over files and lets the progress bar count finished files.

Without a scheduler address the job starts a ``distributed.LocalCluster`` of
``workers`` single-threaded worker processes on 127.0.0.1 (no dashboard) and
closes it afterwards; with one, it connects to that cluster, whose workers must
see the bundle, the inputs and the output folder at the same paths (a shared
file system).

When a worker dies mid-file, the scheduler runs the task again elsewhere; its
output is written under a temporary name and renamed only when complete, so the
retry starts the file afresh and no short file is left. A file whose workers keep
dying (more than the scheduler's ``distributed.scheduler.allowed-failures``,
default 3) stops the job with :class:`~gavae_ids.scoring.jobs.ScoringJobError`.

Dask is an optional dependency: ``pip install 'gavae-ids[dask]'``.
"""

from __future__ import annotations

import hashlib
import logging
import os
import threading
from pathlib import Path

from gavae_ids._util.progress import progress_bar
from gavae_ids.detection.detector import MANIFEST, Detector
from gavae_ids.exceptions import require_extra
from gavae_ids.scoring._units import ScoringJobError, score_unit

log = logging.getLogger(__name__)

_DETECTORS: dict[tuple[str, str], object] = {}
_LOCK = threading.Lock()


def cached_detector(bundle):
    """The bundle's :class:`~gavae_ids.detection.detector.Detector`, loaded once per process."""
    path = Path(bundle).resolve()
    try:
        digest = hashlib.sha256((path / MANIFEST).read_bytes()).hexdigest()
    except OSError:
        digest = ""  # Detector.load says what is wrong
    key = (str(path), digest)
    with _LOCK:  # threads of one worker share the cache; load once
        det = _DETECTORS.get(key)
        if det is None:
            det = _DETECTORS[key] = Detector.load(path)
            log.info("loaded and verified the model bundle %s", path)
    return det


def score_unit_task(unit, *, bundle: str, opts):
    """One task: score one input file on a worker (see
    :func:`gavae_ids.scoring.jobs.score_unit`)."""
    return score_unit(cached_detector(bundle), unit, opts)


def _client(scheduler: str | None, workers: int | None):
    distributed = require_extra("distributed", "dask", "--engine dask")
    require_extra("dask", "dask", "--engine dask")
    if scheduler is not None:
        try:
            return distributed.Client(scheduler, timeout="20s"), None
        except OSError as e:
            raise ScoringJobError(f"cannot reach the Dask scheduler {scheduler} ({e})") from None
    cluster = distributed.LocalCluster(
        n_workers=workers or os.cpu_count() or 1, threads_per_worker=1, processes=True,
        host="127.0.0.1", dashboard_address=None, silence_logs=logging.ERROR,
    )  # fmt: skip
    return distributed.Client(cluster), cluster


def run_dask(bundle, units, opts, *, scheduler=None, workers=None, verbose=True, task=None):
    """Score ``units`` on a Dask cluster; the summaries in the order of ``units``."""
    distributed = require_extra("distributed", "dask", "--engine dask")
    # distributed logs its cluster's life at INFO, and the shutdown of a local cluster on
    # a busy machine as warnings; the summary line is what the user needs.
    dlog = logging.getLogger("distributed")
    level = dlog.level
    dlog.setLevel(logging.ERROR if scheduler is None else logging.WARNING)
    try:
        client, cluster = _client(scheduler, workers)
    except BaseException:
        dlog.setLevel(level)
        raise
    try:
        futures = client.map(task or score_unit_task, units, bundle=str(Path(bundle).resolve()),
                             opts=opts, pure=False)  # fmt: skip
        index = {f.key: i for i, f in enumerate(futures)}
        results: list = [None] * len(units)
        with progress_bar("scoring files", len(units), verbose) as bar:
            try:
                for future in distributed.as_completed(futures):
                    results[index[future.key]] = future.result()
                    bar.advance(1)
            except distributed.KilledWorker as e:
                i = index.get(e.task) if e.args else None
                what = f" while scoring {units[i].source}" if i is not None else ""
                raise ScoringJobError(
                    f"Dask workers died{what} {e.allowed_failures + 1} time(s), more often "
                    "than the scheduler allows; the "
                    "job stopped (files finished so far are complete, none is partial); "
                    "see the worker logs (memory limit?)"
                ) from None
            finally:
                client.cancel([f for f in futures if not f.done()])
        return results
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
        dlog.setLevel(level)
