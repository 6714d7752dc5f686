"""The saved form of a fitted :class:`~gavae_ids.sampling.GAVAESampler`.

A folder written by :func:`gavae_ids._util.persistence.save_model`: the tensors
(GAVAE weights ``model.*``, the scaling, the numeric columns' CDF ``cdf_*``,
the training history and the class-fitted latent prior) in safetensors, and
everything else (constructor parameters, labels, layout, thresholds, the
augmentation report) as JSON. :meth:`GAVAESampler.save` and
:meth:`GAVAESampler.load` are thin wrappers over :func:`save_sampler` and
:func:`load_sampler`.
"""

from __future__ import annotations

import json
import numbers
from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pandas as pd
import torch

from gavae_ids._util.persistence import load_model, save_model
from gavae_ids.exceptions import ModelFileError
from gavae_ids.nn.gavae import GAVAE
from gavae_ids.preprocessing.layout import FeatureLayout
from gavae_ids.sampling.column_transform import EmpiricalCDFTransform
from gavae_ids.sampling.donors import DonorTable

MODEL_KIND = "gavae-sampler"


def py_value(value):
    """numpy scalar → plain Python value, for JSON."""
    return value.item() if isinstance(value, np.generic) else value


# ------------------------------------------------------------------- saving


def save_sampler(sampler, path) -> Path:
    """Write the fitted ``sampler`` to the folder ``path``; returns the folder."""
    return save_model(path, _tensors(sampler), _config(sampler), MODEL_KIND)


def _tensors(sampler) -> dict[str, torch.Tensor]:
    tensors = {f"model.{k}": v for k, v in sampler.model_.state_dict().items()}
    tensors["data_min"] = torch.as_tensor(sampler.data_min_)
    tensors["data_range"] = torch.as_tensor(sampler.data_range_)
    tensors["history"] = torch.as_tensor(sampler.history_.to_numpy(dtype=np.float64))
    if sampler.cdf_ is not None:
        tensors.update({k: torch.as_tensor(v) for k, v in sampler.cdf_.to_arrays().items()})
    if getattr(sampler, "value_counts_", None) is not None:
        tensors["value_counts"] = torch.as_tensor(sampler.value_counts_.astype(np.float32))
    if getattr(sampler, "donors_", None) is not None:
        tensors.update({k: torch.as_tensor(v) for k, v in sampler.donors_.to_arrays().items()})
    if getattr(sampler, "prior_weights_", None) is not None:
        tensors["prior_weights"] = torch.as_tensor(sampler.prior_weights_)
        tensors["prior_means"] = torch.as_tensor(sampler.prior_means_)
        tensors["prior_chol"] = torch.as_tensor(sampler.prior_chol_)
    return tensors


def _params(sampler) -> dict:
    """The constructor parameters as JSON data."""
    params = sampler.get_params(deep=False)
    params["layout"] = None if sampler.layout is None else sampler.layout.to_dict()
    params["hidden"] = [int(h) for h in sampler.hidden]
    params["critic_hidden"] = [int(h) for h in sampler.critic_hidden]
    if sampler.decoder_hidden is not None:
        params["decoder_hidden"] = [int(h) for h in sampler.decoder_hidden]
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
        "params": _params(sampler),
        "classes": [py_value(c) for c in classes],
        "classes_dtype": classes.dtype.str if classes.dtype != object else "O",
        "layout_": sampler.layout_.to_dict(),
        "n_features_in": int(sampler.n_features_in_),
        "feature_names_in": (
            [str(f) for f in sampler.feature_names_in_]
            if hasattr(sampler, "feature_names_in_")
            else None
        ),
        "fit_dtype": sampler._fit_dtype.str,
        "generation_seed": int(sampler._generation_seed),
        "thresholds": [[py_value(k), float(v)] for k, v in sampler.thresholds_.items()],
        "sampling_strategy_": [
            [py_value(k), int(v)] for k, v in sampler.sampling_strategy_.items()
        ],
        "skipped_classes": [py_value(c) for c in getattr(sampler, "skipped_classes_", [])],
        "encoder_config": sampler.encoder_config_,
        "history_columns": list(sampler.history_.columns),
        "augmentation_report": json.loads(report.to_json(orient="records")),
    }


def _strategy_to_json(strategy):
    if isinstance(strategy, Mapping):
        return {"dict": [[py_value(k), int(v)] for k, v in strategy.items()]}
    if callable(strategy):
        # A function cannot be stored as data; a loaded sampler only samples,
        # so its strategy matters only if it is refitted.
        return "auto"
    return py_value(strategy)


# ------------------------------------------------------------------ loading


def load_sampler(cls, path, report_columns):
    """A ``cls`` instance fitted as the one saved in ``path`` was.

    ``report_columns`` are the columns of ``augmentation_report_``. Raises
    :class:`ModelFileError` when the folder is missing, damaged, altered,
    holds another kind of model or a config this reader cannot use.
    """
    tensors, cfg = load_model(path, MODEL_KIND)
    try:
        sampler = cls(**_params_from_json(cfg["params"]))
        sampler.manifold_k_ = sampler._resolve_manifold_k()
        _restore_classes(sampler, cfg)
        _restore_scaling(sampler, tensors)
        _restore_results(sampler, tensors, cfg, report_columns)
        model = GAVAE(
            sampler.layout_,
            len(sampler.classes_),
            bins=sampler._numeric_bins(),
            **sampler.config().network(),
        )
        state = {k[len("model.") :]: v for k, v in tensors.items() if k.startswith("model.")}
        model.load_state_dict(state)
    except (KeyError, TypeError, ValueError, RuntimeError) as e:
        raise ModelFileError(f"{path}: not a loadable GAVAESampler ({e})") from None
    sampler.model_ = model.eval()
    return sampler


def _params_from_json(saved: dict) -> dict:
    params = dict(saved)
    if params.get("layout") is not None:
        params["layout"] = FeatureLayout.from_dict(params["layout"])
    params["hidden"] = tuple(params["hidden"])
    params["critic_hidden"] = tuple(params["critic_hidden"])
    # Files written before the autoregressive decoder existed used the plain one.
    params.setdefault("decoder", "mlp")
    if params.get("decoder_hidden") is not None:
        params["decoder_hidden"] = tuple(params["decoder_hidden"])
    params["sampling_strategy"] = _strategy_from_json(params["sampling_strategy"])
    # Files written before the CDF transform existed used min-max throughout.
    params.setdefault("numeric_output", "bernoulli")
    params.setdefault("decode", "mean")
    params.setdefault("temperature", 1.0)
    params.setdefault("latent_prior", "standard")
    # Files written before class-wise values inside bins drew them globally.
    params.setdefault("within_bin", "global")
    # Files written before the manifold check kept every candidate that passed Eq. 9.
    params.setdefault("manifold_k", None)
    return params


def _strategy_from_json(value):
    if isinstance(value, dict) and "dict" in value:
        return {k: v for k, v in value["dict"]}
    return value


def _restore_classes(sampler, cfg: dict) -> None:
    """Labels, layout, input shape and dtype, generation seed."""
    dtype = np.dtype(object) if cfg["classes_dtype"] == "O" else np.dtype(cfg["classes_dtype"])
    sampler.classes_ = np.asarray(cfg["classes"], dtype=dtype)
    sampler.layout_ = FeatureLayout.from_dict(cfg["layout_"])
    sampler.n_features_in_ = int(cfg["n_features_in"])
    if cfg.get("feature_names_in") is not None:
        sampler.feature_names_in_ = np.asarray(cfg["feature_names_in"], dtype=object)
    sampler._fit_dtype = np.dtype(cfg["fit_dtype"])
    sampler._generation_seed = int(cfg["generation_seed"])


def _restore_scaling(sampler, tensors: dict[str, torch.Tensor]) -> None:
    """Min-max scaling, the class-fitted latent prior and the numeric columns' CDF."""
    sampler.data_min_ = tensors["data_min"].numpy().astype(np.float64)
    sampler.data_range_ = tensors["data_range"].numpy().astype(np.float64)
    sampler.prior_weights_ = sampler.prior_means_ = sampler.prior_chol_ = None
    if "prior_weights" in tensors:
        sampler.prior_weights_ = tensors["prior_weights"].numpy()
        sampler.prior_means_ = tensors["prior_means"].numpy()
        sampler.prior_chol_ = tensors["prior_chol"].numpy()
    sampler.value_counts_ = None
    if "value_counts" in tensors:
        sampler.value_counts_ = tensors["value_counts"].numpy().astype(np.float64)
    sampler.cdf_ = None
    if "cdf_values" in tensors:
        sampler.cdf_ = EmpiricalCDFTransform.from_arrays(
            {k: v.numpy() for k, v in tensors.items() if k.startswith("cdf_")}
        )
    sampler.donors_ = None
    if "donor_support" in tensors and sampler.cdf_ is not None:
        sampler.donors_ = DonorTable.from_arrays(
            {k: v.numpy() for k, v in tensors.items() if k.startswith("donor_")},
            sampler.cdf_.n_support_,
        )


def _restore_results(sampler, tensors: dict, cfg: dict, report_columns) -> None:
    """Thresholds, strategy, encoder config, training history and augmentation report."""
    label = sampler._label
    sampler.thresholds_ = {label(k): float(v) for k, v in cfg["thresholds"]}
    sampler.sampling_strategy_ = {label(k): int(v) for k, v in cfg["sampling_strategy_"]}
    sampler.skipped_classes_ = [label(c) for c in cfg.get("skipped_classes", [])]
    sampler.encoder_config_ = dict(cfg["encoder_config"])
    sampler.history_ = pd.DataFrame(
        tensors["history"].numpy(), columns=cfg["history_columns"]
    ).astype({"iteration": np.int64})
    report = pd.DataFrame(cfg["augmentation_report"], columns=list(report_columns))
    report["class"] = [label(c) for c in report["class"]]
    sampler.augmentation_report_ = report
