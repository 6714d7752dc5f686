"""The dataset files the package knows (``data/registry.toml``), its shipped copies, and checks.

A copy of a registered file is checked against the SHA-256 of the original
file when one is known, and always against its row count and layout (field
count, or header columns). Compressed copies are checked after decompression,
so a plain file and its gzip copy verify alike.
"""

from __future__ import annotations

import csv
import gzip
import hashlib
import tomllib
import zlib
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from pathlib import Path

from gavae_ids._util.hashing import sha256_file
from gavae_ids.exceptions import DataError

SHIPPED_DIR = "data"
_GZIP_MAGIC = b"\x1f\x8b"


@dataclass(frozen=True)
class RegistryFile:
    """One registered dataset file (see ``data/registry.toml`` for the fields)."""

    name: str
    dataset: str
    rows: int | None  # None: not known, not checked
    sha256: str | None = None
    shipped: bool = False
    urls: tuple[str, ...] = ()
    fields: int | None = None
    columns: tuple[str, ...] | None = None
    source: str = ""
    cite: str = ""
    format: str = "csv"  # or "zeek": a Zeek log, its columns in the #fields line
    optional: bool = False  # fetched only when named (or its dataset), not by default

    @property
    def header(self) -> bool:
        return self.columns is not None

    @property
    def layout(self) -> str:
        if self.format == "zeek":
            return f"the {len(self.columns)} #fields"
        return f"the {len(self.columns)} columns" if self.header else f"{self.fields} fields"

    @property
    def check(self) -> str:
        """The check a copy must pass, in words."""
        rows = "rows not known" if self.rows is None else f"{self.rows:,} data rows"
        content = f"{rows}, {self.layout}"
        return f"SHA-256 {self.sha256[:12]}…, {content}" if self.sha256 else content


@dataclass
class FileCheck:
    """What :func:`check_file` found: the copy's SHA-256, its data rows and any problems."""

    path: Path
    sha256: str | None = None
    rows: int | None = None
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def _data_dir():
    return resources.files("gavae_ids.datasets").joinpath(SHIPPED_DIR)


@cache
def registry() -> dict[str, RegistryFile]:
    """Every registered file by name, in the registry's order."""
    with _data_dir().joinpath("registry.toml").open("rb") as f:
        raw = tomllib.load(f)
    out = {}
    for item in raw["file"]:
        ds = raw["dataset"][item["dataset"]]
        out[item["name"]] = RegistryFile(
            name=item["name"],
            dataset=item["dataset"],
            rows=int(item["rows"]) if "rows" in item else None,
            sha256=item.get("sha256"),
            shipped=bool(item.get("shipped", False)),
            urls=tuple(item.get("urls", ())),
            fields=ds.get("fields"),
            columns=tuple(ds["columns"]) if "columns" in ds else None,
            source=ds.get("source", ""),
            cite=ds.get("cite", ""),
            format=ds.get("format", "csv"),
            optional=bool(ds.get("optional", False)),
        )
    return out


def registry_entry(name: str) -> RegistryFile:
    """The entry for ``name``; ``KDDTrain+``, ``KDDTrain+.txt`` and ``KDDTrain+.txt.gz`` alike."""
    reg = registry()
    key = name.removesuffix(".gz")
    for entry in reg.values():
        if key in (entry.name, entry.name.rsplit(".", 1)[0]):
            return entry
    raise DataError(f"unknown dataset file {name!r}; known files: {', '.join(reg)}")


@cache
def shipped_checksums() -> dict[str, str]:
    """``SHA256SUMS`` of the shipped files: file name → SHA-256 of the shipped bytes."""
    text = _data_dir().joinpath("SHA256SUMS").read_text(encoding="ascii")
    sums = {}
    for line in text.splitlines():
        if line.strip():
            digest, name = line.split(maxsplit=1)
            sums[name.lstrip("*")] = digest.lower()
    return sums


def shipped_copy(name: str) -> Path | None:
    """Path of the shipped copy of ``name`` (``KDDTest+.txt``), or None when none is shipped.

    The copy's SHA-256 is checked against ``SHA256SUMS`` once per process; a
    damaged installation raises :class:`~gavae_ids.exceptions.DataError`.
    """
    gz = name.removesuffix(".gz") + ".gz"
    if gz not in shipped_checksums():
        return None
    return _checked_shipped(gz)


@cache
def _checked_shipped(gz: str) -> Path:
    path = Path(str(_data_dir().joinpath(gz)))
    expected = shipped_checksums()[gz]
    try:
        actual = sha256_file(path)
    except OSError as e:
        raise DataError(f"the shipped copy cannot be read ({e}); reinstall gavae-ids",
                        path=path) from None  # fmt: skip
    if actual != expected:
        raise DataError(f"the shipped copy is damaged: SHA-256 {actual}, expected {expected} "
                        "(SHA256SUMS); reinstall gavae-ids", path=path)  # fmt: skip
    return path


def is_shipped(path) -> bool:
    """Whether ``path`` is one of the copies installed with the package."""
    return Path(path).resolve().parent == Path(str(_data_dir())).resolve()


def is_gzip(path) -> bool:
    with open(path, "rb") as f:
        return f.read(2) == _GZIP_MAGIC


def check_file(path, entry: RegistryFile) -> FileCheck:
    """Check a copy of ``entry`` (plain or gzip, told apart by content): hash, rows, layout.

    One pass over the decompressed bytes. Never raises for a bad copy: the
    problems are listed in the result. In a Zeek log, ``#`` lines are not rows.
    """
    path = Path(path)
    res = FileCheck(path=path)
    h = hashlib.sha256()
    newlines, comments, last, first = 0, 0, b"\n", b""
    try:
        opener = gzip.open if is_gzip(path) else open
        with opener(path, "rb") as f:
            for chunk in iter(lambda: f.read(1 << 20), b""):
                h.update(chunk)
                newlines += chunk.count(b"\n")
                comments += chunk.count(b"\n#") + (last == b"\n" and chunk[:1] == b"#")
                if len(first) < 65536:
                    first += chunk[: 65536 - len(first)]
                last = chunk[-1:]
    except (OSError, EOFError, zlib.error) as e:
        res.problems.append(f"cannot be read ({e})")
        return res
    res.sha256 = h.hexdigest()
    lines = newlines + (1 if last not in (b"\n", b"") else 0)
    if entry.format == "zeek":
        res.rows = max(lines - comments, 0)
    else:
        res.rows = max(lines - (1 if entry.header else 0), 0)
    if entry.sha256 and res.sha256 != entry.sha256.lower():
        res.problems.append(f"SHA-256 mismatch: expected {entry.sha256}, got {res.sha256}")
    if entry.rows is not None and res.rows != entry.rows:
        res.problems.append(f"holds {res.rows:,} data rows, expected {entry.rows:,}")
    problem = _zeek_layout(first, entry) if entry.format == "zeek" else _csv_layout(first, entry)
    if problem:
        res.problems.append(problem)
    return res


def _csv_layout(first: bytes, entry: RegistryFile) -> str | None:
    head = first.split(b"\n", 1)[0].decode("utf-8-sig", errors="replace").rstrip("\r")
    cells = [c.strip() for c in next(csv.reader([head]), [])]
    if entry.header and tuple(cells) != entry.columns:
        missing = [c for c in entry.columns if c not in cells]
        what = f"missing {', '.join(missing[:5])}" if missing else "other order or extra columns"
        return (f"header has {len(cells)} columns, expected the {len(entry.columns)} of "
                f"{entry.dataset} ({what})")  # fmt: skip
    if not entry.header and entry.fields is not None and len(cells) != entry.fields:
        return f"first line has {len(cells)} fields, expected {entry.fields}"
    return None


def _zeek_layout(first: bytes, entry: RegistryFile) -> str | None:
    """The ``#fields`` line against the registered columns (an entry holding whitespace is
    split on it, as IoT-23 writes ``tunnel_parents   label   detailed-label``)."""
    for line in first.split(b"\n"):
        if line.startswith(b"#fields"):
            names = [n for f in line.decode("utf-8", "replace").rstrip("\r").split("\t")[1:]
                     for n in f.split()]  # fmt: skip
            if tuple(names) != entry.columns:
                missing = [c for c in entry.columns if c not in names]
                what = f"missing {', '.join(missing[:5])}" if missing else "other order or extra"
                return (f"#fields has {len(names)} columns, expected the {len(entry.columns)} "
                        f"of {entry.dataset} ({what})")  # fmt: skip
            return None
    return "not a Zeek log: no #fields line in its first 64 KiB"
