"""The reader's span search, and the graph's decision and span marking (fake models)."""

from dataclasses import replace

import numpy as np

from knowledge.graph import mark_span
from knowledge.read import Span, best_span
from knowledge.service import KnowledgeService
from knowledge.settings import Settings
from knowledge.types import Answer, Passage, Source
from tests.conftest import LENIENT, FakeEncoder

SRC = Source("zh/shipping.md", "配送说明", "运费", "2026-07-01")
FEES = Passage(
    "zh/shipping.md#3",
    "订单满 99 元免运费；不满 99 元的订单，运费为 8 元。次日达 20 元。",
    SRC,
    "zh",
)
OTHER = Passage("zh/returns.md#1", "退款 3 个工作日内原路退回。", SRC, "zh")


def test_best_span_respects_mask_order_and_length() -> None:
    start = np.array([9.0, 1.0, 5.0, 0.0, 7.0])
    end = np.array([9.0, 0.0, 1.0, 6.0, 0.0])
    mask = np.array([False, True, True, True, True])
    # [CLS] (position 0) is masked out; end must not precede start; span at most 2 tokens
    assert best_span(start, end, mask, max_answer_tokens=2) == (2, 3, 11.0)
    assert best_span(start, end, mask, max_answer_tokens=1)[:2] == (4, 4)


def span(passage: Passage, text: str, score: float, null: float) -> Span:
    s = passage.text.index(text)
    return Span(passage, s, s + len(text), score, null)


class FakeReader:
    """The reader's three steps; ``found`` maps a passage id to its span."""

    model_name = "fake/reader"

    def __init__(self, found: dict[str, Span]) -> None:
        self.found = found
        self.calls: list[int] = []  # pairs per forward pass

    def warm_up(self) -> None: ...

    def encode(self, questions: list[str], contexts: list[str]) -> list[tuple[str, str]]:
        return list(zip(questions, contexts, strict=True))

    def forward(self, features: list[tuple[str, str]]) -> list[tuple[str, str]]:
        self.calls.append(len(features))
        return features

    def spans(self, features: object, logits: object, passages: list[Passage]) -> list[list[Span]]:
        return [[self.found.get(p.id, Span(p, 0, 0, 0.0, 5.0))] for p in passages]


def service_with(settings: Settings, reader: FakeReader | None = None) -> KnowledgeService:
    svc = KnowledgeService(settings, encoder=FakeEncoder(), reader=reader)  # type: ignore[arg-type]
    svc.build_index()
    svc.warm_up()
    svc.decision = LENIENT
    return svc


def test_decide_answers_with_the_chosen_sentence_and_its_source(settings: Settings) -> None:
    svc = service_with(settings)
    answer = svc.answer("Is shipping free for orders over 99 yuan?")
    assert not answer.abstained and answer.source is not None
    assert answer.text == answer.sentence and answer.span == (0, 0), "the sentence, unmarked"
    assert answer.marked_sentence() == answer.sentence
    assert "99" in answer.sentence and answer.source.doc == "en/shipping.md"
    assert 0.5 <= answer.score <= 1.0


def test_abstains_below_the_threshold_keeping_the_evidence(settings: Settings) -> None:
    svc = service_with(settings)
    svc.decision = replace(LENIENT, threshold=0.999)
    answer = svc.answer("Is shipping free for orders over 99 yuan?")
    assert answer.abstained and answer.text == "" and answer.source is None
    assert answer.score < 0.5 and answer.hits, "evidence kept for agents"


def test_the_threshold_setting_overrides_the_fitted_one(settings: Settings) -> None:
    svc = service_with(replace(settings, answer_threshold=0.999))
    assert svc.answer("Is shipping free for orders over 99 yuan?").abstained


def test_the_reader_marks_its_span_inside_the_chosen_sentence(settings: Settings) -> None:
    plain = service_with(settings).answer("Is shipping free for orders over 99 yuan?")
    passage = next(
        p for p in service_with(settings).graph.index.passages if p.id == plain.passage_id
    )  # type: ignore[union-attr]
    reader = FakeReader({passage.id: span(passage, "99", 9.0, 2.0)})
    marked = service_with(settings, reader).answer("Is shipping free for orders over 99 yuan?")
    assert marked.sentence == plain.sentence and marked.text == "99"
    assert marked.marked_sentence().count("【99】") == 1
    assert reader.calls == [1], "the reader reads the chosen passage only"


def test_a_span_outside_the_sentence_or_unsure_leaves_the_sentence() -> None:
    sentence = "不满 99 元的订单，运费为 8 元。"
    answer = Answer("运费多少", "zh", sentence, sentence, 0.9, SRC, False, passage_id=FEES.id)
    outside = span(FEES, "次日达 20 元", 9.0, 2.0)  # the next sentence
    unsure = span(FEES, "8 元", 1.0, 2.0)  # margin below "no answer"
    for found in ([outside], [unsure], []):
        assert mark_span(answer, found) == answer
    marked = mark_span(answer, [outside, span(FEES, "8 元", 9.0, 2.0)])
    assert (
        marked.text == "8 元" and marked.marked_sentence() == "不满 99 元的订单，运费为 【8 元】。"
    )
