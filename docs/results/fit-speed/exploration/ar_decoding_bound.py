"""Upper bound of the incremental-decoding lever (issue #32).

Column-by-column ``generate()`` of 8,192 candidates against one teacher-forced decoder
pass over them (NSL-KDD-shaped model, untrained weights: timing only). From the
repository root::

    GAVAE_IDS_DATA=... PYTHONPATH=src python docs/results/fit-speed/exploration/ar_decoding_bound.py
"""

from __future__ import annotations

import os
import sys
import time

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import numpy as np  # noqa: E402
import torch  # noqa: E402

from gavae_ids.nn.gavae import GAVAE  # noqa: E402
from gavae_ids.sampling import GAVAESampler  # noqa: E402
from gavae_ids.sampling._value_space import ValueSpace  # noqa: E402

sys.path.insert(0, "benchmarks")
from profile_gavae import load  # noqa: E402


def main() -> None:
    torch.set_num_threads(2)
    X, y, layout = load("nsl-kdd", os.environ["GAVAE_IDS_DATA"])
    config = GAVAESampler(layout=layout).config()
    _, yi = np.unique(y, return_inverse=True)
    space = ValueSpace(layout, config, X.dtype).fit(X, yi, 5)
    model = GAVAE(layout, 5, bins=space.numeric_bins(), **config.network()).eval()
    n = 8192
    g = torch.Generator().manual_seed(0)
    z = torch.randn(n, 10, generator=g)
    yb = torch.eye(5)[torch.full((n,), 2)]
    u = torch.rand(n, model.n_logits, generator=g).clamp_(1e-10, 1 - 1e-7)
    gumbel = -torch.log(-torch.log(u))
    within = torch.rand(n, len(layout.numeric_indices), generator=g)
    for rep in range(3):
        with torch.no_grad():
            t0 = time.perf_counter()
            rows = model.generate(z, yb, gumbel, within, 0.7)
            t1 = time.perf_counter()
            model.decode(z, yb, rows)
            t2 = time.perf_counter()
        print(f"rep {rep}: column-by-column generate {t1 - t0:.2f} s, one teacher-forced "
              f"decoder pass {t2 - t1:.2f} s, ratio {(t1 - t0) / (t2 - t1):.1f}; columns "
              f"{model.n_columns}", flush=True)  # fmt: skip
    print("load", os.getloadavg()[0])


if __name__ == "__main__":
    main()
