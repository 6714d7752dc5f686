"""Are reconstructions told apart by bin choice or by the position within the bin?"""
import sys, time, warnings, json
import numpy as np, torch
from gavae_ids.datasets import load_benchmark
from gavae_ids.preprocessing import fit_preprocessing
from gavae_ids.classifiers.base import validation_split
from gavae_ids.sampling import GAVAESampler
from gavae_ids.evaluation.fidelity import c2st_auc, nn_distance_ratio
from gavae_ids.nn.gavae import _bin_log_probs, _bin_of, _bin_bounds, _assemble
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.model_selection import cross_val_predict
from sklearn.metrics import roc_auc_score

seed = 0
extra = json.loads(sys.argv[1]) if len(sys.argv) > 1 else {}
torch.set_num_threads(1)
bench = load_benchmark("nsl-kdd", train_split="train20", with_tests=False)
tr = bench.train
X_df, y_ser, pre, _ = fit_preprocessing(tr.X, tr.y, categorical=tr.categorical, numeric=tr.numeric)
X, y = pre.transform(X_df), y_ser.to_numpy()
names = np.array(pre.layout_.feature_names)
fi, hi = validation_split(y, 0.2, np.random.RandomState(seed))
X, y = X[fi], y[fi]
s = GAVAESampler(layout=pre.layout_, random_state=seed, **extra)
t = time.perf_counter()
with warnings.catch_warnings():
    warnings.simplefilter("ignore"); s.fit_resample(X, y)
print(f"fit {time.perf_counter()-t:.1f}s extra={extra}", flush=True)
m = s.model_; bins = m._bins(); num = s.layout_.numeric_indices
eye = torch.eye(len(s.classes_))
g = torch.Generator().manual_seed(1)
for c in ["DoS", "Probe", "R2L"]:
    ci = int(np.flatnonzero(s.classes_ == c)[0])
    R = X[y == c]
    if len(R) > 3000: R = R[np.random.RandomState(0).choice(len(R), 3000, replace=False)]
    xs = torch.as_tensor(s._scale(R))
    with torch.no_grad():
        mu, lv = m.encode(xs)
        logits = m.decode(mu, eye[[ci] * len(xs)])
        d = xs.shape[1]
        kt = _bin_of(xs[:, num], bins)  # true bins
        lo, hi_ = _bin_bounds(kt, bins)
        true_within = ((xs[:, num] - lo) / (hi_ - lo).clamp_min(1e-12)).clamp(0, 1)
        kmode = _bin_log_probs(logits, d, bins).argmax(dim=2)
        lo_m, hi_m = _bin_bounds(kmode, bins)
        variants = {}
        a = m.to_features(logits); variants["mode+centre"] = a
        b = a.clone(); b[:, num] = lo_m + true_within * (hi_m - lo_m); variants["mode+true-within"] = b
        u = torch.rand(len(xs), len(num), generator=g)
        e = xs.clone(); e[:, num] = lo + u * (hi_ - lo); variants["true-bin+uniform"] = e
        f = xs.clone(); f[:, num] = lo + 0.5 * (hi_ - lo); variants["true-bin+centre"] = f
        gum = -torch.log(-torch.log(torch.rand(logits.shape, generator=g).clamp(1e-10, 1 - 1e-7)))
        variants["sampleT0.5"] = m.sample_features(logits, gum, u, 0.5)
        # categorical only from mode, numeric true
        h = a.clone(); h[:, num] = xs[:, num]; variants["mode-cats+true-nums"] = h
        k2 = xs.clone(); k2[:, num] = a[:, num]; variants["true-cats+mode-nums(centre)"] = k2
    for name, V in variants.items():
        S = s._to_output(s._snap(V).numpy())
        auc = c2st_auc(R, S, random_state=0)
        _, _, ratio = nn_distance_ratio(R, S, random_state=0)
        extra_s = ""
        if name in ("mode+centre", "sampleT0.5", "true-bin+uniform"):
            # top univariate features
            aucs = []
            for j in range(R.shape[1]):
                if R[:, j].std() == 0 and S[:, j].std() == 0: continue
                aucs.append((abs(roc_auc_score(np.r_[np.zeros(len(R)), np.ones(len(S))], np.r_[R[:, j], S[:, j]]) - 0.5) + 0.5, names[j]))
            aucs.sort(reverse=True)
            extra_s = " top: " + ", ".join(f"{n} {v:.2f}" for v, n in aucs[:5])
        print(f"{c:6s} {name:28s} c2st {auc:.3f} ratio {ratio:.2f}{extra_s}", flush=True)
