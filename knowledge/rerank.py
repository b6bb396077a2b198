"""Cross-encoder reranker: re-score each question's retrieved passages jointly.

Any sentence-transformers ``CrossEncoder`` checkpoint (hub id or folder) works; kefu trains
its own from the multilingual encoder (``knowledge.train.reranker``). Batched: one list of
questions and their hit lists in, the same hits re-scored and re-sorted out.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from knowledge.component import ModelComponent
from knowledge.index import embedding_text
from knowledge.models import ModelResolver
from knowledge.types import Hit


class Reranker(ModelComponent):
    """Score (question, passage) pairs with a cross-encoder."""

    kind = "reranker"

    def __init__(
        self,
        model: str,
        resolver: ModelResolver,
        device: str = "cpu",
        batch_size: int = 32,
        dtype: str = "float32",
    ) -> None:
        super().__init__(model, resolver, device, dtype)
        self.batch_size = batch_size

    def _load(self, folder: Path) -> Any:
        from sentence_transformers import CrossEncoder

        return CrossEncoder(str(folder), device=self.device, num_labels=1)

    def score(self, pairs: list[tuple[str, str]]) -> list[float]:
        """Raw relevance logits for (question, passage text) pairs."""
        if not pairs:
            return []
        scores = self.model.predict(
            pairs, batch_size=self.batch_size, activation_fn=None, show_progress_bar=False
        )
        return [float(s) for s in scores]

    def tokenize(self, pairs: Sequence[tuple[str, str]]) -> dict[str, Any]:
        """(question, passage text) pairs -> model inputs for :meth:`forward` (CPU)."""
        return dict(self.model.preprocess(list(pairs)))

    def forward(self, features: dict[str, Any]) -> np.ndarray:
        """Model inputs -> one raw relevance logit per pair: the model call alone."""
        import torch

        with torch.inference_mode():
            scores = self.model(self.on_device(features))["scores"].float().reshape(-1)
        return np.asarray(scores.cpu().numpy(), dtype=np.float32)

    def run(self, questions: list[str], hits: list[list[Hit]]) -> list[list[Hit]]:
        """Each question's hits, re-scored by the cross-encoder, best first."""
        pairs = [
            (q, embedding_text(h.passage))
            for q, row in zip(questions, hits, strict=True)
            for h in row
        ]
        return resort(hits, self.score(pairs))


def resort(hits: Sequence[Sequence[Hit]], scores: Sequence[float]) -> list[list[Hit]]:
    """Each row of hits with its new scores (``scores`` flat, row after row), best first."""
    flat = iter(scores)
    return [
        sorted((Hit(h.passage, next(flat)) for h in row), key=lambda h: -h.score) for row in hits
    ]
