"""The raw columns a detector was trained on: :class:`TrainingSchema`, kept in its bundle's
manifest and checked by every reader of new traffic (:mod:`gavae_ids.scoring`)."""

from __future__ import annotations

from dataclasses import dataclass, field

from gavae_ids.preprocessing import TabularPreprocessor

NUMERIC = "numeric"
CATEGORICAL = "categorical"


@dataclass(frozen=True)
class TrainingSchema:
    """The raw columns a detector was trained on.

    Attributes
    ----------
    columns : tuple of str
        Feature columns, in training order (also the field order of header-less input).
    dtypes : dict of str → {"numeric", "categorical"}
    categories : dict of str → tuple of str
        Training vocabulary of every categorical column; other values are *unseen*.
    """

    columns: tuple[str, ...]
    dtypes: dict[str, str]
    categories: dict[str, tuple[str, ...]] = field(default_factory=dict)

    @property
    def numeric(self) -> list[str]:
        return [c for c in self.columns if self.dtypes[c] == NUMERIC]

    @property
    def categorical(self) -> list[str]:
        return [c for c in self.columns if self.dtypes[c] == CATEGORICAL]

    @classmethod
    def from_preprocessor(cls, pre: TabularPreprocessor) -> TrainingSchema:
        cats = {c: tuple(v) for c, v in pre.categories_.items()}
        return cls(
            columns=tuple(pre.columns_),
            dtypes={c: CATEGORICAL if c in cats else NUMERIC for c in pre.columns_},
            categories=cats,
        )

    def to_dict(self) -> dict:
        return {
            "columns": list(self.columns),
            "dtypes": {c: self.dtypes[c] for c in self.columns},
            "categories": {c: list(v) for c, v in self.categories.items()},
        }

    @classmethod
    def from_dict(cls, d: dict) -> TrainingSchema:
        return cls(
            columns=tuple(d["columns"]),
            dtypes=dict(d["dtypes"]),
            categories={c: tuple(v) for c, v in d.get("categories", {}).items()},
        )

    def match_columns(self, columns) -> tuple[list[str], list[str]]:
        """``(missing, extra)`` column names of an input table against this schema."""
        have = set(columns)
        want = set(self.columns)
        return [c for c in self.columns if c not in have], [c for c in columns if c not in want]

    def missing_columns_message(self, missing, columns) -> str:
        head = ", ".join(missing[:12])
        if len(missing) > 12:
            head += f" … ({len(missing)} in all)"
        return (
            f"missing column(s) {head}; the model was trained on {len(self.columns)} columns "
            f"({', '.join(self.columns[:5])}, …) and the input has {len(columns)}"
        )
