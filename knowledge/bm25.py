"""BM25 keyword retrieval and reciprocal-rank fusion with the dense retriever.

Chinese is segmented with jieba; other text is split into lower-cased words.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Sequence

import numpy as np

_WORD = re.compile(r"[a-z0-9]+(?:[.'][a-z0-9]+)*|[\u3400-\u9fff]+")
_STOP = {"the", "a", "an", "is", "are", "do", "does", "i", "my", "to", "of", "for", "in", "on",
         "can", "you", "your", "what", "how",
         "吗", "的", "了", "呢", "是", "我", "请问"}  # fmt: skip


def tokenize(text: str) -> list[str]:
    """Words for BM25: jieba's search-mode segmentation for Chinese runs, words for the rest."""
    import jieba

    tokens: list[str] = []
    for chunk in _WORD.findall(text.lower()):
        if chunk[0] >= "\u3400":
            tokens.extend(t for t in jieba.lcut_for_search(chunk) if t.strip())
        else:
            tokens.append(chunk)
    return [t for t in tokens if t not in _STOP]


class BM25:
    """Okapi BM25 over a fixed list of texts."""

    def __init__(self, texts: Sequence[str], k1: float = 1.5, b: float = 0.75) -> None:
        self.k1, self.b = k1, b
        self.docs = [Counter(tokenize(t)) for t in texts]
        self.lengths = np.array([sum(d.values()) for d in self.docs], dtype=np.float32)
        self.avg = float(self.lengths.mean()) if len(self.docs) else 0.0
        df: Counter[str] = Counter()
        for d in self.docs:
            df.update(d.keys())
        n = len(self.docs)
        self.idf = {t: math.log(1 + (n - c + 0.5) / (c + 0.5)) for t, c in df.items()}

    def scores(self, query: str) -> np.ndarray:
        """BM25 score of every text for ``query``."""
        out = np.zeros(len(self.docs), dtype=np.float32)
        norm = self.k1 * (1 - self.b + self.b * self.lengths / (self.avg or 1.0))
        for term in set(tokenize(query)):
            idf = self.idf.get(term)
            if idf is None:
                continue
            tf = np.array([d.get(term, 0) for d in self.docs], dtype=np.float32)
            out += idf * tf * (self.k1 + 1) / (tf + norm)
        return out

    def search(self, query: str, k: int) -> list[tuple[int, float]]:
        """Top-``k`` (text position, score) with a positive score."""
        s = self.scores(query)
        top = np.argsort(-s)[:k]
        return [(int(i), float(s[i])) for i in top if s[i] > 0]


def rrf(rankings: Sequence[Sequence[int]], k: int = 60) -> list[tuple[int, float]]:
    """Reciprocal-rank fusion of several rankings (lists of ids, best first)."""
    fused: dict[int, float] = {}
    for ranking in rankings:
        for rank, doc in enumerate(ranking):
            fused[doc] = fused.get(doc, 0.0) + 1.0 / (k + rank + 1)
    return sorted(fused.items(), key=lambda kv: -kv[1])
