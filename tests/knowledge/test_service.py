import asyncio

import pytest

from knowledge.errors import IndexMissingError, NotReadyError
from knowledge.graph import MAX_QUESTION_CHARS
from knowledge.service import KnowledgeService
from knowledge.settings import Settings
from knowledge.types import Answer
from tests.conftest import LENIENT, FakeEncoder


@pytest.fixture
def service(settings: Settings, fake_encoder: FakeEncoder) -> KnowledgeService:
    svc = KnowledgeService(settings, encoder=fake_encoder)  # type: ignore[arg-type]
    svc.build_index()
    svc.warm_up()
    svc.decision = LENIENT
    return svc


def test_answers_with_the_passage_and_its_source(service: KnowledgeService) -> None:
    answer = service.answer("How long does standard delivery take in mainland China?")
    assert not answer.abstained
    assert answer.sentence == "Standard delivery takes 2-4 days in mainland China."
    assert answer.source is not None and answer.source.section == "Delivery times"
    assert answer.lang == "en"


def test_prefers_passages_in_the_question_language(service: KnowledgeService) -> None:
    answer = service.answer("退款多久原路退回？")
    assert answer.lang == "zh"
    assert all(h.passage.lang == "zh" for h in answer.hits)
    assert answer.source is not None and answer.source.section == "退款"


def test_abstains_below_the_threshold(settings: Settings, fake_encoder: FakeEncoder) -> None:
    strict = Settings(**{**settings.__dict__, "answer_threshold": 0.99})
    svc = KnowledgeService(strict, encoder=fake_encoder)  # type: ignore[arg-type]
    svc.build_index()
    svc.warm_up()
    svc.decision = LENIENT
    answer = svc.answer("Do you sell cars?")
    assert answer.abstained and answer.source is None and answer.text == ""
    assert answer.hits, "evidence is kept for agents even when kefu abstains"


def test_batch_in_batch_out(service: KnowledgeService, fake_encoder: FakeEncoder) -> None:
    fake_encoder.calls.clear()
    answers = service.answer_batch(["shipping fees", "退款", "delivery"])
    assert [a.question for a in answers] == ["shipping fees", "退款", "delivery"]
    assert len(fake_encoder.calls) == 1, "one encoder call for the whole batch"


LONG_EN = "  \n How long does standard delivery take in mainland China? " * 2_000
LONG_ZH = " 标准配送在中国大陆需要多久才能送达？退款多久原路退回？" * 2_000


@pytest.mark.parametrize(("raw", "lang"), [(LONG_EN, "en"), (LONG_ZH, "zh")])
def test_a_huge_question_is_answered_as_its_stripped_first_characters(
    service: KnowledgeService, fake_encoder: FakeEncoder, raw: str, lang: str
) -> None:
    clipped = raw.strip()[:MAX_QUESTION_CHARS]
    assert len(raw.strip()) > MAX_QUESTION_CHARS == len(clipped)
    fake_encoder.calls.clear()
    answer = service.answer(raw)
    assert answer.question == clipped and answer.lang == lang
    assert [clipped] in fake_encoder.calls, "the encoder read the clipped question"
    assert not any(raw in texts or raw.strip() in texts for texts in fake_encoder.calls)
    assert answer.hits and all(h.passage.lang == lang for h in answer.hits)


def test_every_entry_point_clips_alike(service: KnowledgeService) -> None:
    short = "  How long does standard delivery take?\n"
    (batch_long, batch_short) = service.answer_batch([LONG_EN, short])
    assert batch_long.question == LONG_EN.strip()[:MAX_QUESTION_CHARS]
    assert batch_short.question == short.strip(), "a question within the limit is only stripped"

    async def asked() -> Answer:
        try:
            return await service.answer_async(LONG_EN)
        finally:
            await service.aclose()

    one = asyncio.run(asked())
    assert (one.question, one.lang, one.sentence) == (
        batch_long.question, batch_long.lang, batch_long.sentence
    )  # fmt: skip
    assert service.answer(LONG_EN).sentence == batch_long.sentence


def test_a_question_at_the_limit_is_kept_whole(service: KnowledgeService) -> None:
    exact = "退" * MAX_QUESTION_CHARS
    assert service.answer(f"  {exact}\t").question == exact


def test_warm_up_without_index_says_what_to_run(
    settings: Settings, fake_encoder: FakeEncoder
) -> None:
    svc = KnowledgeService(settings, encoder=fake_encoder)  # type: ignore[arg-type]
    with pytest.raises(IndexMissingError, match="make index"):
        svc.warm_up()


def test_using_the_retriever_before_warm_up_fails_loudly(
    settings: Settings, fake_encoder: FakeEncoder
) -> None:
    svc = KnowledgeService(settings, encoder=fake_encoder)  # type: ignore[arg-type]
    with pytest.raises(NotReadyError):
        svc.answer("anything")
