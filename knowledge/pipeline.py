"""The knowledge service: question -> exact answer with its sentence and source, or abstain.

Stages, each a batched component: retrieve (bi-encoder + FAISS, optionally hybrid with
BM25) -> keep passages in the question's language -> rerank (cross-encoder, when
configured) -> read (extractive QA over the ``read_k`` best passages) -> decide. The decision
scores each passage's best span by the reader's margin over "no answer", minus a penalty per
retrieval rank, plus a weight times the retrieval score, and abstains below a threshold
(all three fitted on the dev split by ``make models``).
Without a reader (``KEFU_READER_MODEL=none``) the best passage is the answer.
"""

from __future__ import annotations

import json
import logging
import math
import time
from dataclasses import dataclass, replace
from pathlib import Path

from knowledge.encode import Encoder
from knowledge.errors import KnowledgeError
from knowledge.index import PassageIndex, build_index, index_key, open_index
from knowledge.ingest import load_documents
from knowledge.ingest.split import sentence_around
from knowledge.lang import detect_language
from knowledge.models import ModelResolver
from knowledge.read import Reader, Span
from knowledge.rerank import Reranker
from knowledge.retrieve import Retriever
from knowledge.settings import Settings
from knowledge.types import Answer, Hit, Passage

log = logging.getLogger(__name__)

MAX_QUESTION_CHARS = 2000
CALIBRATION_VERSION = 2


@dataclass(frozen=True)
class Calibration:
    """How reader spans become one decision (fitted on dev by ``make models``).

    A span's decision score is its reader margin, minus ``rank_penalty`` per retrieval rank,
    plus ``retrieval_weight`` times its passage's retrieval score; below ``threshold`` kefu
    abstains. ``scale`` turns the distance to the threshold into a confidence.
    """

    threshold: float = 0.0
    rank_penalty: float = 1.0
    retrieval_weight: float = 0.0
    scale: float = 2.0

    def score(self, span: Span, rank: int, retrieval_score: float) -> float:
        """Decision score of one span."""
        return span.margin - self.rank_penalty * rank + self.retrieval_weight * retrieval_score

    def pick(self, spans: list[Span], retrieval_scores: list[float]) -> tuple[float, Span] | None:
        """The best non-empty span (first one on a tie) and its decision score, or None."""
        scored = [
            (self.score(s, rank, rs), s)
            for rank, (s, rs) in enumerate(zip(spans, retrieval_scores, strict=False))
            if s.end > s.start
        ]
        return max(scored, key=lambda x: x[0]) if scored else None

    @classmethod
    def load(cls, path: Path) -> Calibration:
        """Read a calibration file, or the defaults when there is none."""
        if not path.exists():
            log.warning("no calibration at %s: using defaults (run 'make models')", path)
            return cls()
        data = json.loads(path.read_text())
        return cls(**{k: float(v) for k, v in data.items() if k in cls.__dataclass_fields__})

    def save(self, path: Path) -> None:
        """Write as JSON."""
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(self.__dict__, indent=2))


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
        self.encoder = encoder or Encoder(settings.retriever_model, self.resolver, settings.device)
        self.retriever = Retriever(self.encoder, top_k=settings.top_k, hybrid=settings.hybrid)
        self.reader = reader
        if reader is None and settings.reader_model:
            self.reader = Reader(settings.reader_model, self.resolver, settings.device)
        self.reranker = reranker
        if reranker is None and settings.reranker_model:
            self.reranker = Reranker(settings.reranker_model, self.resolver, settings.device)
        self.calibration = Calibration()
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

    def warm_up(self, with_reader: bool = True) -> None:
        """Load models and the index. Raises a ``KnowledgeError`` saying what to run."""
        if self.ready:
            return
        start = time.perf_counter()
        if self.settings.torch_threads:
            import torch

            torch.set_num_threads(self.settings.torch_threads)
        passages = self.load_passages()
        index = open_index(self.settings.index_dir, self.index_key(passages))
        self.retriever.warm_up(index)
        if self.reranker is not None:
            self.reranker.warm_up()
        if self.reader is not None and with_reader:
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

    def retrieve(self, questions: list[str]) -> list[list[Hit]]:
        """Retrieve, keep the question's language, rerank: the passages the reader will see."""
        raw = self.retriever.run(questions, top_k=self.settings.top_k * 2)
        hits = []
        for question, row in zip(questions, raw, strict=True):
            lang = detect_language(question)
            same = [h for h in row if h.passage.lang == lang] or row
            hits.append(same[: self.settings.top_k])
        if self.reranker is not None:
            hits = self.reranker.run(questions, hits)
        return hits

    def read(self, questions: list[str], hits: list[list[Hit]]) -> list[list[Span]]:
        """The reader's best span in each of the ``read_k`` best passages per question."""
        assert self.reader is not None
        pairs = [
            (q, h.passage)
            for q, row in zip(questions, hits, strict=True)
            for h in row[: self.settings.read_k]
        ]
        spans = iter(self.reader.run([q for q, _ in pairs], [p for _, p in pairs]))
        return [[next(spans) for _ in row[: self.settings.read_k]] for row in hits]

    def answer_batch(self, questions: list[str]) -> list[Answer]:
        """Answer each question from the store's documents, or abstain."""
        clipped = [q.strip()[:MAX_QUESTION_CHARS] for q in questions]
        hits = self.retrieve(clipped)
        if self.reader is None:
            return [self._decide_by_retrieval(q, h) for q, h in zip(clipped, hits, strict=True)]
        spans = self.read(clipped, hits)
        return [self.decide(q, h, s) for q, h, s in zip(clipped, hits, spans, strict=True)]

    def decide(self, question: str, hits: list[Hit], spans: list[Span]) -> Answer:
        """Pick the best span across passages, or abstain (see the module docstring)."""
        lang = detect_language(question)
        cal = self.calibration
        picked = cal.pick(spans, [h.score for h in hits])
        if picked is None:
            return Answer(question, lang, "", "", 0.0, None, True, tuple(hits))
        best_score, best = picked
        confidence = 1.0 / (1.0 + math.exp(-(best_score - cal.threshold) / cal.scale))
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
