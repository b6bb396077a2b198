"""Sentence boundaries for Chinese and English text, as character offsets.

Chinese sentences end at 。！？； (and their ASCII forms); English ones at . ! ? ; followed by a
space or the end. Decimal points ("¥2.5"), times ("16:00") and abbreviations like "e.g." do
not end a sentence. Line breaks always do.
"""

from __future__ import annotations

import re

_END = re.compile(
    r"[。！？；]+[”’」』）)]*"  # Chinese terminators, closing quotes or brackets
    r"|(?<![A-Z][a-z])(?<!\be\.g)(?<!\bi\.e)[.!?;]+[\"')\]]*(?=\s|$)"  # English, before a space
    r"|\n+"
)


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """``(start, end)`` of each sentence, whitespace trimmed, in order.

    >>> t = "满 99 元免运费。Otherwise it costs ¥8. OK"
    >>> [t[s:e] for s, e in sentence_spans(t)]
    ['满 99 元免运费。', 'Otherwise it costs ¥8.', 'OK']
    """
    spans: list[tuple[int, int]] = []
    start = 0
    for match in _END.finditer(text):
        end = match.end()
        _append(text, start, end, spans)
        start = end
    _append(text, start, len(text), spans)
    return spans


def _append(text: str, start: int, end: int, spans: list[tuple[int, int]]) -> None:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    if end > start:
        spans.append((start, end))


def sentence_around(text: str, start: int, end: int) -> tuple[int, int]:
    """The sentence (or run of sentences) that contains ``text[start:end]``."""
    spans = sentence_spans(text)
    covering = [(s, e) for s, e in spans if s < end and e > start]
    if not covering:
        return start, end
    return covering[0][0], covering[-1][1]
