"""What tells Probe's synthetic rows from its real ones? NSL-KDD, `gavae-ids fidelity`'s split
(seed S) of the training data, default sampler. Per column: the AUC of that column alone
(rank AUC, max(auc, 1-auc)); then the C2ST AUC (as gavae-ids fidelity measures it) with the
most telling columns left out one block at a time.

    python probe_diag.py 0
"""
import sys, time
import numpy as np, torch
torch.set_num_threads(1)
from sklearn.metrics import roc_auc_score
from gavae_ids.evaluation.fidelity import c2st_auc
from gavae_ids.fidelity import HOLDOUT_FRACTION, fidelity_data
from gavae_ids.sampling import GAVAESampler

seed = int(sys.argv[1]); cls = sys.argv[2] if len(sys.argv) > 2 else "Probe"
data = fidelity_data("nsl-kdd", data_home=None, train_split="train20", quick=False,
                     holdout_fraction=HOLDOUT_FRACTION, random_state=seed)
X, y = data.X_fit, np.asarray(data.y_fit)
names = list(data.layout.feature_names)
s = GAVAESampler(layout=data.layout, random_state=seed, device="cpu", verbose=False,
                 sampling_strategy={cls: int((y == cls).sum())})  # nothing generated in fit
t0 = time.time(); s.fit_resample(X, y); print(f"fit {time.time()-t0:.1f}s", flush=True)
R = X[y == cls]; S = s.sample(3000, cls, random_state=seed)
np.savez_compressed(f"diag_{cls}_{seed}.npz", R=R, S=S)
lab = np.r_[np.zeros(len(R)), np.ones(len(S))]
auc = []
for j in range(X.shape[1]):
    v = np.r_[R[:, j], S[:, j]]
    a = roc_auc_score(lab, v) if v.std() > 0 else 0.5
    auc.append(max(a, 1 - a))
order = np.argsort(auc)[::-1]
print("single-column AUC, top 15:")
for j in order[:15]:
    print(f"  {names[j]:32s} {auc[j]:.3f}  real mean {R[:, j].mean():.4f}  syn mean {S[:, j].mean():.4f}")
print("C2ST all columns:", round(c2st_auc(R, S, random_state=seed), 3))
blocks = {b.name: list(range(b.start, b.stop)) for b in data.layout.onehot_blocks}
num = [j for j in range(X.shape[1]) if not any(j in v for v in blocks.values())]
for name, cols in blocks.items():
    keep = [j for j in range(X.shape[1]) if j not in cols]
    print(f"C2ST without block {name}:", round(c2st_auc(R[:, keep], S[:, keep], random_state=seed), 3))
print("C2ST numeric columns only:", round(c2st_auc(R[:, num], S[:, num], random_state=seed), 3))
print("C2ST one-hot blocks only:", round(c2st_auc(R[:, [j for v in blocks.values() for j in v]], S[:, [j for v in blocks.values() for j in v]], random_state=seed), 3))
for k in (3, 6, 10):
    keep = [j for j in range(X.shape[1]) if j not in set(order[:k])]
    print(f"C2ST without the {k} most telling single columns:", round(c2st_auc(R[:, keep], S[:, keep], random_state=seed), 3))
