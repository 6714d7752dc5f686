"""Download the dataset files that are not shipped, and check what a data directory holds.

Every file is described in ``data/registry.toml``: where copies may be found,
the SHA-256 of the original when it is known, and its row count and layout.
HTTP goes through pooch's ``HTTPDownloader`` (requests underneath: streaming,
timeouts, redirects, a progress-bar hook); this module adds the policy around
it. Sources are tried in order — the user's own mirror (``mirror=``) first,
then the registry's public URLs. A transient failure (connection reset, file cut
short, timeout, HTTP 5xx) is retried; a 404 moves on to the next source. A
download goes to a temporary file beside its destination, is checked, and only
then is gzip-compressed (when it is not already) and renamed into place; a copy
that fails its checks is deleted and the reason names the URL, the expected
and the actual hash. A file already in the data directory that passes its
checks is never downloaded again.
"""

from __future__ import annotations

import gzip
import logging
import os
import shutil
import tempfile
import time
import zipfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from urllib.parse import urldefrag, urlsplit

from gavae_ids._util.progress import progress_bar
from gavae_ids.datasets._home import find_in_data_home, get_data_home
from gavae_ids.datasets._registry import (
    RegistryFile,
    check_file,
    is_gzip,
    registry,
    registry_entry,
    shipped_copy,
)
from gavae_ids.datasets._schema import UNSW_NB15_TRAIN_ROWS
from gavae_ids.datasets.unsw_nb15 import find_partitions
from gavae_ids.exceptions import DataError, DownloadError, GavaeIdsError

log = logging.getLogger(__name__)

DOWNLOADED, CACHED, FAILED = "downloaded", "cached", "failed"
OK, BAD, SHIPPED, MISSING = "ok", "failed checks", "shipped copy", "missing"


@dataclass
class FetchResult:
    """What :func:`fetch_datasets` did for one file.

    ``status`` is ``"downloaded"``, ``"cached"`` (already in the data
    directory, checks pass; nothing downloaded) or ``"failed"``; ``source`` is
    the URL or file it came from; ``message`` says why it failed.
    """

    name: str
    status: str
    path: Path | None = None
    source: str | None = None
    message: str = ""


@dataclass
class FileStatus:
    """What :func:`verify_datasets` found for one registered file.

    ``state`` is ``"ok"``, ``"failed checks"``, ``"shipped copy"`` (not in the
    data directory; the loaders use the copy installed with the package) or
    ``"missing"``; ``detail`` gives the problems found or how to get the file.
    """

    name: str
    dataset: str
    state: str
    path: Path | None
    detail: str


class _SourceFailed(Exception):
    """One source could not deliver a good copy (the reason is the message)."""


# -- choosing files and sources ------------------------------------------------------------
def select_files(files=None, *, dataset: str | None = None) -> list[RegistryFile]:
    """Registry entries by name; with no names, every file not shipped (of ``dataset``) —
    an optional dataset's (IoT-23) only when ``dataset`` names it."""
    reg = registry()
    if dataset is not None and dataset not in {e.dataset for e in reg.values()}:
        known = sorted({e.dataset for e in reg.values()})
        raise DataError(f"unknown dataset {dataset!r}; choose one of {', '.join(known)}")
    if files:
        chosen = [registry_entry(f) for f in files]
        return [e for e in chosen if dataset is None or e.dataset == dataset]
    return [e for e in reg.values() if not e.shipped
            and (e.dataset == dataset or (dataset is None and not e.optional))]  # fmt: skip


def _is_url(source: str) -> bool:
    return urlsplit(source).scheme in ("http", "https")


def _sources(entry: RegistryFile, mirror: str | None) -> tuple[list[str], list[str]]:
    """URLs and local paths to try for ``entry``, in order, and why a mirror folder has none."""
    if not mirror:
        return list(entry.urls), []
    rel = [f"{entry.dataset}/{entry.name}", f"{entry.dataset}/{entry.name}.gz",
           entry.name, f"{entry.name}.gz"]  # fmt: skip
    if _is_url(mirror):
        return [f"{mirror.rstrip('/')}/{r}" for r in rel] + list(entry.urls), []
    folder = _mirror_folder(mirror)
    found = [str(folder / r) for r in rel if (folder / r).is_file()]
    missing = [] if found else [f"{folder}: holds none of {', '.join(rel)}"]
    return found + list(entry.urls), missing


def _mirror_folder(mirror: str) -> Path:
    parts = urlsplit(mirror)
    folder = Path(parts.path if parts.scheme == "file" else mirror).expanduser()
    if not folder.is_dir():
        raise DataError(f"--from {mirror}: neither a folder nor an http(s) URL")
    return folder


# -- getting one copy ------------------------------------------------------------------------
def _pooch():
    try:
        import pooch
    except ModuleNotFoundError:
        raise GavaeIdsError(
            "downloading needs the optional package pooch: pip install 'gavae-ids[fetch]' "
            "(or use --from with a folder holding the files)"
        ) from None
    return pooch


class _PoochProgress:
    """The tqdm-like object pooch's HTTPDownloader reports to, drawn as the project's bar."""

    def __init__(self, task):
        self._task = task
        self._total = 0

    @property
    def total(self):
        return self._total

    @total.setter
    def total(self, value):
        self._total = value
        self._task.update(total=value or None)

    def update(self, n):
        self._task.advance(n)

    def reset(self):
        self._task.update(completed=0)

    def close(self):
        pass


def _describe(err: BaseException) -> str:
    arg = err.args[0] if err.args and isinstance(err.args[0], str) else str(err)
    text = " ".join(arg.split())
    return f"{type(err).__name__}: {text[:200]}" if text else type(err).__name__


def _http_get(url, dest: Path, *, label, retries, retry_delay, timeout, verbose) -> None:
    """Stream ``url`` into ``dest``, retrying transient failures; 4xx is final."""
    pooch = _pooch()
    import requests

    reason = ""
    for attempt in range(retries + 1):
        try:
            with progress_bar(label, None, verbose, unit="bytes") as task:
                downloader = pooch.HTTPDownloader(
                    progressbar=_PoochProgress(task), chunk_size=1 << 16, timeout=timeout
                )
                downloader(url, str(dest), None)
            return
        except requests.HTTPError as e:
            status = e.response.status_code if e.response is not None else 0
            reason = f"HTTP {status} {getattr(e.response, 'reason', '') or ''}".strip()
            if 400 <= status < 500 and status not in (408, 429):
                raise _SourceFailed(reason) from None
        except requests.RequestException as e:
            reason = _describe(e)
        if attempt < retries:
            log.warning("%s: %s; retrying (%d of %d)", url, reason, attempt + 1, retries)
            time.sleep(retry_delay * (attempt + 1))
    tries = f" ({retries + 1} attempts)" if retries else ""
    raise _SourceFailed(reason + tries)


def _unzip(archive: Path, member: str | None, dest: Path) -> None:
    """Extract ``member`` (matched by base name; the only file when None) into ``dest``."""
    try:
        with zipfile.ZipFile(archive) as z:
            files = [i for i in z.infolist()
                     if not i.is_dir() and not i.filename.startswith("__MACOSX/")]  # fmt: skip
            hits = [i for i in files if member is None or PurePosixPath(i.filename).name == member]
            if len(hits) != 1:
                names = ", ".join(i.filename for i in files[:8])
                want = f"a member named {member!r}" if member else "exactly one file"
                raise _SourceFailed(f"the archive does not hold {want} (it holds {names})")
            with z.open(hits[0]) as src, open(dest, "wb") as out:
                shutil.copyfileobj(src, out, 1 << 20)
    except (zipfile.BadZipFile, OSError, EOFError) as e:
        raise _SourceFailed(f"not a readable zip archive ({_describe(e)})") from None


def _temp(folder: Path, name: str, suffix: str = ".part") -> Path:
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=f".{name}.", suffix=suffix)
    os.close(fd)
    return Path(tmp)


def _get_copy(source: str, entry: RegistryFile, folder: Path, **http) -> Path:
    """A checked copy of ``entry`` from ``source`` in a temporary file in ``folder``."""
    url, member = urldefrag(source) if _is_url(source) else (source, "")
    tmp = _temp(folder, entry.name)
    keep = False
    try:
        if _is_url(url):
            _http_get(url, tmp, label=entry.name, **http)
        else:
            try:
                shutil.copyfile(Path(url), tmp)
            except OSError as e:
                raise _SourceFailed(_describe(e)) from None
        if url.lower().endswith(".zip"):
            inner = _temp(folder, entry.name)
            try:
                _unzip(tmp, member or None, inner)
            except BaseException:
                inner.unlink(missing_ok=True)
                raise
            tmp.unlink()
            tmp = inner
        check = check_file(tmp, entry)
        if not check.ok:
            raise _SourceFailed("; ".join(check.problems) + " (not kept)")
        keep = True
        return tmp
    finally:
        if not keep:
            tmp.unlink(missing_ok=True)


def _store(tmp: Path, final: Path) -> None:
    """Move a checked copy into place, gzip-compressed, by one atomic rename."""
    if is_gzip(tmp):
        _publish(tmp, final)
        return
    gz = _temp(final.parent, final.name, ".gz.part")
    try:
        with open(tmp, "rb") as src, open(gz, "wb") as raw:
            with gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0) as out:
                shutil.copyfileobj(src, out, 1 << 20)
        _publish(gz, final)
    finally:
        gz.unlink(missing_ok=True)
        tmp.unlink(missing_ok=True)


def _publish(tmp: Path, final: Path) -> None:
    # mkstemp makes the file private (0600); the stored copy gets the usual umask mode.
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(tmp, 0o666 & ~umask)
    os.replace(tmp, final)


def locate(entry: RegistryFile, data_home) -> Path | None:
    """The data directory's copy of ``entry``, found as the loaders find it, or None.

    UNSW-NB15 partitions are also found under other names, by their row count.
    """
    home = get_data_home(data_home)
    found = find_in_data_home(home, entry.dataset, entry.name)
    if found is None and entry.dataset == "unsw-nb15":
        part = "train" if entry.rows == UNSW_NB15_TRAIN_ROWS else "test"
        found = find_partitions(home).get(part)
    return found


def fetch_file(
    entry: RegistryFile,
    *,
    data_home=None,
    mirror: str | None = None,
    retries: int = 3,
    retry_delay: float = 1.0,
    timeout: float = 60.0,
    verbose: bool = True,
) -> FetchResult:
    """Get one registered file into the data directory; see :func:`fetch_datasets`."""
    home = get_data_home(data_home)
    existing = locate(entry, home)
    if existing is not None:
        check = check_file(existing, entry)
        if check.ok:
            return FetchResult(entry.name, CACHED, existing, str(existing))
        return FetchResult(entry.name, FAILED, existing, message=(
            f"{existing} is there but fails its checks ({'; '.join(check.problems)}); "
            "move it away and fetch again"))  # fmt: skip
    folder = home / entry.dataset
    folder.mkdir(parents=True, exist_ok=True)
    final = folder / (entry.name + ".gz")
    sources, failures = _sources(entry, mirror)
    for source in sources:
        try:
            tmp = _get_copy(source, entry, folder, retries=retries, retry_delay=retry_delay,
                            timeout=timeout, verbose=verbose)  # fmt: skip
        except _SourceFailed as e:
            log.info("%s: %s", source, e)
            failures.append(f"{source}: {e}")
            continue
        _store(tmp, final)
        return FetchResult(entry.name, DOWNLOADED, final, source)
    why = "; ".join(failures) if failures else "no source is known for it (use --from)"
    return FetchResult(entry.name, FAILED, message=f"{entry.name} not fetched: {why}")


def fetch_datasets(
    files=None,
    *,
    dataset: str | None = None,
    data_home=None,
    mirror: str | None = None,
    retries: int = 3,
    retry_delay: float = 1.0,
    timeout: float = 60.0,
    verbose: bool = True,
) -> list[FetchResult]:
    """Download registered dataset files into the data directory, checked, once.

    Parameters
    ----------
    files : list of str, optional
        Registry names (``"KDDTrain+.txt"``; ``"KDDTrain+"`` works too). By
        default every file that is not shipped with the package (of
        ``dataset`` when given): KDDTrain+ and both UNSW-NB15 partitions.
    dataset : {"nsl-kdd", "unsw-nb15"}, optional
    data_home : path-like, optional
        See :func:`gavae_ids.datasets.get_data_home`; files go to
        ``<data_home>/<dataset>/<name>.gz``.
    mirror : str, optional
        The user's own copy, tried before the public URLs: an http(s) base URL
        or a folder, holding ``<dataset>/<name>[.gz]`` or ``<name>[.gz]``.
    retries, retry_delay, timeout : int, float, float
        Extra attempts after a transient failure, the wait before the first
        (growing linearly) in seconds, and the per-request timeout.
    verbose : bool
        Progress bars on stderr.

    Returns
    -------
    list of FetchResult
        One per file, in order.

    Raises
    ------
    DownloadError
        When any file could not be fetched; its message has one reason per
        source tried, and ``results`` the outcome of every file.
    """
    entries = select_files(files, dataset=dataset)
    if mirror and not _is_url(mirror):
        _mirror_folder(mirror)  # a wrong --from fails before anything else
    results = [fetch_file(e, data_home=data_home, mirror=mirror, retries=retries,
                          retry_delay=retry_delay, timeout=timeout, verbose=verbose)
               for e in entries]  # fmt: skip
    failed = [r for r in results if r.status == FAILED]
    if failed:
        raise DownloadError(" | ".join(r.message for r in failed), results=results)
    return results


# -- checking a data directory ------------------------------------------------------------------
def verify_datasets(data_home=None) -> list[FileStatus]:
    """Check every registered file in the data directory: hash, row count, layout.

    Files the directory lacks are reported as ``"shipped copy"`` (the loaders
    use the copy installed with the package, which is checked too) or
    ``"missing"``, with the command that fetches them.
    """
    home = get_data_home(data_home)
    out = []
    for entry in registry().values():
        path = locate(entry, home)
        state = OK
        if path is None and entry.shipped:
            path, state = shipped_copy(entry.name), SHIPPED
        if path is None and entry.optional:
            continue  # an optional dataset (IoT-23) is checked when it is there
        if path is None:
            hint = (f"get it with `gavae-ids data fetch {entry.name} --data-dir {home}` "
                    f"(add --from YOUR_COPY to use your own), or place it in "
                    f"{home / entry.dataset}/")  # fmt: skip
            out.append(FileStatus(entry.name, entry.dataset, MISSING, None, hint))
            continue
        check = check_file(path, entry)
        if not check.ok:
            out.append(FileStatus(entry.name, entry.dataset, BAD, path, "; ".join(check.problems)))
            continue
        what = "SHA-256" if entry.sha256 else f"no published hash; {entry.layout}"
        detail = f"{what} and {check.rows:,} data rows match"
        if state == SHIPPED:
            detail += "; the data directory has none, so the loaders use this copy"
        out.append(FileStatus(entry.name, entry.dataset, state, path, detail))
    return out
