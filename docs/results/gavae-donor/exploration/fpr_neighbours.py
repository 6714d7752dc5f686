"""Why GAVAE rows raise a DNN's binary FPR on KDDTest+ (seed S; the test file is only read
to explain a measured result, nothing is chosen on it): for every normal test row, is its
nearest training row (real rows + the oversampler's synthetic rows, preprocessed as the
classifiers see them) a real normal row, a real attack row or a synthetic attack row? The
same for GAVAE (library defaults) and SMOTE (k = 5), both filling every class up to the
majority count of KDDTrain+_20Percent.

    python fpr_neighbours.py 0
"""
import sys

import numpy as np
import pandas as pd
import torch
from imblearn.over_sampling import SMOTE
from sklearn.neighbors import NearestNeighbors

from gavae_ids.datasets import load_nsl_kdd
from gavae_ids.preprocessing import TabularPreprocessor
from gavae_ids.sampling import GAVAESampler

torch.set_num_threads(1)
seed = int(sys.argv[1]) if len(sys.argv) > 1 else 0
tr, te = load_nsl_kdd("train20"), load_nsl_kdd("test")
pre = TabularPreprocessor(categorical=tr.categorical).fit(tr.X)
X, y = pre.transform(tr.X), tr.y.to_numpy()
Xt, yt = pre.transform(te.X), te.y.to_numpy()
normal = Xt[yt == "Normal"]
for name, sampler in (("SMOTE", SMOTE(k_neighbors=5, random_state=seed)),
                      ("GAVAE", GAVAESampler(layout=pre.layout_, random_state=seed,
                                             device="cpu"))):
    Xr, yr = sampler.fit_resample(X, y)
    synthetic = np.r_[np.zeros(len(X), bool), np.ones(len(Xr) - len(X), bool)]
    d, i = NearestNeighbors(n_neighbors=1).fit(Xr).kneighbors(normal)
    i = i[:, 0]
    kind = np.where(yr[i] == "Normal", "real normal",
                    np.where(synthetic[i], "synthetic attack", "real attack"))
    share = pd.Series(kind).value_counts(normalize=True).round(4).to_dict()
    print(f"{name}: nearest training row of the {len(normal)} normal KDDTest+ rows: {share}")
    # 1-NN's binary FPR on the normal test rows, and which attack classes take them.
    print(f"  1-NN binary FPR {np.mean(yr[i] != 'Normal'):.4f}; "
          f"by class {pd.Series(yr[i][yr[i] != 'Normal']).value_counts().to_dict()}")
    syn = synthetic[i] & (yr[i] != "Normal")
    print(f"  synthetic nearest rows by class {pd.Series(yr[i][syn]).value_counts().to_dict()}",
          flush=True)
