"""A packet capture as a reader stage of :func:`gavae_ids.scoring.score_file`, and the
feature-set check of flows files.

* **Capture.** A pcap/pcapng input (its magic bytes, or ``input_format="pcap"``;
  gzip-compressed too) is turned into flows by
  :func:`gavae_ids.datasets.flows.pcap_to_flows` with the settings of the bundle's
  feature set (nfstream's defaults for a bundle not trained on flows), then read as
  a Parquet file is (:class:`gavae_ids.scoring.parquet.ParquetReader`: columns by
  name, the same validation and reject reasons). A row is a flow, numbered from 1
  in nfstream's order; :data:`~gavae_ids.datasets.flows.OUTPUT_IDENTIFIERS` are
  copied into the output after ``row`` so an alert names its flow. Without the
  ``flows`` extra, one line names it.
* **Flows file.** A Parquet or CSV file that records a feature set (written by
  ``gavae-ids flows``), scored with a bundle trained on flows, must record the
  bundle's: another one is refused in one line before anything is written.
"""

from __future__ import annotations

import contextlib
import io
import logging
import shutil
import tempfile
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from gavae_ids.datasets.flows import (
    IDENTIFIERS,
    OUTPUT_IDENTIFIERS,
    FlowSettings,
    capture_kind,
    check_feature_set,
    describe,
    pcap_to_flows,
    read_feature_set,
)
from gavae_ids.exceptions import DataError
from gavae_ids.scoring.parquet import ParquetReader, pyarrow

if TYPE_CHECKING:  # the detector brings torch
    from gavae_ids.detection.detector import Detector

log = logging.getLogger(__name__)


def flows_reader(det: Detector, stream, name: str, source, *, input_format: str,
                 extra_columns: str, chunk_size: int):  # fmt: skip
    """The reader of a capture (:class:`PcapReader`), else ``None`` once a flows file's
    feature set is found to match the bundle's (see the module docstring)."""
    if input_format == "pcap" or (input_format == "auto" and capture_kind(stream.peek(4)[:4])):
        return PcapReader(det, stream, name, extra_columns=extra_columns, chunk_size=chunk_size)
    expected = det.info.get("feature_set")
    if expected is not None and isinstance(source, str | Path) and Path(source).is_file():
        found = read_feature_set(source)
        if found is None:
            log.warning("%s records no feature set (Parquet metadata or a .features.json "
                        "sidecar): cannot check it against the model's %s", source,
                        describe(expected))  # fmt: skip
        check_feature_set(expected, found, source)
    return None


class PcapReader:
    """The reader stage for a capture: its flows, read like a Parquet file."""

    def __init__(self, det: Detector, stream, name: str, *, extra_columns: str,
                 chunk_size: int):  # fmt: skip
        pa, pq, _ = pyarrow()
        fs = det.info.get("feature_set")
        with _capture_path(stream) as path:
            try:
                flows = pcap_to_flows(path, FlowSettings.from_feature_set(fs))
            except DataError as e:  # name the input, not a temporary copy
                raise DataError(e.reason, path=name, row=e.row) from None
        self.id_columns = [c for c in OUTPUT_IDENTIFIERS if c not in det.schema.columns]
        self.ids = flows[self.id_columns].astype(str).reset_index(drop=True)
        buf = io.BytesIO()  # the features only: identifiers are not extra columns here
        features = flows.drop(columns=[c for c in IDENTIFIERS if c not in det.schema.columns])
        pq.write_table(pa.Table.from_pandas(features, preserve_index=False), buf)
        buf.seek(0)
        self.inner = ParquetReader(det.schema, buf, name, extra_columns=extra_columns,
                                   chunk_size=chunk_size)  # fmt: skip
        made = flows.attrs["feature_set"]
        self.notes = [f"{len(flows):,} flows made by {describe(made)}"
                      + ("" if fs else " (the bundle records no feature set: nfstream defaults)"),
                      *self.inner.notes]  # fmt: skip
        self.trailing = None

    def chunks(self, det: Detector):
        for chunk in self.inner.chunks(det):
            ids = self.ids.iloc[chunk.rows - 1].reset_index(drop=True) if len(chunk.rows) else None
            yield replace(chunk, ids=ids)


@contextlib.contextmanager
def _capture_path(stream):
    """A path of the capture for nfstream: the file itself, or a temporary copy of a
    decompressed or piped stream."""
    raw = getattr(stream, "raw", None)
    name = getattr(raw, "name", None)
    if isinstance(stream, io.BufferedReader) and isinstance(name, str) and Path(name).is_file():
        yield Path(name)
        return
    with tempfile.TemporaryDirectory(prefix="gavae-ids-pcap-") as tmp:
        path = Path(tmp) / "capture.pcap"
        with open(path, "wb") as f:
            shutil.copyfileobj(stream, f)
        yield path
