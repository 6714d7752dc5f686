"""Mean min-max value of the numeric columns of UDP/private/SF rows: real and synthetic training rows
of DoS and Probe, real Normal rows, and the normal KDDTest+ rows GAVAE-DNN (or SMOTE+DNN) calls DoS
or keeps as Normal; seed 0, from the npz files of categories.py (run it first; OUT = $FPR_OUT or .).

    python udp_private.py
"""

import os

import numpy as np
import pandas as pd

from gavae_ids.datasets import load_nsl_kdd
from gavae_ids.preprocessing import TabularPreprocessor

OUT = os.environ.get("FPR_OUT", ".")
tr = load_nsl_kdd("train20")
te = load_nsl_kdd("test")
pre = TabularPreprocessor(categorical=tr.categorical).fit(tr.X)
names = np.asarray(pre.layout_.feature_names)
Xt, yt = pre.transform(te.X), te.y.to_numpy()


def sel(M):
    f = lambda n: M[:, list(names).index(n)] > 0.5
    return f("protocol_type=udp") & f("service=private") & f("flag=SF")


for m in ["gavae-dnn", "smote-dnn"]:
    d = np.load(f"{OUT}/{m}_0.npz", allow_pickle=True)
    Xr, yr, n, p = d["Xr"], d["yr"], int(d["n"]), d["p"]
    real, syn = Xr[:n], Xr[n:]
    yreal, ysyn = yr[:n], yr[n:]
    groups = {
        "real DoS": real[(yreal == "DoS") & sel(real)],
        "syn DoS": syn[(ysyn == "DoS") & sel(syn)],
        "real Normal": real[(yreal == "Normal") & sel(real)],
        "real Probe": real[(yreal == "Probe") & sel(real)],
        "syn Probe": syn[(ysyn == "Probe") & sel(syn)],
        "test Normal->DoS": Xt[(yt == "Normal") & (p == "DoS") & sel(Xt)],
        "test Normal ok": Xt[(yt == "Normal") & (p == "Normal") & sel(Xt)],
    }
    num = pre.layout_.numeric_indices
    rows = {}
    for g, M in groups.items():
        rows[g] = pd.Series(M[:, num].mean(0), index=names[num]).round(3)
        rows[g]["n"] = len(M)
    T = pd.DataFrame(rows)
    T = T[(T.drop(index="n").std(axis=1) > 0.05).reindex(T.index, fill_value=True)]
    print(m)
    print(T.to_string())
