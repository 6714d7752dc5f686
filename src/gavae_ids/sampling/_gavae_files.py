"""The saved form of a fitted :class:`~gavae_ids.sampling.GAVAESampler` (sampler format 2).

A folder written by :func:`gavae_ids._util.persistence.save_model`: the tensors
(GAVAE weights ``model.*``, the value space — scaling, the numeric columns' CDF
``cdf_*``, value counts, donor rows ``donor_*`` —, the training history and the
class-fitted latent prior ``prior_*``) in safetensors, and everything else
(constructor parameters, labels, layout, thresholds, the augmentation report, a raw
table's preprocessing) as JSON, with ``sampler_format`` 2.

Format 1 (gavae-ids before the sampler had two configurations; no ``sampler_format``
key) had 33 parameters. Such a file loads when its parameters are one of the two
configurations, and is refused in one line otherwise.
"""

from __future__ import annotations

import json
import numbers
from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pandas as pd
import torch

from gavae_ids._util.persistence import load_model, read_config, save_model
from gavae_ids.exceptions import ModelFileError
from gavae_ids.nn.gavae import GAVAE
from gavae_ids.preprocessing.layout import FeatureLayout
from gavae_ids.sampling._generation import (
    REPORT_COLUMNS,
    CandidateGenerator,
    TerritoryFilter,
    py_value,
)
from gavae_ids.sampling._raw_table import RawTable
from gavae_ids.sampling._value_space import ValueSpace
from gavae_ids.sampling.latent_prior import ClassMixtures
from gavae_ids.training.gavae_config import GAVAEConfig

MODEL_KIND = "gavae-sampler"
SAMPLER_FORMAT = 2

# ------------------------------------------------------------------- saving


def save_sampler(sampler, path) -> Path:
    """Write the fitted ``sampler`` to the folder ``path``; returns the folder."""
    return save_model(path, _tensors(sampler), _config(sampler), MODEL_KIND)


def _tensors(sampler) -> dict[str, torch.Tensor]:
    tensors = {f"model.{k}": v for k, v in sampler.model_.state_dict().items()}
    tensors.update({k: torch.as_tensor(v) for k, v in sampler.value_space_.to_arrays().items()})
    tensors["history"] = torch.as_tensor(sampler.history_.to_numpy(dtype=np.float64))
    mixtures = sampler.generator_.mixtures
    if mixtures is not None:  # every class's, so a loaded sampler needs no codes
        for name, a in zip(("prior_weights", "prior_means", "prior_chol"), mixtures.arrays(),
                           strict=True):  # fmt: skip
            tensors[name] = torch.as_tensor(a)
    territory = sampler.generator_.territory
    if territory is not None:
        tensors.update({k: torch.as_tensor(v) for k, v in territory.to_arrays().items()})
    return tensors


def _params(sampler) -> dict:
    """The constructor parameters as JSON data."""
    params = sampler.get_params(deep=False)
    params["layout"] = None if sampler.layout is None else sampler.layout.to_dict()
    params["hidden"] = [int(h) for h in sampler.hidden]
    cat = sampler.categorical_features
    params["categorical_features"] = None if cat is None else [py_value(v) for v in
                                                               np.asarray(cat).ravel()]  # fmt: skip
    params["device"] = str(sampler.device)
    params["sampling_strategy"] = _strategy_to_json(sampler.sampling_strategy)
    rs = sampler.random_state
    params["random_state"] = int(rs) if isinstance(rs, numbers.Integral) else None
    return params


def _config(sampler) -> dict:
    """The JSON config: parameters and every fitted attribute that is not a tensor."""
    classes = sampler.classes_
    report = sampler.augmentation_report_
    return {
        "sampler_format": SAMPLER_FORMAT,
        "params": _params(sampler),
        "classes": [py_value(c) for c in classes],
        "classes_dtype": classes.dtype.str if classes.dtype != object else "O",
        "layout_": sampler.layout_.to_dict(),
        "table": None if sampler.table_ is None else sampler.table_.to_dict(),
        "n_features_in": int(sampler.n_features_in_),
        "feature_names_in": (
            [str(f) for f in sampler.feature_names_in_]
            if hasattr(sampler, "feature_names_in_")
            else None
        ),
        "fit_dtype": sampler.value_space_.dtype.str,
        "generation_seed": int(sampler.generator_.seed),
        "territory": _territory_config(sampler.generator_.territory),
        "thresholds": [[py_value(k), float(v)] for k, v in sampler.thresholds_.items()],
        "sampling_strategy_": [
            [py_value(k), int(v)] for k, v in sampler.sampling_strategy_.items()
        ],
        "skipped_classes": [py_value(c) for c in sampler.skipped_classes_],
        "encoder_config": sampler.encoder_config_,
        "history_columns": list(sampler.history_.columns),
        "augmentation_report": json.loads(report.to_json(orient="records")),
    }


def _territory_config(territory) -> dict | None:
    return None if territory is None else {"k": territory.k, "rule": territory.rule}


def _strategy_to_json(strategy):
    if isinstance(strategy, Mapping):
        return {"dict": [[py_value(k), int(v)] for k, v in strategy.items()]}
    if callable(strategy):
        # A function cannot be stored as data; a loaded sampler only samples,
        # so its strategy matters only if it is refitted.
        return "auto"
    return py_value(strategy)


# ------------------------------------------------------------------ loading


def load_sampler(cls, path):
    """A ``cls`` instance fitted as the one saved in ``path`` was.

    Raises :class:`ModelFileError` when the folder is missing, damaged, altered,
    holds another kind of model, a config this reader cannot use, or a format-1
    sampler outside the two configurations.
    """
    tensors, cfg = load_model(path, MODEL_KIND)
    fmt = cfg.get("sampler_format", 1)
    if fmt == 1:
        cfg = {**cfg, "params": params_of_format1(cfg.get("params", {}), path)}
    elif fmt != SAMPLER_FORMAT:
        raise ModelFileError(f"{path}: GAVAESampler format {fmt!r} is not supported (this "
                             f"gavae-ids reads formats 1 and {SAMPLER_FORMAT})")  # fmt: skip
    try:
        sampler = cls(**_params_from_json(cfg["params"]))
        config = sampler.config()
        _restore_fitted(sampler, tensors, cfg, config)
    except (KeyError, TypeError, ValueError, RuntimeError) as e:
        raise ModelFileError(f"{path}: not a loadable GAVAESampler ({e})") from None
    return sampler


#: Format 1's parameters that format 2 made constants: the value each must hold.
_FORMAT1_CONSTANTS = {name: getattr(GAVAEConfig(), name) for name in (
    "activation", "critic_lr", "gp_lambda", "class_balance", "k", "max_attempts",
    "disc_eval_size")}  # fmt: skip
_FORMAT1_CONSTANTS.update(critic_hidden=list(GAVAEConfig().critic_hidden), decoder_hidden=None,
                          threshold_quantile=1.0)  # fmt: skip
#: ... and those that name the configuration, by decoder.
_FORMAT1_CONFIGURATIONS = {
    "autoregressive": {
        "numeric_output": "binned", "decode": "sample", "within_bin": "donor",
        "latent_prior": "class-gmm", "manifold_k": ("auto", GAVAEConfig().manifold_k),
        "n_bins": GAVAEConfig().n_bins, "temperature": GAVAEConfig().temperature,
        "within_bin_smoothing": GAVAEConfig().within_bin_smoothing,
        "prior_components": GAVAEConfig().prior_components,
    },
    "mlp": {"numeric_output": "bernoulli", "decode": "mean", "latent_prior": "standard",
            "manifold_k": ("auto", None)},
}  # fmt: skip
_FORMAT2_PARAMS = ("sampling_strategy", "random_state", "layout", "decoder", "hidden",
                   "latent_dim", "n_iter", "batch_size", "lr", "beta", "adv_weight",
                   "critic_steps", "device", "verbose")  # fmt: skip


def params_of_format1(saved: dict, path=None) -> dict:
    """Format-2 parameters of a format-1 file's, or ModelFileError naming what has none.

    ``path``: the sampler folder (named in the message, and its config gives the version
    that wrote it); None for parameters saved inside another file (a classifier's).
    """
    version = "?" if path is None else read_config(path).get("versions", {}).get(
        "gavae_ids", "?")  # fmt: skip
    decoder = saved.get("decoder")
    wanted = {**_FORMAT1_CONSTANTS, **_FORMAT1_CONFIGURATIONS.get(decoder, {})}
    problems = [] if decoder in _FORMAT1_CONFIGURATIONS else [f"decoder={decoder!r}"]
    for name, value in wanted.items():
        allowed = value if isinstance(value, tuple) else (value,)
        got = saved.get(name)
        got = list(got) if isinstance(got, tuple) else got  # JSON lists may come back as tuples
        if name not in saved or got not in allowed:
            problems.append(f"{name}={saved.get(name, '<missing>')!r}")
    if problems:
        raise ModelFileError(
            f"{path or 'parameters'}: a GAVAESampler of format 1 (gavae-ids {version}) with "
            f"{', '.join(problems)}, which this gavae-ids (format {SAMPLER_FORMAT}: "
            "decoder='autoregressive' or the paper's decoder='mlp') cannot express; refit it"
        )
    return {name: saved[name] for name in _FORMAT2_PARAMS if name in saved}


def _params_from_json(saved: dict) -> dict:
    params = {"territory_k": None, **saved}  # a sampler saved before the check has it off
    if params.get("layout") is not None:
        params["layout"] = FeatureLayout.from_dict(params["layout"])
    params["hidden"] = tuple(params["hidden"])
    params["sampling_strategy"] = _strategy_from_json(params["sampling_strategy"])
    return params


def _strategy_from_json(value):
    if isinstance(value, dict) and "dict" in value:
        return {k: v for k, v in value["dict"]}
    return value


def _restore_fitted(sampler, tensors: dict[str, torch.Tensor], cfg: dict, config) -> None:
    dtype = np.dtype(object) if cfg["classes_dtype"] == "O" else np.dtype(cfg["classes_dtype"])
    sampler.classes_ = np.asarray(cfg["classes"], dtype=dtype)
    sampler.layout_ = FeatureLayout.from_dict(cfg["layout_"])
    table = cfg.get("table")
    sampler.table_ = None if table is None else RawTable.from_dict(table)
    sampler.n_features_in_ = int(cfg["n_features_in"])
    if cfg.get("feature_names_in") is not None:
        sampler.feature_names_in_ = np.asarray(cfg["feature_names_in"], dtype=object)
    arrays = {k: v.numpy() for k, v in tensors.items() if not k.startswith("model.")}
    space = ValueSpace.from_arrays(arrays, sampler.layout_, config, np.dtype(cfg["fit_dtype"]))
    sampler.value_space_ = space
    model = GAVAE(sampler.layout_, len(sampler.classes_), bins=space.numeric_bins(),
                  **config.network())  # fmt: skip
    model.load_state_dict({k[len("model.") :]: v for k, v in tensors.items()
                           if k.startswith("model.")})  # fmt: skip
    sampler.model_ = model.eval()

    label = sampler.label_of
    sampler.thresholds_ = {label(k): float(v) for k, v in cfg["thresholds"]}
    sampler.sampling_strategy_ = {label(k): int(v) for k, v in cfg["sampling_strategy_"]}
    sampler.skipped_classes_ = [label(c) for c in cfg.get("skipped_classes", [])]
    sampler.encoder_config_ = dict(cfg["encoder_config"])
    sampler.history_ = pd.DataFrame(
        tensors["history"].numpy(), columns=cfg["history_columns"]
    ).astype({"iteration": np.int64})
    report = pd.DataFrame(cfg["augmentation_report"], columns=list(REPORT_COLUMNS))
    if report["passed_manifold"].isna().all():  # saved before the territory check
        report["passed_manifold"] = report["accepted"]
    report["class"] = [label(c) for c in report["class"]]
    sampler.augmentation_report_ = report

    mixtures = None
    if config.binned and "prior_weights" in arrays:
        mixtures = ClassMixtures(arrays["prior_weights"], arrays["prior_means"],
                                 arrays["prior_chol"])  # fmt: skip
    thresholds = [sampler.thresholds_[c] for c in sampler.classes_]
    territory = None
    if cfg.get("territory") is not None:
        territory = TerritoryFilter(arrays["territory_rows"], arrays["territory_owner"],
                                    arrays["territory_weight"], int(cfg["territory"]["k"]),
                                    str(cfg["territory"]["rule"]))  # fmt: skip
    sampler.generator_ = CandidateGenerator(model, space, thresholds, config, mixtures,
                                            seed=int(cfg["generation_seed"]),
                                            territory=territory)  # fmt: skip
    sampler.manifold_k_ = config.manifold_k if space.donors is not None else None
