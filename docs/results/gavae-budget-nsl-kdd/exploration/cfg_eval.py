"""Train a GAVAE config on the fidelity split (seed 0): recon C2ST and generation fidelity."""
import sys, time, warnings, json
import numpy as np, torch
from gavae_ids.datasets import load_benchmark
from gavae_ids.preprocessing import fit_preprocessing
from gavae_ids.classifiers.base import validation_split
from gavae_ids.sampling import GAVAESampler
from gavae_ids.evaluation.fidelity import c2st_auc, coverage_density, nn_distance_ratio, exact_copy_share

seed = int(sys.argv[1])
torch.set_num_threads(1)
bench = load_benchmark("nsl-kdd", train_split="train20", with_tests=False)
tr = bench.train
X_df, y_ser, pre, _ = fit_preprocessing(tr.X, tr.y, categorical=tr.categorical, numeric=tr.numeric)
X, y = pre.transform(X_df), y_ser.to_numpy()
fi, hi = validation_split(y, 0.2, np.random.RandomState(seed))
X, y = X[fi], y[fi]
import gavae_ids.training.gavae_loop as L
_orig_vae_step = L.vae_step
state = {"it": 0, "n": 1, "decay": None}
def _vae_step(model, opt, *a, **k):
    state["it"] += 1
    if state["decay"]:
        frac = state["it"] / state["n"]
        for gr in opt.param_groups:
            gr.setdefault("base_lr", gr["lr"])
            gr["lr"] = gr["base_lr"] * (0.5 * (1 + np.cos(np.pi * frac)) if state["decay"] == "cos" else (1 - frac))
    return _vae_step_orig(model, opt, *a, **k)
_vae_step_orig = _orig_vae_step
L.vae_step = _vae_step
for arg in sys.argv[2:]:
    extra = json.loads(arg)
    state["decay"] = extra.pop("decay", None); state["it"] = 0; state["n"] = extra.get("n_iter", 600)
    s = GAVAESampler(layout=pre.layout_, random_state=seed, **extra)
    t = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore"); Xr, yr = s.fit_resample(X, y)
    ft = time.perf_counter() - t
    hist = s.history_
    Xsyn, ysyn = Xr[len(X):], yr[len(X):]
    m = s.model_; eye = torch.eye(len(s.classes_))
    out = []
    for c in ["DoS", "Probe", "R2L"]:
        ci = int(np.flatnonzero(s.classes_ == c)[0])
        R = X[y == c]; S = Xsyn[ysyn == c]
        xs = torch.as_tensor(s._scale(R[:3000]))
        with torch.no_grad():
            mu, _ = m.encode(xs)
            rec = s._to_output(s._snap(m.to_features(m.decode(mu, eye[[ci] * len(xs)]))).numpy())
        ra = c2st_auc(R[:3000], rec, random_state=0)
        auc = c2st_auc(R, S, random_state=seed)
        cov, den = coverage_density(R, S, random_state=seed)
        _, _, ratio = nn_distance_ratio(R, S, random_state=seed)
        cp = exact_copy_share(R, S)
        out.append(f"{c}: rec {ra:.3f} gen {auc:.3f} cov {cov:.2f} ratio {ratio:.2f} cp {cp:.3f}")
    print(f"decay={state['decay']} {json.dumps(extra)} fit {ft:.0f}s recon_loss(last50) {hist['recon_loss'].tail(50).mean():.2f}\n   " + " | ".join(out), flush=True)
