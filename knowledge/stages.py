"""The answer graph's model stages, each in three steps (:class:`~knowledge.batching.Stage`).

One item is one question (with what earlier stages found for it); ``prepare`` tokenises or
stacks on the CPU, ``forward`` is the model (or index) call alone, ``finish`` splits the
batch's output back into one result per question. Any lane runs them
(:mod:`knowledge.graph`): inline, micro-batched, or on Ray Serve.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from knowledge.encode import Encoder
from knowledge.index import embedding_text
from knowledge.read import Reader, Span
from knowledge.rerank import Reranker, resort
from knowledge.retrieve import Retriever
from knowledge.types import Hit, Passage

Searched = tuple[str, np.ndarray]  # question, its vector
Ranked = tuple[str, tuple[Hit, ...]]  # question, its hits
Reading = tuple[str, tuple[Passage, ...]]  # question, the passages to read


@dataclass(frozen=True)
class EncodeStage:
    """Texts -> unit vectors (bi-encoder); ``prompt``: ``query`` or ``passage``."""

    encoder: Encoder
    prompt: str = "query"
    max_batch: int = 16
    name: str = "encode"

    def prepare(self, items: Sequence[str]) -> dict[str, Any]:
        """Tokenise."""
        return self.encoder.tokenize(items, self.prompt)

    def forward(self, prepared: dict[str, Any]) -> np.ndarray:
        """The encoder."""
        return self.encoder.forward(prepared)

    def finish(self, items: Sequence[str], raw: np.ndarray) -> list[np.ndarray]:
        """One vector per text."""
        return list(raw)


@dataclass(frozen=True)
class SearchStage:
    """(question, vector) -> its ``k`` nearest passages (FAISS; BM25 fused on the CPU)."""

    retriever: Retriever
    k: int
    max_batch: int = 16
    name: str = "search"

    def prepare(self, items: Sequence[Searched]) -> np.ndarray:
        """Stack the vectors."""
        return np.stack([v for _, v in items]).astype(np.float32, copy=False)

    def forward(self, prepared: np.ndarray) -> tuple[np.ndarray, list[list[tuple[int, float]]]]:
        """The index search."""
        return prepared, self.retriever.search(prepared, self.k)

    def finish(
        self, items: Sequence[Searched], raw: tuple[np.ndarray, list[list[tuple[int, float]]]]
    ) -> list[list[Hit]]:
        """Hits per question."""
        vectors, found = raw
        return self.retriever.hits([q for q, _ in items], vectors, found, self.k)


@dataclass(frozen=True)
class RerankStage:
    """(question, hits) -> the hits re-scored by the cross-encoder, best first."""

    reranker: Reranker
    max_batch: int = 16
    name: str = "rerank"

    def prepare(self, items: Sequence[Ranked]) -> dict[str, Any] | None:
        """Tokenise every (question, passage) pair."""
        pairs = [(q, embedding_text(h.passage)) for q, row in items for h in row]
        return self.reranker.tokenize(pairs) if pairs else None

    def forward(self, prepared: dict[str, Any] | None) -> np.ndarray:
        """The cross-encoder."""
        return self.reranker.forward(prepared) if prepared else np.zeros(0, np.float32)

    def finish(self, items: Sequence[Ranked], raw: np.ndarray) -> list[list[Hit]]:
        """Re-sort each question's hits by its logits."""
        return resort([row for _, row in items], raw.tolist())


@dataclass(frozen=True)
class ReadStage:
    """(question, passages) -> the reader's best span per sentence of each passage."""

    reader: Reader
    max_batch: int = 16
    name: str = "read"

    def prepare(self, items: Sequence[Reading]) -> Any:
        """Tokenise every (question, passage) pair into windows."""
        pairs = [(q, p) for q, passages in items for p in passages]
        return (
            self.reader.encode([q for q, _ in pairs], [p.text for _, p in pairs]) if pairs else None
        )

    def forward(self, prepared: Any) -> tuple[Any, tuple[np.ndarray, np.ndarray] | None]:
        """The reader (the windows travel on to ``finish``)."""
        return prepared, self.reader.forward(prepared) if prepared is not None else None

    def finish(
        self, items: Sequence[Reading], raw: tuple[Any, tuple[np.ndarray, np.ndarray] | None]
    ) -> list[list[list[Span]]]:
        """Decode the spans; group them per question (one list per passage)."""
        features, logits = raw
        passages = [p for _, row in items for p in row]
        spans = iter(self.reader.spans(features, logits, passages) if logits else [])
        return [list(itertools.islice(spans, len(row))) for _, row in items]
