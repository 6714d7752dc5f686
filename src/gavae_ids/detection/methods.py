"""Building a compared method by name, with the preprocessing layout and budgets.

One place for what ``reproduce``, ``train`` and ``tune`` share: the
``--quick`` budgets and how a method is built from the registry (the GAVAE
sampler of GAVAE-DNN gets the preprocessing's one-hot layout).
"""

from __future__ import annotations

import numpy as np
from sklearn.base import clone

from gavae_ids.classifiers import GAVAEDNNClassifier, available_methods, get_method
from gavae_ids.exceptions import DataError
from gavae_ids.sampling import GAVAESampler

#: ``train``'s method when none is named (measured: docs/results/auto-default), and the one
#: used instead when LightGBM (the ``trees`` extra) is not installed.
DEFAULT_METHOD = "gavae-lgbm"
FALLBACK_METHOD = "gavae-dnn"


def default_method() -> str:
    """``train``'s method when none is named: :data:`DEFAULT_METHOD` where its package is
    installed, else :data:`FALLBACK_METHOD`."""
    return DEFAULT_METHOD if DEFAULT_METHOD in available_methods() else FALLBACK_METHOD


#: ``quick=True``: at most this many training rows per class...
QUICK_ROWS_PER_CLASS = 500
#: ...and these budgets, applied where the method has the parameter (user params win).
QUICK_PARAMS = {
    "epochs": 5,
    "frozen_epochs": 2,
    "finetune_epochs": 5,
    "lr": 1e-3,
    "sampler__n_iter": 100,
}


#: The GAVAE sampler of the paper-preset reproductions (``--hyperparameters paper``): the
#: paper's plain decoder with its outputs as written (``decoder="mlp"``: sigmoid + BCE on
#: min-max scaled numbers, decoder means, z ~ N(0, I), Eq. 9 alone), and the network sizes
#: and loss weights used before the fidelity work of issue #11. One of the sampler's two
#: configurations; the other is its defaults (docs/results/sampler-default).
PAPER_GAVAE = {
    "decoder": "mlp",
    "hidden": (80, 40, 20),
    "latent_dim": 10,
    "n_iter": 1500,
    "batch_size": 256,
    "lr": 1e-3,
    "beta": 1.0,
    "adv_weight": 1.0,
    "critic_steps": 5,
}

#: The hyperparameters ``reproduce`` runs with (``hyperparameters="paper"``), applied where
#: a method has the parameter: the paper's DNN learning rate (Adam, 5e-5, §4) and
#: :data:`PAPER_GAVAE`. The library's own defaults differ (docs/results/tune-*,
#: docs/results/fidelity-*).
PAPER_PARAMS = {"lr": 5e-5, **{f"sampler__{k}": v for k, v in PAPER_GAVAE.items()}}


def stratified_rows(y, per_class: int, seed: int) -> np.ndarray:
    """Sorted row indices: up to ``per_class`` random rows of every class."""
    y = np.asarray(y)
    rng = np.random.RandomState(seed)
    idx = []
    for c in np.unique(y):
        rows = np.flatnonzero(y == c)
        idx.append(rng.choice(rows, size=min(per_class, len(rows)), replace=False))
    return np.sort(np.concatenate(idx))


def build_method(method: str, *, layout=None, quick: bool = False, random_state=0,
                 verbose: bool = True, device: str | None = None, paper: bool = False,
                 **params):  # fmt: skip
    """The unfitted classifier of ``method`` (a registry name, e.g. ``"gavae-dnn"``).

    ``random_state``, ``verbose`` and ``device`` are set where the method has
    them. For ``gavae-dnn`` the GAVAE sampler gets ``layout`` so its decoder
    generates valid one-hot blocks (as does any layout-less GAVAESampler given as
    a method's ``sampler`` parameter: ``gavae-rf``, ``gavae-lgbm``). ``params`` go
    through ``set_params`` (nested ones as ``sampler__n_iter``); unknown names are
    refused.
    ``paper`` applies :data:`PAPER_PARAMS` first, then ``quick`` applies
    :data:`QUICK_PARAMS`; ``params`` win over both.
    """
    try:
        est = get_method(method)
    except KeyError:
        raise DataError(
            f"unknown method {method!r}; choose one of {', '.join(available_methods())}"
        ) from None
    except ImportError as e:
        raise DataError(str(e)) from None
    keys = set(est.get_params(deep=False))
    base = {"random_state": random_state}
    if type(est).__module__.startswith("gavae_ids.") and not getattr(est, "_sklearn_verbose",
                                                                      False):  # fmt: skip
        # Only our estimators: scikit-learn's `verbose` means log lines, not a progress bar.
        base["verbose"] = verbose
        if device is not None:
            base["device"] = device
    if "sampler" in keys and "sampler" not in params:
        current = est.get_params(deep=False)["sampler"]
        gavae = {"layout": layout, "device": device or "auto", "verbose": verbose}
        if current is None and isinstance(est, GAVAEDNNClassifier):
            base["sampler"] = GAVAESampler(**gavae)
        elif isinstance(current, GAVAESampler) and current.layout is None:
            base["sampler"] = clone(current).set_params(**gavae)
    est.set_params(**{k: v for k, v in base.items() if k in keys})
    all_keys = set(est.get_params(deep=True))
    if paper:
        est.set_params(**{k: v for k, v in PAPER_PARAMS.items() if k in all_keys})
    if quick:
        est.set_params(**{k: v for k, v in QUICK_PARAMS.items() if k in all_keys})
    unknown = sorted(set(params) - all_keys)
    if unknown:
        raise DataError(
            f"method {method!r} has no parameter(s) {', '.join(unknown)}; "
            f"it has {', '.join(sorted(all_keys))}"
        )
    est.set_params(**params)
    return est
