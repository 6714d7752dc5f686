"""Experiments: the paper's reproduction, merging split runs, tuning, fidelity runs and the
data summary (:mod:`~gavae_ids.experiments.reproduce`, :mod:`~gavae_ids.experiments.merge`,
:mod:`~gavae_ids.experiments.tuning`, :mod:`~gavae_ids.experiments.fidelity_runs`,
:mod:`~gavae_ids.experiments.summary`)."""
