"""The answer decision: which candidate span kefu shows, and when it abstains.

Each read passage yields one candidate per sentence (the reader's best span inside it). A
candidate's decision score weighs four signals, with weights fitted on the dev split by
``make models`` (``knowledge/train/calibrate.py``):

- the reader's margin of the span over "no answer" (``reader_weight``),
- the passage's retrieval rank (``rank_penalty`` per rank),
- the passage's retrieval score (``retrieval_weight``),
- the similarity of the question to the sentence holding the span (``sentence_weight``).

Below ``threshold`` kefu abstains; ``scale`` turns the distance to it into a confidence.
"""

from __future__ import annotations

import json
import logging
import math
from dataclasses import dataclass
from pathlib import Path

from knowledge.read import Span

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Candidate:
    """One span the answer could be, with what the decision knows about it."""

    span: Span
    rank: int
    retrieval_score: float
    sentence_score: float = 0.0


@dataclass(frozen=True)
class Calibration:
    """Weights and threshold of the decision (see the module docstring)."""

    threshold: float = 0.0
    rank_penalty: float = 1.0
    retrieval_weight: float = 0.0
    scale: float = 2.0
    reader_weight: float = 1.0
    sentence_weight: float = 0.0

    def score(self, c: Candidate) -> float:
        """Decision score of one candidate."""
        return (
            self.reader_weight * c.span.margin
            - self.rank_penalty * c.rank
            + self.retrieval_weight * c.retrieval_score
            + self.sentence_weight * c.sentence_score
        )

    def pick(self, candidates: list[Candidate]) -> tuple[float, Candidate] | None:
        """The best non-empty candidate (first one on a tie) and its score, or None."""
        scored = [(self.score(c), c) for c in candidates if c.span.end > c.span.start]
        return max(scored, key=lambda x: x[0]) if scored else None

    def confidence(self, score: float) -> float:
        """0..1, 0.5 at the threshold."""
        return 1.0 / (1.0 + math.exp(-(score - self.threshold) / self.scale))

    @classmethod
    def load(cls, path: Path) -> Calibration:
        """Read a calibration file, or the defaults when there is none."""
        if not path.exists():
            log.warning("no calibration at %s: using defaults (run 'make models')", path)
            return cls()
        data = json.loads(path.read_text())
        return cls(**{k: float(v) for k, v in data.items() if k in cls.__dataclass_fields__})

    def save(self, path: Path) -> None:
        """Write as JSON."""
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(self.__dict__, indent=2))
