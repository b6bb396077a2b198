"""The answer graph: question -> :class:`~knowledge.types.Answer`, declared once.

::

    question ─clip─> encode ─> search ─> keep language ─> [rerank] ─┬─ no reader ─> best passage
                    (model)   (index)      (CPU)          (model)   │   or abstain
                                                                    └─> read ─> sentence scores
                                                                       (model)  (encode, cached)
                                                                          ─> decide ─> Answer
                                                                             (CPU)   or abstain

Every caller runs this one graph: :meth:`KnowledgeService.answer_batch` (evaluation, the
command line, training), :meth:`KnowledgeService.answer_async` (the action server), the
bench and ``make eval``. What differs is how a model stage runs, its :class:`Lane`:

* :class:`InlineLane`: a plain call in the caller, in chunks of the stage's batch size;
* :class:`BatchedLane`: the in-process micro-batcher (:mod:`knowledge.batching`), shared by
  every question in flight on one event loop (:class:`LocalLanes` holds one per stage);
* :class:`~knowledge.remote.RemoteStage`: a Ray Serve deployment shared by every action
  server (:mod:`knowledge.remote`; :mod:`knowledge.serving` deploys them).

A lane maps a list of items to one result each (``await lane.map(items)``). The model stages
themselves, each in three steps (prepare on the CPU -> forward on the device -> finish on the
CPU), are in :mod:`knowledge.stages`; :func:`model_stages` is the one place that wires them
to a service's components.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Coroutine, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

import numpy as np

from common.lang import detect_language
from knowledge.batching import MicroBatcher, Stage
from knowledge.decide import Calibration, Candidate
from knowledge.ingest.split import sentence_around
from knowledge.sentences import SentenceScorer
from knowledge.stages import (
    EncodeStage,
    Ranked,
    Reading,
    ReadStage,
    RerankStage,
    Searched,
    SearchStage,
)
from knowledge.types import Answer, Hit

if TYPE_CHECKING:
    from knowledge.encode import Encoder
    from knowledge.read import Reader, Span
    from knowledge.rerank import Reranker
    from knowledge.retrieve import Retriever
    from knowledge.settings import Settings

ItemT_contra = TypeVar("ItemT_contra", contravariant=True)
ResultT_co = TypeVar("ResultT_co", covariant=True)
T = TypeVar("T")

MAX_QUESTION_CHARS = 2000
STAGES = ("encode", "search", "rerank", "read", "sentences")  # the model stages, in order


class Lane(Protocol[ItemT_contra, ResultT_co]):
    """How one model stage runs: ``map`` gives one result per item, in order."""

    @property
    def name(self) -> str:
        """The stage's name (``encode``, ``read``...)."""

    async def map(self, items: Sequence[ItemT_contra]) -> Sequence[ResultT_co]:
        """One result per item; a stage's error for an item is raised to its caller."""

    def stats(self) -> dict[str, Any]:
        """Counters for reports (``items`` at least)."""


@dataclass
class Lanes:
    """One lane per model stage of a service (``rerank``, ``read`` and ``sentences`` if set)."""

    encode: Lane[str, np.ndarray]
    search: Lane[Searched, list[Hit]]
    rerank: Lane[Ranked, list[Hit]] | None = None
    read: Lane[Reading, list[list[Span]]] | None = None
    sentences: Lane[str, np.ndarray] | None = None

    def by_stage(self) -> dict[str, Lane[Any, Any]]:
        """The configured lanes by stage, in graph order."""
        lanes = {stage: getattr(self, stage) for stage in STAGES}
        return {stage: lane for stage, lane in lanes.items() if lane is not None}

    def all(self) -> list[Lane[Any, Any]]:
        """Every lane, in graph order."""
        return list(self.by_stage().values())

    def stats(self) -> dict[str, dict[str, Any]]:
        """Each lane's counters by stage."""
        return {stage: lane.stats() for stage, lane in self.by_stage().items()}


# -- the three lanes ------------------------------------------------------------------------


class InlineLane:
    """A stage called in the caller's thread, ``stage.max_batch`` items per model call."""

    def __init__(self, stage: Stage[Any, Any, Any, Any]) -> None:
        self.stage = stage
        self.items = 0
        self.batches = 0

    @property
    def name(self) -> str:
        """The stage's name."""
        return self.stage.name

    def run(self, items: Sequence[Any]) -> list[Any]:
        """Prepare -> forward -> finish, chunk by chunk."""
        out: list[Any] = []
        size = max(1, self.stage.max_batch)
        for start in range(0, len(items), size):
            chunk = items[start : start + size]
            out.extend(self.stage.finish(chunk, self.stage.forward(self.stage.prepare(chunk))))
            self.batches += 1
        self.items += len(items)
        return out

    async def map(self, items: Sequence[Any]) -> list[Any]:
        """:meth:`run`, awaitable; it never suspends, so :func:`run_inline` can drive it."""
        return self.run(items)

    def stats(self) -> dict[str, Any]:
        """Items and model calls so far."""
        return {"items": self.items, "batches": self.batches}


class BatchedLane:
    """A stage behind a :class:`~knowledge.batching.MicroBatcher`.

    Items share batches with every other caller's on the event loop.
    """

    def __init__(self, batcher: MicroBatcher[Any, Any, Any, Any]) -> None:
        self.batcher = batcher

    @property
    def name(self) -> str:
        """The stage's name."""
        return self.batcher.stage.name

    async def map(self, items: Sequence[Any]) -> list[Any]:
        """Submit every item; ``OverloadedError`` when the stage's queue is full."""
        return await submit_each(self.batcher.submit, items)

    def stats(self) -> dict[str, Any]:
        """The batcher's counters (:class:`~knowledge.batching.StageStats`)."""
        return self.batcher.stats.as_dict()


async def submit_each(submit: Callable[[Any], Awaitable[Any]], items: Sequence[Any]) -> list[Any]:
    """``submit`` every item concurrently (a lane whose stage batches across callers)."""
    if len(items) == 1:
        return [await submit(items[0])]
    return list(await asyncio.gather(*(submit(i) for i in items)))


def run_inline(coro: Coroutine[Any, Any, T]) -> T:
    """The result of a graph run on inline lanes (whose awaits all complete at once).

    No event loop is needed, so the synchronous path works in any thread, inside a running
    loop too.
    """
    try:
        coro.send(None)
    except StopIteration as done:
        return done.value  # type: ignore[no-any-return]
    coro.close()
    raise RuntimeError("an inline graph run waited on a lane that is not inline")


# -- wiring ---------------------------------------------------------------------------------


def model_stages(
    settings: Settings,
    encoder: Encoder,
    retriever: Retriever,
    reranker: Reranker | None = None,
    reader: Reader | None = None,
) -> dict[str, Stage[Any, Any, Any, Any]]:
    """The graph's model stages for these components, by name (the configured ones only)."""
    stages: dict[str, Stage[Any, Any, Any, Any]] = {
        "encode": EncodeStage(encoder, "query"),
        "search": SearchStage(retriever, settings.top_k * 2),
    }
    if reranker is not None:
        stages["rerank"] = RerankStage(reranker)
    if reader is not None:
        stages["read"] = ReadStage(reader)
        stages["sentences"] = EncodeStage(encoder, "passage", max_batch=64, name="sentences")
    return stages


def enabled_stages(settings: Settings) -> list[str]:
    """The stages configured: no rerank without a reranker, no read without a reader."""
    skip = {"rerank"} if not settings.reranker_model else set()
    if not settings.reader_model:
        skip |= {"read", "sentences"}
    return [s for s in STAGES if s not in skip]


def batch_size(settings: Settings, stage: str) -> int:
    """Items per micro-batch (local or on Ray Serve): sentences are short, they go 4 times more."""
    size = settings.batch_max or 1
    return size * 4 if stage == "sentences" else size


def inline_lanes(stages: dict[str, Stage[Any, Any, Any, Any]]) -> Lanes:
    """Every stage as a plain call."""
    return Lanes(**{name: InlineLane(stage) for name, stage in stages.items()})


class LocalLanes:
    """The in-process micro-batchers of one event loop, one per stage.

    They share one device thread, so model calls never compete for the cores or the GPU.
    """

    def __init__(self, stages: dict[str, Stage[Any, Any, Any, Any]], settings: Settings) -> None:
        self.device = ThreadPoolExecutor(1, thread_name_prefix="kefu-device")
        self.batchers = {
            name: MicroBatcher(
                stage,
                max_batch=batch_size(settings, name),
                max_delay_ms=settings.batch_delay_ms or 0.0,
                max_queue=settings.batch_queue,
                device=self.device,
            )
            for name, stage in stages.items()
        }
        self.lanes = Lanes(**{n: BatchedLane(b) for n, b in self.batchers.items()})

    async def start(self) -> None:
        """Start every batcher on the running loop."""
        for batcher in self.batchers.values():
            await batcher.start()

    async def stop(self) -> None:
        """Stop every batcher (pending questions fail with ``BatcherClosedError``)."""
        for batcher in self.batchers.values():
            await batcher.stop()
        self.device.shutdown(wait=False, cancel_futures=True)


# -- the graph ------------------------------------------------------------------------------


class AnswerGraph:
    """The answer path, once, over any :class:`Lanes`; the CPU steps are its own methods.

    ``calibration`` (the fitted decision) is set by the service's ``warm_up()``.
    """

    def __init__(self, settings: Settings, sentences: SentenceScorer) -> None:
        self.top_k = settings.top_k
        self.read_k = settings.read_k
        self.min_score = settings.min_score
        self.sentences = sentences
        self.calibration = Calibration()

    async def answer(self, questions: Sequence[str], lanes: Lanes) -> list[Answer]:
        """Answer each question from the store's documents, or abstain."""
        qs = clip(questions)
        if not qs:
            return []
        vectors, hits = await self.retrieve(qs, lanes)
        if lanes.read is None:
            return [self.best_passage(q, row) for q, row in zip(qs, hits, strict=True)]
        candidates = await self.candidates(qs, vectors, hits, lanes)
        return [self.decide(q, h, c) for q, h, c in zip(qs, hits, candidates, strict=True)]

    async def retrieve(
        self, questions: Sequence[str], lanes: Lanes
    ) -> tuple[list[np.ndarray], list[list[Hit]]]:
        """Encode, search, keep the question's language, rerank: the passages to read."""
        vectors = list(await lanes.encode.map(questions))
        found = await lanes.search.map(list(zip(questions, vectors, strict=True)))
        hits = [self.keep_language(q, row) for q, row in zip(questions, found, strict=True)]
        if lanes.rerank is not None:
            pairs = [(q, tuple(row)) for q, row in zip(questions, hits, strict=True)]
            hits = list(await lanes.rerank.map(pairs))
        return vectors, hits

    async def candidates(
        self,
        questions: Sequence[str],
        vectors: Sequence[np.ndarray],
        hits: Sequence[list[Hit]],
        lanes: Lanes,
    ) -> list[list[Candidate]]:
        """Read the ``read_k`` best passages (best span per sentence) and score each sentence."""
        assert lanes.read is not None and lanes.sentences is not None
        rows = [row[: self.read_k] for row in hits]
        reading = [
            (q, tuple(h.passage for h in row)) for q, row in zip(questions, rows, strict=True)
        ]
        spans = await lanes.read.map(reading)
        found = [_candidates(row, s) for row, s in zip(rows, spans, strict=True)]
        sentences = [[_sentence(c.span) for c in row] for row in found]
        scores = await self.sentences.run(np.stack(list(vectors)), sentences, lanes.sentences.map)
        return [
            [replace(c, sentence_score=v) for c, v in zip(row, sc, strict=True)]
            for row, sc in zip(found, scores, strict=True)
        ]

    def keep_language(self, question: str, row: Sequence[Hit]) -> list[Hit]:
        """The ``top_k`` best hits in the question's language (all hits if none is)."""
        lang = detect_language(question)
        same = [h for h in row if h.passage.lang == lang] or list(row)
        return same[: self.top_k]

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
        return Answer(
            question, lang, best.text, best.passage.text[s:e], confidence, best.passage.source,
            False, tuple(hits), span=(best.start - s, best.end - s), passage_id=best.passage.id,
        )  # fmt: skip

    def best_passage(self, question: str, hits: list[Hit]) -> Answer:
        """Without a reader: the best passage is the answer, above ``min_score``."""
        lang = detect_language(question)
        best = hits[0] if hits else None
        if best is None or best.score < self.min_score:
            score = best.score if best else 0.0
            return Answer(question, lang, "", "", score, None, True, tuple(hits))
        text = best.passage.text
        return Answer(
            question, lang, text, text, best.score, best.passage.source, False, tuple(hits),
            span=(0, len(text)), passage_id=best.passage.id,
        )  # fmt: skip


def clip(questions: Sequence[str]) -> list[str]:
    """Questions as the graph reads them: stripped, at most ``MAX_QUESTION_CHARS``."""
    return [q.strip()[:MAX_QUESTION_CHARS] for q in questions]


def _candidates(hits: Sequence[Hit], spans: Sequence[list[Span]]) -> list[Candidate]:
    """One candidate per span, with its passage's rank and retrieval score."""
    return [
        Candidate(span, rank, hit.score)
        for rank, (hit, row) in enumerate(zip(hits, spans, strict=True))
        for span in row
    ]


def _sentence(span: Span) -> str:
    s, e = sentence_around(span.passage.text, span.start, span.end)
    return span.passage.text[s:e]
