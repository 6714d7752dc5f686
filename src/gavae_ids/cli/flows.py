"""``gavae-ids flows``: a packet capture as flows with nfstream
(:func:`gavae_ids.datasets.flows.pcap_to_flows`)."""

from __future__ import annotations

from pathlib import Path

import typer

from gavae_ids.cli._common import guarded
from gavae_ids.exceptions import DataError


def register(app: typer.Typer) -> None:
    app.command("flows")(flows_cmd)


@guarded
def flows_cmd(
    capture: Path = typer.Argument(..., help="The pcap or pcapng file.", dir_okay=False),
    out: Path = typer.Option(
        ...,
        "--out",
        "-o",
        dir_okay=False,
        help="flows.parquet (feature set in its metadata) or flows.csv (feature set in "
        "flows.csv.features.json).",
    ),
    idle_timeout: int = typer.Option(
        120, "--idle-timeout", min=1, help="Seconds without a packet that end a flow."
    ),
    active_timeout: int = typer.Option(
        1800, "--active-timeout", min=1, help="Seconds after which a long flow is cut."
    ),
    accounting_mode: int = typer.Option(
        0,
        "--accounting-mode",
        min=0,
        max=3,
        help="Bytes counted: 0 link layer, 1 IP, 2 transport, 3 payload.",
    ),
    bpf_filter: str = typer.Option(None, "--bpf-filter", help="A BPF filter, e.g. 'tcp'."),
    force: bool = typer.Option(False, "--force", help="Replace an existing --out file."),
) -> None:
    """Turn a packet capture into flows (nfstream's statistical features) for train/score."""
    from gavae_ids.datasets.flows import FlowSettings, describe, pcap_to_flows, write_flows

    if out.exists() and not force:
        raise DataError("exists; pass --force to replace it", path=out)
    settings = FlowSettings(idle_timeout=idle_timeout, active_timeout=active_timeout,
                            accounting_mode=accounting_mode, bpf_filter=bpf_filter)  # fmt: skip
    flows = pcap_to_flows(capture, settings)
    write_flows(flows, out)
    fs = flows.attrs["feature_set"]
    typer.echo(f"wrote {out}: {len(flows):,} flows of {capture.name}, {len(fs['features'])} "
               f"features, feature set {describe(fs)}")  # fmt: skip
