"""Generation for :class:`~gavae_ids.sampling.GAVAESampler`: Eq. 7–9 and the manifold check.

:class:`CandidateGenerator`, owned by the fitted sampler (``generator_``): latent draws
(N(0, I) or the class's fitted mixture), decoding, the Eq. 9 filter against each
class's Eq. 8 threshold, the manifold check and the per-class augmentation report.
"""

from __future__ import annotations

import logging
import math
import warnings

import numpy as np
import pandas as pd
import torch

from gavae_ids._util.torch_helpers import make_generator
from gavae_ids.sampling.latent_prior import draw_latent

__all__ = ["REPORT_COLUMNS", "AcceptanceWarning", "CandidateGenerator", "py_value",
           "reconstruction_scores"]  # fmt: skip

# Log lines keep the sampler module's logger name, which users may already filter on.
logger = logging.getLogger("gavae_ids.sampling.gavae_sampler")

REPORT_COLUMNS = ("class", "real", "generated", "attempts", "passed_eq9", "accepted",
                  "acceptance_rate")  # fmt: skip
# Rows scored per forward pass when computing thresholds and reconstruction errors.
_SCORE_BATCH = 8192


class AcceptanceWarning(UserWarning):
    """A class could not be filled: too few candidates passed Eq. 9 and the manifold check."""


def py_value(value):
    """numpy scalar → plain Python value, for JSON and messages."""
    return value.item() if isinstance(value, np.generic) else value


@torch.no_grad()
def reconstruction_scores(model, Xs: np.ndarray, y_index: np.ndarray, n_classes: int):
    """Eq. 7 loss of GAVAE-space rows: encode to μ, decode with the label, score."""
    model.eval()
    eye = torch.eye(n_classes)
    out = []
    for start in range(0, len(Xs), _SCORE_BATCH):
        x = torch.as_tensor(Xs[start : start + _SCORE_BATCH])
        y1 = eye[torch.as_tensor(y_index[start : start + _SCORE_BATCH], dtype=torch.long)]
        mu, _ = model.encode(x)
        out.append(model.reconstruction_loss(model.decode(mu, y1, x), x).numpy())
    return np.concatenate(out) if out else np.empty(0, dtype=np.float32)


class CandidateGenerator:
    """Filtered synthetic rows of each class, in the GAVAE's space.

    Parameters
    ----------
    model : GAVAE
        The trained networks, on the CPU.
    space : ValueSpace
        Places generated numbers and holds the manifold check's real rows.
    thresholds : sequence of float
        Eq. 8 threshold of each class, by class index.
    config : GAVAEConfig
        ``binned``, ``temperature``, ``max_attempts`` and ``latent_dim`` are read.
    mixtures : tuple of ndarray or None
        ``(weights, means, chol)`` of every class's latent mixture, or None for N(0, I).
    seed : int
        Seed of the draws of :meth:`augment`.
    """

    def __init__(self, model, space, thresholds, config, mixtures=None, *, seed: int = 0):
        self.model = model
        self.space = space
        self.thresholds = [float(t) for t in thresholds]
        self.config = config
        self.mixtures = mixtures
        self.seed = int(seed)

    def draw_latent(self, class_index: int, n: int, generator: torch.Generator) -> torch.Tensor:
        """z for ``n`` candidates of a class: N(0, I) (the paper) or the class's mixture."""
        mixture = None
        if self.mixtures is not None:
            mixture = tuple(a[class_index] for a in self.mixtures)
        return draw_latent(n, int(self.config.latent_dim), generator, mixture)

    @torch.no_grad()
    def generate(self, class_index: int, n: int, generator: torch.Generator, label=None
                 ) -> tuple[np.ndarray, dict]:  # fmt: skip
        """Draw filtered candidates of one class (GAVAE space) until ``n`` or the cap."""
        model = self.model.eval()
        threshold = self.thresholds[class_index]
        y1 = torch.zeros(1, len(self.thresholds))
        y1[0, class_index] = 1.0
        cap = int(math.ceil(float(self.config.max_attempts) * n))
        sample = self.config.binned
        table = self.space.within_bin_table(class_index) if sample else None
        donors = self.space.class_donors(class_index) if table is not None else None
        manifold = self.space.class_manifold(class_index)
        n_numeric = len(self.space.layout.numeric_indices)
        accepted: list[torch.Tensor] = []
        n_acc = n_eq9 = attempts = 0
        while n_acc < n and attempts < cap:
            rate = n_acc / attempts if attempts else 1.0
            want = math.ceil(1.1 * (n - n_acc) / max(rate, 0.05))
            b = int(min(max(want, 256), 8192, cap - attempts))
            z = self.draw_latent(class_index, b, generator)
            yb = y1.expand(b, -1)
            if sample:
                u = torch.rand(b, model.n_logits, generator=generator).clamp_(1e-10, 1.0 - 1e-7)
                gumbel = -torch.log(-torch.log(u))
                within = torch.rand(b, n_numeric, generator=generator)
                cand = model.generate(z, yb, gumbel, within, float(self.config.temperature))
            else:
                cand = model.generate(z, yb)
            cand = self.space.snap(cand, table, generator, donors)
            mu, _ = model.encode(cand)
            loss = model.reconstruction_loss(model.decode(mu, yb, cand), cand)
            keep = cand[loss <= threshold]
            n_eq9 += len(keep)
            if manifold is not None and len(keep):
                keep = keep[manifold.contains(self.space.unit_of_scaled(keep))]
            accepted.append(keep)
            n_acc += len(keep)
            attempts += b
        rows = torch.cat(accepted)[:n].numpy()
        if n_acc < n:
            warnings.warn(
                f"GAVAESampler: class {py_value(label)!r}: only {n_acc} of {n} synthetic rows "
                f"passed the filters after {attempts} candidates (acceptance rate "
                f"{n_acc / max(attempts, 1):.1%}); returning {n_acc}. Train longer (n_iter) "
                "or give the class more rows",
                AcceptanceWarning,
                stacklevel=4,
            )
        return rows, {"attempts": attempts, "passed_eq9": n_eq9, "accepted": n_acc}

    def augment(self, classes, counts, wanted: dict) -> tuple[list[np.ndarray], pd.DataFrame]:
        """Eq. 9 for every class; the rows of each class (GAVAE space) and the report."""
        generator = make_generator(self.seed)
        new_X, report = [], []
        n_features = self.space.layout.n_features
        for i, label in enumerate(classes):
            n_new = int(wanted.get(label, 0))
            rows = np.empty((0, n_features), np.float32)
            stats = {"attempts": 0, "passed_eq9": 0, "accepted": 0}
            if n_new > 0:
                rows, stats = self.generate(i, n_new, generator, label)
                logger.info(
                    "GAVAE class %r: %d real, %d generated (of %d candidates, %d passed Eq. 9 "
                    "and %d were accepted)",
                    py_value(label), counts[i], len(rows), stats["attempts"],
                    stats["passed_eq9"], stats["accepted"],
                )  # fmt: skip
            new_X.append(rows)
            attempts, accepted = stats["attempts"], stats["accepted"]
            report.append({
                "class": label,
                "real": int(counts[i]),
                "generated": len(rows),
                "attempts": int(attempts),
                "passed_eq9": int(stats["passed_eq9"]),
                "accepted": int(accepted),
                "acceptance_rate": accepted / attempts if attempts else math.nan,
            })  # fmt: skip
        return new_X, pd.DataFrame(report, columns=list(REPORT_COLUMNS))
