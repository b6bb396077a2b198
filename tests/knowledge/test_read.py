import numpy as np
import pytest

from knowledge.decide import Calibration, Candidate
from knowledge.read import Span, best_span
from knowledge.service import KnowledgeService
from knowledge.settings import Settings
from knowledge.types import Hit, Passage, Source
from tests.conftest import FakeEncoder

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


def cands(
    spans: list[Span], hits: list[Hit], sentence: list[float] | None = None
) -> list[Candidate]:
    sims = sentence or [0.0] * len(spans)
    return [
        Candidate(s, rank, h.score, v)
        for rank, (s, h, v) in enumerate(zip(spans, hits, sims, strict=True))
    ]


def service_with(settings: Settings, spans: dict[str, Span], cal: Calibration) -> KnowledgeService:
    svc = KnowledgeService(settings, encoder=FakeEncoder(), reader=FakeReader(spans))  # type: ignore[arg-type]
    svc.calibration = cal
    return svc


def test_decide_returns_span_sentence_and_source(settings: Settings) -> None:
    svc = service_with(settings, {}, Calibration(threshold=1.0, rank_penalty=1.0, scale=2.0))
    spans = [span(FEES, "8 元", 9.0, 2.0), span(OTHER, "3 个工作日内", 4.0, 2.0)]
    hits = [Hit(FEES, 0.9), Hit(OTHER, 0.8)]
    answer = svc.graph.decide("不满99元运费多少？", hits, cands(spans, hits))
    assert not answer.abstained and answer.text == "8 元"
    assert answer.sentence == "不满 99 元的订单，运费为 8 元。"
    assert answer.marked_sentence() == "不满 99 元的订单，运费为 【8 元】。"
    assert answer.source == SRC and answer.passage_id == FEES.id
    assert 0.5 < answer.score <= 1.0


def test_rank_penalty_can_overrule_a_slightly_better_lower_passage(settings: Settings) -> None:
    spans = [span(FEES, "8 元", 6.0, 2.0), span(OTHER, "3 个工作日内", 6.5, 2.0)]
    hits = [Hit(FEES, 0.9), Hit(OTHER, 0.8)]
    keep_rank = service_with(settings, {}, Calibration(0.0, 1.0, 2.0)).graph.decide(
        "q", hits, cands(spans, hits)
    )
    ignore_rank = service_with(settings, {}, Calibration(0.0, 0.0, 2.0)).graph.decide(
        "q", hits, cands(spans, hits)
    )
    assert keep_rank.text == "8 元" and ignore_rank.text == "3 个工作日内"


def test_abstains_below_threshold_with_low_confidence(settings: Settings) -> None:
    svc = service_with(settings, {}, Calibration(threshold=5.0, rank_penalty=1.0, scale=2.0))
    hits = [Hit(FEES, 0.7)]
    answer = svc.graph.decide("你们卖汽车吗", hits, cands([span(FEES, "8 元", 3.0, 1.0)], hits))
    assert answer.abstained and answer.text == "" and answer.source is None
    assert answer.score < 0.5 and answer.hits, "evidence kept for agents"


def test_empty_spans_mean_abstain(settings: Settings) -> None:
    svc = service_with(settings, {}, Calibration())
    hits = [Hit(FEES, 0.7)]
    answer = svc.graph.decide("q", hits, cands([Span(FEES, 0, 0, 0.0, 3.0)], hits))
    assert answer.abstained


def test_answer_batch_reads_only_read_k_passages(settings: Settings) -> None:
    reader = FakeReader({})
    svc = KnowledgeService(
        Settings(**{**settings.__dict__, "read_k": 2}),
        encoder=FakeEncoder(),
        reader=reader,  # type: ignore[arg-type]
    )
    svc.build_index()
    svc.warm_up()
    answers = svc.answer_batch(["运费", "delivery time"])
    assert reader.calls == [4] and len(answers) == 2


def test_calibration_round_trip(tmp_path) -> None:  # type: ignore[no-untyped-def]
    Calibration(2.5, 0.5, 10.0, 1.5, 0.25, 20.0).save(tmp_path / "cal.json")
    assert Calibration.load(tmp_path / "cal.json") == Calibration(2.5, 0.5, 10.0, 1.5, 0.25, 20.0)
    assert Calibration.load(tmp_path / "missing.json") == Calibration()


def test_retrieval_score_can_decide_between_equal_spans(settings: Settings) -> None:
    spans = [span(FEES, "8 元", 6.0, 2.0), span(OTHER, "3 个工作日内", 6.0, 2.0)]
    hits = [Hit(FEES, 0.3), Hit(OTHER, 0.6)]
    svc = service_with(settings, {}, Calibration(0.0, 0.0, 10.0, 2.0))
    assert svc.graph.decide("q", hits, cands(spans, hits)).text == "3 个工作日内"


@pytest.mark.parametrize("bad", [{"read_k": 0}, {"read_k": 9}])
def test_read_k_is_validated(settings: Settings, bad: dict[str, int]) -> None:
    with pytest.raises(Exception, match="read_k"):
        Settings(**{**settings.__dict__, **bad})


def test_sentence_score_can_pick_the_sentence_the_reader_ranks_second(settings: Settings) -> None:
    first = span(FEES, "99 元", 6.0, 2.0)  # in the first sentence
    second = span(FEES, "8 元", 5.5, 2.0)  # in the second one
    hits = [Hit(FEES, 0.9), Hit(FEES, 0.9)]
    candidates = [Candidate(first, 0, 0.9, 0.70), Candidate(second, 0, 0.9, 0.85)]
    reader_only = service_with(settings, {}, Calibration(0.0, 0.0, 0.0, 2.0, 1.0, 0.0))
    with_sentences = service_with(settings, {}, Calibration(0.0, 0.0, 0.0, 2.0, 1.0, 10.0))
    assert reader_only.graph.decide("q", hits, candidates).text == "99 元"
    assert with_sentences.graph.decide("q", hits, candidates).text == "8 元"
