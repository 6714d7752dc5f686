"""How far the normal KDDTest+ rows that GAVAE-DNN calls DoS lie from the training data: distance
to the nearest real training row (min-max units) against the same for all normal test rows, and
the class of that nearest row; seed 0, from categories.py's npz (OUT = $FPR_OUT or .). The test
file is read only to explain the measured FPR.

    python flagged_support.py gavae-dnn
"""

import os
import sys

import numpy as np
from sklearn.neighbors import NearestNeighbors

from gavae_ids.datasets import load_nsl_kdd
from gavae_ids.preprocessing import TabularPreprocessor

OUT = os.environ.get("FPR_OUT", ".")
method = sys.argv[1] if len(sys.argv) > 1 else "gavae-dnn"
tr, te = load_nsl_kdd("train20"), load_nsl_kdd("test")
pre = TabularPreprocessor(categorical=tr.categorical).fit(tr.X)
Xt, yt = pre.transform(te.X), te.y.to_numpy()
d = np.load(f"{OUT}/{method}_0.npz", allow_pickle=True)
Xr, yr, n, p = d["Xr"], d["yr"], int(d["n"]), d["p"]
real, yreal = Xr[:n], yr[:n]
nn = NearestNeighbors(n_neighbors=1).fit(real)
# Typical spacing of the training rows themselves: each real row to its nearest other one.
own = NearestNeighbors(n_neighbors=2).fit(real).kneighbors(real)[0][:, 1]
print(
    f"real training rows to their nearest other one: median {np.median(own):.3f}, "
    f"95th percentile {np.quantile(own, 0.95):.3f}"
)
normal = yt == "Normal"
for name, m in [
    ("all normal test rows", normal),
    ("normal test rows called DoS", normal & (p == "DoS")),
    ("normal test rows called Probe", normal & (p == "Probe")),
    ("normal test rows called Normal", normal & (p == "Normal")),
]:
    dist, idx = nn.kneighbors(Xt[m])
    cls, cnt = np.unique(yreal[idx[:, 0]], return_counts=True)
    print(
        f"{name}: {m.sum()} rows; nearest real training row at median {np.median(dist):.3f}, "
        f"beyond the training rows' 95th percentile for {np.mean(dist[:, 0] > np.quantile(own, 0.95)):.1%}; "
        f"its class {dict(zip(cls.tolist(), cnt.tolist()))}"
    )
