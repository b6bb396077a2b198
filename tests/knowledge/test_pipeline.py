import pytest

from knowledge.errors import IndexMissingError, NotReadyError
from knowledge.service import KnowledgeService
from knowledge.settings import Settings
from tests.conftest import FakeEncoder


@pytest.fixture
def service(settings: Settings, fake_encoder: FakeEncoder) -> KnowledgeService:
    svc = KnowledgeService(settings, encoder=fake_encoder)  # type: ignore[arg-type]
    svc.build_index()
    svc.warm_up()
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
    strict = Settings(**{**settings.__dict__, "min_score": 0.99})
    svc = KnowledgeService(strict, encoder=fake_encoder)  # type: ignore[arg-type]
    svc.build_index()
    svc.warm_up()
    answer = svc.answer("Do you sell cars?")
    assert answer.abstained and answer.source is None and answer.text == ""
    assert answer.hits, "evidence is kept for agents even when kefu abstains"


def test_batch_in_batch_out(service: KnowledgeService, fake_encoder: FakeEncoder) -> None:
    fake_encoder.calls.clear()
    answers = service.answer_batch(["shipping fees", "退款", "delivery"])
    assert [a.question for a in answers] == ["shipping fees", "退款", "delivery"]
    assert len(fake_encoder.calls) == 1, "one encoder call for the whole batch"


def test_huge_question_is_clipped(service: KnowledgeService) -> None:
    answer = service.answer("delivery " * 50_000)
    assert len(answer.question) <= 2000


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
