"""Fit the default GAVAE once (fidelity split, seed S), then sweep generation settings."""
import sys, time, warnings, json
import numpy as np, torch
from gavae_ids.datasets import load_benchmark
from gavae_ids.preprocessing import fit_preprocessing
from gavae_ids.classifiers.base import validation_split
from gavae_ids.sampling import GAVAESampler
from gavae_ids.evaluation.fidelity import c2st_auc, coverage_density, nn_distance_ratio, exact_copy_share

seed = int(sys.argv[1]) if len(sys.argv) > 1 else 0
extra = json.loads(sys.argv[2]) if len(sys.argv) > 2 else {}
torch.set_num_threads(1)
bench = load_benchmark("nsl-kdd", train_split="train20", with_tests=False)
tr = bench.train
X_df, y_ser, pre, _ = fit_preprocessing(tr.X, tr.y, categorical=tr.categorical, numeric=tr.numeric)
X, y = pre.transform(X_df), y_ser.to_numpy()
fi, hi = validation_split(y, 0.2, np.random.RandomState(seed))
X, y = X[fi], y[fi]
s = GAVAESampler(layout=pre.layout_, random_state=seed, **extra)
t = time.perf_counter()
with warnings.catch_warnings():
    warnings.simplefilter("ignore"); s.fit_resample(X, y)
print(f"fit {time.perf_counter()-t:.1f}s extra={extra}", flush=True)
model = s.model_
Xs_all = torch.as_tensor(s._scale(X))

def posterior_draw(scale):
    def draw(ci, n, g):
        rows = np.flatnonzero(y == s.classes_[ci])
        pick = torch.as_tensor(rows)[torch.randint(len(rows), (n,), generator=g)]
        with torch.no_grad():
            mu, lv = model.encode(Xs_all[pick])
        return mu + scale * torch.exp(0.5 * lv) * torch.randn(mu.shape, generator=g)
    return draw

orig_draw = s._draw_latent
variants = [("gmm8 T0.5", None, 0.5), ("gmm8 T0.3", None, 0.3), ("gmm8 T1.0", None, 1.0),
            ("post1 T0.5", 1.0, 0.5), ("post1 T0.3", 1.0, 0.3), ("post1 T1.0", 1.0, 1.0),
            ("post0.5 T0.5", 0.5, 0.5), ("post2 T0.5", 2.0, 0.5)]
if len(sys.argv) > 3:
    variants = [v for v in variants if v[0] in sys.argv[3].split(",")]
for name, scale, temp in variants:
    s.temperature = temp
    s._draw_latent = orig_draw if scale is None else posterior_draw(scale)
    g = torch.Generator().manual_seed(seed + 7)
    out = []
    for c in ["DoS", "Probe", "R2L"]:
        ci = int(np.flatnonzero(s.classes_ == c)[0])
        Zs, st = s._generate(ci, 3000, g)
        S = s._to_output(Zs)
        R = X[y == c]
        auc = c2st_auc(R, S, random_state=seed)
        cov, den = coverage_density(R, S, random_state=seed)
        _, _, ratio = nn_distance_ratio(R, S, random_state=seed)
        cp = exact_copy_share(R, S)
        out.append(f"{c}: c2st {auc:.3f} cov {cov:.3f} den {den:.2f} ratio {ratio:.2f} copy {cp:.3f} acc {st['accepted']/st['attempts']:.2f}")
    print(f"{name:14s} | " + " | ".join(out), flush=True)
