"""Generation for :class:`~gavae_ids.sampling.GAVAESampler`: Eq. 7–9 and the manifold check.

Latent draws (N(0, I) or the class's fitted mixture), decoding, the Eq. 9 filter against
each class's Eq. 8 threshold, the manifold check (``manifold_k``) and the per-class
``augmentation_report_``. A mixin: it reads the fitted sampler's ``model_``,
``classes_``, ``thresholds_``, ``sampling_strategy_``, ``n_features_in_``, the latent
prior (``prior_*_``), the parameters ``max_attempts``, ``decode``, ``temperature``,
``latent_prior``, ``latent_dim``, and the value-space methods of
:class:`~gavae_ids.sampling._value_space.ValueSpaceMixin`.
"""

from __future__ import annotations

import logging
import math
import warnings

import numpy as np
import pandas as pd
import torch

from gavae_ids._util.torch_helpers import make_generator
from gavae_ids.sampling._gavae_files import py_value as _py
from gavae_ids.sampling.latent_prior import draw_latent

__all__ = ["REPORT_COLUMNS", "AcceptanceWarning", "GenerationMixin"]

# Log lines keep the sampler module's logger name, which users may already filter on.
logger = logging.getLogger("gavae_ids.sampling.gavae_sampler")

REPORT_COLUMNS = ("class", "real", "generated", "attempts", "passed_eq9", "accepted",
                  "acceptance_rate")  # fmt: skip
# Rows scored per forward pass when computing thresholds and reconstruction errors.
_SCORE_BATCH = 8192


class AcceptanceWarning(UserWarning):
    """A class could not be filled: too few candidates passed Eq. 9 and the manifold check."""


class GenerationMixin:
    """Candidates, filters and the augmentation report of a fitted GAVAE sampler."""

    def _draw_latent(self, class_index: int, n: int, generator: torch.Generator) -> torch.Tensor:
        """z for ``n`` candidates of a class: N(0, I) (the paper) or the class's mixture."""
        mixture = None
        # The mixture is fitted in fit: latent_prior set to "class-gmm" afterwards has none.
        if self.latent_prior == "class-gmm" and getattr(self, "prior_weights_", None) is not None:
            i = class_index
            mixture = (self.prior_weights_[i], self.prior_means_[i], self.prior_chol_[i])
        return draw_latent(n, int(self.latent_dim), generator, mixture)

    def _augment(self, counts: np.ndarray, y_dtype) -> tuple[np.ndarray, np.ndarray]:
        """Eq. 9 for every class in ``sampling_strategy_``; sets ``augmentation_report_``."""
        generator = make_generator(self._generation_seed)
        new_X, new_y, report = [], [], []
        for i, label in enumerate(self.classes_):
            n_new = int(self.sampling_strategy_.get(label, 0))
            rows = np.empty((0, self.n_features_in_), np.float32)
            stats = {"attempts": 0, "passed_eq9": 0, "accepted": 0}
            if n_new > 0:
                rows, stats = self._generate(i, n_new, generator)
                logger.info(
                    "GAVAE class %r: %d real, %d generated (of %d candidates, %d passed Eq. 9 "
                    "and %d were accepted)",
                    _py(label),
                    counts[i],
                    len(rows),
                    stats["attempts"],
                    stats["passed_eq9"],
                    stats["accepted"],
                )
            new_X.append(rows)
            new_y.append(np.full(len(rows), label, dtype=y_dtype))
            attempts, accepted = stats["attempts"], stats["accepted"]
            report.append(
                {
                    "class": label,
                    "real": int(counts[i]),
                    "generated": len(rows),
                    "attempts": int(attempts),
                    "passed_eq9": int(stats["passed_eq9"]),
                    "accepted": int(accepted),
                    "acceptance_rate": accepted / attempts if attempts else math.nan,
                }
            )
        self.augmentation_report_ = pd.DataFrame(report, columns=list(REPORT_COLUMNS))
        return self._to_output(np.concatenate(new_X)), np.concatenate(new_y)

    def _class_index(self, label) -> int:
        idx = np.flatnonzero(self.classes_ == label)
        if idx.size == 0:
            raise ValueError(
                f"unknown class {_py(label)!r}; the sampler was fitted on "
                f"{[_py(c) for c in self.classes_]}"
            )
        return int(idx[0])

    @torch.no_grad()
    def _scores_scaled(self, Xs: np.ndarray, y_index: np.ndarray) -> np.ndarray:
        """Eq. 7 loss of scaled rows: encode to μ, decode with the label, score."""
        model = self.model_.eval()
        eye = torch.eye(len(self.classes_))
        out = []
        for start in range(0, len(Xs), _SCORE_BATCH):
            x = torch.as_tensor(Xs[start : start + _SCORE_BATCH])
            y1 = eye[torch.as_tensor(y_index[start : start + _SCORE_BATCH], dtype=torch.long)]
            mu, _ = model.encode(x)
            out.append(model.reconstruction_loss(model.decode(mu, y1, x), x).numpy())
        return np.concatenate(out) if out else np.empty(0, dtype=np.float32)

    @torch.no_grad()
    def _generate(
        self, class_index: int, n: int, generator: torch.Generator
    ) -> tuple[np.ndarray, dict]:
        """Draw filtered candidates of one class (scaled space) until ``n`` or the cap."""
        model = self.model_.eval()
        label = self.classes_[class_index]
        threshold = self.thresholds_[label]
        y1 = torch.zeros(1, len(self.classes_))
        y1[0, class_index] = 1.0
        cap = int(math.ceil(float(self.max_attempts) * n))
        accepted: list[torch.Tensor] = []
        n_acc = n_eq9 = attempts = 0
        table = self._within_bin_table(class_index) if self.decode == "sample" else None
        donors = self._class_donors(class_index) if table is not None else None
        manifold = self._class_manifold(class_index)
        while n_acc < n and attempts < cap:
            rate = n_acc / attempts if attempts else 1.0
            want = math.ceil(1.1 * (n - n_acc) / max(rate, 0.05))
            b = int(min(max(want, 256), 8192, cap - attempts))
            z = self._draw_latent(class_index, b, generator)
            yb = y1.expand(b, -1)
            if self.decode == "sample":
                u = torch.rand(b, model.n_logits, generator=generator).clamp_(1e-10, 1.0 - 1e-7)
                gumbel = -torch.log(-torch.log(u))
                within = torch.rand(b, len(self.layout_.numeric_indices), generator=generator)
                cand = model.generate(z, yb, gumbel, within, float(self.temperature))
            else:
                cand = model.generate(z, yb)
            cand = self._snap(cand, table, generator, donors)
            mu, _ = model.encode(cand)
            loss = model.reconstruction_loss(model.decode(mu, yb, cand), cand)
            keep = cand[loss <= threshold]
            n_eq9 += len(keep)
            if manifold is not None and len(keep):
                keep = keep[manifold.contains(self._unit_of_scaled(keep))]
            accepted.append(keep)
            n_acc += len(keep)
            attempts += b
        rows = torch.cat(accepted)[:n].numpy()
        if n_acc < n:
            warnings.warn(
                f"GAVAESampler: class {_py(label)!r}: only {n_acc} of {n} synthetic rows "
                f"passed the filters after {attempts} candidates (acceptance rate "
                f"{n_acc / max(attempts, 1):.1%}); returning {n_acc}. Raise max_attempts, k or "
                "manifold_k (None turns that check off), or train longer (n_iter)",
                AcceptanceWarning,
                stacklevel=3,
            )
        return rows, {"attempts": attempts, "passed_eq9": n_eq9, "accepted": n_acc}
