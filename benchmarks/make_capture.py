"""Write a small synthetic packet capture for the flows guide (docs/guide/flows.md).

Two behaviours: "normal" clients holding HTTP-like TCP conversations (handshake, request,
a reply of random size, FIN) and DNS exchanges, and a scanner sending SYNs to many ports
of several hosts, answered by RST (closed) or SYN-ACK then RST (open). The scanner is
10.0.0.66; ``--labels`` writes which flows are its, joined by address.

Needs scapy (the dev extra). Usage::

    python benchmarks/make_capture.py demo.pcap --seed 0
    python benchmarks/make_capture.py demo.pcap --label-flows flows.parquet --out labelled.parquet
"""

from __future__ import annotations

import argparse
import random

SCANNER = "10.0.0.66"


def packets(seed: int, n_conv: int = 200, n_scan: int = 400):
    from scapy.all import DNS, DNSQR, IP, TCP, UDP, Ether, Raw

    rnd = random.Random(seed)
    pk, t = [], 1_700_000_000.0 + seed * 86_400

    def add(p, dt):
        nonlocal t
        t += dt
        p.time = t
        pk.append(p)

    for i in range(n_conv):
        cli, srv = f"10.0.1.{rnd.randint(2, 60)}", f"10.0.2.{rnd.randint(10, 14)}"
        sp, dp = rnd.randint(32768, 60999), rnd.choice([80, 443, 8080])
        req, rep = b"G" * rnd.randint(80, 400), b"x" * rnd.randint(200, 1400)
        steps = [(cli, srv, sp, dp, "S", b""), (srv, cli, dp, sp, "SA", b""),
                 (cli, srv, sp, dp, "A", b""), (cli, srv, sp, dp, "PA", req),
                 *[(srv, cli, dp, sp, "PA", rep)] * rnd.randint(1, 4),
                 (cli, srv, sp, dp, "FA", b""), (srv, cli, dp, sp, "FA", b""),
                 (cli, srv, sp, dp, "A", b"")]  # fmt: skip
        for src, dst, s, d, flags, load in steps:
            add(Ether() / IP(src=src, dst=dst) / TCP(sport=s, dport=d, flags=flags) / Raw(load),
                rnd.expovariate(1 / 0.03))  # fmt: skip
        q = IP(src=cli, dst="10.0.2.53") / UDP(sport=rnd.randint(32768, 60999), dport=53)
        add(Ether() / q / DNS(rd=1, qd=DNSQR(qname=f"h{i}.example")), rnd.expovariate(1 / 0.02))
        r = IP(src="10.0.2.53", dst=cli) / UDP(sport=53, dport=q[UDP].sport)
        add(Ether() / r / DNS(qr=1, qd=DNSQR(qname=f"h{i}.example")), rnd.uniform(0.001, 0.01))
    for _ in range(n_scan):
        dst, port = f"10.0.2.{rnd.randint(10, 14)}", rnd.randint(1, 10_000)
        sp = rnd.randint(40000, 65000)
        add(Ether() / IP(src=SCANNER, dst=dst) / TCP(sport=sp, dport=port, flags="S"),
            rnd.expovariate(1 / 0.002))  # fmt: skip
        reply = "SA" if rnd.random() < 0.1 else "RA"
        add(Ether() / IP(src=dst, dst=SCANNER) / TCP(sport=port, dport=sp, flags=reply),
            rnd.uniform(0.0001, 0.001))  # fmt: skip
        if reply == "SA":
            add(Ether() / IP(src=SCANNER, dst=dst) / TCP(sport=sp, dport=port, flags="R"),
                rnd.uniform(0.0001, 0.001))  # fmt: skip
    return sorted(pk, key=lambda p: float(p.time))


def label_flows(flows_path: str, out: str) -> None:
    """Join ``label`` (scan / normal, by the scanner's address) to flows; keep the feature set."""
    import pandas as pd

    from gavae_ids.datasets.flows import read_feature_set, write_flows

    flows = pd.read_parquet(flows_path)
    scan = (flows["src_ip"] == SCANNER) | (flows["dst_ip"] == SCANNER)
    flows["label"] = scan.map({True: "scan", False: "normal"})
    flows.attrs["feature_set"] = read_feature_set(flows_path)
    write_flows(flows, out)
    print(f"wrote {out}: {len(flows)} flows, {int(scan.sum())} scan, {int((~scan).sum())} normal")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("capture", nargs="?")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--label-flows", help="instead: label this flows file (scanner = scan)")
    ap.add_argument("--out", help="with --label-flows: the labelled flows file to write")
    args = ap.parse_args()
    if args.label_flows:
        label_flows(args.label_flows, args.out)
        return
    from scapy.all import wrpcap

    pk = packets(args.seed)
    wrpcap(args.capture, pk)
    print(f"wrote {args.capture}: {len(pk)} packets (seed {args.seed}, scanner {SCANNER})")


if __name__ == "__main__":
    main()
