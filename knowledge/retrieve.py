"""Retriever: bi-encoder + FAISS, optionally fused with BM25 (hybrid).

Batched: a list of questions in, a list of hit lists out. Hit scores are the dense
(cosine) scores; with ``hybrid`` the order comes from reciprocal-rank fusion of the dense and
the BM25 rankings, and passages found only by BM25 carry their cosine score too.
"""

from __future__ import annotations

import numpy as np

from knowledge.bm25 import BM25, rrf
from knowledge.encode import Encoder
from knowledge.errors import NotReadyError
from knowledge.index import PassageIndex, embedding_text
from knowledge.types import Hit

FUSION_DEPTH = 20


class Retriever:
    """Find the passages closest to each question.

    Args:
        encoder: the bi-encoder (its ``warm_up()`` is called by ``warm_up()`` here).
        top_k: passages per question unless ``run`` says otherwise.
        hybrid: fuse dense retrieval with BM25 by reciprocal rank.
    """

    def __init__(self, encoder: Encoder, top_k: int = 5, hybrid: bool = False) -> None:
        if top_k < 1:
            raise ValueError(f"top_k must be at least 1, got {top_k}")
        self.encoder = encoder
        self.top_k = top_k
        self.hybrid = hybrid
        self.index: PassageIndex | None = None
        self.bm25: BM25 | None = None
        self._vectors: np.ndarray | None = None

    def warm_up(self, index: PassageIndex) -> None:
        """Load the encoder and attach the index (and build BM25 for hybrid)."""
        self.encoder.warm_up()
        self.index = index
        if self.hybrid:
            self.bm25 = BM25([embedding_text(p) for p in index.passages])
            if hasattr(index.faiss_index, "make_direct_map"):  # IVF indexes need one
                index.faiss_index.make_direct_map()
            self._vectors = index.faiss_index.reconstruct_n(0, len(index.passages))

    def run(
        self, questions: list[str], top_k: int | None = None, vectors: np.ndarray | None = None
    ) -> list[list[Hit]]:
        """Top-k hits per question, best first (``vectors``: the questions, already encoded)."""
        if self.index is None:
            raise NotReadyError("Retriever used before warm_up().")
        if not questions:
            return []
        k = top_k or self.top_k
        if vectors is None:
            vectors = self.encoder.encode_queries(questions)
        return self.hits(questions, vectors, self.search(vectors, k), k)

    def search(self, vectors: np.ndarray, k: int) -> list[list[tuple[int, float]]]:
        """The index search alone: (passage position, cosine) rows, deep enough for ``hits``."""
        if self.index is None:
            raise NotReadyError("Retriever used before warm_up().")
        return self.index.search(vectors, FUSION_DEPTH if self.hybrid else k)

    def hits(
        self,
        questions: list[str],
        vectors: np.ndarray,
        found: list[list[tuple[int, float]]],
        k: int,
    ) -> list[list[Hit]]:
        """Top-k hits per question from :meth:`search`'s rows (fused with BM25 if hybrid)."""
        assert self.index is not None
        passages = self.index.passages
        if not self.hybrid:
            return [[Hit(passages[i], score) for i, score in row[:k]] for row in found]
        assert self.bm25 is not None and self._vectors is not None
        out = []
        for question, vector, row in zip(questions, vectors, found, strict=True):
            keyword = self.bm25.search(question, FUSION_DEPTH)
            fused = rrf([[i for i, _ in row], [i for i, _ in keyword]])[:k]
            cosine = self._vectors[[i for i, _ in fused]] @ vector
            out.append(
                [Hit(passages[i], float(c)) for (i, _), c in zip(fused, cosine, strict=True)]
            )
        return out
