"""Pure torch modules and loss functions (no I/O, no training loops)."""

from gavae_ids.nn.classifier_nets import ClassifierNet, CNN1DNet
from gavae_ids.nn.common import MLPBackbone
from gavae_ids.nn.gavae import (
    GAVAE,
    AutoregressiveDecoder,
    Decoder,
    Encoder,
    LatentCritic,
    NumericBins,
    gradient_penalty,
    kl_divergence,
    logits_to_features,
    reconstruction_loss,
    reparameterize,
    sample_features,
)

__all__ = [
    "AutoregressiveDecoder",
    "CNN1DNet",
    "ClassifierNet",
    "GAVAE",
    "Decoder",
    "Encoder",
    "LatentCritic",
    "MLPBackbone",
    "NumericBins",
    "gradient_penalty",
    "kl_divergence",
    "logits_to_features",
    "reconstruction_loss",
    "reparameterize",
    "sample_features",
]
