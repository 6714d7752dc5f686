"""Where Probe's synthetic->real distance comes from with donor rows (seed S, `gavae-ids
fidelity`'s split, training data only): median distance to the nearest real row of the class,
split by whether the synthetic row is a bin-level copy (every numeric bin and one-hot category
of some real row of the class), and by how many numeric columns differ in bin from that
nearest-in-bins real row. Distances as `fidelity_per_class` measures them.

    python probe_distance.py 0
"""
import sys

import numpy as np
from _split import fitted

from gavae_ids.evaluation.fidelity import fidelity_per_class
from gavae_ids.sampling.donors import block_codes, pattern_keys

seed = int(sys.argv[1]) if len(sys.argv) > 1 else 0
X, y, s, Xs, ys = fitted(seed)
t = fidelity_per_class(X, y, Xs, ys, random_state=seed)
print(t[["c2st_auc", "coverage", "dist_ratio", "exact_copy_share"]].round(3).to_string())

# Distances on the rows as given, as nn_distance_ratio measures them (all rows queried).
from sklearn.neighbors import NearestNeighbors  # noqa: E402

num = s.layout_.numeric_indices
blocks = [(b.start, b.stop) for b in s.layout_.onehot_blocks]
sb = s._support_bins()
cols = np.arange(len(num))[None, :]


def codes(M):
    sup = s.cdf_.support_index(s._scale(M)[:, num])
    return sb[cols, sup], block_codes(M, blocks)


for c in ("DoS", "Probe", "R2L"):
    R, S = X[y == c], Xs[ys == c][:3000]
    nn = NearestNeighbors(n_neighbors=2).fit(R)
    d_rr = nn.kneighbors(R)[0][:, 1]
    d_sr = nn.kneighbors(S, n_neighbors=1)[0][:, 0]
    rb, rblk = codes(R)
    sbins, sblk = codes(S)
    copy = np.isin(pattern_keys(sbins, sblk), pattern_keys(rb, rblk))
    diff = np.array([((sbins[i] != rb) .sum(1) + (sblk[i] != rblk).sum(1)).min()
                     for i in range(len(S))])
    print(f"{c}: real->real median {np.median(d_rr):.4f}; synthetic->real median "
          f"{np.median(d_sr):.4f} (ratio {np.median(d_sr) / np.median(d_rr):.2f})")
    print(f"  bin-level copies {copy.mean():.3f}: median distance {np.median(d_sr[copy]):.4f}; "
          f"others {np.median(d_sr[~copy]):.4f}")
    for k in (1, 2, 3, 5):
        m = (diff >= k) if k == 5 else (diff == k)
        if m.any():
            print(f"  {'>=' if k == 5 else '=='}{k} codes from the nearest real pattern: "
                  f"{m.mean():.3f} of rows, median distance {np.median(d_sr[m]):.4f}")
