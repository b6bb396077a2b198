"""Shared value types. Frozen dataclasses, never loose dicts."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from common.lang import Language as Language  # re-exported: kefu's languages are common's


@dataclass(frozen=True)
class Source:
    """Where a passage comes from: document, section heading and effective date."""

    doc: str
    title: str
    section: str
    effective: str = ""


@dataclass(frozen=True)
class Passage:
    """One retrievable unit of a store document."""

    id: str
    text: str
    source: Source
    lang: Language

    def to_dict(self) -> dict[str, Any]:
        """Plain-JSON form, as stored in the index."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Passage:
        """Inverse of :meth:`to_dict`."""
        return cls(
            id=data["id"], text=data["text"], source=Source(**data["source"]), lang=data["lang"]
        )


@dataclass(frozen=True)
class Hit:
    """A passage with the score a stage gave it (higher is better)."""

    passage: Passage
    score: float


@dataclass(frozen=True)
class Answer:
    """What kefu answers to one question.

    ``text`` is the exact answer span; ``sentence`` the full sentence containing it (what the
    shopper is shown), with ``span`` the answer's (start, end) inside ``sentence``;
    ``score`` one confidence in [0, 1] (0.5 at the abstention threshold); ``abstained`` is
    true when the evidence was too weak to answer; ``hits`` the passages considered.
    """

    question: str
    lang: Language
    text: str
    sentence: str
    score: float
    source: Source | None
    abstained: bool
    hits: tuple[Hit, ...] = field(default=())
    span: tuple[int, int] = (0, 0)
    passage_id: str = ""

    def marked_sentence(self, left: str = "【", right: str = "】") -> str:
        """The sentence with the answer span marked."""
        s, e = self.span
        if e <= s:
            return self.sentence
        return f"{self.sentence[:s]}{left}{self.sentence[s:e]}{right}{self.sentence[e:]}"

    def evidence(self) -> dict[str, Any]:
        """The evidence agents see in the console: passages, scores and the source."""
        return {
            "abstained": self.abstained,
            "score": round(self.score, 4),
            "answer": self.text,
            "sentence": self.sentence,
            "span": list(self.span),
            "passage_id": self.passage_id,
            "source": asdict(self.source) if self.source else None,
            "passages": [
                {"id": h.passage.id, "score": round(h.score, 4), "text": h.passage.text}
                for h in self.hits
            ],
        }
