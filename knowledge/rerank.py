"""Cross-encoder reranker: re-score each question's retrieved passages jointly.

Any sentence-transformers ``CrossEncoder`` checkpoint (hub id or folder) works; kefu trains
its own from the multilingual encoder (``knowledge.train.reranker``). One inference path:
:meth:`Reranker.tokenize` (CPU) -> :meth:`Reranker.forward` (the device) -> :func:`resort`
(CPU), run by the answer graph's rerank stage (``knowledge.stages.RerankStage``).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from knowledge.component import ModelComponent
from knowledge.types import Hit


class Reranker(ModelComponent):
    """Score (question, passage) pairs with a cross-encoder."""

    kind = "reranker"

    def _load(self, folder: Path) -> Any:
        from sentence_transformers import CrossEncoder

        return CrossEncoder(str(folder), device=self.device, num_labels=1)

    def tokenize(self, pairs: Sequence[tuple[str, str]]) -> dict[str, Any]:
        """(question, passage text) pairs -> model inputs for :meth:`forward` (CPU)."""
        return dict(self.model.preprocess(list(pairs)))

    def forward(self, features: dict[str, Any]) -> np.ndarray:
        """Model inputs -> one raw relevance logit per pair: the model call alone."""
        import torch

        with torch.inference_mode():
            scores = self.model(self.on_device(features))["scores"].float().reshape(-1)
        return np.asarray(scores.cpu().numpy(), dtype=np.float32)


def resort(hits: Sequence[Sequence[Hit]], scores: Sequence[float]) -> list[list[Hit]]:
    """Each row of hits with its new scores (``scores`` flat, row after row), best first."""
    flat = iter(scores)
    return [
        sorted((Hit(h.passage, next(flat)) for h in row), key=lambda h: -h.score) for row in hits
    ]
