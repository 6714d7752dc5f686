"""One unit of a scoring job — an input file, its output and rejects file — and how it is
scored: what both engines of :mod:`gavae_ids.scoring.jobs` run (the local one in this
process, :mod:`gavae_ids.scoring.dask_cluster` on workers)."""

from __future__ import annotations

import os
import uuid
from dataclasses import asdict, dataclass
from pathlib import Path

from gavae_ids.exceptions import GavaeIdsError
from gavae_ids.scoring._common import DEFAULT_CHUNK_ROWS
from gavae_ids.scoring._driver import score_file
from gavae_ids.scoring._summary import ScoreSummary


class ScoringJobError(GavaeIdsError):
    """A job could not finish: a worker died too often, or a unit lost rows."""


@dataclass(frozen=True)
class ScoreOptions:
    """The options of :func:`gavae_ids.scoring.score_file` that every unit of a job shares."""

    fmt: str = "csv"
    threshold: float | None = None
    header: bool = True
    trailing_fields: int | str = "auto"
    extra_columns: str = "ignore"
    chunk_size: int = DEFAULT_CHUNK_ROWS
    decimals: int = 6
    torch_threads: int | None = 1
    novelty: bool = False
    input_format: str = "auto"
    explain: int = 0


@dataclass(frozen=True)
class ScoringUnit:
    """One input file and where its scores and rejected rows go."""

    source: str
    out: str
    rejects: str


def _part(path: str, tag: str) -> Path:
    p = Path(path)
    return p.with_name(f".{p.name}.part-{tag}")


def score_unit(det, unit: ScoringUnit, opts: ScoreOptions) -> ScoreSummary:
    """Score one input file into its output and rejects file, each complete or absent.

    Both are written under temporary names and renamed once the file is scored;
    a unit that loses rows (``scored + rejected != total``) raises
    :class:`ScoringJobError`.
    """
    tag = uuid.uuid4().hex[:12]
    out, rej = _part(unit.out, tag), _part(unit.rejects, tag)
    try:
        s = score_file(det, unit.source, out, rejects=rej, verbose=False, **asdict(opts))
        if s.scored + s.rejected != s.total:
            raise ScoringJobError(f"{unit.source}: {s.scored:,} scored + {s.rejected:,} "
                                  f"rejected rows != {s.total:,} read")  # fmt: skip
        os.replace(rej, unit.rejects)
        os.replace(out, unit.out)
    finally:
        for p in (out, rej):
            p.unlink(missing_ok=True)
    s.output, s.rejects = unit.out, unit.rejects
    return s
