"""Which *pairs* of numeric columns tell Probe's synthetic rows from its real ones (3-fold
HistGradientBoosting AUC on two columns), and how often the rows break sums the real ones
keep (issue #11; the rows probe_diag.py saved, seed 0; log probe_pairs_seed0.log).

    python probe_diag.py 0 && python probe_pairs.py
"""
import numpy as np, sys
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.model_selection import cross_val_score
from gavae_ids.fidelity import HOLDOUT_FRACTION, fidelity_data
data = fidelity_data("nsl-kdd", data_home=None, train_split="train20", quick=False,
                     holdout_fraction=HOLDOUT_FRACTION, random_state=0)
names = list(data.layout.feature_names)
d = np.load("diag_Probe_0.npz"); R, S = d["R"], d["S"]
blocks = [j for b in data.layout.onehot_blocks for j in range(b.start, b.stop)]
num = [j for j in range(R.shape[1]) if j not in blocks]
lab = np.r_[np.zeros(len(R)), np.ones(len(S))]
top = [names.index(n) for n in ("dst_host_serror_rate", "dst_host_rerror_rate", "dst_host_diff_srv_rate", "serror_rate", "count", "dst_host_same_src_port_rate")]
res = []
clf = HistGradientBoostingClassifier(max_iter=100, class_weight="balanced", random_state=0)
for a in top:
    for b in num:
        if b == a: continue
        Z = np.r_[R[:, [a, b]], S[:, [a, b]]]
        auc = cross_val_score(clf, Z, lab, cv=3, scoring="roc_auc").mean()
        res.append((auc, names[a], names[b]))
res.sort(reverse=True)
for r in res[:15]: print(f"{r[0]:.3f}  {r[1]} x {r[2]}")
# how exact are sums in real vs synthetic
for a, b in (("same_srv_rate", "diff_srv_rate"), ("dst_host_same_srv_rate", "dst_host_diff_srv_rate"), ("serror_rate", "rerror_rate"), ("dst_host_serror_rate", "dst_host_rerror_rate")):
    ia, ib = names.index(a), names.index(b)
    for lbl, M in (("real", R), ("syn", S)):
        s = M[:, ia] + M[:, ib]
        print(f"{a}+{b} {lbl}: share >1.0001 {np.mean(s > 1.0001):.3f}  share ==1 {np.mean(np.abs(s-1)<1e-4):.3f}")
