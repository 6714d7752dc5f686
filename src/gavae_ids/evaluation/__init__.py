"""Evaluation: the paper's §5.3 metrics per class, macro/weighted, attack-vs-normal, ROC/AUC.

Never imports torch.
"""

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
    "PAPER_COLUMNS",
    "PAPER_METHOD_ALIASES",
    "PAPER_RESULTS",
    "PAPER_RESULTS_CAVEAT",
    "PAPER_TABLES",
    "PER_CLASS_COLUMNS",
    "TABLE_METRICS",
    "EvaluationResult",
    "aggregate",
    "binary_metrics",
    "confusion",
    "evaluate",
    "per_class_metrics",
    "resolve_labels",
    "roc_auc",
    "table_keys",
]
