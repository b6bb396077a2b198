"""The knowledge service: question -> exact answer with its sentence and source, or abstain.

Stages, each a batched component: retrieve (bi-encoder + FAISS, optionally hybrid with
BM25) -> keep passages in the question's language -> rerank (cross-encoder, when
configured) -> read (extractive QA over the ``read_k`` best passages: the best span in each
sentence) -> score each sentence against the question -> decide (``knowledge/decide.py``:
weights and abstention threshold fitted on the dev split by ``make models``).
Without a reader (``KEFU_READER_MODEL=none``) the best passage is the answer.

Two ways in: :meth:`KnowledgeService.answer_batch` runs a list of questions through the
stages at once (evaluation, the command line); :meth:`KnowledgeService.answer_async` answers
one question on an event loop, its stages micro-batched with every other question in flight
(``knowledge/stages.py``), which is how the action server serves concurrent shoppers.
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from knowledge.decide import Calibration, Candidate
from knowledge.encode import Encoder
from knowledge.errors import KnowledgeError, NotReadyError
from knowledge.index import PassageIndex, build_index, index_key, open_index
from knowledge.ingest import load_documents
from knowledge.ingest.split import sentence_around
from knowledge.lang import detect_language
from knowledge.models import ModelResolver
from knowledge.read import Reader, Span
from knowledge.rerank import Reranker
from knowledge.retrieve import Retriever
from knowledge.sentences import SentenceScorer
from knowledge.settings import Settings
from knowledge.stages import Lanes
from knowledge.types import Answer, Hit, Passage

if TYPE_CHECKING:
    from knowledge.serving import RemoteLanes

log = logging.getLogger(__name__)

MAX_QUESTION_CHARS = 2000
CALIBRATION_VERSION = 3


class KnowledgeService:
    """Everything the action server needs from ``knowledge``; build once per process."""

    def __init__(
        self,
        settings: Settings,
        resolver: ModelResolver | None = None,
        encoder: Encoder | None = None,
        reader: Reader | None = None,
        reranker: Reranker | None = None,
    ) -> None:
        self.settings = settings
        self.resolver = resolver or ModelResolver(settings)
        device, dtype = settings.device, settings.model_dtype
        self.encoder = encoder or Encoder(settings.retriever_model, self.resolver, device, dtype)
        self.retriever = Retriever(self.encoder, top_k=settings.top_k, hybrid=settings.hybrid)
        self.sentences = SentenceScorer(self.encoder)
        self.reader = reader
        if reader is None and settings.reader_model:
            windows = 16 if device == "cpu" else 256  # windows per forward pass
            self.reader = Reader(
                settings.reader_model, self.resolver, device, batch_size=windows, dtype=dtype
            )
        self.reranker = reranker
        if reranker is None and settings.reranker_model:
            self.reranker = Reranker(settings.reranker_model, self.resolver, device, dtype=dtype)
        self.calibration = Calibration()
        self.ready = False
        self._lanes: Lanes | None = None
        self._lanes_loop: asyncio.AbstractEventLoop | None = None
        self._remote: RemoteLanes | None = None

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

    def index_key(self, passages: list[Passage]) -> str:
        """Index key: the retriever and every passage.

        The retriever counts by name and resolved folder, so a retrained one is new.
        """
        model = f"{self.encoder.model_name}@{self.encoder.resolve().name}"
        kind = "" if self.settings.index_type == "flat" else f"+{self.settings.index_type}"
        return index_key(model + kind, passages)

    def build_index(self, force: bool = False) -> PassageIndex:
        """Build the passage index for the current documents unless it already exists."""
        passages = self.load_passages()
        key = self.index_key(passages)
        folder = self.settings.index_dir / key
        if not force and (folder / "manifest.json").exists():
            return open_index(self.settings.index_dir, key)
        self.settings.index_dir.mkdir(parents=True, exist_ok=True)
        return build_index(self.encoder, passages, folder, self.settings.index_type)

    def open_index(self) -> PassageIndex:
        """The built index of the current documents (``IndexMissingError`` says what to run)."""
        return open_index(self.settings.index_dir, self.index_key(self.load_passages()))

    def warm_up(self, with_reader: bool = True) -> None:
        """Load models and the index. Raises a ``KnowledgeError`` saying what to run."""
        if self.ready:
            return
        start = time.perf_counter()
        if self.settings.torch_threads:
            import torch

            torch.set_num_threads(self.settings.torch_threads)
        remote = self.settings.batch_backend == "ray"
        if remote:  # the stages' models run on Ray Serve: check the index, name the models
            self.open_index()
            for component in (self.reader, self.reranker):
                if component is not None:
                    component.resolve()  # their folders name the calibration
        else:
            self.retriever.warm_up(self.open_index())
            if self.reranker is not None:
                self.reranker.warm_up()
        if self.reader is not None and with_reader:
            if not remote:
                self.reader.warm_up()
            self.calibration = Calibration.load(self.calibration_path())
        elif not with_reader:
            self.reader = None
        if self.settings.answer_threshold is not None:
            self.calibration = replace(self.calibration, threshold=self.settings.answer_threshold)
        self.ready = True
        log.info("knowledge service ready in %.1f s", time.perf_counter() - start)

    def calibration_path(self) -> Path:
        """Where the decision fitted for this reader, retriever and data lives in the cache."""
        reader = getattr(self.reader, "folder", None)
        parts = [
            f"v{CALIBRATION_VERSION}",
            reader.name if reader else "none",
            self.encoder.resolve().name,
        ]
        reranker = getattr(self.reranker, "folder", None)
        if reranker is not None:
            parts.append(reranker.name)
        name = "-".join(parts)
        return self.settings.cache_dir / "calibration" / f"{name}.json"

    def answer(self, question: str) -> Answer:
        """Answer one question (see :meth:`answer_batch`)."""
        return self.answer_batch([question])[0]

    def retrieve(self, questions: list[str], vectors: np.ndarray | None = None) -> list[list[Hit]]:
        """Retrieve, keep the question's language, rerank: the passages the reader will see."""
        raw = self.retriever.run(questions, top_k=self.settings.top_k * 2, vectors=vectors)
        hits = [self._same_language(q, row) for q, row in zip(questions, raw, strict=True)]
        if self.reranker is not None:
            hits = self.reranker.run(questions, hits)
        return hits

    def read(
        self, questions: list[str], hits: list[list[Hit]], vectors: np.ndarray | None = None
    ) -> list[list[Candidate]]:
        """Candidate spans (one per sentence) of the ``read_k`` best passages per question."""
        assert self.reader is not None
        k = self.settings.read_k
        pairs = [(q, h.passage) for q, row in zip(questions, hits, strict=True) for h in row[:k]]
        per_pair = iter(self.reader.run_sentences([q for q, _ in pairs], [p for _, p in pairs]))
        rows = [_candidates(row[:k], [next(per_pair) for _ in row[:k]]) for row in hits]
        if vectors is None:
            vectors = self.encoder.encode_queries(questions)
        sentences = [[_sentence(c.span) for c in row] for row in rows]
        scores = self.sentences.run(vectors, sentences)
        return [
            [replace(c, sentence_score=v) for c, v in zip(row, sc, strict=True)]
            for row, sc in zip(rows, scores, strict=True)
        ]

    def answer_batch(self, questions: list[str]) -> list[Answer]:
        """Answer each question from the store's documents, or abstain."""
        clipped = [q.strip()[:MAX_QUESTION_CHARS] for q in questions]
        vectors = self.encoder.encode_queries(clipped) if clipped else None
        hits = self.retrieve(clipped, vectors)
        if self.reader is None:
            return [self._decide_by_retrieval(q, h) for q, h in zip(clipped, hits, strict=True)]
        candidates = self.read(clipped, hits, vectors)
        return [self.decide(q, h, c) for q, h, c in zip(clipped, hits, candidates, strict=True)]

    async def answer_async(self, question: str) -> Answer:
        """Answer one question, its model calls batched with every other question in flight.

        The same answer as :meth:`answer` (scores within float tolerance: the batch a question
        shares changes its padding). The batchers start on the first call on a loop.

        Raises:
            OverloadedError: a stage already has ``batch_queue`` questions waiting.
        """
        if not self.ready:
            raise NotReadyError("KnowledgeService used before warm_up().")
        lanes = await self.lanes()
        q = question.strip()[:MAX_QUESTION_CHARS]
        vector = await lanes.encode.submit(q)
        hits = self._same_language(q, await lanes.search.submit((q, vector)))
        if lanes.rerank is not None:
            hits = await lanes.rerank.submit((q, tuple(hits)))
        if lanes.read is None:
            return self._decide_by_retrieval(q, hits)
        row = hits[: self.settings.read_k]
        spans = await lanes.read.submit((q, tuple(h.passage for h in row)))
        candidates = _candidates(row, spans)
        sentences = [_sentence(c.span) for c in candidates]
        missing = self.sentences.missing([sentences])
        if missing:
            vectors = await asyncio.gather(*(lanes.sentences.submit(s) for s in missing))
            self.sentences.add(missing, vectors)
        scores = self.sentences.score(vector[None, :], [sentences])[0]
        scored = [replace(c, sentence_score=v) for c, v in zip(candidates, scores, strict=True)]
        return self.decide(q, hits, scored)

    async def lanes(self) -> Lanes:
        """The micro-batchers of the running event loop (built and started on first use).

        With ``batch_backend="ray"``, the stages on Ray Serve (:mod:`knowledge.serving`) instead,
        batched with the questions of every other action-server replica.
        """
        if self.settings.batch_backend == "ray":
            if self._remote is None:
                from knowledge.serving import RemoteLanes

                remote = RemoteLanes(self.settings)
                await asyncio.get_running_loop().run_in_executor(None, remote.connect)
                self._remote = self._remote or remote  # the first of concurrent connects wins
            return self._remote  # type: ignore[return-value]
        loop = asyncio.get_running_loop()
        if self._lanes is None or self._lanes_loop is not loop:
            if self._lanes is not None:  # left on a loop that is gone (tests, a restart)
                self._lanes.device.shutdown(wait=False)
            self._lanes, self._lanes_loop = Lanes(self), loop
        await self._lanes.start()
        return self._lanes

    async def aclose(self) -> None:
        """Stop the micro-batchers (questions still waiting fail with ``BatcherClosedError``)."""
        if self._lanes is not None:
            await self._lanes.stop()
            self._lanes = self._lanes_loop = None

    def batch_stats(self) -> dict[str, dict[str, Any]]:
        """Per-stage micro-batching counters since the batchers started."""
        if self._remote is not None:
            return self._remote.stats()
        return self._lanes.stats() if self._lanes is not None else {}

    def _same_language(self, question: str, row: list[Hit]) -> list[Hit]:
        """The ``top_k`` best hits in the question's language (all hits if none is)."""
        lang = detect_language(question)
        same = [h for h in row if h.passage.lang == lang] or row
        return same[: self.settings.top_k]

    def decide(self, question: str, hits: list[Hit], candidates: list[Candidate]) -> Answer:
        """Pick the best candidate span, or abstain (see ``knowledge/decide.py``)."""
        lang = detect_language(question)
        cal = self.calibration
        picked = cal.pick(candidates)
        if picked is None:
            return Answer(question, lang, "", "", 0.0, None, True, tuple(hits))
        best_score, chosen = picked
        best = chosen.span
        confidence = cal.confidence(best_score)
        if best_score < cal.threshold:
            return Answer(question, lang, "", "", confidence, None, True, tuple(hits))
        s, e = sentence_around(best.passage.text, best.start, best.end)
        sentence = best.passage.text[s:e]
        return Answer(
            question,
            lang,
            best.text,
            sentence,
            confidence,
            best.passage.source,
            False,
            tuple(hits),
            span=(best.start - s, best.end - s),
            passage_id=best.passage.id,
        )

    def _decide_by_retrieval(self, question: str, hits: list[Hit]) -> Answer:
        lang = detect_language(question)
        best = hits[0] if hits else None
        if best is None or best.score < self.settings.min_score:
            return Answer(
                question, lang, "", "", best.score if best else 0.0, None, True, tuple(hits)
            )
        text = best.passage.text
        return Answer(
            question, lang, text, text, best.score, best.passage.source, False, tuple(hits),
            span=(0, len(text)), passage_id=best.passage.id,
        )  # fmt: skip


def _candidates(hits: list[Hit], spans: list[list[Span]]) -> list[Candidate]:
    """One candidate per span, with its passage's rank and retrieval score."""
    return [
        Candidate(span, rank, hit.score)
        for rank, (hit, row) in enumerate(zip(hits, spans, strict=True))
        for span in row
    ]


def _sentence(span: Span) -> str:
    s, e = sentence_around(span.passage.text, span.start, span.end)
    return span.passage.text[s:e]
