"""Post-hoc probe (issue #11), NSL-KDD, `gavae-ids fidelity`'s split of the training data: redraw each generated number within its bin from the class's smoothed
within-bin distribution P(k|b,c) = (n_ck + kappa*g_k)/(n_cb + kappa); kappa=inf is the
current (global) draw. One fit of the defaults of the time (within_bin did not exist),
several kappas. Log: kappa_seed0.log.

    python kappa_probe.py 0
"""
import sys, time
import numpy as np, torch
torch.set_num_threads(1)
from gavae_ids.evaluation.fidelity import fidelity_per_class
from gavae_ids.fidelity import HOLDOUT_FRACTION, fidelity_data, synthetic_rows
from gavae_ids.sampling import GAVAESampler

seed = int(sys.argv[1]); ds = sys.argv[2] if len(sys.argv) > 2 else "nsl-kdd"
data = fidelity_data(ds, data_home=None, train_split="train20", quick=False,
                     holdout_fraction=HOLDOUT_FRACTION, random_state=seed)
X, y = data.X_fit, np.asarray(data.y_fit)
s = GAVAESampler(layout=data.layout, random_state=seed, device="cpu", verbose=False,
                 within_bin="global")  # the defaults of the time
t0 = time.time(); Xs, ys = synthetic_rows(s, X, y); print(f"fit {time.time()-t0:.1f}s", flush=True)
np.savez_compressed(f"syn_{ds}_{seed}.npz", Xs=Xs, ys=ys)
num = s.layout_.numeric_indices; cdf = s.cdf_; B = cdf.bins(int(s.n_bins))
def support_index(V):
    return np.stack([np.clip(np.searchsorted(cdf.values_[j, :cdf.n_support_[j]], V[:, j]), 0,
                             cdf.n_support_[j] - 1) for j in range(V.shape[1])], 1)
# bin of each support value
mass = [np.diff(np.r_[0, cdf.upper_[j, :cdf.n_support_[j]]]) for j in range(len(num))]
binof = [np.searchsorted(B["edges"][j][np.isfinite(B["edges"][j])], cdf.mids_[j, :cdf.n_support_[j]])
         for j in range(len(num))]
def redraw(kappa, rng):
    out = Xs.copy()
    for c in np.unique(ys):
        R = support_index(X[y == c][:, num]); m = np.where(ys == c)[0]; S = support_index(Xs[m][:, num])
        for j in range(len(num)):
            K = cdf.n_support_[j]; n_ck = np.bincount(R[:, j], minlength=K).astype(float)
            b = binof[j]; Pb = np.bincount(b, weights=mass[j]); g = mass[j] / Pb[b]
            ncb = np.bincount(b, weights=n_ck, minlength=len(Pb))
            # (as run, this line divided 0 by 0 for kappa = 0 in bins the class never
            # reaches; the library's within_bin_table keeps the global shares there)
            w = np.where(ncb[b] > 0, (n_ck + kappa * g) / np.maximum(ncb[b] + kappa, 1e-300), g)
            cum = b + (np.cumsum(w) - (np.cumsum(np.bincount(b, weights=w)) - np.bincount(b, weights=w))[b])
            sb = b[S[:, j]]
            k = np.searchsorted(cum, sb + rng.rand(len(sb)), side="left")
            k = np.clip(k, 0, K - 1)
            out[m, num[j]] = cdf.values_[j, k]
    return out
for kappa in (np.inf, 50.0, 20.0, 5.0):
    XS = Xs if np.isinf(kappa) else redraw(kappa, np.random.RandomState(seed))
    t = fidelity_per_class(X, y, XS, ys, random_state=seed)
    print("kappa", kappa); print(t[["c2st_auc", "coverage", "density", "dist_ratio", "exact_copy_share"]].round(3).to_string(), flush=True)
