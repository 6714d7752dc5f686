import sys
from gavae_ids.fidelity import measure_fidelity
for seed in map(int, sys.argv[1:]):
    measure_fidelity("nsl-kdd", ["gavae-fidelity", "gavae"], random_state=seed, device="cpu", verbose=False,
                     sampler_params={"gavae-fidelity": {"threshold_quantile": 0.5}, "gavae": {"threshold_quantile": 0.5}},
                     out_dir=f"/work/runs/fidq-s{seed}",
                     command=f"measure_fidelity('nsl-kdd', ['gavae-fidelity', 'gavae'], random_state={seed}, sampler_params={{both: {{'threshold_quantile': 0.5}}}})")
