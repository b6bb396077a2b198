"""Cross-encoder reranker: re-score each question's retrieved passages jointly.

Any sentence-transformers ``CrossEncoder`` checkpoint (hub id or folder) works; kefu trains
its own from the multilingual encoder (``knowledge.train.reranker``). Batched: one list of
questions and their hit lists in, the same hits re-scored and re-sorted out.
"""

from __future__ import annotations

import logging
import time
from pathlib import Path
from typing import Any

from knowledge.errors import NotReadyError
from knowledge.index import embedding_text
from knowledge.models import ModelResolver
from knowledge.types import Hit

log = logging.getLogger(__name__)


class Reranker:
    """Score (question, passage) pairs with a cross-encoder."""

    def __init__(
        self, model: str, resolver: ModelResolver, device: str = "cpu", batch_size: int = 32
    ) -> None:
        self.model_name = model
        self.resolver = resolver
        self.device = device
        self.batch_size = batch_size
        self._model: Any = None
        self.folder: Path | None = None
        self.load_seconds = 0.0

    def warm_up(self) -> None:
        """Load the cross-encoder once."""
        if self._model is not None:
            return
        from sentence_transformers import CrossEncoder

        start = time.perf_counter()
        folder = self.folder = self.resolver.resolve(self.model_name)
        self._model = CrossEncoder(str(folder), device=self.device, num_labels=1)
        self.load_seconds = time.perf_counter() - start
        log.info("loaded reranker %s in %.1f s", self.model_name, self.load_seconds)

    def score(self, pairs: list[tuple[str, str]]) -> list[float]:
        """Raw relevance logits for (question, passage text) pairs."""
        if self._model is None:
            raise NotReadyError("Reranker used before warm_up().")
        if not pairs:
            return []
        scores = self._model.predict(
            pairs, batch_size=self.batch_size, activation_fn=None, show_progress_bar=False
        )
        return [float(s) for s in scores]

    def run(self, questions: list[str], hits: list[list[Hit]]) -> list[list[Hit]]:
        """Each question's hits, re-scored by the cross-encoder, best first."""
        pairs = [
            (q, embedding_text(h.passage))
            for q, row in zip(questions, hits, strict=True)
            for h in row
        ]
        scores = iter(self.score(pairs))
        return [
            sorted((Hit(h.passage, next(scores)) for h in row), key=lambda h: -h.score)
            for row in hits
        ]
