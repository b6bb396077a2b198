"""The knowledge service: question -> grounded answer with its source, or an abstention.

Walking-skeleton version: bi-encoder retrieval, the best passage in the shopper's language
is the answer; below ``Settings.min_score`` kefu abstains. The reranker and extractive reader
plug in here as further stages.
"""

from __future__ import annotations

import logging
import time
from pathlib import Path

from knowledge.encode import Encoder
from knowledge.errors import KnowledgeError
from knowledge.index import PassageIndex, build_index, index_key, open_index
from knowledge.ingest import load_documents
from knowledge.lang import detect_language
from knowledge.models import ModelResolver
from knowledge.retrieve import Retriever
from knowledge.settings import Settings
from knowledge.types import Answer, Hit, Passage

log = logging.getLogger(__name__)

MAX_QUESTION_CHARS = 2000


class KnowledgeService:
    """Everything the action server needs from ``knowledge``; build once per process."""

    def __init__(
        self,
        settings: Settings,
        resolver: ModelResolver | None = None,
        encoder: Encoder | None = None,
    ) -> None:
        self.settings = settings
        self.resolver = resolver or ModelResolver(settings)
        self.encoder = encoder or Encoder(settings.retriever_model, self.resolver, settings.device)
        self.retriever = Retriever(self.encoder, top_k=settings.top_k)
        self.ready = False

    @property
    def doc_dirs(self) -> list[Path]:
        """Folders of the store's documents: policy pages (docs/) and FAQ exports (faq/)."""
        folders = [self.settings.data_dir / "docs", self.settings.data_dir / "faq"]
        return [f for f in folders if f.is_dir()] or folders[:1]

    def load_passages(self) -> list[Passage]:
        """Parse the store's documents (bad documents are logged and skipped)."""
        result = load_documents(*self.doc_dirs)
        if not result.passages:
            raise KnowledgeError(f"No passages could be read from {self.doc_dirs}.")
        return result.passages

    def build_index(self, force: bool = False) -> PassageIndex:
        """Build the passage index for the current documents unless it already exists."""
        passages = self.load_passages()
        key = index_key(self.settings.retriever_model, passages)
        folder = self.settings.index_dir / key
        if not force and (folder / "manifest.json").exists():
            return open_index(self.settings.index_dir, key)
        self.settings.index_dir.mkdir(parents=True, exist_ok=True)
        return build_index(self.encoder, passages, folder)

    def warm_up(self) -> None:
        """Load models and the index. Raises a ``KnowledgeError`` saying what to run."""
        if self.ready:
            return
        start = time.perf_counter()
        if self.settings.torch_threads:
            import torch

            torch.set_num_threads(self.settings.torch_threads)
        passages = self.load_passages()
        index = open_index(
            self.settings.index_dir, index_key(self.settings.retriever_model, passages)
        )
        self.retriever.warm_up(index)
        self.ready = True
        log.info("knowledge service ready in %.1f s", time.perf_counter() - start)

    def answer(self, question: str) -> Answer:
        """Answer one question (see :meth:`answer_batch`)."""
        return self.answer_batch([question])[0]

    def answer_batch(self, questions: list[str]) -> list[Answer]:
        """Answer each question from the store's documents, or abstain."""
        clipped = [q.strip()[:MAX_QUESTION_CHARS] for q in questions]
        hits_per_question = self.retriever.run(clipped, top_k=self.settings.top_k * 2)
        return [self._decide(q, hits) for q, hits in zip(clipped, hits_per_question, strict=True)]

    def _decide(self, question: str, hits: list[Hit]) -> Answer:
        lang = detect_language(question)
        same_lang = [h for h in hits if h.passage.lang == lang] or hits
        shown = tuple(same_lang[: self.settings.top_k])
        best = shown[0] if shown else None
        if best is None or best.score < self.settings.min_score:
            return Answer(question, lang, "", "", best.score if best else 0.0, None, True, shown)
        text = best.passage.text
        return Answer(question, lang, text, text, best.score, best.passage.source, False, shown)
