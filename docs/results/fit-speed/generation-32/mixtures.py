"""Where the latent mixtures of an NSL-KDD fit spend their time (issue #32): per class, EM
settings, code counts, and the fit of every class on the default thread pools against one
thread. Needs the seed-0 sampler that exploration/ar_one_pass.py saves at /tmp/nsl_sampler."""
import os, sys, time
sys.path[:0] = ["benchmarks"]
import numpy as np, torch
from sklearn.mixture import GaussianMixture
from profile_gavae import load
from gavae_ids.sampling import GAVAESampler
torch.set_num_threads(2)
s = GAVAESampler.load("/tmp/nsl_sampler")
X, y, layout = load("nsl-kdd", os.environ["GAVAE_IDS_DATA"])
cls, yi = np.unique(y, return_inverse=True)
Xs = s.value_space_.scale(X)
model = s.model_.eval()
rs = np.random.RandomState(0)
g = torch.Generator().manual_seed(0)
print("load", os.getloadavg()[0])
def t():
    return time.perf_counter(), time.process_time()
def dt(t0):
    return f"{time.perf_counter()-t0[0]:.2f} s wall {time.process_time()-t0[1]:.2f} s CPU"
for i, c in enumerate(cls):
    rows = np.flatnonzero(yi == i)
    n_all = len(rows)
    if len(rows) > 5000:
        rows = rs.choice(rows, 5000, replace=False)
    t0 = t()
    with torch.no_grad():
        mu, lv = model.encode(torch.as_tensor(Xs[rows]))
        z = (mu + torch.exp(0.5 * lv) * torch.randn(mu.shape, generator=g)).numpy().astype(np.float64)
    enc = dt(t0)
    k = max(1, min(8, len(rows) // 20))
    for label, kw in [("default", {}), ("tol1e-2", {"tol": 1e-2}), ("max_iter50", {"max_iter": 50}),
                      ("init random_from_data", {"init_params": "random_from_data"}),
                      ("init k-means++", {"init_params": "k-means++"})]:
        kw = {"max_iter": 200, **kw}
        t0 = t()
        gm = GaussianMixture(k, covariance_type="full", reg_covar=1e-3, random_state=0, **kw).fit(z)
        print(f"{c:7s} rows {n_all:6d} codes {len(rows):5d} k {k} {label:22s} {dt(t0)} n_iter {gm.n_iter_:3d} conv {gm.converged_} mean loglik {gm.score(z):.3f}", flush=True)
    for n in (1000, 2000):
        if len(rows) > n:
            zz = z[:n]
            t0 = t()
            gm = GaussianMixture(k, covariance_type="full", reg_covar=1e-3, random_state=0, max_iter=200).fit(zz)
            print(f"{c:7s} codes {n} k {k} default {dt(t0)} n_iter {gm.n_iter_} loglik on all {gm.score(z):.3f}", flush=True)
    print(f"{c}: encode {enc}")
print("load", os.getloadavg()[0])
# threads: the default fit of every class with BLAS/OpenMP pools as they are, and limited to 1
from threadpoolctl import threadpool_info, threadpool_limits
print([ (p["internal_api"], p["num_threads"], p.get("filepath","")[-40:]) for p in threadpool_info()])
rs = np.random.RandomState(0)
codes = []
for i, c in enumerate(cls):
    rows = np.flatnonzero(yi == i)
    if len(rows) > 5000:
        rows = rs.choice(rows, 5000, replace=False)
    with torch.no_grad():
        mu, lv = model.encode(torch.as_tensor(Xs[rows]))
    codes.append((c, (mu + torch.exp(0.5 * lv) * torch.randn(mu.shape, generator=g)).numpy().astype(np.float64)))
def fit_all(skip_normal=False):
    for c, z in codes:
        if len(z) < 2 or (skip_normal and c == "Normal"):
            continue
        GaussianMixture(max(1, min(8, len(z) // 20)), covariance_type="full", reg_covar=1e-3, random_state=0, max_iter=200).fit(z)
for rep in range(3):
    for lim in ((None, 1) if rep % 2 == 0 else (1, None)):
        t0 = t()
        if lim is None:
            fit_all()
        else:
            with threadpool_limits(lim):
                fit_all()
        print(f"rep {rep} all classes, threads {lim or 'default'}: {dt(t0)}; load {os.getloadavg()[0]:.2f}", flush=True)
    t0 = t()
    with threadpool_limits(1):
        fit_all(skip_normal=True)
    print(f"rep {rep} without Normal, threads 1: {dt(t0)}; load {os.getloadavg()[0]:.2f}", flush=True)
