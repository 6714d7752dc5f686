"""How often a *real* row repeats a training row exactly: the exact-copy share of the
held-out real rows of ``gavae-ids fidelity``'s split against the rows the samplers are
fitted on, per class (training data only). A generator that draws from the real
distribution copies training rows about this often.

    python natural_copies.py nsl-kdd 0
"""

import sys

import numpy as np

from gavae_ids.evaluation.fidelity import exact_copy_share
from gavae_ids.fidelity import HOLDOUT_FRACTION, fidelity_data

dataset, seed = sys.argv[1], int(sys.argv[2])
split = "train20"  # NSL-KDD only; UNSW-NB15 ignores it
data = fidelity_data(dataset, data_home=None, train_split=split, quick=False,
                     holdout_fraction=HOLDOUT_FRACTION, random_state=seed)  # fmt: skip
y_fit, y_hold = np.asarray(data.y_fit), np.asarray(data.y_hold)
print(f"{dataset}, seed {seed}: share of held-out real rows identical to a fitted row")
for c in np.unique(y_fit):
    R, H = data.X_fit[y_fit == c], data.X_hold[y_hold == c]
    print(f"  {c:15s} held-out {len(H):6d}  exact copies {exact_copy_share(R, H):.3f}")
