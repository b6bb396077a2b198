"""Shared value types. Frozen dataclasses, never loose dicts."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal

Language = Literal["zh", "en"]


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

    ``text`` is the answer itself; ``sentence`` the passage text the shopper is shown;
    ``abstained`` is true when the evidence was too weak to answer.
    """

    question: str
    lang: Language
    text: str
    sentence: str
    score: float
    source: Source | None
    abstained: bool
    hits: tuple[Hit, ...] = field(default=())

    def evidence(self) -> dict[str, Any]:
        """The evidence agents see in the console: passages, scores and the source."""
        return {
            "abstained": self.abstained,
            "score": round(self.score, 4),
            "source": asdict(self.source) if self.source else None,
            "passages": [
                {"id": h.passage.id, "score": round(h.score, 4), "text": h.passage.text}
                for h in self.hits
            ],
        }
