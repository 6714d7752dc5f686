"""Does removing synthetic rows that look like another class fix GAVAE data's FPR with a DNN?
mode knn: drop a synthetic row whose 5 nearest real training rows are mostly of another class.
mode contrast: drop a synthetic row whose Eq. 7 loss (encode -> decode with a label) is lower
under another label than under its own."""
import sys, time, json
import numpy as np, pandas as pd, torch
torch.set_num_threads(1)
from imblearn.base import BaseSampler
from sklearn.neighbors import KNeighborsClassifier
from gavae_ids.datasets import load_nsl_kdd
from gavae_ids.preprocessing import TabularPreprocessor
from gavae_ids.methods import build_method
from gavae_ids.sampling import GAVAESampler
from sklearn.metrics import f1_score

seed, mode = int(sys.argv[1]), sys.argv[2]

class Filtered(BaseSampler):
    _sampling_type = "over-sampling"
    _parameter_constraints = {}
    def __init__(self, layout=None, mode="knn", sampling_strategy="auto"):
        super().__init__(sampling_strategy=sampling_strategy); self.layout = layout; self.mode = mode
    def _fit_resample(self, X, y):
        s = GAVAESampler(layout=self.layout, random_state=seed, device="cpu")
        Xr, yr = s.fit_resample(X, y); n = len(X)
        Xn, yn = Xr[n:], yr[n:]
        if self.mode == "knn":
            pred = KNeighborsClassifier(5).fit(X, y).predict(Xn)
            keep = pred == yn
        else:
            Xs = s._scale(Xn); idx = {c: i for i, c in enumerate(s.classes_)}
            own = s._scores_scaled(Xs, np.array([idx[c] for c in yn]))
            best = np.full(len(Xn), np.inf)
            for i, c in enumerate(s.classes_):
                L = s._scores_scaled(Xs, np.full(len(Xn), i))
                other = np.array([idx[v] != i for v in yn])
                best = np.where(other, np.minimum(best, L), best)
            keep = own <= best
        print(pd.DataFrame({"class": yn, "kept": keep}).groupby("class")["kept"].mean().round(3).to_dict(), flush=True)
        self.encoder_config_ = s.encoder_config_; self._s = s
        return np.concatenate([X, Xn[keep]]), np.concatenate([y, yn[keep]])

tr = load_nsl_kdd("train20"); te = load_nsl_kdd("test")
pre = TabularPreprocessor(categorical=tr.categorical).fit(tr.X)
X, y = pre.transform(tr.X), tr.y.to_numpy()
Xt, yt = pre.transform(te.X), te.y.to_numpy()
est = build_method("dnn", random_state=seed, verbose=False, device="cpu", lr=1e-3, hidden=(128, 64),
                   sampler=Filtered(layout=pre.layout_, mode=mode))
t = time.time(); est.fit(X, y); print(mode, "fit", round(time.time()-t), "s", flush=True)
p = est.predict(Xt)
fp = ((yt == "Normal") & (p != "Normal")).sum() / (yt == "Normal").sum()
print("binary FPR", round(100*fp, 2), "macro-F1", round(100*f1_score(yt, p, average="macro"), 2))
print(pd.crosstab(pd.Series(yt, name="true"), pd.Series(p, name="pred")))
