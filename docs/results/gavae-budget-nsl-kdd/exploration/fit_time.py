import os, sys, time, json, warnings
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
import torch
from gavae_ids.datasets import load_benchmark
from gavae_ids.preprocessing import fit_preprocessing
from gavae_ids.sampling import GAVAESampler
torch.set_num_threads(int(sys.argv[1]))
bench = load_benchmark("nsl-kdd", train_split="train20", with_tests=False)
tr = bench.train
X_df, y_ser, pre, _ = fit_preprocessing(tr.X, tr.y, categorical=tr.categorical, numeric=tr.numeric)
X, y = pre.transform(X_df), y_ser.to_numpy()
extra = json.loads(sys.argv[2])
s = GAVAESampler(layout=pre.layout_, random_state=0, **extra)
t = time.perf_counter()
with warnings.catch_warnings():
    warnings.simplefilter("ignore"); s.fit_resample(X, y)
print(f"{extra} threads={sys.argv[1]} fit_resample {time.perf_counter()-t:.1f}s", flush=True)
