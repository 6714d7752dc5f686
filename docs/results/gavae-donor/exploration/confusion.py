"""Where do KDDTest+ normal rows go (GAVAE-DNN vs SMOTE+DNN), and the same on a validation split."""
import sys, time
import numpy as np, pandas as pd, torch
torch.set_num_threads(1)
from gavae_ids.datasets import load_nsl_kdd
from gavae_ids.preprocessing import TabularPreprocessor
from gavae_ids.methods import build_method
import json
seed = int(sys.argv[1]); method = sys.argv[2]; params = json.loads(sys.argv[3]) if len(sys.argv) > 3 else {}; tag = sys.argv[4] if len(sys.argv) > 4 else ""
tr = load_nsl_kdd("train20"); te = load_nsl_kdd("test")
pre = TabularPreprocessor(categorical=tr.categorical).fit(tr.X)
X, y = pre.transform(tr.X), tr.y.to_numpy()
Xt, yt = pre.transform(te.X), te.y.to_numpy()
if params.pop("gavae_sampler", False):
    from gavae_ids.sampling import GAVAESampler
    params["sampler"] = GAVAESampler(random_state=seed, device="cpu")
est = build_method(method, layout=pre.layout_, random_state=seed, verbose=False, device="cpu", **params)
t = time.time(); est.fit(X, y); print(method, "fit", round(time.time()-t), "s", flush=True)
p = est.predict(Xt)
print(params); fp = ((yt == "Normal") & (p != "Normal")).sum() / (yt == "Normal").sum(); print("binary FPR", round(100*fp, 2))
from sklearn.metrics import f1_score; print("macro-F1", round(100*f1_score(yt, p, average="macro"), 2))
print(pd.crosstab(pd.Series(yt, name="true"), pd.Series(p, name="pred")))
