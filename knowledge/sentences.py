"""How well each sentence of a passage matches the question (bi-encoder cosine).

Sentence vectors are computed on first use and kept (a store has hundreds to thousands of
sentences), so the hot path encodes only sentences it has not seen: the answer graph passes
its ``sentences`` lane as the encoder of :meth:`SentenceScorer.run`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence

import numpy as np

Encode = Callable[[list[str]], Awaitable[Sequence[np.ndarray]]]


class SentenceScorer:
    """Cosine between question vectors and sentences, with a sentence-vector cache."""

    def __init__(self, max_cached: int = 100_000) -> None:
        self.max_cached = max_cached
        self._vectors: dict[str, np.ndarray] = {}

    async def run(
        self, question_vectors: np.ndarray, sentences: list[list[str]], encode: Encode
    ) -> list[list[float]]:
        """For each question (row of ``question_vectors``), the cosine of each of its sentences.

        ``encode`` gives the vectors of the sentences not cached yet (each asked once).
        """
        missing = self.missing(sentences)
        fresh = dict(zip(missing, await encode(missing), strict=True)) if missing else {}
        self.add(list(fresh), list(fresh.values()))
        return self.score(question_vectors, sentences, fresh)

    def missing(self, sentences: list[list[str]]) -> list[str]:
        """The sentences without a cached vector, each once."""
        return list(dict.fromkeys(s for row in sentences for s in row if s not in self._vectors))

    def add(self, texts: list[str], vectors: np.ndarray | list[np.ndarray]) -> None:
        """Cache sentence vectors (the cache is emptied when it would outgrow ``max_cached``)."""
        if len(self._vectors) + len(texts) > self.max_cached:
            self._vectors.clear()
        for text, vector in zip(texts, vectors, strict=True):
            self._vectors[text] = vector

    def score(
        self,
        question_vectors: np.ndarray,
        sentences: list[list[str]],
        fresh: Mapping[str, np.ndarray] | None = None,
    ) -> list[list[float]]:
        """Cosines from cached vectors, or from ``fresh`` ones.

        (A concurrent question may have emptied the cache since ``fresh`` was added.)
        """
        known = fresh or {}
        return [
            [float((known[s] if s in known else self._vectors[s]) @ q) for s in row]
            for q, row in zip(question_vectors, sentences, strict=True)
        ]
