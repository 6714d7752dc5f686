"""Idle fit time of GAVAESampler.fit_resample on all of NSL-KDD KDDTrain+_20Percent,
split into training and generation (Eq. 9 filter included).

    python fit_time.py THREADS '{"decoder": "autoregressive"}' ...
"""

import json
import os
import sys
import time
import warnings

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
import torch  # noqa: E402

from gavae_ids.datasets import load_benchmark  # noqa: E402
from gavae_ids.preprocessing import fit_preprocessing  # noqa: E402
from gavae_ids.sampling import GAVAESampler  # noqa: E402

torch.set_num_threads(int(sys.argv[1]))
bench = load_benchmark("nsl-kdd", train_split="train20", with_tests=False)
tr = bench.train
X_df, y_ser, pre, _ = fit_preprocessing(tr.X, tr.y, categorical=tr.categorical, numeric=tr.numeric)
X, y = pre.transform(X_df), y_ser.to_numpy()
for text in sys.argv[2:]:
    extra = json.loads(text)
    s = GAVAESampler(layout=pre.layout_, random_state=0, **extra)
    phases = {}
    for name in ("_train", "_augment"):
        method = getattr(s, name)

        def timed(*a, _m=method, _n=name, _p=phases, **k):
            t0 = time.perf_counter()
            out = _m(*a, **k)
            _p[_n] = time.perf_counter() - t0
            return out

        setattr(s, name, timed)
    t = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        X_res, _ = s.fit_resample(X, y)
    print(
        f"{extra} threads={sys.argv[1]} fit_resample {time.perf_counter() - t:.1f} s "
        f"(training {phases['_train']:.1f} s, generating {len(X_res) - len(X)} rows "
        f"{phases['_augment']:.1f} s)",
        flush=True,
    )
