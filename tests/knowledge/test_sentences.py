from collections import Counter

import numpy as np

from knowledge.graph import run_inline
from knowledge.sentences import Encode, SentenceScorer
from tests.conftest import FakeEncoder


class CountingEncoder(FakeEncoder):
    """Counts how often each text is encoded as a passage (sentence)."""

    def __init__(self) -> None:
        super().__init__()
        self.encoded: Counter[str] = Counter()

    def encode_passages(self, texts: list[str], progress: bool = False) -> np.ndarray:
        self.encoded.update(texts)
        return super().encode_passages(texts)


def lane(encoder: FakeEncoder) -> Encode:
    """The encoder as the graph's sentences lane gives it to the scorer."""

    async def encode(texts: list[str]) -> list[np.ndarray]:
        return list(encoder.encode_passages(texts))

    return encode


def scored(
    scorer: SentenceScorer, encoder: FakeEncoder, q: np.ndarray, rows: list[list[str]]
) -> list[list[float]]:
    return run_inline(scorer.run(q, rows, lane(encoder)))


def cosines(encoder: FakeEncoder, q: np.ndarray, sentences: list[list[str]]) -> list[list[float]]:
    """What the scores must be: each sentence's vector against its question's, computed here."""
    out = []
    for qv, row in zip(q, sentences, strict=True):
        vs = FakeEncoder().encode_passages(row) if row else np.zeros((0, encoder.dim))
        out.append([float(v @ qv / (np.linalg.norm(v) * np.linalg.norm(qv))) for v in vs])
    return out


QUESTIONS = ["运费多少钱", "refund time"]
SENTENCES = [
    ["运费为 8 元。", "退款 3 个工作日内到账。", "运费为 8 元。"],
    ["Refunds take 3 days.", "运费为 8 元。"],
]


def test_scores_are_the_cosines_of_each_sentence_with_its_question() -> None:
    encoder = CountingEncoder()
    q = encoder.encode_queries(QUESTIONS)
    scores = scored(SentenceScorer(), encoder, q, SENTENCES)
    assert [len(row) for row in scores] == [3, 2]
    assert np.allclose(np.concatenate(scores), np.concatenate(cosines(encoder, q, SENTENCES)))
    assert scores[0][0] > scores[0][1] and scores[1][0] > scores[1][1]


def test_each_new_sentence_is_encoded_once_however_often_it_is_scored() -> None:
    encoder = CountingEncoder()
    scorer = SentenceScorer()
    q = encoder.encode_queries(QUESTIONS)
    first = scored(scorer, encoder, q, SENTENCES)
    assert encoder.encoded == Counter(
        {"运费为 8 元。": 1, "退款 3 个工作日内到账。": 1, "Refunds take 3 days.": 1}
    )
    assert scored(scorer, encoder, q, SENTENCES) == first
    more = [["运费为 8 元。", "满 99 元免运费。"], []]
    assert np.allclose(scored(scorer, encoder, q, more)[0], cosines(encoder, q, more)[0])
    assert encoder.encoded["满 99 元免运费。"] == 1 and encoder.encoded["运费为 8 元。"] == 1
    assert scorer.missing([["运费为 8 元。", "new", "new"]]) == ["new"]


def test_a_full_cache_is_emptied_and_scores_stay_right() -> None:
    encoder = CountingEncoder()
    scorer = SentenceScorer(max_cached=3)
    q = encoder.encode_queries(["delivery"])
    for rows in ([["a b", "b c", "c d"]], [["d e", "e f"]], [["a b", "d e"]]):
        assert np.allclose(scored(scorer, encoder, q, rows)[0], cosines(encoder, q, rows)[0])
    assert encoder.encoded["a b"] == 2, "emptied when d e and e f came: a b encoded again"
    assert encoder.encoded["d e"] == 1, "kept since"
    big = [[f"sentence {i}" for i in range(7)]]  # more than the cache holds, in one go
    assert np.allclose(scored(scorer, encoder, q, big)[0], cosines(encoder, q, big)[0])


def test_fresh_vectors_score_after_a_concurrent_question_emptied_the_cache() -> None:
    encoder = CountingEncoder()
    scorer = SentenceScorer(max_cached=2)
    q = encoder.encode_queries(["refund"])
    rows = [["Refunds take 3 days.", "Refunds go back to the card."]]
    missing = scorer.missing(rows)
    vectors = encoder.encode_passages(missing)
    scorer.add(missing, vectors)
    scorer.add(["x y", "y z"], encoder.encode_passages(["x y", "y z"]))  # another question's
    assert scorer.missing(rows) == rows[0], "the cache was emptied"
    fresh = dict(zip(missing, vectors, strict=True))
    assert np.allclose(scorer.score(q, rows, fresh)[0], cosines(encoder, q, rows)[0])
