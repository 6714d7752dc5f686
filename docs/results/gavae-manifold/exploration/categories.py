"""(seed, method, params): fit METHOD on KDDTrain+_20Percent, keep the rows its sampler produced, and
say which one-hot categories the normal KDDTest+ rows it flags carry (the test file is read only to
explain the measured FPR). Saves OUT/METHOD_SEED.npz (OUT = $FPR_OUT or .).

    python categories.py 0 gavae-dnn '{"sampler__manifold_k": null}'

Which categories do the normal KDDTest+ rows flagged by GAVAE-DNN carry, and does the
GAVAE generate attack rows with (protocol, service, flag) triples unseen in the class?"""

import json
import os
import sys
import time

import numpy as np
import pandas as pd
import torch

torch.set_num_threads(1)
from gavae_ids.datasets import load_nsl_kdd
from gavae_ids.methods import build_method
from gavae_ids.preprocessing import TabularPreprocessor

seed = int(sys.argv[1])
method = sys.argv[2]
params = json.loads(sys.argv[3]) if len(sys.argv) > 3 else {}
tr = load_nsl_kdd("train20")
te = load_nsl_kdd("test")
pre = TabularPreprocessor(categorical=tr.categorical).fit(tr.X)
X, y = pre.transform(tr.X), tr.y.to_numpy()
Xt, yt = pre.transform(te.X), te.y.to_numpy()
est = build_method(
    method, layout=pre.layout_, random_state=seed, verbose=False, device="cpu", **params
)
cap = {}
import imblearn.base as ib

OUT = os.environ.get("FPR_OUT", ".")
orig = ib.BaseSampler.fit_resample


def fr(self, X_, y_, **kw):
    out = orig(self, X_, y_, **kw)
    cap["X"], cap["y"], cap["n"] = out[0], np.asarray(out[1]), len(X_)
    return out


ib.BaseSampler.fit_resample = fr
t = time.time()
est.fit(X, y)
print(method, "fit", round(time.time() - t), "s", flush=True)
p = est.predict(Xt)
blocks = pre.layout_.onehot_blocks


def triple(M):
    return pd.Series(
        [
            "|".join(b.name + "=" + str(int(np.argmax(M[i, b.start : b.stop]))) for b in blocks)
            for i in range(len(M))
        ]
    )


def trip_names(M):
    cols = []
    for b in blocks:
        names = pre.layout_.feature_names[b.start : b.stop]
        cols.append(np.asarray(names)[M[:, b.start : b.stop].argmax(1)])
    return pd.Series(["|".join(t) for t in zip(*cols)])


Xr, yr, n = cap["X"], cap["y"], cap["n"]
real_t, syn_t = trip_names(Xr[:n]), trip_names(Xr[n:])
yreal, ysyn = yr[:n], yr[n:]
for c in ["DoS", "Probe", "R2L", "U2R"]:
    seen = set(real_t[yreal == c])
    s = syn_t[ysyn == c]
    seen_other = set(real_t[yreal != c])
    if len(s):
        print(
            f"{c}: {len(s)} synthetic; unseen triple in class {np.mean([t not in seen for t in s]):.3f}; "
            f"unseen in class but seen in Normal {np.mean([(t not in seen) and (t in set(real_t[yreal == 'Normal'])) for t in s]):.3f}"
        )
fp = (yt == "Normal") & (p != "Normal")
print("binary FPR", round(100 * fp.mean() / (yt == "Normal").mean(), 2))
test_t = trip_names(Xt)
for c in ["DoS", "Probe", "R2L"]:
    m = (yt == "Normal") & (p == c)
    tt = test_t[m]
    seen_c = set(real_t[yreal == c])
    syn_c = syn_t[ysyn == c]
    vc = tt.value_counts().head(8)
    print(
        f"normal test rows called {c}: {m.sum()}; their triple seen in real {c} rows: {np.mean([t in seen_c for t in tt]):.3f}"
    )
    for t, k in vc.items():
        print(
            f"   {k:4d}  {t}  real {c}: {(real_t[yreal == c] == t).sum()}, synthetic {c}: {(syn_c == t).sum()}, real Normal: {(real_t[yreal == 'Normal'] == t).sum()}"
        )
np.savez_compressed(f"{OUT}/{method}_{seed}.npz", Xr=Xr, yr=yr, n=n, p=p)
