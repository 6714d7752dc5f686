"""Probe (issue #11): does weight decay on the encoder and decoder (AdamW, decoupled) keep
192 bins' realism without R2L's exact copies? The library has no such parameter: this
script swaps the VAE optimizer of gavae_ids.training.gavae_loop for AdamW, then measures
as config_probe.py does (the split and metrics of `gavae-ids fidelity --seed S`).

    python wd_probe.py 2 0.1
"""
import json
import sys

import torch

import gavae_ids.training.gavae_loop as loop
from config_probe import run

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
run(seed, params, label=f" AdamW weight_decay {wd}")
