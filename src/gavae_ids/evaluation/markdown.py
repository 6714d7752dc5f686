"""Markdown tables of the reports: cells of mean ± std in percent, and reading a table back."""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence


def fmt_pct(stat: Mapping | None) -> str:
    """``{"mean", "std"}`` of a fraction → ``"90.35 ± 0.12"`` (percent); n/a where undefined."""
    if not stat:
        return "n/a"
    mean, std = stat.get("mean"), stat.get("std")
    if mean is None or not math.isfinite(mean):
        return "n/a"
    if std is None or not math.isfinite(std):
        return f"{100 * mean:.2f}"
    return f"{100 * mean:.2f} ± {100 * std:.2f}"


def markdown_table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """A pipe table: ``header``, the separator line, then ``rows``."""
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(str(c) for c in r) + " |" for r in rows]
    return "\n".join(lines)


def parse_markdown_table(text: str, heading: str) -> list[dict[str, str]]:
    """The first pipe table after the line holding ``heading``, as a list of row dicts."""
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if heading in line)
    rows, header = [], None
    for line in lines[start + 1 :]:
        if not line.startswith("|"):
            if header is not None:
                break
            continue
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if header is None:
            header = cells
        elif set(line.replace("|", "").strip()) <= {"-", ":"}:
            continue
        else:
            rows.append(dict(zip(header, cells, strict=True)))
    return rows


def parse_pct(cell: str) -> tuple[float | None, float | None]:
    """Inverse of :func:`fmt_pct`: ``"90.35 ± 0.12"`` → (90.35, 0.12)."""
    m = re.fullmatch(r"(-?[\d.]+)(?: ± ([\d.]+))?", cell.strip())
    if not m:
        return None, None
    return float(m.group(1)), (float(m.group(2)) if m.group(2) else None)
