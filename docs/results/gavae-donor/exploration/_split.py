"""What the probes here share: `gavae-ids fidelity`'s split of NSL-KDD KDDTrain+_20Percent for
seed S (training data only), a GAVAESampler fitted on it with its synthetic rows, and the bin
of every numeric value."""
import numpy as np
import torch

from gavae_ids.fidelity import HOLDOUT_FRACTION, fidelity_data, synthetic_rows
from gavae_ids.sampling import GAVAESampler


def fitted(seed: int, **params):
    """(X, y, sampler, X_syn, y_syn): the rows the sampler was fitted on and the rows it added."""
    torch.set_num_threads(1)
    data = fidelity_data("nsl-kdd", data_home=None, train_split="train20", quick=False,
                         holdout_fraction=HOLDOUT_FRACTION, random_state=seed)
    X, y = data.X_fit, np.asarray(data.y_fit)
    s = GAVAESampler(layout=data.layout, random_state=seed, device="cpu", verbose=False,
                     **params)
    Xs, ys = synthetic_rows(s, X, y)
    return X, y, s, Xs, ys


def bin_finder(s):
    """A function: numeric values (n, n_numeric) in input units -> their bins under ``s``."""
    edges = s.cdf_.bins(int(s.n_bins))["edges"]

    def bin_of(V):
        T = s.cdf_.transform(V)
        return np.stack([np.searchsorted(edges[j][np.isfinite(edges[j])], T[:, j], side="left")
                         for j in range(V.shape[1])], 1)

    return bin_of
