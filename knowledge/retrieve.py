"""Retriever: bi-encoder + FAISS. Batched: a list of questions in, a list of hit lists out."""

from __future__ import annotations

from knowledge.encode import Encoder
from knowledge.errors import NotReadyError
from knowledge.index import PassageIndex
from knowledge.types import Hit


class Retriever:
    """Find the passages closest to each question.

    Args:
        encoder: the bi-encoder (its ``warm_up()`` is called by ``warm_up()`` here).
        top_k: passages per question unless ``run`` says otherwise.
    """

    def __init__(self, encoder: Encoder, top_k: int = 5) -> None:
        if top_k < 1:
            raise ValueError(f"top_k must be at least 1, got {top_k}")
        self.encoder = encoder
        self.top_k = top_k
        self.index: PassageIndex | None = None

    def warm_up(self, index: PassageIndex) -> None:
        """Load the encoder and attach the index."""
        self.encoder.warm_up()
        self.index = index

    def run(self, questions: list[str], top_k: int | None = None) -> list[list[Hit]]:
        """Top-k hits per question, best first."""
        if self.index is None:
            raise NotReadyError("Retriever used before warm_up().")
        if not questions:
            return []
        vectors = self.encoder.encode_queries(questions)
        found = self.index.search(vectors, top_k or self.top_k)
        passages = self.index.passages
        return [[Hit(passages[i], score) for i, score in row] for row in found]
