"""Generation for :class:`~gavae_ids.sampling.GAVAESampler`: Eq. 7–9 and the checks after it.

:class:`CandidateGenerator`, owned by the fitted sampler (``generator_``): latent draws
(N(0, I) or the class's fitted mixture), decoding, the Eq. 9 filter against each
class's Eq. 8 threshold, the manifold check, the territory check and the per-class
augmentation report.

:class:`TerritoryFilter` (issue #26) keeps synthetic rows out of another class's
territory, in the manner of imbalanced-learn's edited nearest neighbours (ENN): a
candidate is rejected when most of its ``k`` nearest *real* training rows belong to
other classes. Eq. 9 asks whether a row looks like its class to the GAVAE; this asks
whether it lies where the class's real rows are the majority, so a classifier trained on
it is not taught to flag the other class's traffic (on NSL-KDD 18 % of the synthetic R2L
rows lay among Normal rows, against 15 % of the real ones; docs/results/synthetic-territory).
The real rows are a random sample of at most :data:`MAX_REFERENCE` rows per class, each
weighted by its class's rows per sampled row, so the weighted vote estimates the vote
among all training rows; distances are Euclidean in the manifold check's space (min-max
scaled input units, one-hot columns as they are), through scikit-learn's
``NearestNeighbors``.
"""

from __future__ import annotations

import logging
import math
import warnings

import numpy as np
import pandas as pd
import torch
from sklearn.neighbors import NearestNeighbors
from sklearn.utils import check_random_state

from gavae_ids._util.torch_helpers import make_generator
from gavae_ids.sampling.latent_prior import draw_latent

__all__ = ["MAX_REFERENCE", "REPORT_COLUMNS", "TERRITORY_K", "TERRITORY_RULE",
           "AcceptanceWarning", "CandidateGenerator", "TerritoryFilter",
           "territory_of", "territory_k_of",
           "py_value", "reconstruction_scores"]  # fmt: skip

# Log lines keep the sampler module's logger name, which users may already filter on.
logger = logging.getLogger("gavae_ids.sampling.gavae_sampler")

REPORT_COLUMNS = ("class", "real", "generated", "attempts", "passed_eq9", "passed_manifold",
                  "accepted", "acceptance_rate")  # fmt: skip
#: The territory check's k under ``territory_k="auto"`` (autoregressive decoder) and its
#: rule. The sampler's default is off: the check was not yet shown to help on validation
#: rows of NSL-KDD or UNSW-NB15 (docs/results/synthetic-territory).
TERRITORY_K = 5
TERRITORY_RULE = "majority"
#: Real rows per class the territory check compares candidates with, at most.
MAX_REFERENCE = 2048
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


class TerritoryFilter:
    """Which candidates of a class lie where real rows of other classes are the majority.

    Parameters
    ----------
    rows : ndarray of shape (n, d)
        Real training rows, min-max scaled (the manifold check's space).
    owner : ndarray of shape (n,)
        Class index of each row.
    weight : ndarray of shape (n,)
        Training rows each row stands for (its class's rows / its class's sampled rows).
    k : int
        Neighbours compared (capped at ``n``).
    rule : {"majority", "all"}
        Reject a candidate when other classes hold more than half of its neighbours'
        weight ("majority", ENN's rule), or when every neighbour is of another class ("all").
    """

    def __init__(self, rows, owner, weight, k: int, rule: str = TERRITORY_RULE):
        if rule not in ("majority", "all"):
            raise ValueError(f"territory rule must be 'majority' or 'all', got {rule!r}")
        self.rows = np.asarray(rows, dtype=np.float32)
        self.owner = np.asarray(owner, dtype=np.int64)
        self.weight = np.asarray(weight, dtype=np.float64)
        self.k = min(int(k), len(self.rows))
        self.rule = rule
        self._nn = None

    def keep(self, cand, class_index: int) -> np.ndarray:
        """Boolean mask (m,): candidates of ``class_index`` (min-max scaled) to keep."""
        cand = np.asarray(cand, dtype=np.float32)
        if self.k < 1 or len(cand) == 0:
            return np.ones(len(cand), dtype=bool)
        if self._nn is None:  # built once; brute force is exact and fast at this size
            self._nn = NearestNeighbors(n_neighbors=self.k, algorithm="brute").fit(self.rows)
        idx = self._nn.kneighbors(cand, return_distance=False)
        other = self.owner[idx] != class_index
        if self.rule == "all":
            return ~other.all(axis=1)
        w = self.weight[idx]
        return (w * other).sum(axis=1) <= 0.5 * w.sum(axis=1)

    def to_arrays(self) -> dict[str, np.ndarray]:
        """The reference rows, for safetensors."""
        return {"territory_rows": self.rows, "territory_owner": self.owner,
                "territory_weight": self.weight}  # fmt: skip


def territory_k_of(territory_k, decoder: str) -> int | None:
    """The sampler's ``territory_k`` parameter → the k in use (None: off)."""
    if territory_k == "auto":
        return None if decoder == "mlp" else TERRITORY_K
    if territory_k is not None and int(territory_k) < 1:
        raise ValueError(
            f"territory_k must be 'auto', None or an integer >= 1, got {territory_k!r}"
        )
    return None if territory_k is None else int(territory_k)


def territory_of(sampler, Xs: np.ndarray, y_index: np.ndarray, k="param",
                 rule: str = TERRITORY_RULE) -> TerritoryFilter | None:  # fmt: skip
    """The territory check of a sampler being fitted (``value_space_``, ``classes_`` and its
    ``territory_k``/``decoder`` are read) on its GAVAE-space training rows ``Xs``, or None
    when off; ``k`` other than "param" overrides ``territory_k``. At most
    :data:`MAX_REFERENCE` rows per class, drawn from the sampler's ``random_state`` through a
    RandomState of its own (the sampler's draws are left as they are)."""
    k = territory_k_of(sampler.territory_k if k == "param" else k, sampler.decoder)
    if k is None:
        return None
    space, n_classes = sampler.value_space_, len(sampler.classes_)
    rs = check_random_state(sampler.random_state)
    rs = np.random.RandomState(rs.randint(np.iinfo(np.int32).max))
    picked, weight = [], []
    for i in range(n_classes):
        own = np.flatnonzero(y_index == i)
        take = rs.choice(own, MAX_REFERENCE, replace=False) if len(own) > MAX_REFERENCE else own
        picked.append(take)
        weight.append(np.full(len(take), len(own) / max(len(take), 1)))
    picked = np.concatenate(picked)
    rows = space.unit_of_scaled(torch.as_tensor(Xs[picked])).numpy()
    return TerritoryFilter(rows, y_index[picked], np.concatenate(weight), k, rule)


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
    mixtures : ClassMixtures or None
        Every class's latent mixture (fitted when the class is first drawn), or None
        for N(0, I).
    seed : int
        Seed of the draws of :meth:`augment`.
    territory : TerritoryFilter or None
        The territory check after the manifold check; None: no check.
    """

    def __init__(self, model, space, thresholds, config, mixtures=None, *, seed: int = 0,
                 territory: TerritoryFilter | None = None):  # fmt: skip
        self.model = model
        self.space = space
        self.thresholds = [float(t) for t in thresholds]
        self.config = config
        self.mixtures = mixtures
        self.seed = int(seed)
        self.territory = territory

    def draw_latent(self, class_index: int, n: int, generator: torch.Generator) -> torch.Tensor:
        """z for ``n`` candidates of a class: N(0, I) (the paper) or the class's mixture."""
        mixture = None if self.mixtures is None else self.mixtures.mixture(class_index)
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
        n_acc = n_eq9 = n_manifold = attempts = 0
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
            checked = len(keep) and (manifold is not None or self.territory is not None)
            unit = self.space.unit_of_scaled(keep) if checked else None
            if manifold is not None and unit is not None:
                inside = manifold.contains(unit)
                keep, unit = keep[inside], unit[inside]
            n_manifold += len(keep)
            if self.territory is not None and unit is not None and len(keep):
                keep = keep[torch.as_tensor(self.territory.keep(unit.numpy(), class_index))]
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
        return rows, {"attempts": attempts, "passed_eq9": n_eq9, "passed_manifold": n_manifold,
                      "accepted": n_acc}  # fmt: skip

    def augment(self, classes, counts, wanted: dict) -> tuple[list[np.ndarray], pd.DataFrame]:
        """Eq. 9 for every class; the rows of each class (GAVAE space) and the report."""
        generator = make_generator(self.seed)
        new_X, report = [], []
        n_features = self.space.layout.n_features
        for i, label in enumerate(classes):
            n_new = int(wanted.get(label, 0))
            rows = np.empty((0, n_features), np.float32)
            stats = {"attempts": 0, "passed_eq9": 0, "passed_manifold": 0, "accepted": 0}
            if n_new > 0:
                rows, stats = self.generate(i, n_new, generator, label)
                logger.info(
                    "GAVAE class %r: %d real, %d generated (of %d candidates, %d passed Eq. 9, "
                    "%d the manifold check and %d were accepted)",
                    py_value(label), counts[i], len(rows), stats["attempts"],
                    stats["passed_eq9"], stats["passed_manifold"], stats["accepted"],
                )  # fmt: skip
            new_X.append(rows)
            attempts, accepted = stats["attempts"], stats["accepted"]
            report.append({
                "class": label,
                "real": int(counts[i]),
                "generated": len(rows),
                "attempts": int(attempts),
                "passed_eq9": int(stats["passed_eq9"]),
                "passed_manifold": int(stats["passed_manifold"]),
                "accepted": int(accepted),
                "acceptance_rate": accepted / attempts if attempts else math.nan,
            })  # fmt: skip
        return new_X, pd.DataFrame(report, columns=list(REPORT_COLUMNS))
