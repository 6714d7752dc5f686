"""Milliseconds per training iteration by step (VAE step, 2 critic steps, discriminator-accuracy
evaluation, encoder adversarial step) for the default GAVAE on NSL-KDD KDDTrain+_20Percent, batch 512:

    python training_step_parts.py THREADS '{"batch_size": 256}'
"""

import json
import os
import sys
import time

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
import numpy as np
import torch

from gavae_ids._torch import make_generator
from gavae_ids.datasets import load_nsl_kdd
from gavae_ids.nn.gavae import GAVAE, reparameterize
from gavae_ids.preprocessing import TabularPreprocessor
from gavae_ids.sampling import GAVAESampler
from gavae_ids.training import gavae_loop as L

torch.set_num_threads(int(sys.argv[1]))
params = json.loads(sys.argv[2]) if len(sys.argv) > 2 else {}
data = load_nsl_kdd("train20", data_home=os.environ.get("GAVAE_IDS_DATA"))
pre = TabularPreprocessor(categorical=data.categorical).fit(data.X)
X, y = pre.transform(data.X), data.y.to_numpy()
s = GAVAESampler(layout=pre.layout_, random_state=0, **params)
s.layout_ = pre.layout_
s.classes_, yi = np.unique(y, return_inverse=True)
s._fit_scaler(X, s.layout_)
s._fit_value_counts(X, yi)
Xs = s._scale(X)
cfg = s.config()
model = GAVAE(s.layout_, len(s.classes_), bins=s._numeric_bins(), **cfg.network())
Xt = torch.as_tensor(Xs)
yt = torch.as_tensor(yi, dtype=torch.long)
g = make_generator(0)
opts = L.make_optimizers(model, cfg)
bs = cfg.batch_size
lat = cfg.latent_dim
y_all = torch.eye(5)[yt]


def rn(*s):
    return torch.randn(*s, generator=g)


T = {"vae": 0, "critic": 0, "eval": 0, "adv": 0}
N = 60
for i in range(N + 10):
    idx = torch.randint(0, len(Xt), (bs,), generator=g)
    x, y1 = Xt[idx], y_all[idx]
    t0 = time.perf_counter()
    L.vae_step(model, opts.vae, x, y1, rn(bs, lat), 0.1)
    t1 = time.perf_counter()
    with torch.no_grad():
        mu, lv = model.encode(x)
    for _ in range(2):
        L.critic_step(
            model,
            opts.critic,
            reparameterize(mu, lv, rn(bs, lat)),
            rn(bs, lat),
            y1,
            torch.rand(bs, 1, generator=g),
            10.0,
        )
    t2 = time.perf_counter()
    with torch.no_grad():
        e = model.encode(Xt[:160])
        z = reparameterize(*e, rn(160, lat))
        model.critic(z, torch.eye(5)[torch.arange(5).repeat_interleave(32)])
        model.critic(rn(160, lat), torch.eye(5)[torch.arange(5).repeat_interleave(32)])
    t3 = time.perf_counter()
    L.encoder_adversarial_step(model, opts.vae, x, y1, rn(bs, lat), 0.1)
    t4 = time.perf_counter()
    if i >= 10:
        for k, a, b in (("vae", t0, t1), ("critic", t1, t2), ("eval", t2, t3), ("adv", t3, t4)):
            T[k] += (b - a) / N * 1000
print(params, {k: round(v, 1) for k, v in T.items()}, "total", round(sum(T.values()), 1))
