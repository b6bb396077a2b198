"""Known questions: questions the store has already seen, with the sentences that answer them.

A store brings some with its documents: every FAQ entry is a question and its answer. kefu
adds its own general questions it must not answer (``answers`` empty: chit-chat, other
stores, prompt injection...) to every store's, and a store's written questions when it has
them (``data/qa``, train split only: the dev split never enters the index). A new question
close to a known one is most likely answered by the same sentence — in either language, as a
question written for a fact names the fact's sentence in both — and a question close to a
known unanswerable one most likely is not answerable either (``knowledge.decide``).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from knowledge.decide import NEIGHBOURS, Scores
from knowledge.train.data import AnswerRef, QAExample
from knowledge.types import Language, Passage
from knowledge.units import Sentence, is_faq

#: kinds of kefu's written unanswerable questions that no store's documents answer (chit-chat,
#: general knowledge, other stores, personal matters, other people's data, prompt injection):
#: they join every store's bank. Near misses, products and services not sold are the demo
#: store's own (another store may answer them).
GENERAL_UNANSWERABLE = frozenset(
    {"chitchat", "general", "injection", "other_store", "personal", "others_data"}
)


@dataclass(frozen=True)
class KnownQuestion:
    """A question and the texts of the sentences that answer it (none: unanswerable)."""

    question: str
    answers: tuple[str, ...] = ()


def answering(
    lang: Language, ref: AnswerRef, also: Sequence[str], sentences: Sequence[Sentence]
) -> tuple[set[int], set[int]]:
    """The sentences in ``lang`` that answer a question about ``ref``, and those holding its text.

    Answering: the sentence holding the span in the gold section, an FAQ sentence holding a
    span of 8+ characters (the FAQ twin) and the ``also`` sentences. Holding only: any other
    sentence containing the span text (a short span such as "3 business days" can recur with
    another meaning): neither right nor wrong for it.
    """
    pos, neutral = set(), set()
    for i, s in enumerate(sentences):
        if s.lang != lang:
            continue
        holds = ref.span in s.text
        gold = holds and (s.passage.source.doc, s.passage.source.section) == (ref.doc, ref.section)
        if gold or s.text in also or (holds and is_faq(s.passage) and len(ref.span) >= 8):
            pos.add(i)
        elif holds:
            neutral.add(i)
    return pos, neutral


def from_examples(
    examples: Sequence[QAExample], sentences: Sequence[Sentence]
) -> list[KnownQuestion]:
    """Written (not generated) questions; each names its fact's sentences in every language."""
    per_family: dict[str, set[str]] = defaultdict(set)
    done: set[tuple[str, str]] = set()
    for ex in examples:
        if ex.answer is None or (ex.family, ex.lang) in done:
            continue
        done.add((ex.family, ex.lang))
        pos, _ = answering(ex.lang, ex.answer, ex.also, sentences)
        per_family[ex.family].update(sentences[i].text for i in pos)
    out = []
    for ex in examples:
        if ex.generated:
            continue
        answers = tuple(sorted(per_family.get(ex.family, ()))) if ex.answer else ()
        if ex.answer is None or answers:
            out.append(KnownQuestion(ex.question, answers))
    return out


def general_unanswerable(examples: Sequence[QAExample]) -> list[KnownQuestion]:
    """The written unanswerable questions of :data:`GENERAL_UNANSWERABLE` kinds (train split)."""
    return [
        KnownQuestion(e.question)
        for e in examples
        if e.answer is None and e.split == "train" and e.fact in GENERAL_UNANSWERABLE
    ]


def unique(known: Sequence[KnownQuestion]) -> list[KnownQuestion]:
    """The first of each question (a store's own written ones may repeat kefu's)."""
    seen: set[str] = set()
    out = []
    for k in known:
        if k.question not in seen:
            seen.add(k.question)
            out.append(k)
    return out


def from_faq(passages: Sequence[Passage], sentences: Sequence[Sentence]) -> list[KnownQuestion]:
    """Each FAQ entry's question, answered by its answer's sentences."""
    by_passage: dict[str, list[str]] = defaultdict(list)
    for s in sentences:
        by_passage[s.passage.id].append(s.text)
    return [
        KnownQuestion(p.source.section, tuple(by_passage[p.id]))
        for p in passages
        if is_faq(p) and p.source.section and by_passage[p.id]
    ]


class KnownBank:
    """Known questions' vectors and, for each, the positions of the sentences answering it."""

    def __init__(
        self, known: Sequence[KnownQuestion], vectors: np.ndarray, sentences: Sequence[Sentence]
    ) -> None:
        position: dict[str, list[int]] = defaultdict(list)
        for i, s in enumerate(sentences):
            position[s.text].append(i)
        self.known = list(known)
        self.vectors = np.asarray(vectors, np.float32)
        if not self.known:
            self.vectors = np.zeros((0, self.vectors.shape[-1]), np.float32)
        self.answers = [
            np.array(sorted({i for t in k.answers for i in position.get(t, ())}), np.int64)
            for k in self.known
        ]
        self.answerable = np.array([len(a) > 0 for a in self.answers], bool)

    def __len__(self) -> int:
        return len(self.known)

    def subset(self, keep: np.ndarray) -> KnownBank:
        """The bank restricted to the rows where ``keep`` is true (fitting the decision)."""
        bank = KnownBank.__new__(KnownBank)
        rows = np.flatnonzero(keep)
        bank.known = [self.known[i] for i in rows]
        bank.vectors = self.vectors[rows]
        bank.answers = [self.answers[i] for i in rows]
        bank.answerable = self.answerable[rows]
        return bank

    def vote(self, vector: np.ndarray, size: int) -> tuple[np.ndarray, np.ndarray, float]:
        """Votes of the known questions closest to ``vector``.

        Per sentence the best similarity of a close known question it answers and the share
        of the :data:`NEIGHBOURS` closest answerable known questions it answers; and the best
        similarity of a known unanswerable question.
        """
        known, votes = np.zeros(size, np.float32), np.zeros(size, np.float32)
        if not len(self.known):
            return known, votes, 0.0
        sims = self.vectors @ vector
        answerable = np.flatnonzero(self.answerable)
        if len(answerable):
            top = answerable[np.argsort(-sims[answerable])[:NEIGHBOURS]]
            for row in top:
                known[self.answers[row]] = np.maximum(known[self.answers[row]], sims[row])
                votes[self.answers[row]] += 1.0 / NEIGHBOURS
        unanswerable = sims[~self.answerable]
        return known, votes, float(unanswerable.max()) if len(unanswerable) else 0.0


def question_scores(
    vector: np.ndarray,
    lang: Language,
    sentence_vectors: np.ndarray,
    sentence_langs: np.ndarray,
    passage_cosine: np.ndarray,
    bank: KnownBank,
) -> Scores:
    """Everything the decision needs about one encoded question (see :class:`Scores`)."""
    cos = (sentence_vectors @ vector).astype(np.float32)
    same = sentence_langs == lang
    if not same.any():
        same = np.ones_like(same)
    cos = np.where(same, cos, -np.inf).astype(np.float32)
    known, votes, unknown = bank.vote(vector, len(cos))
    return Scores(
        cos,
        passage_cosine,
        np.where(same, known, 0.0).astype(np.float32),
        unknown,
        np.where(same, votes, 0.0).astype(np.float32),
        np.asarray(vector, np.float32),
    )
