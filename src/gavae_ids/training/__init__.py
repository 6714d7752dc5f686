"""Training loops, kept apart from the networks: one supervised engine, one GAVAE loop."""

from gavae_ids.training.engine import EarlyStopping, EpochRecord, fit_supervised
from gavae_ids.training.gavae_config import GAVAEConfig
from gavae_ids.training.gavae_loop import (
    IterationRecord,
    discriminator_accuracy_frame,
    history_frame,
    train_gavae,
)

__all__ = [
    "EarlyStopping",
    "EpochRecord",
    "GAVAEConfig",
    "IterationRecord",
    "discriminator_accuracy_frame",
    "fit_supervised",
    "history_frame",
    "train_gavae",
]
