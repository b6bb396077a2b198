"""Bi-encoder: questions and passages to unit vectors (a sentence-transformers model).

One inference path in two model steps: :meth:`Encoder.tokenize` (CPU) and
:meth:`Encoder.forward` (the device); the answer graph's encode stages call them, and
:meth:`Encoder.encode` loops them over a list (the index build, training).
"""

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

    def encode(
        self,
        texts: Sequence[str],
        prompt: str = "query",
        batch_size: int = 32,
        progress: bool = False,
    ) -> np.ndarray:
        """Texts -> (n, dim) float32 unit vectors: :meth:`tokenize` then :meth:`forward`.

        In batches of similar lengths (little padding); results in the order given.
        """
        order = sorted(range(len(texts)), key=lambda i: -len(texts[i]))
        out = np.zeros((len(texts), self.dim), np.float32)
        starts = range(0, len(order), batch_size)
        if progress and len(starts) > 1:
            from tqdm.auto import tqdm

            starts = tqdm(starts, desc="encoding", unit="batch")
        for start in starts:
            rows = order[start : start + batch_size]
            out[rows] = self.forward(self.tokenize([texts[i] for i in rows], prompt))
        return out

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray:
        """Questions -> (n, dim) float32, L2-normalised."""
        return self.encode(texts, "query")

    def encode_passages(self, texts: Sequence[str], progress: bool = False) -> np.ndarray:
        """Passages -> (n, dim) float32, L2-normalised."""
        return self.encode(texts, "passage", progress=progress)
