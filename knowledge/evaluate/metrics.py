"""Answer metrics for zh, en and mixed text.

Tokens for F1 are characters for Chinese and words for everything else, after lower-casing
and dropping punctuation and spaces, so "3 个工作日内" and "3个工作日内" match.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence

import numpy as np

_TOKEN = re.compile(r"[\u3400-\u9fff]|[a-z0-9¥]+(?:[.,][0-9]+)*")


def tokens(text: str) -> list[str]:
    """Comparison tokens: Chinese characters and lower-cased words/numbers."""
    return _TOKEN.findall(text.lower())


def exact_match(predicted: str, gold: str) -> bool:
    """Same tokens in the same order."""
    return tokens(predicted) == tokens(gold)


def f1(predicted: str, gold: str) -> float:
    """Token-overlap F1."""
    p, g = tokens(predicted), tokens(gold)
    if not p or not g:
        return float(p == g)
    common = sum((Counter(p) & Counter(g)).values())
    if common == 0:
        return 0.0
    precision, recall = common / len(p), common / len(g)
    return 2 * precision * recall / (precision + recall)


def contains(text: str, gold: str) -> bool:
    """``gold``'s tokens appear, in order and contiguous, in ``text``."""
    t, g = tokens(text), tokens(gold)
    return bool(g) and any(t[i : i + len(g)] == g for i in range(len(t) - len(g) + 1))


def answer_correct(predicted: str, abstained: bool, gold: str | None, sentence: str = "") -> bool:
    """End-to-end correctness, as the shopper sees it.

    Out-of-scope questions must be abstained on. Otherwise the answer is right when the span
    overlaps the gold span well (token F1 >= 0.5) or the sentence shown to the shopper (the
    one holding the span, answer marked) contains the whole gold answer.
    """
    if gold is None:
        return abstained
    if abstained:
        return False
    return f1(predicted, gold) >= 0.5 or contains(sentence, gold)


def mrr(ranks: Sequence[int | None], cutoff: int = 10) -> float:
    """Mean reciprocal rank (ranks are 0-based; None = not found within the list)."""
    if not ranks:
        return 0.0
    return sum(1.0 / (r + 1) for r in ranks if r is not None and r < cutoff) / len(ranks)


def hit_at(ranks: Sequence[int | None], k: int) -> float:
    """Share of questions whose first relevant passage is in the top ``k``."""
    if not ranks:
        return 0.0
    return sum(1 for r in ranks if r is not None and r < k) / len(ranks)


def abstention(
    should: Sequence[bool] | np.ndarray, did: Sequence[bool] | np.ndarray
) -> dict[str, float]:
    """Precision and recall of abstaining, against which questions should be abstained on."""
    s, d = np.asarray(should, dtype=bool), np.asarray(did, dtype=bool)
    if s.shape != d.shape:
        raise ValueError("should and did must have the same length")
    tp, abstained, positives = int(np.sum(s & d)), int(d.sum()), int(s.sum())
    return {
        "precision": tp / abstained if abstained else 1.0,
        "recall": tp / positives if positives else 1.0,
    }
