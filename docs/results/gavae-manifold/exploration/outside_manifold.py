"""Share of each class's synthetic training rows outside every real row's 5-NN ball (min-max units,
the rows the classifier was trained on), GAVAE-DNN's against SMOTE+DNN's; seed 0, from the npz files
of categories.py (OUT = $FPR_OUT or .). Training data only.

    python outside_manifold.py
"""

import os

import numpy as np
from sklearn.neighbors import NearestNeighbors

from gavae_ids.datasets import load_nsl_kdd
from gavae_ids.preprocessing import TabularPreprocessor

OUT = os.environ.get("FPR_OUT", ".")
tr = load_nsl_kdd("train20")
pre = TabularPreprocessor(categorical=tr.categorical).fit(tr.X)
names = list(pre.layout_.feature_names)
k = 5
for m in ["gavae-dnn", "smote-dnn"]:
    d = np.load(f"{OUT}/{m}_0.npz", allow_pickle=True)
    Xr, yr, n = d["Xr"], d["yr"], int(d["n"])
    real, syn = Xr[:n], Xr[n:]
    yreal, ysyn = yr[:n], yr[n:]
    for c in ["DoS", "Probe", "R2L", "U2R"]:
        R, S = real[yreal == c], syn[ysyn == c]
        nn = NearestNeighbors(n_neighbors=min(k + 1, len(R))).fit(R)
        rad = nn.kneighbors(R)[0][:, -1]
        dist, idx = nn.kneighbors(S, n_neighbors=min(50, len(R)))
        inside = (dist <= rad[idx] + 1e-9).any(1)
        sel = (
            (S[:, names.index("protocol_type=udp")] > 0.5)
            & (S[:, names.index("service=private")] > 0.5)
            & (S[:, names.index("flag=SF")] > 0.5)
        )
        wf0 = sel & (S[:, names.index("wrong_fragment")] < 0.5)
        print(
            f"{m} {c}: {len(S)} syn, outside class manifold {1 - inside.mean():.3f}; udp/private/SF {sel.sum()} outside {1 - inside[sel].mean() if sel.any() else float('nan'):.3f}; of which wf=0 {wf0.sum()} outside {1 - inside[wf0].mean() if wf0.any() else float('nan'):.3f}"
        )
