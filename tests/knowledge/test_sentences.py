from knowledge.sentences import SentenceScorer
from tests.conftest import FakeEncoder


def test_scores_each_sentence_and_encodes_each_sentence_once() -> None:
    encoder = FakeEncoder()
    scorer = SentenceScorer(encoder)  # type: ignore[arg-type]
    q = encoder.encode_queries(["运费多少钱", "refund time"])
    sentences = [
        ["运费为 8 元。", "退款 3 个工作日内到账。"],
        ["Refunds take 3 days.", "运费为 8 元。"],
    ]
    first = scorer.run(q, sentences)
    assert first[0][0] > first[0][1] and first[1][0] > first[1][1]
    calls = len(encoder.calls)
    assert scorer.run(q, sentences) == first and len(encoder.calls) == calls, "cached"


def test_cache_is_bounded() -> None:
    scorer = SentenceScorer(FakeEncoder(), max_cached=3)  # type: ignore[arg-type]
    q = FakeEncoder().encode_queries(["q"])
    scorer.run(q, [["a", "b", "c"]])
    scorer.run(q, [["d", "e"]])
    assert len(scorer._vectors) <= 3
