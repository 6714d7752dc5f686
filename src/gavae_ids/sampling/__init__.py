"""Oversamplers: the GAVAE as an imbalanced-learn sampler."""

from gavae_ids.sampling.gavae_sampler import AcceptanceWarning, GAVAESampler, SmallClassWarning

__all__ = ["AcceptanceWarning", "GAVAESampler", "SmallClassWarning"]
