"""The answer graph: question -> :class:`~knowledge.types.Answer`, declared once.

::

    question ─clip─> encode ─> search ─> keep language ─> [rerank] ─> decide ─> [read] ─> Answer
                    (model)   (index)      (CPU)          (model)    (CPU)    (model)  or abstain

``search`` finds the passages (the evidence agents see); ``decide`` scores every sentence of
the store in the question's language against the question and the known questions
(:mod:`knowledge.decide`, vectors from the index), picks one and answers only when the fitted
answerability says it is probably right. The optional reader then marks the answer's span
inside the chosen sentence (the shopper is shown the sentence either way).

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
from knowledge.decide import Decision
from knowledge.errors import NotReadyError
from knowledge.stages import (
    EncodeStage,
    Ranked,
    Reading,
    ReadStage,
    RerankStage,
    Searched,
    SearchStage,
)
from knowledge.types import Answer, Hit, Language
from knowledge.units import shown_with_context

if TYPE_CHECKING:
    from knowledge.encode import Encoder
    from knowledge.index import PassageIndex
    from knowledge.read import Reader, Span
    from knowledge.rerank import Reranker
    from knowledge.retrieve import Retriever
    from knowledge.settings import Settings

ItemT_contra = TypeVar("ItemT_contra", contravariant=True)
ResultT_co = TypeVar("ResultT_co", covariant=True)
T = TypeVar("T")

MAX_QUESTION_CHARS = 2000
STAGES = ("encode", "search", "rerank", "read")  # the model stages, in order


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
    """One lane per model stage of a service (``rerank`` and ``read`` if set)."""

    encode: Lane[str, np.ndarray]
    search: Lane[Searched, list[Hit]]
    rerank: Lane[Ranked, list[Hit]] | None = None
    read: Lane[Reading, list[list[Span]]] | None = None

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
    return stages


def enabled_stages(settings: Settings) -> list[str]:
    """The stages configured: no rerank without a reranker, no read without a reader."""
    skip = {"rerank"} if not settings.reranker_model else set()
    if not settings.reader_model:
        skip |= {"read"}
    return [s for s in STAGES if s not in skip]


def batch_size(settings: Settings, stage: str) -> int:
    """Items per micro-batch (local or on Ray Serve)."""
    return settings.batch_max or 1


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

    ``index`` (sentences, known questions) and ``decision`` (fitted) are set by the
    service's ``warm_up()``.
    """

    def __init__(self, settings: Settings) -> None:
        self.top_k = settings.top_k
        self.index: PassageIndex | None = None
        self.decision = Decision()
        self.threshold: float | None = settings.answer_threshold

    async def answer(self, questions: Sequence[str], lanes: Lanes) -> list[Answer]:
        """Answer each question from the store's documents, or abstain."""
        qs = clip(questions)
        if not qs:
            return []
        vectors, hits = await self.retrieve(qs, lanes)
        answers = [self.decide(q, v, h) for q, v, h in zip(qs, vectors, hits, strict=True)]
        if lanes.read is not None:
            answers = await self.mark(answers, lanes.read)
        return answers

    async def retrieve(
        self, questions: Sequence[str], lanes: Lanes
    ) -> tuple[list[np.ndarray], list[list[Hit]]]:
        """Encode, search, keep the question's language, rerank: the passages found."""
        vectors = list(await lanes.encode.map(questions))
        found = await lanes.search.map(list(zip(questions, vectors, strict=True)))
        hits = [self.keep_language(q, row) for q, row in zip(questions, found, strict=True)]
        if lanes.rerank is not None:
            pairs = [(q, tuple(row)) for q, row in zip(questions, hits, strict=True)]
            hits = list(await lanes.rerank.map(pairs))
        return vectors, hits

    def keep_language(self, question: str, row: Sequence[Hit]) -> list[Hit]:
        """The ``top_k`` best hits in the question's language (all hits if none is)."""
        lang = detect_language(question)
        same = [h for h in row if h.passage.lang == lang] or list(row)
        return same[: self.top_k]

    def choose(
        self, question: str, vector: np.ndarray, lang: Language | None = None
    ) -> tuple[int, float]:
        """The chosen sentence's position in the index and the probability of answerable.

        ``lang``: the question's, when the caller has detected it already.
        """
        if self.index is None:
            raise NotReadyError("The answer graph has no index: call warm_up() first.")
        scores = self.index.scores(vector, lang or detect_language(question), question=question)
        index = self.index
        return self.decision.choose(question, scores, index.sentence_texts, index.sentence_faq)

    def decide(self, question: str, vector: np.ndarray, hits: list[Hit]) -> Answer:
        """The chosen sentence as the answer, or abstain (see ``knowledge/decide.py``).

        ``score`` is a confidence with 0.5 at the answering threshold.
        """
        lang = detect_language(question)
        position, p = self.choose(question, vector, lang)
        threshold = self.decision.threshold if self.threshold is None else self.threshold
        confidence = _confidence(p, threshold)
        if position < 0 or p < threshold:
            return Answer(question, lang, "", "", confidence, None, True, tuple(hits))
        assert self.index is not None
        chosen = self.index.sentences[position]
        shown, start, end = shown_with_context(self.index.sentences, position)
        # the sentence alone is shown unmarked; with its context, the sentence is marked
        span = (start, end) if shown != chosen.text else (0, 0)
        return Answer(
            question, lang, chosen.text, shown, confidence, chosen.passage.source, False,
            tuple(hits), span=span, passage_id=chosen.passage.id,
        )  # fmt: skip

    async def mark(
        self, answers: list[Answer], read: Lane[Reading, list[list[Span]]]
    ) -> list[Answer]:
        """The reader's best span inside each answer's sentence becomes its ``text``."""
        assert self.index is not None
        passages = {p.id: p for p in self.index.passages}
        todo = [i for i, a in enumerate(answers) if not a.abstained and a.passage_id in passages]
        reading = [(answers[i].question, (passages[answers[i].passage_id],)) for i in todo]
        spans = await read.map(reading) if reading else []
        out = list(answers)
        for i, row in zip(todo, spans, strict=True):
            out[i] = mark_span(answers[i], [s for per_passage in row for s in per_passage])
        return out


def _confidence(p: float, threshold: float) -> float:
    """The answer probability as a confidence that is 0.5 at ``threshold``."""
    clip_p = min(max(p, 1e-6), 1 - 1e-6)
    t = min(max(threshold, 1e-6), 1 - 1e-6)
    logit = np.log(clip_p / (1 - clip_p)) - np.log(t / (1 - t))
    return float(1.0 / (1.0 + np.exp(-logit)))


def mark_span(answer: Answer, spans: Sequence[Span]) -> Answer:
    """``answer`` with the reader's best span inside its sentence as its ``text``.

    Unchanged when no span there beats "no answer".
    """
    start = next((s.passage.text.find(answer.sentence) for s in spans), -1)
    if start < 0:
        return answer
    end = start + len(answer.sentence)
    inside = [s for s in spans if start <= s.start < s.end <= end and s.margin > 0]
    if not inside:
        return answer
    best = max(inside, key=lambda s: s.margin)
    return replace(
        answer, text=best.passage.text[best.start : best.end],
        span=(best.start - start, best.end - start),
    )  # fmt: skip


def clip(questions: Sequence[str]) -> list[str]:
    """Questions as the graph reads them: stripped, at most ``MAX_QUESTION_CHARS``."""
    return [q.strip()[:MAX_QUESTION_CHARS] for q in questions]
