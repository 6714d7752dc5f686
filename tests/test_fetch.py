"""`data fetch` and `data verify`, downloading from a loopback HTTP server only."""

from __future__ import annotations

import gzip
import hashlib
import io
import sys
import threading
import zipfile
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest
from typer.testing import CliRunner

from gavae_ids.cli import app
from gavae_ids.datasets import _registry, fetch_datasets, verify_datasets
from gavae_ids.datasets import fetch as fetch_mod
from gavae_ids.datasets._registry import RegistryFile, shipped_copy
from gavae_ids.datasets.fetch import fetch_file
from gavae_ids.exceptions import DataError, DownloadError, GavaeIdsError


# -- a loopback HTTP server -------------------------------------------------------------------
class Site:
    """What the test server serves, how, and what it was asked for."""

    def __init__(self, url):
        self.url = url
        self.files: dict[str, bytes] = {}
        self.cut: dict[str, int] = {}  # path → how many first requests are cut short
        self.requests: list[str] = []


@pytest.fixture
def site(monkeypatch):
    pytest.importorskip("pooch", reason="downloads need pooch (the 'fetch' extra)")
    for var in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 - http.server's name
            path = unquote(urlsplit(self.path).path)
            state.requests.append(path)
            body = state.files.get(path)
            if body is None:
                self.send_error(404)
                return
            self.send_response(200)
            self.send_header("Content-Type", "application/octet-stream")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if state.cut.get(path, 0) > 0:  # promise the whole file, send half, hang up
                state.cut[path] -= 1
                self.wfile.write(body[: len(body) // 2])
                self.close_connection = True
                return
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state = Site(f"http://127.0.0.1:{httpd.server_address[1]}")
    thread = threading.Thread(target=httpd.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield state
    httpd.shutdown()
    httpd.server_close()


ROWS = 20_000
BODY = b"".join(b"%d,tcp,x%d\n" % (i, i % 7) for i in range(ROWS))  # ~250 KB


def entry(*urls, sha256=hashlib.sha256(BODY).hexdigest(), rows=ROWS, fields=3, columns=None):
    """A registry entry for BODY: 3 fields per line, no header, served from ``urls``."""
    return RegistryFile(name="tiny.txt", dataset="nsl-kdd", rows=rows, sha256=sha256,
                        urls=tuple(urls), fields=fields, columns=columns)  # fmt: skip


def fast(**kw):
    return {"retries": 2, "retry_delay": 0.0, "timeout": 10.0, "verbose": False, **kw}


def leftovers(home: Path) -> list[str]:
    return sorted(p.name for p in home.rglob("*") if p.is_file())


@pytest.fixture(autouse=True)
def _tiny_in_registry(request, monkeypatch):
    """Make fetch_datasets see the synthetic file when a test asks for it by name."""
    if "site" not in request.fixturenames:
        return
    site = request.getfixturevalue("site")
    reg = {"tiny.txt": entry(site.url + "/tiny.txt")}
    monkeypatch.setattr(_registry, "registry", lambda: reg)
    monkeypatch.setattr(fetch_mod, "registry", lambda: reg)


# -- fetch --------------------------------------------------------------------------------------
def test_download_is_checked_compressed_and_stored(site, tmp_path):
    site.files["/tiny.txt"] = BODY
    r = fetch_file(entry(site.url + "/tiny.txt"), data_home=tmp_path, **fast(verbose=True))
    assert r.status == "downloaded" and r.source == site.url + "/tiny.txt"
    assert r.path == tmp_path / "nsl-kdd" / "tiny.txt.gz"
    assert gzip.decompress(r.path.read_bytes()) == BODY
    assert leftovers(tmp_path) == ["tiny.txt.gz"]  # no temporary file left behind


def test_second_fetch_is_a_cache_hit(site, tmp_path):
    site.files["/tiny.txt"] = BODY
    e = entry(site.url + "/tiny.txt")
    assert fetch_file(e, data_home=tmp_path, **fast()).status == "downloaded"
    r = fetch_file(e, data_home=tmp_path, **fast())
    assert r.status == "cached" and r.path == tmp_path / "nsl-kdd" / "tiny.txt.gz"
    assert site.requests == ["/tiny.txt"]  # nothing downloaded twice


def test_corrupted_download_is_refused_and_not_kept(site, tmp_path):
    bad = BODY.replace(b"5,tcp", b"5,udp", 1)
    site.files["/tiny.txt"] = bad
    url = site.url + "/tiny.txt"
    r = fetch_file(entry(url), data_home=tmp_path, **fast())
    assert r.status == "failed" and r.path is None
    expected, actual = hashlib.sha256(BODY).hexdigest(), hashlib.sha256(bad).hexdigest()
    assert url in r.message and expected in r.message and actual in r.message
    assert "not kept" in r.message
    assert leftovers(tmp_path) == []
    assert site.requests == ["/tiny.txt"]  # a wrong file is not fetched again


def test_connection_closed_mid_file_is_retried(site, tmp_path):
    site.files["/tiny.txt"] = BODY
    site.cut["/tiny.txt"] = 1
    r = fetch_file(entry(site.url + "/tiny.txt"), data_home=tmp_path, **fast())
    assert r.status == "downloaded" and len(site.requests) == 2
    assert gzip.decompress(r.path.read_bytes()) == BODY


def test_connection_closed_mid_file_every_time_fails_cleanly(site, tmp_path):
    site.files["/tiny.txt"] = BODY
    site.cut["/tiny.txt"] = 99
    url = site.url + "/tiny.txt"
    with pytest.raises(DownloadError) as e:
        fetch_datasets(["tiny.txt"], data_home=tmp_path, **fast())  # registry patched below
    assert url in str(e.value) and "3 attempts" in str(e.value)
    assert len(site.requests) == 3 and leftovers(tmp_path) == []


def test_404_moves_on_to_the_next_source_without_retrying(site, tmp_path):
    site.files["/mirror2/tiny.txt"] = BODY
    missing, good = site.url + "/gone/tiny.txt", site.url + "/mirror2/tiny.txt"
    r = fetch_file(entry(missing, good), data_home=tmp_path, **fast())
    assert r.status == "downloaded" and r.source == good
    assert site.requests == ["/gone/tiny.txt", "/mirror2/tiny.txt"]
    r = fetch_file(entry(missing), data_home=tmp_path / "b", **fast())
    assert r.status == "failed" and f"{missing}: HTTP 404" in r.message
    assert site.requests[2:] == ["/gone/tiny.txt"] and leftovers(tmp_path / "b") == []


def test_content_check_when_no_hash_is_known(site, tmp_path):
    site.files["/tiny.txt"] = BODY
    e = entry(site.url + "/tiny.txt", sha256=None, rows=ROWS + 1)
    r = fetch_file(e, data_home=tmp_path, **fast())
    assert r.status == "failed" and f"holds {ROWS:,} data rows, expected {ROWS + 1:,}" in r.message
    assert leftovers(tmp_path) == []
    header = ("a", "b", "c")
    e = entry(site.url + "/tiny.txt", sha256=None, rows=ROWS - 1, fields=None, columns=header)
    r = fetch_file(e, data_home=tmp_path, **fast())  # first line is not that header
    assert r.status == "failed" and "header has 3 columns" in r.message
    site.files["/h.txt"] = b"\xef\xbb\xbfa,b,c\r\n" + BODY.replace(b"\n", b"\r\n")
    e = entry(site.url + "/h.txt", sha256=None, rows=ROWS, fields=None, columns=header)
    assert fetch_file(e, data_home=tmp_path, **fast()).status == "downloaded"


def test_member_of_a_zip_archive(site, tmp_path):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("NSL/README.txt", "not this one")
        z.writestr("NSL/tiny.txt", BODY)
    site.files["/all.zip"] = buf.getvalue()
    r = fetch_file(entry(site.url + "/all.zip#tiny.txt"), data_home=tmp_path, **fast())
    assert r.status == "downloaded" and gzip.decompress(r.path.read_bytes()) == BODY
    r = fetch_file(entry(site.url + "/all.zip"), data_home=tmp_path / "b", **fast())
    assert r.status == "failed" and "exactly one file" in r.message
    assert leftovers(tmp_path / "b") == []


def test_mirror_url_comes_first(site, tmp_path):
    site.files["/mine/nsl-kdd/tiny.txt.gz"] = gzip.compress(BODY)
    site.files["/tiny.txt"] = BODY  # the registry's URL: not needed
    results = fetch_datasets(["tiny"], data_home=tmp_path, mirror=site.url + "/mine/", **fast())
    assert results[0].source == site.url + "/mine/nsl-kdd/tiny.txt.gz"
    assert site.requests == ["/mine/nsl-kdd/tiny.txt", "/mine/nsl-kdd/tiny.txt.gz"]
    assert gzip.decompress(results[0].path.read_bytes()) == BODY


def test_fetch_from_a_folder_with_the_cli(tmp_path):
    # The shipped KDDTest-21, decompressed into "my own mirror": no network involved,
    # since the mirror is tried before the registry's public URLs.
    mirror = tmp_path / "mirror"
    mirror.mkdir()
    raw = gzip.decompress(shipped_copy("KDDTest-21.txt").read_bytes())
    (mirror / "KDDTest-21.txt").write_bytes(raw)
    home = tmp_path / "data"
    args = ["data", "fetch", "KDDTest-21.txt", "--from", str(mirror), "--data-dir", str(home),
            "-q"]  # fmt: skip
    r = CliRunner().invoke(app, args)
    assert r.exit_code == 0, r.output
    stored = home / "nsl-kdd" / "KDDTest-21.txt.gz"
    assert "downloaded from" in r.output and gzip.decompress(stored.read_bytes()) == raw
    r = CliRunner().invoke(app, args)
    assert r.exit_code == 0 and "already there" in r.output
    r = CliRunner().invoke(app, ["data", "verify", "--data-dir", str(home)])
    assert r.exit_code == 0, r.output
    assert f"KDDTest-21.txt: ok {stored}" in r.output
    assert "KDDTest+.txt: shipped copy" in r.output
    assert "KDDTrain+.txt: missing — get it with `gavae-ids data fetch KDDTrain+.txt" in r.output
    r = CliRunner().invoke(app, ["data", "fetch", "--from", str(tmp_path / "nope"), "-q"])
    assert r.exit_code == 2 and "neither a folder nor an http(s) URL" in r.output


def test_verify_reports_a_bad_copy_and_exits_2(tmp_path):
    (tmp_path / "nsl-kdd").mkdir()
    raw = gzip.decompress(shipped_copy("KDDTest+.txt").read_bytes())
    (tmp_path / "nsl-kdd" / "KDDTest+.txt").write_bytes(raw[: len(raw) // 2])
    statuses = {s.name: s for s in verify_datasets(tmp_path)}
    bad = statuses["KDDTest+.txt"]
    assert bad.state == "failed checks" and "SHA-256 mismatch" in bad.detail
    assert "data rows, expected 22,544" in bad.detail
    assert statuses["KDDTest-21.txt"].state == "shipped copy"
    r = CliRunner().invoke(app, ["data", "verify", "--data-dir", str(tmp_path)])
    assert r.exit_code == 2 and "1 file(s) fail their checks" in r.output
    # fetch will not overwrite a copy that is there: it says what to do instead.
    r = CliRunner().invoke(app, ["data", "fetch", "KDDTest+", "--data-dir", str(tmp_path), "-q"])
    assert r.exit_code == 2 and "is there but fails its checks" in r.output


def test_unknown_file_or_dataset_is_refused(tmp_path):
    r = CliRunner().invoke(app, ["data", "fetch", "KDDTrain", "--data-dir", str(tmp_path)])
    assert r.exit_code == 2 and "unknown dataset file 'KDDTrain'" in r.output
    with pytest.raises(DataError, match="unknown dataset 'kdd99'"):
        fetch_datasets(dataset="kdd99", data_home=tmp_path)


def test_without_pooch_http_fails_in_one_line_naming_the_extra(monkeypatch, tmp_path):
    monkeypatch.setitem(sys.modules, "pooch", None)  # as if it were not installed
    with pytest.raises(GavaeIdsError, match=r"pip install 'gavae-ids\[fetch\]'"):
        fetch_file(entry("http://127.0.0.1:9/tiny.txt"), data_home=tmp_path, **fast())
    assert leftovers(tmp_path) == []
