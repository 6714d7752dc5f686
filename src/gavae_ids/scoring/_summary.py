"""What a scoring run did: :class:`ScoreSummary`."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field


# -- the summary ---------------------------------------------------------------------------
@dataclass
class ScoreSummary:
    """What :func:`score_file` did.

    Attributes
    ----------
    total, scored, rejected : int
        Input data rows; ``scored + rejected == total``.
    attacks : int
        Scored rows flagged as attacks.
    unseen : int
        Scored rows with a categorical value unseen in training.
    novel : int or None
        With the novelty flag (``novelty=True``): scored rows flagged novel (also
        counted in ``attacks``); ``None`` without it.
    seconds : float
        Wall time, reading to last write.
    source : str or None
        The input read (``"<stdin>"`` for stdin).
    output, rejects : str or None
        Where the scores and the rejected rows went (``"-"``: stdout).
    reject_reasons : dict of str → int
        Rejected rows per kind of reason: ``"wrong field count"``, ``"empty
        line"``, ``"malformed CSV"``, ``"empty value"``, ``"not a finite number"``.
    reject_details : dict of str → dict of str → int
        Rejected rows of each kind per detail: the expected and found field
        counts, the column, the CSV error; most common first.
    trailing_fields : int or None
        Header-less input: the trailing fields ignored on every line; ``None``
        with a header.
    notes : list of str
        Remarks on the input (ignored columns, reordering, trailing fields).
    decision : str or None
        How the attack flag was decided (the bundle's decision rule, or
        ``--threshold``), in one line.
    """

    total: int = 0
    scored: int = 0
    rejected: int = 0
    attacks: int = 0
    unseen: int = 0
    novel: int | None = None
    seconds: float = 0.0
    source: str | None = None
    output: str | None = None
    rejects: str | None = None
    reject_reasons: dict[str, int] = field(default_factory=dict)
    reject_details: dict[str, dict[str, int]] = field(default_factory=dict)
    trailing_fields: int | None = None
    notes: list[str] = field(default_factory=list)
    decision: str | None = None

    @property
    def rows_per_second(self) -> float:
        return self.total / self.seconds if self.seconds > 0 else float("nan")

    @property
    def reject_rate(self) -> float:
        """Share of input rows rejected (0 for an empty input)."""
        return self.rejected / self.total if self.total else 0.0

    def top_reasons(self, k: int = 5) -> list[tuple[str, int]]:
        """The ``k`` most common kinds of reject reason with their row counts."""
        return Counter(self.reject_reasons).most_common(k)

    def reasons_text(self, k: int = 5, details: int = 3) -> str:
        """The ``k`` most common reject reasons, one indented line each, with their
        ``details`` most common details::

                      73  wrong field count: expected 43, found 44 (61); expected 43, found 24 (5)
        """
        lines = []
        for kind, n in self.top_reasons(k):
            top = Counter(self.reject_details.get(kind, {})).most_common()
            shown = [f"{d} ({c:,})" for d, c in top[:details] if d]
            if len(top) > details:
                shown.append(f"{len(top) - details} more")
            lines.append(f"  {n:>12,}  {kind}" + (": " + "; ".join(shown) if shown else ""))
        return "\n".join(lines)

    def line(self) -> str:
        """One human-readable line: scored / rejected / total, rate, attacks."""
        s = (
            f"scored {self.scored:,} / rejected {self.rejected:,} / total {self.total:,} rows "
            f"in {self.seconds:.2f} s ({self.rows_per_second:,.0f} rows/s); "
            f"{self.attacks:,} attacks, {self.unseen:,} with unseen categories"
        )
        if self.novel is not None:
            s += f", {self.novel:,} novel (counted as attacks)"
        if self.rejected and self.rejects:
            s += f"; rejects in {self.rejects}"
        return s

    def to_dict(self) -> dict:
        d = {k: getattr(self, k) for k in self.__dataclass_fields__}
        d["rows_per_second"] = self.rows_per_second
        return d
