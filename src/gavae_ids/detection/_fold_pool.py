"""The fits of ``--method auto``: in this process, or several at once on a process pool.

A fit is an unfitted pipeline, its training rows and the rows it predicts, under a key
(``("fold", name, j)``, ``("pilot", name)``). :meth:`FoldPool.submit` queues one;
:meth:`FoldPool.result` waits for it. With one worker nothing runs before its result is
asked for, so the comparison does exactly the work it did before fits ran in parallel.
With several, :meth:`~FoldPool.submit` ``(now=False)`` queues work ahead of need (the
cheap candidates' folds, the raced candidates' pilots: none of them depends on another
result), ``now=True`` and :meth:`~FoldPool.result` put a fit at the head of the queue, and
:meth:`~FoldPool.close` kills what nobody asked for.

Every fit runs on :func:`fit_threads` threads (torch's intra-op threads, ``n_jobs`` of a
tree model, BLAS/OpenMP), in a worker or here alike, so a fit's result does not depend on
where or beside what it ran: ``n_jobs`` values with the same threads per fit (1 to
``2 · folds − 1``) give the same table. Another thread count can change the last bits of
a LightGBM histogram sum or a torch reduction, and so, rarely, a score.
"""

from __future__ import annotations

import contextlib
import time
import warnings
from concurrent.futures import FIRST_COMPLETED, wait

import numpy as np


def available_cores() -> int:
    """CPU cores this process may use (affinity mask and cgroup quota; loky's count)."""
    from joblib.externals.loky import cpu_count

    return max(1, int(cpu_count()))


def fit_threads(n_jobs: int, folds: int) -> int:
    """Threads of one fit when ``n_jobs`` cores share the ``folds`` fits of a candidate."""
    return max(1, int(n_jobs) // int(folds))


@contextlib.contextmanager
def _threads(n: int):
    """torch's intra-op threads and the BLAS/OpenMP pools limited to ``n`` (restored after)."""
    from threadpoolctl import threadpool_limits

    from gavae_ids._util.torch_helpers import torch_threads

    with torch_threads(n), threadpool_limits(limits=n):
        yield


def fit_proba(pipe, X_tr, y_tr, X_te, classes, threads: int):
    """A clone of ``pipe`` fitted on ``X_tr``/``y_tr`` on ``threads`` threads.

    Returns
    -------
    proba : ndarray of shape (len(X_te), len(classes))
        Its probabilities of ``X_te``, one column per class of the comparison.
    seconds : float
        Fit and prediction, wall time where it ran.
    warnings : list of str
        The distinct first lines of the warnings it raised.
    """
    from sklearn.base import clone

    with _threads(threads), warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        t0 = time.perf_counter()
        est = clone(pipe)
        est.set_params(**{k: threads for k in est.get_params() if k.endswith("n_jobs")})
        fitted = est.fit(X_tr, y_tr)
        proba = np.asarray(fitted.predict_proba(X_te), dtype=np.float64)
        seconds = time.perf_counter() - t0
    out = np.zeros((len(X_te), len(classes)))
    col = {c: i for i, c in enumerate(classes)}
    for j, c in enumerate(np.asarray(fitted.classes_).astype(str)):
        out[:, col[c]] = proba[:, j]
    msgs = list(dict.fromkeys(str(w.message).split("\n")[0] for w in caught))
    return out, seconds, msgs


class _Job:
    __slots__ = ("args", "future", "value")

    def __init__(self, args):
        self.args = args
        self.future = None
        self.value = None


class FoldPool:
    """Runs fits (:func:`fit_proba`) here (``n_jobs=1``) or on a pool of worker processes.

    Parameters
    ----------
    n_jobs : int
        Cores to use; the pool has ``n_jobs // threads`` workers.
    folds : int
        A candidate's folds: each fit gets :func:`fit_threads` ``(n_jobs, folds)`` threads.
    """

    def __init__(self, n_jobs: int, folds: int):
        self.threads = fit_threads(n_jobs, folds)
        self.workers = max(1, int(n_jobs) // self.threads)
        self._jobs: dict = {}
        self._urgent: list = []
        self._later: list = []
        self._running: dict = {}
        self._executor = None

    @property
    def parallel(self) -> bool:
        return self.workers > 1

    def __enter__(self) -> FoldPool:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        """Stop the workers, killing fits still running (nobody asked for their results)."""
        if self._executor is not None:
            # waiting for killed workers is quick, and reaps them (their CPU time is counted)
            busy = any(not f.done() for f in self._running)
            self._executor.shutdown(wait=True, kill_workers=busy)
            self._executor = None

    def submit(self, key, pipe, X_tr, y_tr, X_te, classes, *, now: bool = False) -> None:
        """Queue the fit ``key`` (once: a known key is only moved up when ``now``)."""
        if key not in self._jobs:
            self._jobs[key] = _Job((pipe, X_tr, y_tr, X_te, list(classes), self.threads))
            (self._urgent if now else self._later).append(key)
        elif now and key in self._later:
            self._later.remove(key)
            self._urgent.append(key)
        self._fill()

    def drop(self, keys) -> None:
        """Forget queued fits that are no longer needed (running ones end unread)."""
        for key in keys:
            for queue in (self._urgent, self._later):
                if key in queue:
                    queue.remove(key)
                    del self._jobs[key]

    def result(self, key):
        """:func:`fit_proba`'s ``(proba, seconds, warnings)`` of the fit ``key``."""
        job = self._jobs[key]
        if not self.parallel:
            if job.value is None:
                job.value = fit_proba(*job.args)
            return job.value
        for queue in (self._urgent, self._later):
            if key in queue:
                queue.remove(key)
                self._urgent.insert(0, key)
        while not (job.future is not None and job.future.done()):
            self._fill()
            if job.future is None or not job.future.done():
                wait(list(self._running), return_when=FIRST_COMPLETED)
        return job.future.result()

    def _fill(self) -> None:
        """Start queued fits (urgent first) while a worker is free."""
        if not self.parallel:
            return
        for fut in [f for f in self._running if f.done()]:
            del self._running[fut]
        while len(self._running) < self.workers and (self._urgent or self._later):
            key = (self._urgent or self._later).pop(0)
            job = self._jobs[key]
            job.future = self._pool().submit(fit_proba, *job.args)
            self._running[job.future] = key

    def _pool(self):
        if self._executor is None:
            from joblib.externals.loky import ProcessPoolExecutor

            n = str(self.threads)
            env = {v: n for v in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS")}
            self._executor = ProcessPoolExecutor(max_workers=self.workers, env=env)
        return self._executor
