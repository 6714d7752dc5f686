"""Probe (issue #11): does weight decay on the encoder and decoder (AdamW, decoupled) keep
192 bins' realism without R2L's exact copies? The library has no such parameter: this
script swaps the VAE optimizer of gavae_ids.training.gavae_loop for AdamW. Same split and
metrics as `gavae-ids fidelity --seed S`.

    python wd_probe.py 2 0.1
"""
import json, sys, time
import numpy as np, torch
torch.set_num_threads(1)
import gavae_ids.training.gavae_loop as loop
from gavae_ids.evaluation.fidelity import fidelity_per_class
from gavae_ids.fidelity import HOLDOUT_FRACTION, fidelity_data, synthetic_rows
from gavae_ids.sampling import GAVAESampler

seed, wd = int(sys.argv[1]), float(sys.argv[2])
params = json.loads(sys.argv[3]) if len(sys.argv) > 3 else {"n_bins": 192}

def make_optimizers(model, config):
    vae_params = list(model.encoder.parameters()) + list(model.decoder.parameters())
    return loop.GAVAEOptimizers(
        vae=torch.optim.AdamW(vae_params, lr=config.lr, weight_decay=wd, foreach=True),
        critic=torch.optim.Adam(model.critic.parameters(), lr=config.critic_lr,
                                betas=(0.5, 0.9), foreach=True),
    )

loop.make_optimizers = make_optimizers
data = fidelity_data("nsl-kdd", data_home=None, train_split="train20", quick=False,
                     holdout_fraction=HOLDOUT_FRACTION, random_state=seed)
X, y = data.X_fit, np.asarray(data.y_fit)
s = GAVAESampler(layout=data.layout, random_state=seed, device="cpu", verbose=False, **params)
t0 = time.time(); Xs, ys = synthetic_rows(s, X, y)
print(f"{params} AdamW weight_decay {wd} seed {seed}: fit_resample {time.time() - t0:.1f} s (busy)")
t = fidelity_per_class(X, y, Xs, ys, random_state=seed)
print(t[["c2st_auc", "coverage", "density", "dist_ratio", "exact_copy_share"]].round(3).to_string(), flush=True)
