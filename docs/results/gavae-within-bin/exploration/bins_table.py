"""Per-seed and mean figures of config_probe.py logs, as in the README's finer-bins table.

    python bins_table.py "bins192_seed[012].log" "bins192_t08_seed[012].log"
"""
import re, sys, glob
def parse(f):
    rows = {}
    for line in open(f):
        m = re.match(r"(DoS|Probe|R2L|U2R)\s+([\d.]+)\s+([\d.]+)\s+([\d.]+)\s+([\d.]+)\s+([\d.]+)", line)
        if m: rows[m.group(1)] = [float(x) for x in m.groups()[1:]]
    return rows
for pat in sys.argv[1:]:
    fs = sorted(glob.glob(pat))
    R = [parse(f) for f in fs]
    for i, r in enumerate(R):
        print(pat, i, "DoS %.3f | Probe %.3f / %.3f / %.2f / %.1f %% | R2L %.3f / %.1f %%" % (r["DoS"][0], r["Probe"][0], r["Probe"][1], r["Probe"][3], 100*r["Probe"][4], r["R2L"][0], 100*r["R2L"][4]))
    import numpy as np
    m = lambda c, k: np.mean([r[c][k] for r in R])
    print(pat, "mean", "DoS %.3f | Probe %.3f / %.3f / %.2f / %.1f %% | R2L %.3f / %.1f %%" % (m("DoS",0), m("Probe",0), m("Probe",1), m("Probe",3), 100*m("Probe",4), m("R2L",0), 100*m("R2L",4)))
