"""One fit of the default sampler; then Eq. 8 thresholds at several quantiles of the class's
real-row losses (threshold_quantile) and several within_bin_smoothing values, the same
number of rows per class, fidelity each (issue #11; NSL-KDD, `gavae-ids fidelity`'s split
of the training data; logs quantile_seed*.log).

    python quantile_probe.py 1
"""
import sys, time
import numpy as np, torch
torch.set_num_threads(1)
from gavae_ids.evaluation.fidelity import fidelity_per_class
from gavae_ids.fidelity import HOLDOUT_FRACTION, fidelity_data, synthetic_rows
from gavae_ids.sampling import GAVAESampler

seed = int(sys.argv[1]); ds = sys.argv[2] if len(sys.argv) > 2 else "nsl-kdd"
params = eval(sys.argv[3]) if len(sys.argv) > 3 else {}
data = fidelity_data(ds, data_home=None, train_split="train20", quick=False,
                     holdout_fraction=HOLDOUT_FRACTION, random_state=seed)
X, y = data.X_fit, np.asarray(data.y_fit)
s = GAVAESampler(layout=data.layout, random_state=seed, device="cpu", verbose=False, **params)
t0 = time.time(); Xs, ys = synthetic_rows(s, X, y); print(f"fit {time.time()-t0:.1f}s", params, flush=True)
classes, y_index = np.unique(y, return_inverse=True)
Xscaled = s._scale(X)
for kappa, q in ((20.0, 1.0), (50.0, 1.0), (100.0, 1.0), (20.0, 0.99), (50.0, 0.99), (50.0, 0.95)):
    s.within_bin_smoothing = kappa
    s.threshold_quantile = q; s._set_thresholds(Xscaled, y_index)
    rows, labels, rep = [], [], []
    for c in np.unique(ys):
        n = int((ys == c).sum()); r = s.sample(n, c, random_state=seed)
        rows.append(r); labels += [c] * len(r)
    t = fidelity_per_class(X, y, np.concatenate(rows), np.array(labels), random_state=seed)
    print("kappa", kappa, "threshold_quantile", q); print(t[["n_synthetic", "c2st_auc", "coverage", "density", "dist_ratio", "exact_copy_share"]].round(3).to_string(), flush=True)
