"""Writes tests/data/gavae_sampler_v2_no_territory/: a format-2 GAVAESampler file of the
plain (mlp) decoder (the autoregressive one is 256-256, over 500 KiB of weights), written
before the sampler had a territory check (930c794)."""

import sys

import numpy as np

from gavae_ids.preprocessing.layout import FeatureLayout, OneHotBlock
from gavae_ids.sampling import GAVAESampler

out = sys.argv[1]
rng = np.random.RandomState(0)
y = np.r_[np.zeros(40, int), np.ones(20, int)]
X = np.c_[rng.rand(60, 2) + 0.5 * y[:, None], np.eye(2)[rng.randint(0, 2, 60)]]
layout = FeatureLayout(("a", "b", "p=x", "p=y"), (OneHotBlock("p", 2, 4, ("x", "y")),))
s = GAVAESampler(layout=layout, decoder="mlp", random_state=0, hidden=(8,), latent_dim=2, n_iter=20,
                 batch_size=32, critic_steps=1, device="cpu")  # fmt: skip
s.fit_resample(X, y)
s.save(out)
np.save(out + "/expected_sample.npy", s.sample(10, 1, random_state=3))
np.save(out + "/X.npy", X)
np.save(out + "/y.npy", y)
