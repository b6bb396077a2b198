"""The sentences of the store's passages: what kefu chooses between and shows.

A passage is split into sentences once (``knowledge.ingest.split``); each sentence keeps its
passage (source, neighbours) and offsets. The encoder sees a sentence under its headings
(``Returns › Return shipping`` above ``Return shipping is free when…``), so a sentence that
only makes sense in its section ("It takes 3 days.") still says what it is about.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from knowledge.ingest.split import sentence_spans
from knowledge.types import Language, Passage

MIN_CHARS = 4  # shorter "sentences" (list bullets like "A.") are never an answer alone
FAQ_SUFFIXES = (".csv", ".jsonl")
#: below this many characters a sentence is shown with the next one ("Yes." / "可以。")
ALONE_CHARS = {"zh": 6, "en": 12}
LEADS_ON = (":", "：")  # a sentence ending so introduces what follows


@dataclass(frozen=True)
class Sentence:
    """One sentence of a passage: ``passage.text[start:end]``."""

    passage: Passage
    start: int
    end: int

    @property
    def text(self) -> str:
        """The sentence as written."""
        return self.passage.text[self.start : self.end]

    @property
    def lang(self) -> Language:
        """Its passage's language."""
        return self.passage.lang

    @property
    def embedding_text(self) -> str:
        """What the encoder sees: the headings, then the sentence."""
        return f"{heading(self.passage)}\n{self.text}"


def heading(passage: Passage) -> str:
    """``title › section`` of a passage (either may be empty)."""
    src = passage.source
    return " › ".join(h for h in (src.title, src.section) if h)


def is_faq(passage: Passage) -> bool:
    """A passage from an FAQ export (its section is the FAQ's question)."""
    return passage.source.doc.endswith(FAQ_SUFFIXES)


def split_sentences(passages: Sequence[Passage]) -> list[Sentence]:
    """Every sentence of every passage, in passage order."""
    return [
        Sentence(p, s, e) for p in passages for s, e in sentence_spans(p.text) if e - s >= MIN_CHARS
    ]


def shown_with_context(sentences: Sequence[Sentence], position: int) -> tuple[str, int, int]:
    """What the shopper is shown for ``sentences[position]``, and where the sentence is in it.

    The sentence alone when it stands alone; with the next sentence of its passage when it is
    too short to ("Yes.") or leads on to it ("…as follows:").
    """
    chosen = sentences[position]
    short = len(chosen.text) < ALONE_CHARS.get(chosen.lang, 12)
    following = sentences[position + 1] if position + 1 < len(sentences) else None
    same_passage = following is not None and following.passage is chosen.passage
    if (short or chosen.text.endswith(LEADS_ON)) and same_passage:
        assert following is not None
        text = chosen.passage.text[chosen.start : following.end]
        return text, 0, chosen.end - chosen.start
    return chosen.text, 0, len(chosen.text)
