"""Bi-encoder: questions and passages to unit vectors (sentence-transformers)."""

from __future__ import annotations

import logging
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from knowledge.errors import NotReadyError
from knowledge.models import ModelResolver

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer

log = logging.getLogger(__name__)


class Encoder:
    """Encode text with a sentence-transformers model named by hub id or folder.

    Models that declare ``query`` / ``passage`` prompts (e5: ``query: `` / ``passage: ``) get
    them; others encode the raw text. Cheap to construct; ``warm_up()`` loads the model.
    """

    def __init__(self, model: str, resolver: ModelResolver, device: str = "cpu") -> None:
        self.model_name = model
        self.resolver = resolver
        self.device = device
        self._model: SentenceTransformer | None = None
        self._folder: Path | None = None
        self.load_seconds = 0.0

    def resolve(self) -> Path:
        """The model's local folder (resolved once; building it offline if needed)."""
        if self._folder is None:
            self._folder = self.resolver.resolve(self.model_name)
        return self._folder

    def warm_up(self) -> None:
        """Resolve and load the model once."""
        if self._model is not None:
            return
        from sentence_transformers import SentenceTransformer

        start = time.perf_counter()
        folder = self.resolve()
        self._model = SentenceTransformer(str(folder), device=self.device)
        self.load_seconds = time.perf_counter() - start
        log.info("loaded encoder %s from %s in %.1f s", self.model_name, folder, self.load_seconds)

    @property
    def model(self) -> SentenceTransformer:
        """The loaded model; raises if ``warm_up()`` was not called."""
        if self._model is None:
            raise NotReadyError("Encoder used before warm_up().")
        return self._model

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

    def encode_queries(self, texts: list[str]) -> np.ndarray:
        """Questions -> (n, dim) float32, L2-normalised."""
        return self._encode(texts, "query", progress=False)

    def encode_passages(self, texts: list[str], progress: bool = False) -> np.ndarray:
        """Passages -> (n, dim) float32, L2-normalised."""
        return self._encode(texts, "passage", progress=progress)
