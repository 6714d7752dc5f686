"""Packet captures as flows: nfstream's statistical flow features, with the feature set that
made them written into the output (``gavae-ids flows``, ``gavae-ids score capture.pcap``).

**Extractor.** `nfstream <https://www.nfstream.org>`_ (GPLv3, so an optional extra:
``pip install 'gavae-ids[flows]'``, imported only here and only when a capture is
read) with ``statistical_analysis=True`` and ``n_dissections=0``: the flow
statistics of nfstream's documented feature set, without nDPI's application
labels (they depend on the nDPI release and on payload the model should not need).
Flows expire after ``idle_timeout`` seconds without a packet or ``active_timeout``
seconds in all (:class:`FlowSettings`).

**Columns.** :data:`IDENTIFIERS` (flow id, addresses, ports, MACs, VLAN/tunnel ids,
first/last-seen timestamps) are kept so an alert names its flow and are never model
features; :data:`FEATURES` are the model features: ``protocol`` as text (``tcp``,
``udp``, ``icmp``, else the IP protocol number) and nfstream's durations, packet and
byte counts, packet sizes (``*_ps``), inter-arrival times (``*_piat_ms``) and TCP
flag counts, in the three directions ``bidirectional``, ``src2dst``, ``dst2src``.

**Feature set.** :func:`feature_set` names the extractor (``nfstream-stats``, version
:data:`FEATURE_SET_VERSION`), its settings and feature columns, and a ``sha256`` of them.
:func:`write_flows` stores it in the Parquet schema metadata (key
:data:`METADATA_KEY`) or, for CSV, in a sidecar ``<out>.features.json``; a bundle
trained on flows keeps it and ``score`` refuses flows whose ``sha256`` differs
(:func:`check_feature_set`). The nfstream release is recorded but not hashed.

**Bad captures.** Not a pcap/pcapng file (by its magic bytes), a capture cut in the
middle of a packet or block, or one from which nfstream makes no flow: one
:class:`~gavae_ids.exceptions.DataError` naming the file.
"""

from __future__ import annotations

import hashlib
import json
import logging
import struct
from dataclasses import asdict, dataclass
from pathlib import Path

import pandas as pd
from sklearn.utils import Bunch

from gavae_ids.exceptions import DataError, DatasetNotFoundError, require_extra

log = logging.getLogger(__name__)

FEATURE_SET_NAME = "nfstream-stats"
#: Moves when :data:`FEATURES`, :data:`IDENTIFIERS` or their meaning change.
FEATURE_SET_VERSION = 1
METADATA_KEY = b"gavae_ids.feature_set"
SIDECAR_SUFFIX = ".features.json"

IDENTIFIERS = (
    "id", "expiration_id", "src_ip", "src_mac", "src_oui", "src_port", "dst_ip", "dst_mac",
    "dst_oui", "dst_port", "ip_version", "vlan_id", "tunnel_id",
    "bidirectional_first_seen_ms", "bidirectional_last_seen_ms",
    "src2dst_first_seen_ms", "src2dst_last_seen_ms",
    "dst2src_first_seen_ms", "dst2src_last_seen_ms",
)  # fmt: skip
#: Identifiers copied into scored output (``score`` on a capture) so an alert names its flow.
OUTPUT_IDENTIFIERS = ("src_ip", "src_port", "dst_ip", "dst_port", "bidirectional_first_seen_ms")

_DIRECTIONS = ("bidirectional", "src2dst", "dst2src")
_FLAGS = ("syn", "cwr", "ece", "urg", "ack", "psh", "rst", "fin")
FEATURES = (
    "protocol",
    *[f"{d}_{s}" for d in _DIRECTIONS for s in ("duration_ms", "packets", "bytes")],
    *[f"{d}_{s}_ps" for d in _DIRECTIONS for s in ("min", "mean", "stddev", "max")],
    *[f"{d}_{s}_piat_ms" for d in _DIRECTIONS for s in ("min", "mean", "stddev", "max")],
    *[f"{d}_{f}_packets" for d in _DIRECTIONS for f in _FLAGS],
)
CATEGORICAL = ("protocol",)
_PROTOCOLS = {1: "icmp", 6: "tcp", 17: "udp", 58: "ipv6-icmp", 132: "sctp"}

_PCAP_MAGIC = {
    b"\xd4\xc3\xb2\xa1": "<", b"\xa1\xb2\xc3\xd4": ">",  # microseconds
    b"\x4d\x3c\xb2\xa1": "<", b"\xa1\xb2\x3c\x4d": ">",  # nanoseconds
}  # fmt: skip
_PCAPNG_MAGIC = b"\x0a\x0d\x0d\x0a"


@dataclass(frozen=True)
class FlowSettings:
    """The nfstream settings that shape the flows (part of the feature set's hash).

    Parameters
    ----------
    idle_timeout : int, default=120
        Seconds without a packet after which a flow ends (nfstream's default).
    active_timeout : int, default=1800
        Seconds after which a long flow is cut into a new one (nfstream's default).
    accounting_mode : int, default=0
        What byte counts measure: 0 link layer, 1 IP, 2 transport, 3 payload.
    bpf_filter : str, optional
        A BPF filter applied before the flows are made.
    """

    idle_timeout: int = 120
    active_timeout: int = 1800
    accounting_mode: int = 0
    bpf_filter: str | None = None

    @classmethod
    def from_feature_set(cls, fs: dict | None) -> FlowSettings:
        """The settings recorded in a feature set (defaults when ``fs`` is ``None``)."""
        return cls(**(fs or {}).get("settings", {}))


def feature_set(settings: FlowSettings = FlowSettings(), nfstream_version: str | None = None):
    """The feature-set record: name, version, settings, columns, and their ``sha256``."""
    core = {"name": FEATURE_SET_NAME, "version": FEATURE_SET_VERSION,
            "settings": asdict(settings), "features": list(FEATURES),
            "identifiers": list(IDENTIFIERS)}  # fmt: skip
    digest = hashlib.sha256(json.dumps(core, sort_keys=True).encode()).hexdigest()
    return {**core, "sha256": digest, "nfstream": nfstream_version}


def describe(fs: dict) -> str:
    """``nfstream-stats v1 (idle 120 s, active 1800 s, accounting 0, sha256 1a2b3c4d…)``."""
    s = fs.get("settings", {})
    bpf = f", bpf {s['bpf_filter']!r}" if s.get("bpf_filter") else ""
    return (f"{fs.get('name')} v{fs.get('version')} (idle {s.get('idle_timeout')} s, active "
            f"{s.get('active_timeout')} s, accounting {s.get('accounting_mode')}{bpf}, "
            f"sha256 {str(fs.get('sha256'))[:12]}…)")  # fmt: skip


def check_feature_set(expected: dict | None, found: dict | None, path) -> None:
    """Refuse flows made with another feature set than ``expected`` (a bundle's), in one line."""
    if expected is None or found is None or expected.get("sha256") == found.get("sha256"):
        return
    raise DataError(f"flows made with {describe(found)}, but the model was trained on "
                    f"{describe(expected)}: make the flows again with the model's settings "
                    "(or score the capture itself)", path=path)  # fmt: skip


# -- the capture ---------------------------------------------------------------------------
def capture_kind(head: bytes) -> str | None:
    """``"pcap"``, ``"pcapng"`` or ``None`` from a file's first four bytes."""
    if head[:4] in _PCAP_MAGIC:
        return "pcap"
    return "pcapng" if head[:4] == _PCAPNG_MAGIC else None


def check_capture(path) -> int:
    """The number of packets (pcap) or blocks (pcapng) of a whole, well-framed capture.

    nfstream reads a capture cut in the middle of a packet without a word, so the
    framing is walked here first: every record header and its bytes must be there.
    """
    path = Path(path)
    if not path.is_file():
        raise DatasetNotFoundError("file not found", path=path)
    with open(path, "rb") as f:
        head = f.read(24)
        kind = capture_kind(head)
        if kind is None:
            raise DataError("not a packet capture (no pcap or pcapng magic bytes)", path=path)
        if kind == "pcap":
            return _walk(f, path, head, _PCAP_MAGIC[head[:4]], pcap=True)
        order = {b"\x4d\x3c\x2b\x1a": "<", b"\x1a\x2b\x3c\x4d": ">"}.get(head[8:12])
        if order is None:
            raise DataError("damaged pcapng section header (byte-order magic)", path=path)
        return _walk(f, path, head, order, pcap=False)


def _walk(f, path: Path, head: bytes, order: str, *, pcap: bool) -> int:
    size = path.stat().st_size
    if pcap:
        if len(head) < 24:
            raise DataError("truncated capture: the pcap file header is incomplete", path=path)
        pos, n, hdr = 24, 0, 16
    else:
        pos, n, hdr = 0, 0, 12
    while pos < size:
        f.seek(pos)
        rec = f.read(hdr)
        if len(rec) < hdr:
            break
        if pcap:
            (length,) = struct.unpack(order + "I", rec[8:12])
            end = pos + 16 + length
        else:
            (length,) = struct.unpack(order + "I", rec[4:8])
            if length < 12 or length % 4:
                raise DataError(f"damaged pcapng block {n + 1:,} (length {length})", path=path)
            end = pos + length
        if end > size:
            break
        pos, n = end, n + 1
    if pos != size:
        what = "packet" if pcap else "block"
        raise DataError(f"truncated capture: {what} {n + 1:,} is cut off at byte {size:,}",
                        path=path)  # fmt: skip
    return n


def _nfstream():
    return require_extra("nfstream", "flows", "reading packet captures")


def pcap_to_flows(path, settings: FlowSettings = FlowSettings()) -> pd.DataFrame:
    """The flows of a capture: :data:`IDENTIFIERS` then :data:`FEATURES`, one row a flow.

    The feature set (:func:`feature_set`) is in ``frame.attrs["feature_set"]``.

    Examples
    --------
    >>> flows = pcap_to_flows("capture.pcap")  # doctest: +SKIP
    >>> flows.attrs["feature_set"]["name"]  # doctest: +SKIP
    'nfstream-stats'
    """
    nfstream = _nfstream()
    n = check_capture(path)
    columns = [*IDENTIFIERS, *FEATURES]
    try:
        streamer = nfstream.NFStreamer(
            source=str(path), statistical_analysis=True, n_dissections=0, n_meters=1,
            idle_timeout=settings.idle_timeout, active_timeout=settings.active_timeout,
            accounting_mode=settings.accounting_mode, bpf_filter=settings.bpf_filter,
        )  # fmt: skip
        # Flow by flow rather than NFStreamer.to_pandas, which writes a temporary CSV
        # into the current folder.
        rows = [[getattr(flow, c) for c in columns] for flow in streamer]
    except (ValueError, OSError) as e:
        raise DataError(f"nfstream cannot read the capture ({e})", path=path) from None
    except AttributeError as e:
        raise DataError(f"nfstream {nfstream.__version__} does not give a column of the "
                        f"feature set ({e})", path=path) from None  # fmt: skip
    if not rows:
        raise DataError(f"no flows: nfstream found no IP flow in the capture's {n:,} "
                        "packet(s)/block(s)", path=path)  # fmt: skip
    flows = pd.DataFrame(rows, columns=columns)
    flows["protocol"] = flows["protocol"].map(lambda p: _PROTOCOLS.get(int(p), str(int(p))))
    flows.attrs["feature_set"] = feature_set(settings, nfstream.__version__)
    return flows


def write_flows(flows: pd.DataFrame, out) -> Path:
    """Write flows as Parquet (``.parquet``/``.pq``: feature set in the schema metadata) or
    CSV (any other name, ``.gz`` compressed: feature set in ``<out>.features.json``)."""
    out = Path(out)
    fs = flows.attrs.get("feature_set")
    if out.name.lower().endswith((".parquet", ".pq")):
        pa = require_extra("pyarrow", "parquet", "Parquet output")
        pq = require_extra("pyarrow.parquet", "parquet", "Parquet output")
        table = pa.Table.from_pandas(flows, preserve_index=False)
        meta = {**(table.schema.metadata or {}), METADATA_KEY: json.dumps(fs).encode()}
        pq.write_table(table.replace_schema_metadata(meta), out)
    else:
        flows.to_csv(out, index=False)
        Path(str(out) + SIDECAR_SUFFIX).write_text(json.dumps(fs, indent=2) + "\n")
    return out


def read_feature_set(path) -> dict | None:
    """The feature set a flows file was made with (``None`` when it records none)."""
    path = Path(path)
    if path.name.lower().endswith((".parquet", ".pq")) or _is_parquet(path):
        pq = require_extra("pyarrow.parquet", "parquet", "Parquet input")
        try:
            meta = pq.read_schema(path).metadata or {}
        except OSError as e:
            raise DataError(f"not a readable Parquet file ({e})", path=path) from None
        raw = meta.get(METADATA_KEY)
    else:
        side = Path(str(path) + SIDECAR_SUFFIX)
        raw = side.read_bytes() if side.is_file() else None
    if raw is None:
        return None
    try:
        fs = json.loads(raw)
    except ValueError:
        raise DataError("its feature-set record is not JSON", path=path) from None
    if not isinstance(fs, dict) or "sha256" not in fs:
        raise DataError("its feature-set record has no sha256", path=path)
    return fs


def _is_parquet(path: Path) -> bool:
    try:
        with open(path, "rb") as f:
            return f.read(4) == b"PAR1"
    except OSError:
        return False


def load_flows(path, *, label: str = "label", drop=()) -> Bunch:
    """Load labelled flows (:func:`write_flows` output with a ``label`` column joined).

    The features are :data:`FEATURES` (``protocol`` categorical); identifiers, ``drop``
    and every other column are not. The file must record its feature set, which the
    bundle then keeps (``Bunch.feature_set``).

    Parameters
    ----------
    path : path-like
        Parquet (feature set in its metadata) or CSV (feature set in its sidecar).
    label : str, default="label"
        The class column joined to the flows.
    drop : list of str
        Features to leave out.

    Returns
    -------
    sklearn.utils.Bunch
        ``X``, ``y``, ``categorical``, ``numeric``, ``identifiers``, ``classes``,
        ``feature_set``, ``notes``, ``path``, ``name``.
    """
    path = Path(path)
    if not path.is_file():
        raise DatasetNotFoundError("file not found", path=path)
    fs = read_feature_set(path)
    if fs is None:
        raise DataError("no feature-set record (Parquet metadata or "
                        f"{path.name}{SIDECAR_SUFFIX}): make it with 'gavae-ids flows'",
                        path=path)  # fmt: skip
    if fs.get("name") != FEATURE_SET_NAME or fs.get("version") != FEATURE_SET_VERSION:
        raise DataError(f"flows of feature set {fs.get('name')} v{fs.get('version')}; this "
                        f"gavae-ids reads {FEATURE_SET_NAME} v{FEATURE_SET_VERSION}",
                        path=path)  # fmt: skip
    parquet = _is_parquet(path)
    if parquet:
        frame = require_extra("pyarrow.parquet", "parquet", "Parquet input").read_table(
            path).to_pandas()  # fmt: skip
    else:
        frame = pd.read_csv(path, dtype={"protocol": str}, low_memory=False)
    features = [c for c in fs["features"] if c not in drop]
    for c in [label, *features]:
        if c not in frame.columns:
            raise DataError(f"no column {c!r}; the file has {', '.join(frame.columns)}",
                            path=path)  # fmt: skip
    numeric = [c for c in features if c not in CATEGORICAL]
    X = frame[features].copy()
    for c in numeric:
        X[c] = pd.to_numeric(X[c], errors="coerce")
        bad = X[c].isna().to_numpy().nonzero()[0]
        if len(bad):
            raise DataError(f"value {frame[c].iat[bad[0]]!r} in column {c!r} is not a number",
                            path=path, row=int(bad[0]) + (1 if parquet else 2))  # fmt: skip
    y = frame[label].astype(str).str.strip().rename(label)
    return Bunch(X=X, y=y, categorical=[c for c in features if c in CATEGORICAL],
                 numeric=numeric, identifiers=[c for c in IDENTIFIERS if c in frame.columns],
                 classes=sorted(y.unique()), feature_set=fs, notes=[], path=str(path),
                 name=path.name)  # fmt: skip
