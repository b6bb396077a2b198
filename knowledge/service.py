"""The knowledge service: question -> exact answer with its sentence and source, or abstain.

The public face of the answer engine. Build it once per process from one :class:`Settings`,
call :meth:`KnowledgeService.warm_up` (it loads models and the index; it never builds them:
``make models`` / ``python -m knowledge models`` does), then:

* :meth:`KnowledgeService.answer_batch` runs a list of questions through the answer graph at
  once, every model stage called inline (evaluation, the command line, training);
* :meth:`KnowledgeService.answer_async` answers one question on an event loop, each model
  stage micro-batched with every other question in flight (or on Ray Serve with
  ``KEFU_BATCH_BACKEND=ray``), which is how the action server serves concurrent shoppers.

Both run the one graph of :mod:`knowledge.graph`; only the lanes differ.
"""

from __future__ import annotations

import asyncio
import functools
import hashlib
import logging
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from knowledge.batching import Stage
from knowledge.decide import ANSWERABILITY, FEATURES, PHRASING_SHARE, Decision, phrasing
from knowledge.encode import Encoder
from knowledge.errors import KnowledgeError, NotReadyError
from knowledge.graph import (
    AnswerGraph,
    Lanes,
    LocalLanes,
    clip,
    inline_lanes,
    model_stages,
    run_inline,
)
from knowledge.index import PassageIndex, build_index, index_key, open_index
from knowledge.ingest import load_documents
from knowledge.known import KnownQuestion, from_examples, from_faq, general_unanswerable, unique
from knowledge.models import ModelResolver
from knowledge.read import Reader
from knowledge.rerank import Reranker
from knowledge.retrieve import Retriever
from knowledge.settings import Settings
from knowledge.train.data import written_examples
from knowledge.types import Answer, Hit, Passage
from knowledge.units import split_sentences

log = logging.getLogger(__name__)

DECISION_VERSION = 2  # 2: the answerability model reads "novel"


def decision_inputs() -> str:
    """A short hash of what a fitted decision reads (its signals, the phrasing share).

    In every decision file's name, so changing one refits the decisions instead of serving
    one fitted on other inputs.
    """
    what = f"{FEATURES} {ANSWERABILITY} {PHRASING_SHARE}"
    return hashlib.sha256(what.encode()).hexdigest()[:6]


@functools.cache
def question_phrasing(qa: Path) -> frozenset[str]:
    """How shoppers phrase questions: :func:`~knowledge.decide.phrasing` of kefu's train split."""
    return phrasing([e.question for e in written_examples(qa) if e.split == "train"])


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
        self.graph = AnswerGraph(settings)
        self.reader = reader
        if reader is None and settings.reader_model:
            windows = 16 if device == "cpu" else 256  # windows per forward pass
            self.reader = Reader(
                settings.reader_model, self.resolver, device, batch_size=windows, dtype=dtype
            )
        self.reranker = reranker
        if reranker is None and settings.reranker_model:
            self.reranker = Reranker(settings.reranker_model, self.resolver, device, dtype=dtype)
        self.ready = False
        self._inline: Lanes | None = None
        self._lanes: LocalLanes | None = None
        self._lanes_loop: asyncio.AbstractEventLoop | None = None
        self._remote: Lanes | None = None  # on Ray Serve

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

    def known_questions(self, passages: list[Passage]) -> list[KnownQuestion]:
        """The store's known questions: :meth:`document_questions` and its written ones.

        Written: the train split of the store's ``qa/`` folder, when it has one.
        """
        known = self.document_questions(passages)
        qa = self.settings.data_dir / "qa"
        if qa.is_dir():
            train = [e for e in written_examples(qa) if e.split == "train"]
            known += from_examples(train, split_sentences(passages))
        return unique(known)

    def document_questions(self, passages: list[Passage]) -> list[KnownQuestion]:
        """What a store has without writing a question.

        Its FAQ's questions, and kefu's own general unanswerable ones
        (:data:`~knowledge.known.GENERAL_UNANSWERABLE`).
        """
        known = from_faq(passages, split_sentences(passages))
        return unique(known + general_unanswerable(written_examples(self.training_qa)))

    @property
    def training_qa(self) -> Path:
        """The written questions kefu's own models learn from (``Settings.training_dir``)."""
        return self.settings.training_dir / "qa"

    def index_key(self, passages: list[Passage], known: list[KnownQuestion]) -> str:
        """Index key: the retriever, every passage and every known question.

        The retriever counts by name and resolved folder, so a retrained one is new.
        """
        model = f"{self.encoder.model_name}@{self.encoder.resolve().name}"
        kind = "" if self.settings.index_type == "flat" else f"+{self.settings.index_type}"
        return index_key(model + kind, passages, known)

    def current_key(self) -> str:
        """The index key of the documents and questions in the data folder now."""
        passages = self.load_passages()
        return self.index_key(passages, self.known_questions(passages))

    def build_index(self, force: bool = False) -> PassageIndex:
        """Build the index for the current documents and questions unless it already exists."""
        passages = self.load_passages()
        known = self.known_questions(passages)
        key = self.index_key(passages, known)
        folder = self.settings.index_dir / key
        if not force and (folder / "manifest.json").exists():
            return open_index(self.settings.index_dir, key)
        self.settings.index_dir.mkdir(parents=True, exist_ok=True)
        return build_index(self.encoder, passages, folder, self.settings.index_type, known)

    def open_index(self) -> PassageIndex:
        """The built index of the current documents (``IndexMissingError`` says what to run)."""
        return open_index(self.settings.index_dir, self.current_key())

    def warm_up(self, with_reader: bool = True) -> None:
        """Load models and the index. Raises a ``KnowledgeError`` saying what to run."""
        if self.ready:
            return
        start = time.perf_counter()
        if self.settings.torch_threads:
            import torch

            torch.set_num_threads(self.settings.torch_threads)
        # The decision's matrix-vector products are small: OpenBLAS's own threads would only
        # spin and fight torch's for the cores (70 ms instead of 30 ms a question on 2 cores).
        from threadpoolctl import threadpool_limits

        threadpool_limits(1, user_api="blas")
        remote = self.settings.batch_backend == "ray"
        index = self.open_index()
        if not remote:  # else the stages' models run on Ray Serve
            self.retriever.warm_up(index)
            if self.reranker is not None:
                self.reranker.warm_up()
        if self.reader is not None and with_reader:
            if not remote:
                self.reader.warm_up()
        elif not with_reader:
            self.reader = None
        index.add_words(question_phrasing(self.training_qa))
        self.graph.index = index
        self.graph.decision = Decision.load(self.decision_path(index.manifest["key"]))
        self._inline = None  # the stages follow the components as warmed (with_reader)
        self.ready = True
        log.info("knowledge service ready in %.1f s", time.perf_counter() - start)

    def decision_path(self, key: str | None = None) -> Path:
        """Where the decision fitted for this index (model, documents, questions) lives."""
        name = f"v{DECISION_VERSION}-{decision_inputs()}-{key or self.current_key()}.json"
        return self.settings.cache_dir / "decision" / name

    @property
    def decision(self) -> Decision:
        """The fitted answer decision (loaded by :meth:`warm_up`)."""
        return self.graph.decision

    @decision.setter
    def decision(self, value: Decision) -> None:
        self.graph.decision = value

    def stages(self) -> dict[str, Stage[Any, Any, Any, Any]]:
        """The answer graph's model stages over this service's components."""
        return model_stages(self.settings, self.encoder, self.retriever, self.reranker, self.reader)

    def inline(self) -> Lanes:
        """Every model stage as a plain call: the synchronous path's lanes."""
        if self._inline is None:
            self._inline = inline_lanes(self.stages())
        return self._inline

    def answer(self, question: str) -> Answer:
        """Answer one question (see :meth:`answer_batch`)."""
        return self.answer_batch([question])[0]

    def answer_batch(self, questions: Sequence[str]) -> list[Answer]:
        """Answer each question from the store's documents, or abstain."""
        return run_inline(self.graph.answer(questions, self.inline()))

    def retrieve(self, questions: Sequence[str]) -> list[list[Hit]]:
        """The graph up to the passages the reader sees (encode, search, language, rerank)."""
        return run_inline(self.graph.retrieve(clip(questions), self.inline()))[1]

    async def answer_async(self, question: str) -> Answer:
        """Answer one question, its model calls batched with every other question in flight.

        The same answer as :meth:`answer` (scores within float tolerance: the batch a question
        shares changes its padding). The batchers start on the first call on a loop.

        Raises:
            OverloadedError: a stage already has ``batch_queue`` questions waiting.
        """
        if not self.ready:
            raise NotReadyError("KnowledgeService used before warm_up().")
        return (await self.graph.answer([question], await self.lanes()))[0]

    async def lanes(self) -> Lanes:
        """The micro-batchers of the running event loop (built and started on first use).

        With ``batch_backend="ray"``, the stages on Ray Serve (:mod:`knowledge.serving`) instead,
        batched with the questions of every other action-server replica.
        """
        if self.settings.batch_backend == "ray":
            if self._remote is None:
                from knowledge.remote import remote_lanes

                loop = asyncio.get_running_loop()
                remote = await loop.run_in_executor(None, remote_lanes, self.settings)
                self._remote = self._remote or remote  # the first of concurrent connects wins
            return self._remote
        loop = asyncio.get_running_loop()
        if self._lanes is None or self._lanes_loop is not loop:
            if self._lanes is not None:  # left on a loop that is gone (tests, a restart)
                self._lanes.device.shutdown(wait=False)
            self._lanes, self._lanes_loop = LocalLanes(self.stages(), self.settings), loop
        await self._lanes.start()
        return self._lanes.lanes

    async def aclose(self) -> None:
        """Stop the micro-batchers (questions still waiting fail with ``BatcherClosedError``)."""
        if self._lanes is not None:
            await self._lanes.stop()
            self._lanes = self._lanes_loop = None

    def batch_stats(self) -> dict[str, dict[str, Any]]:
        """Per-stage micro-batching counters since the batchers started."""
        if self._remote is not None:
            return self._remote.stats()
        return self._lanes.lanes.stats() if self._lanes is not None else {}
