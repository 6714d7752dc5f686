"""What decides a reproduction run: :class:`ReproduceConfig`, saved as its ``config.json``
(read by :mod:`~gavae_ids.experiments.reproduce`, :mod:`~gavae_ids.experiments.merge` and
the protocol notes)."""

from __future__ import annotations

from dataclasses import dataclass, field

from gavae_ids.datasets.benchmarks import BENCHMARK_TITLES
from gavae_ids.detection.methods import QUICK_ROWS_PER_CLASS
from gavae_ids.exceptions import DataError

DATASETS = BENCHMARK_TITLES


@dataclass
class ReproduceConfig:
    """Everything that decides a reproduction run; saved as ``config.json``."""

    dataset: str = "nsl-kdd"
    train_split: str = "train20"  # NSL-KDD only: "train20" (paper, Table 4) or "train"
    seeds: int = 3
    first_seed: int = 0  # seeds first_seed .. first_seed + seeds - 1 (split a run; see merge_runs)
    quick: bool = False
    methods: tuple[str, ...] | None = None  # None: the paper's six + available peers
    outlier_filter: bool = False  # see protocol_notes: the paper's Table 4 counts every row
    k: float = 1.0  # Eq. 8 threshold scale of GAVAE-DNN's sampler: recorded; fixed at 1
    # "paper": methods.PAPER_PARAMS (the paper's DNN learning rate); "defaults": the
    # library's cross-validated defaults. --config / method_params win over both.
    hyperparameters: str = "paper"
    device: str = "auto"
    quick_rows_per_class: int = QUICK_ROWS_PER_CLASS
    quick_test_rows: int = 3000
    umap_per_class: int = 500
    method_params: dict = field(default_factory=dict)
    # GAVAE-DNN's novelty flag (gavae_ids.detection.novelty): evaluated beside the plain
    # predictions, its quantile chosen on training rows for this budget of added validation FPR.
    novelty: bool = True
    novelty_fpr_budget: float = 0.02
    # Also fit every method on 80 % of the training rows and report it at validation-chosen
    # false-alarm budgets (gavae_ids.experiments.budget_runs): about twice the training time.
    budgets: bool = False

    def __post_init__(self):
        if self.dataset not in DATASETS:
            raise DataError(
                f"unknown dataset {self.dataset!r}; choose one of {', '.join(DATASETS)}"
            )
        if self.seeds < 1:
            raise DataError(f"--seeds must be at least 1, got {self.seeds}")
        if self.hyperparameters not in ("paper", "defaults"):
            raise DataError(
                f"hyperparameters must be 'paper' or 'defaults', got {self.hyperparameters!r}"
            )
        if self.k != 1.0:
            raise DataError(f"k must be 1 (the sampler's Eq. 8 threshold is the largest loss of "
                            f"a class's real rows since issue #27), got {self.k}")  # fmt: skip
        if self.first_seed < 0:
            raise DataError(f"--first-seed must be 0 or more, got {self.first_seed}")
        if not 0.0 <= self.novelty_fpr_budget <= 1.0:
            raise DataError(f"--novelty-fpr-budget must lie in [0, 1], got "
                            f"{self.novelty_fpr_budget}")  # fmt: skip

    @property
    def seed_list(self) -> list[int]:
        return list(range(self.first_seed, self.first_seed + self.seeds))
