"""The micro-batched path (``answer_async``) answers as ``answer_batch`` does.

Fast tests use the fake encoder and a fake reader with the real reader's three steps; the
slow test compares both paths with the configured, real models on dev questions.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

import numpy as np
import pytest

from knowledge.errors import BatcherClosedError, NotReadyError, OverloadedError
from knowledge.ingest.split import sentence_spans
from knowledge.read import Span
from knowledge.service import KnowledgeService
from knowledge.settings import Settings
from knowledge.types import Answer, Passage
from tests.conftest import LENIENT, FakeEncoder

QUESTIONS = [
    "How long does standard delivery take in mainland China?",
    "退款多久原路退回？",
    "Is shipping free?",
    "七天无理由退货",
    "Do you sell cars?",
    "delivery",
]


class StepReader:
    """A reader in three steps: spans score by characters shared with the question."""

    model_name = "fake/step-reader"

    def warm_up(self) -> None: ...

    def encode(self, questions: Sequence[str], contexts: Sequence[str]) -> list[tuple[str, str]]:
        return list(zip(questions, contexts, strict=True))

    def forward(self, features: list[tuple[str, str]]) -> tuple[np.ndarray, np.ndarray]:
        shared = [len(set(q.lower()) & set(c.lower())) for q, c in features]
        return np.array(shared, np.float32), np.zeros(len(features), np.float32)

    def spans(
        self,
        features: list[tuple[str, str]],
        logits: tuple[np.ndarray, np.ndarray],
        passages: list[Passage],
    ) -> list[list[Span]]:
        out = []
        for (q, _), base, p in zip(features, logits[0], passages, strict=True):
            row = []
            for a, b in sentence_spans(p.text):
                overlap = len(set(q.lower()) & set(p.text[a:b].lower()))
                row.append(Span(p, a, min(b, a + 8), float(base) / 10 + overlap, 4.0))
            out.append(row or [Span(p, 0, 0, 0.0, 0.0)])
        return out

    def run_sentences(self, questions: list[str], passages: list[Passage]) -> list[list[Span]]:
        features = self.encode(questions, [p.text for p in passages])
        return self.spans(features, self.forward(features), passages)


def build(
    settings: Settings, reader: StepReader | None = None, **changes: object
) -> KnowledgeService:
    svc = KnowledgeService(
        Settings(**{**settings.__dict__, **changes}),
        encoder=FakeEncoder(),  # type: ignore[arg-type]
        reader=reader,  # type: ignore[arg-type]
    )
    svc.build_index()
    svc.warm_up()
    svc.decision = LENIENT
    return svc


def same(a: Answer, b: Answer) -> bool:
    return (a.text, a.sentence, a.abstained, a.passage_id, a.span) == (
        b.text, b.sentence, b.abstained, b.passage_id, b.span
    ) and a.score == pytest.approx(b.score, abs=1e-5)  # fmt: skip


async def ask_all(svc: KnowledgeService, questions: list[str]) -> list[Answer]:
    try:
        return await asyncio.gather(*(svc.answer_async(q) for q in questions))
    finally:
        await svc.aclose()


@pytest.mark.parametrize("with_reader", [False, True])
def test_async_answers_equal_batch_answers(settings: Settings, with_reader: bool) -> None:
    reader = StepReader() if with_reader else None
    svc = build(settings, reader, batch_delay_ms=20.0)
    expected = svc.answer_batch(QUESTIONS)
    got = asyncio.run(ask_all(svc, QUESTIONS))
    assert all(same(a, b) for a, b in zip(got, expected, strict=True)), (got, expected)
    assert any(not a.abstained for a in got)


def test_concurrent_questions_share_each_stage_batch(settings: Settings) -> None:
    svc = build(settings, StepReader(), batch_delay_ms=20.0)
    encoder = svc.encoder
    assert isinstance(encoder, FakeEncoder)
    encoder.calls.clear()

    async def main() -> dict[str, dict[str, object]]:
        await asyncio.gather(*(svc.answer_async(q) for q in QUESTIONS))
        stats = svc.batch_stats()
        await svc.aclose()
        return stats

    stats = asyncio.run(main())
    assert encoder.calls[0] == [q.strip() for q in QUESTIONS], "one encoder call for all six"
    answered = sum(not a.abstained for a in svc.answer_batch(QUESTIONS))
    assert stats["encode"]["batches"] == 1 and stats["read"]["items"] == answered > 0
    assert stats["read"]["mean_batch"] == answered, "one reader call for the answered ones"


def test_a_full_queue_answers_overloaded_without_blocking_the_rest(settings: Settings) -> None:
    svc = build(settings, batch_queue=1)

    async def main() -> list[Answer | BaseException]:
        try:
            return await asyncio.gather(
                *(svc.answer_async(q) for q in QUESTIONS[:4]), return_exceptions=True
            )
        finally:
            await svc.aclose()

    results = asyncio.run(main())
    assert isinstance(results[0], Answer)
    assert all(isinstance(r, OverloadedError) for r in results[1:])


def test_async_path_before_warm_up_fails_loudly(settings: Settings) -> None:
    svc = KnowledgeService(settings, encoder=FakeEncoder())  # type: ignore[arg-type]
    with pytest.raises(NotReadyError):
        asyncio.run(svc.answer_async("delivery"))


def test_batchers_follow_the_event_loop(settings: Settings) -> None:
    svc = build(settings)
    first = asyncio.run(svc.answer_async("delivery"))  # a loop that is then closed
    second = asyncio.run(ask_all(svc, ["delivery"]))[0]
    assert same(first, second)

    async def closed() -> None:
        lanes = await svc.lanes()
        await svc.aclose()
        await lanes.encode.map(["x"])

    with pytest.raises(BatcherClosedError):
        asyncio.run(closed())


@pytest.mark.slow
def test_real_models_answer_alike_on_both_paths() -> None:
    from knowledge.settings import REPO_ROOT
    from knowledge.train.data import build_examples

    svc = KnowledgeService(Settings.from_env())
    svc.warm_up()
    examples = build_examples(REPO_ROOT / "data" / "qa", variants_per_question=0)
    questions = [e.question for e in examples if e.split == "dev"][::12][:32]
    expected = svc.answer_batch(questions)
    got = asyncio.run(ask_all(svc, questions))
    texts = [(a.text, a.abstained) for a in got]
    assert texts == [(a.text, a.abstained) for a in expected]
    assert [a.score for a in got] == pytest.approx([a.score for a in expected], abs=2e-3)


@pytest.mark.slow
def test_cpu_and_cuda_answer_alike() -> None:
    torch = pytest.importorskip("torch")
    if not torch.cuda.is_available():
        pytest.skip("needs a CUDA device")
    from dataclasses import replace

    from knowledge.settings import REPO_ROOT
    from knowledge.train.data import build_examples

    settings = Settings.from_env()
    cpu = KnowledgeService(replace(settings, device="cpu"))
    cpu.warm_up()
    examples = build_examples(REPO_ROOT / "data" / "qa", variants_per_question=0)
    questions = [e.question for e in examples if e.split == "dev"][::12][:32]
    expected = cpu.answer_batch(questions)
    for dtype, tolerance in (("float32", 1e-3), (settings.dtype, 5e-2)):
        cuda = KnowledgeService(replace(settings, device="cuda", dtype=dtype))
        cuda.warm_up()
        a, b = cpu.encoder.encode_queries(questions), cuda.encoder.encode_queries(questions)
        assert float(np.min(np.sum(a * b, axis=1))) > 0.999 - tolerance
        got = asyncio.run(ask_all(cuda, questions))
        same = sum(
            (x.text, x.abstained) == (y.text, y.abstained)
            for x, y in zip(got, expected, strict=True)
        )
        assert same >= len(questions) - (0 if dtype == "float32" else 2), dtype
        assert [x.score for x in got] == pytest.approx([y.score for y in expected], abs=tolerance)
