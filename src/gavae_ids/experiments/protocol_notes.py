"""The protocol notes of a reproduction report: how the run was made, in sentences.

:func:`protocol_notes` writes them for :func:`gavae_ids.experiments.reproduce.reproduce`;
:func:`seeds_note` is also rewritten by :func:`gavae_ids.experiments.merge.merge_runs`.
"""

from __future__ import annotations

from gavae_ids.detection.methods import PAPER_PARAMS
from gavae_ids.experiments.config import ReproduceConfig


def seed_span(seeds) -> str:
    """``"0..2"`` for consecutive seeds, else ``"0, 2"``."""
    seeds = sorted(seeds)
    if seeds == list(range(seeds[0], seeds[-1] + 1)):
        return f"{seeds[0]}..{seeds[-1]}"
    return ", ".join(map(str, seeds))


def seeds_note(seeds) -> str:
    """The protocol note on ``seeds`` (also rewritten by
    :func:`gavae_ids.experiments.merge.merge_runs`)."""
    return (f"Seeds {seed_span(seeds)}: each seed re-initialises and re-trains every method "
            "(and re-draws the validation split and the GAVAE samples); data splits of the "
            "protocol stay fixed.")  # fmt: skip


def torch_threads() -> int:
    import torch

    return torch.get_num_threads()


def _hyperparameters_note(cfg: ReproduceConfig) -> str:
    if cfg.hyperparameters == "paper":
        pinned = ", ".join(
            f"{k} = {v:g}" if isinstance(v, float) else f"{k} = {v}"
            for k, v in PAPER_PARAMS.items()
        )
        text = (f"Hyperparameters: the paper preset ({pinned}): lr = 5e-5 is the paper's Adam "
                "learning rate (§4); the sampler__ values are the GAVAE as the paper describes "
                "it read literally, with network sizes of our choosing where the paper gives "
                "none; everything else the library's defaults")  # fmt: skip
    else:
        text = (
            "Hyperparameters: the library's cross-validated defaults (--hyperparameters defaults)"
        )
    if cfg.method_params:
        given = "; ".join(f"{m}: {p}" for m, p in cfg.method_params.items())
        text += f"; given for this run (--config): {given}"
    return text + f". GAVAE-DNN's Eq. 8 threshold scale k = {cfg.k:g}."


def protocol_notes(cfg: ReproduceConfig, exp: dict, device: str) -> list[str]:
    """The report's protocol notes for a run of ``cfg`` on ``exp`` (see ``load_experiment``)."""
    notes = [
        exp["protocol"] + ".",
        "Preprocessing (§3.5) is fitted on the training data only: one-hot encoding (unseen "
        "test categories → all-zero block) and min-max scaling with clipping. The per-class "
        f"MAD outlier filter is {'ON' if cfg.outlier_filter else 'OFF'} (--outliers/"
        "--no-outliers): the paper's Table 4 counts all 13,449 Normal and 9,234 DoS rows of "
        "KDDTrain+_20Percent as real records and generates no Normal ones, which only holds "
        "with no rows removed, whereas its §3.5 rule read literally (10·σ̂, MAD = 0 attributes "
        "skipped) removes 5,702 of those Normal rows and makes DoS the majority class.",
        "Validation data for early stopping come from a stratified split of the training "
        "data, made before augmentation; the test sets are used only for evaluation.",
        seeds_note(cfg.seed_list),
        _hyperparameters_note(cfg),
        novelty_note(cfg),
        "Metrics: from the confusion matrix; per class one-vs-all; 'macro' = unweighted mean "
        "over classes (NaN classes skipped); 'binary' = attack (any non-normal class) vs "
        "normal; DR = recall; FPR = FP/(FP+TN); G-mean = sqrt(recall·specificity); AUC from "
        "predict_proba, one-vs-all.",
        "The paper does not state how it averaged precision/recall/FPR, nor its seeds; its "
        "numbers are shown beside ours, not as a match.",
        "KNN and the exact RBF SVC (used up to 30,000 training rows) involve no randomness, "
        "so their standard deviation over seeds is 0.",
        f"Device: {device}; torch intra-op threads: {torch_threads()}. Runs are repeatable "
        "for a given thread count; another count changes float summation order and so the "
        "trained networks.",
    ]
    if not exp["official"]:
        notes.append("The official UNSW-NB15 training partition is not available here, so the "
                     "paper's Table 5/7 protocol (train 175,341 / test 82,332) could not be "
                     "followed; see the ceiling above.")  # fmt: skip
    return notes


def novelty_note(cfg: ReproduceConfig) -> str:
    if not cfg.novelty:
        return "Novelty flag: off (--no-novelty)."
    return (f"Novelty flag (GAVAE-DNN): a row is novel when its Eq. 7 reconstruction loss under "
            "its predicted class exceeds a quantile of the losses of that class's training "
            "rows (those the GAVAE was fitted on); the quantile is the smallest that flags at "
            f"most {100 * cfg.novelty_fpr_budget:g} % of the normal validation rows the "
            "classifier calls normal (validation rows = the classifier's held-out training "
            "rows; --novelty-fpr-budget). Test data play no part in choosing it.")  # fmt: skip
