"""Binary FPR on KDDTest+ split by how far each normal test row lies from the training data.

Fits METHOD (library defaults, as ``gavae-ids reproduce --hyperparameters defaults``) on
KDDTrain+_20Percent with seed S, predicts KDDTest+, and splits the normal test rows in two
by the distance to their nearest training row (encoded, min-max units): *inside* the
training data when that distance is at most the 95th percentile of the training rows' own
nearest-other-row distances, *outside* otherwise. The cut is set by the training rows
alone; the test file is read only to evaluate, and nothing is chosen with it.

    python fpr_by_support.py S gavae-dnn
    python fpr_by_support.py S smote-dnn
"""

import sys
import time

import numpy as np
import torch
from sklearn.neighbors import NearestNeighbors

from gavae_ids.datasets import load_nsl_kdd
from gavae_ids.methods import build_method
from gavae_ids.preprocessing import TabularPreprocessor

torch.set_num_threads(1)
seed, method = int(sys.argv[1]), sys.argv[2]
tr, te = load_nsl_kdd("train20"), load_nsl_kdd("test")
pre = TabularPreprocessor(categorical=tr.categorical).fit(tr.X)
X, y = pre.transform(tr.X), tr.y.to_numpy()
Xt, yt = pre.transform(te.X), te.y.to_numpy()

own = NearestNeighbors(n_neighbors=2).fit(X).kneighbors(X)[0][:, 1]
cut = float(np.quantile(own, 0.95))
normal = yt == "Normal"
dist = NearestNeighbors(n_neighbors=1).fit(X).kneighbors(Xt[normal])[0][:, 0]
inside = dist <= cut

t0 = time.time()
est = build_method(method, layout=pre.layout_, random_state=seed, verbose=False, device="cpu")
est.fit(X, y)
flagged = est.predict(Xt[normal]) != "Normal"
print(
    f"{method} seed {seed} (fit {time.time() - t0:.0f} s): cut {cut:.3f} (95th pct of "
    f"training nearest-other-row distances); binary FPR all normal rows "
    f"{100 * flagged.mean():.2f} % of {normal.sum()}; inside the training data "
    f"{100 * flagged[inside].mean():.2f} % of {inside.sum()}; outside "
    f"{100 * flagged[~inside].mean():.2f} % of {(~inside).sum()}; "
    f"flagged rows outside: {flagged[~inside].sum()} of {flagged.sum()}",
    flush=True,
)
