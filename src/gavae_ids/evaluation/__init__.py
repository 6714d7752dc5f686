"""Evaluation: the paper's §5.3 metrics per class, macro/weighted, attack-vs-normal, ROC/AUC;
fidelity of synthetic rows (:mod:`gavae_ids.evaluation.fidelity`).

Never imports torch.
"""

from gavae_ids.evaluation.fidelity import (
    FIDELITY_COLUMNS,
    TSTRResult,
    fidelity_markdown,
    fidelity_per_class,
    tstr,
)
from gavae_ids.evaluation.metrics import (
    AVERAGES,
    PAPER_COLUMNS,
    PAPER_METHOD_ALIASES,
    PAPER_RESULTS,
    PAPER_RESULTS_CAVEAT,
    PAPER_TABLES,
    PER_CLASS_COLUMNS,
    TABLE_METRICS,
    EvaluationResult,
    aggregate,
    binary_metrics,
    confusion,
    evaluate,
    per_class_metrics,
    resolve_labels,
    roc_auc,
    table_keys,
)

__all__ = [
    "AVERAGES",
    "FIDELITY_COLUMNS",
    "PAPER_COLUMNS",
    "PAPER_METHOD_ALIASES",
    "PAPER_RESULTS",
    "PAPER_RESULTS_CAVEAT",
    "PAPER_TABLES",
    "PER_CLASS_COLUMNS",
    "TABLE_METRICS",
    "TSTRResult",
    "EvaluationResult",
    "aggregate",
    "binary_metrics",
    "confusion",
    "evaluate",
    "fidelity_markdown",
    "fidelity_per_class",
    "per_class_metrics",
    "resolve_labels",
    "roc_auc",
    "table_keys",
    "tstr",
]
