"""Bi-encoder: questions and passages to unit vectors (sentence-transformers)."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from knowledge.component import ModelComponent

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer

log = logging.getLogger(__name__)


class Encoder(ModelComponent):
    """Encode text with a sentence-transformers model named by hub id or folder.

    Models that declare ``query`` / ``passage`` prompts (e5: ``query: `` / ``passage: ``) get
    them; others encode the raw text. Cheap to construct; ``warm_up()`` loads the model.
    """

    kind = "encoder"

    def _load(self, folder: Path) -> SentenceTransformer:
        from sentence_transformers import SentenceTransformer

        return SentenceTransformer(str(folder), device=self.device)

    @property
    def dim(self) -> int:
        """Embedding dimension."""
        dim = self.model.get_embedding_dimension()
        assert dim is not None
        return int(dim)

    def _encode(self, texts: list[str], prompt: str, progress: bool) -> np.ndarray:
        kwargs: dict[str, Any] = {}
        if prompt in (self.model.prompts or {}):
            kwargs["prompt_name"] = prompt
        vectors = self.model.encode(
            texts,
            batch_size=32,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=progress,
            **kwargs,
        )
        return np.asarray(vectors, dtype=np.float32).reshape(len(texts), -1)

    def tokenize(self, texts: Sequence[str], prompt: str = "query") -> dict[str, Any]:
        """Texts -> model inputs for :meth:`forward` (CPU), with the model's ``prompt`` if any."""
        prefix = (self.model.prompts or {}).get(prompt) or None
        if not hasattr(self.model, "preprocess"):  # older sentence-transformers
            return dict(self.model.tokenize([(prefix or "") + t for t in texts]))
        return dict(self.model.preprocess(list(texts), prompt=prefix))

    def forward(self, features: dict[str, Any]) -> np.ndarray:
        """Model inputs -> (n, dim) float32 unit vectors: the model call alone."""
        import torch

        with torch.inference_mode():
            vectors = self.model(self.on_device(features))["sentence_embedding"].float()
            vectors = torch.nn.functional.normalize(vectors, p=2, dim=1)
        return np.asarray(vectors.cpu().numpy(), dtype=np.float32)

    def encode_queries(self, texts: list[str]) -> np.ndarray:
        """Questions -> (n, dim) float32, L2-normalised."""
        return self._encode(texts, "query", progress=False)

    def encode_passages(self, texts: list[str], progress: bool = False) -> np.ndarray:
        """Passages -> (n, dim) float32, L2-normalised."""
        return self._encode(texts, "passage", progress=progress)
