"""Probe: (1) which columns carry Probe's synthetic->real distance; (2) does drawing the
within-bin value from the *class's* own training values (instead of the global CDF)
lower C2ST / distance ratio, and at what cost in exact copies? (issue #11; NSL-KDD,
`gavae-ids fidelity`'s split of the training data; log classbin_seed0.log)

    python classbin_probe.py 0
"""
import sys, time
import numpy as np, torch
torch.set_num_threads(1)
from gavae_ids.evaluation.fidelity import fidelity_per_class
from gavae_ids.fidelity import HOLDOUT_FRACTION, fidelity_data, synthetic_rows
from gavae_ids.sampling import GAVAESampler
from sklearn.neighbors import NearestNeighbors

seed = int(sys.argv[1]) if len(sys.argv) > 1 else 0
data = fidelity_data("nsl-kdd", data_home=None, train_split="train20", quick=False,
                     holdout_fraction=HOLDOUT_FRACTION, random_state=seed)
X, y = data.X_fit, np.asarray(data.y_fit)
s = GAVAESampler(layout=data.layout, random_state=seed, device="cpu", verbose=False,
                 within_bin="global")  # the defaults of the time
t0 = time.time(); Xs, ys = synthetic_rows(s, X, y); print(f"fit {time.time()-t0:.1f}s", flush=True)
num = s.layout_.numeric_indices
names = list(getattr(data.layout, "feature_names", [str(i) for i in range(X.shape[1])]))
cdf = s.cdf_; B = cdf.bins(int(s.n_bins))
def bin_of(V):  # V: values of numeric cols, (n, n_num)
    T = cdf.transform(V)
    return np.stack([np.searchsorted(B["edges"][j][np.isfinite(B["edges"][j])], T[:, j], side="left")
                     for j in range(V.shape[1])], 1)
rng = np.random.RandomState(seed)
Xs2 = Xs.copy()
for c in np.unique(ys):
    R = X[y == c][:, num]; Rb = bin_of(R)
    m = ys == c; S = Xs[m][:, num].copy(); Sb = bin_of(S)
    miss = 0
    for j in range(len(num)):
        for b in np.unique(Sb[:, j]):
            pool = R[Rb[:, j] == b, j]
            rows = np.where(Sb[:, j] == b)[0]
            if len(pool): S[rows, j] = pool[rng.randint(len(pool), size=len(rows))]
            else: miss += len(rows)
    Xs2[np.where(m)[0][:, None], num[None, :]] = S
    print(f"{c}: values in bins the class never uses: {miss / S.size:.4f}")
for label, XS in (("as is", Xs), ("class-bin", Xs2)):
    t = fidelity_per_class(X, y, XS, ys, random_state=seed)
    print(label); print(t.round(3).to_string(), flush=True)
# per-column contribution of Probe's synthetic->nearest-real squared distance
for label, XS in (("as is", Xs), ("class-bin", Xs2)):
    R = X[y == "Probe"]; S = XS[ys == "Probe"][:3000]
    nn = NearestNeighbors(n_neighbors=1).fit(R); d, i = nn.kneighbors(S)
    contrib = ((S - R[i[:, 0]]) ** 2).mean(0)
    top = np.argsort(contrib)[::-1][:10]
    print(label, "median d", np.median(d), "top columns:",
          [(names[k] if k < len(names) else k, round(float(contrib[k]), 5)) for k in top])
