"""The answer decision: which sentence kefu shows, and whether it answers at all.

For one question, every sentence of the store in its language is a candidate. Each candidate
gets a few signals (:data:`FEATURES`):

- ``cosine``: the matcher's similarity of the question to the sentence under its headings;
- ``cosine_gap``: how far it is below the best sentence's;
- ``known``: the similarity of the question to the closest *known question* this sentence
  answers (the store's FAQ questions and written training questions, embedded at index time);
- ``known_gap``: how far that is below the best candidate's;
- ``votes``: the share of the closest known questions that this sentence answers;
- ``passage``: the similarity of the question to the sentence's whole passage;
- ``overlap``: the share of the question's words (zh: character pairs) found in the sentence;
- ``faq``: the sentence comes from the FAQ export, not a policy page (which usually says the
  same with its conditions and effective date).

A ranker (a logistic model over them) picks the sentence; an answerability model (a second
one over the pick's scores, the runner-up's margin, the closeness of the question to *known
unanswerable* questions and its length; optionally the question's own vector) gives the
probability that the store's documents answer the question at all, and kefu answers above
the :class:`Decision`'s ``threshold``. Both are fitted by ``make models`` on
training questions the matcher never saw (:mod:`knowledge.train.decision`), never on the dev split.
"""

from __future__ import annotations

import itertools
import json
import logging
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

log = logging.getLogger(__name__)

FEATURES = ("cosine", "cosine_gap", "known", "known_gap", "votes", "passage", "overlap", "faq")
ANSWERABILITY = ("best", "margin", "cosine", "known", "unknown", "unknown_gap", "length", "novel")
VECTOR = "vector"  # answerability input: the question's own vector (its topic)
CANDIDATES = 12  # sentences ranked per question: the best by cosine, then by known question
NEIGHBOURS = 20  # known questions consulted per question
PHRASING_SHARE = 0.002  # a word in 1 of 500 of kefu's written questions is how shoppers ask
_WORD = re.compile(r"[a-z0-9]+|[\u3400-\u9fff]")
_STOP = frozenset(
    "a an the i my me you your is are do does can to of for in on and or it".split()  # noqa: SIM905
)


def words(text: str) -> set[str]:
    """English words (minus the commonest) and Chinese character pairs: what ``overlap`` counts."""
    tokens = _WORD.findall(text.lower())
    out = {t for t in tokens if len(t) > 1 and t not in _STOP}
    han = [t for t in tokens if len(t) == 1 and "\u3400" <= t <= "\u9fff"]
    out.update(a + b for a, b in itertools.pairwise(han))
    return out


def overlap(question: str | set[str], sentence: str) -> float:
    """Share of the question's words that appear in the sentence (0 without words).

    ``question`` may be its :func:`words` already, when one question meets many sentences.
    """
    q = words(question) if isinstance(question, str) else question
    return len(q & words(sentence)) / len(q) if q else 0.0


@dataclass(frozen=True)
class Scores:
    """What the index gives the decision for one question (all in the question's language).

    ``sentence_cosine`` and ``passage_cosine`` are per sentence of the store (``-inf`` for
    other languages); ``known`` per sentence the best similarity of a known question it
    answers (0 if none is among the neighbours) and ``votes`` the share of the neighbours that
    it answers; ``vector`` the question's own; ``unknown`` the best similarity to a known
    unanswerable question; ``novel`` the share of the question's words that the store's
    documents never use (:func:`novelty`).
    """

    sentence_cosine: np.ndarray
    passage_cosine: np.ndarray
    known: np.ndarray
    unknown: float
    votes: np.ndarray | None = None
    vector: np.ndarray | None = None
    novel: float = 0.0


def phrasing(questions: Sequence[str], share: float = PHRASING_SHARE) -> frozenset[str]:
    """The words at least ``share`` of ``questions`` use: how shoppers ask, in any store.

    Counted as used by every store's documents, so that "能不能" or "how long" is not
    :func:`novelty` (kefu's own written questions give them).
    """
    counts: dict[str, int] = {}
    for q in questions:
        for w in words(q):
            counts[w] = counts.get(w, 0) + 1
    return frozenset(w for w, n in counts.items() if n >= share * len(questions))


def novelty(question: str, vocabulary: frozenset[str]) -> float:
    """Share of the question's :func:`words` that are not in ``vocabulary`` (0 without words).

    A question about something the store's documents never mention ("price match",
    "京东") asks words they never use; rewordings of what they say mostly do not.
    """
    asked = words(question)
    return len(asked - vocabulary) / len(asked) if asked else 0.0


@dataclass(frozen=True)
class Candidates:
    """One question's candidate sentences (positions in the store) and their features."""

    ids: np.ndarray
    features: np.ndarray  # (len(ids), len(FEATURES))

    def __len__(self) -> int:
        return len(self.ids)


def candidates(
    question: str, scores: Scores, texts: Sequence[str], faq: np.ndarray | None = None
) -> Candidates:
    """The best sentences by cosine and by known question, with their features.

    ``faq`` marks the sentences from FAQ exports (none if not given).
    """
    cos, known = scores.sentence_cosine, scores.known
    allowed = np.isfinite(cos)
    by_cosine = [i for i in np.argsort(-cos)[:CANDIDATES] if allowed[i]]
    by_known = [i for i in np.argsort(-known)[: CANDIDATES // 2] if allowed[i] and known[i] > 0]
    ids = np.array(list(dict.fromkeys([*by_cosine, *by_known])), dtype=np.int64)
    if len(ids) == 0:
        return Candidates(ids, np.zeros((0, len(FEATURES)), np.float32))
    c, k = cos[ids], known[ids]
    asked = words(question)  # once, not once per candidate
    votes = scores.votes[ids] if scores.votes is not None else np.zeros(len(ids))
    feats = np.stack(
        [
            c,
            c - c.max(),
            k,
            k - k.max(),
            votes,
            scores.passage_cosine[ids],
            np.array([overlap(asked, texts[i]) for i in ids]),
            faq[ids] if faq is not None else np.zeros(len(ids)),
        ],
        axis=1,
    ).astype(np.float32)
    return Candidates(ids, feats)


def answerability_features(
    question: str, found: Candidates, ranked: np.ndarray, unknown: float, novel: float = 0.0
) -> np.ndarray:
    """The answerability model's inputs for a question whose candidates scored ``ranked``.

    ``unknown`` is its best similarity to a known unanswerable question, ``novel`` the share
    of its words the documents never use.
    """
    order = np.argsort(-ranked)
    best = float(ranked[order[0]]) if len(order) else -10.0
    second = float(ranked[order[1]]) if len(order) > 1 else best - 10.0
    top = order[0] if len(order) else None
    cosine = float(found.features[top, 0]) if top is not None else 0.0
    known = float(found.features[top, 2]) if top is not None else 0.0
    max_known = float(found.features[:, 2].max()) if len(found) else 0.0
    length = math.log1p(len(question))
    return np.array(
        [best, best - second, cosine, known, unknown, unknown - max_known, length, novel],
        np.float32,
    )


def columns(
    features: np.ndarray, names: Sequence[str], all_names: Sequence[str] = FEATURES
) -> np.ndarray:
    """The columns ``names`` of a matrix whose columns are ``all_names``.

    For a model fitted on fewer signals, as the ablations in ``make eval`` are.
    """
    return np.atleast_2d(features)[:, [list(all_names).index(n) for n in names]]


def answerability_inputs(
    named: np.ndarray, vector: np.ndarray | None, names: Sequence[str]
) -> np.ndarray:
    """The answerability model's input rows.

    The columns of :data:`ANSWERABILITY` in ``names``, then the question's vector when
    ``names`` holds :data:`VECTOR`.
    """
    chosen = [n for n in names if n != VECTOR]
    x = columns(named, chosen, ANSWERABILITY)
    if VECTOR in names:
        if vector is None:
            raise ValueError("this answerability model needs the question's vector")
        x = np.hstack([x, np.atleast_2d(vector)])
    return x


@dataclass(frozen=True)
class Linear:
    """A fitted logistic model: ``sigmoid(x · weights + bias)`` on standardised inputs."""

    names: tuple[str, ...]
    weights: tuple[float, ...]
    bias: float = 0.0
    mean: tuple[float, ...] = ()
    scale: tuple[float, ...] = ()

    def logit(self, x: np.ndarray) -> np.ndarray:
        """Raw scores for rows of ``x`` (columns in ``names`` order)."""
        x = np.atleast_2d(x)
        if self.mean:
            x = (x - np.asarray(self.mean)) / np.asarray(self.scale)
        return np.asarray(x @ np.asarray(self.weights) + self.bias, dtype=np.float64)

    def to_dict(self) -> dict[str, object]:
        """Plain JSON."""
        return {
            "names": list(self.names),
            "weights": list(self.weights),
            "bias": self.bias,
            "mean": list(self.mean),
            "scale": list(self.scale),
        }

    @classmethod
    def from_dict(cls, data: dict[str, object]) -> Linear:
        """Inverse of :meth:`to_dict`."""
        return cls(
            tuple(data["names"]),  # type: ignore[arg-type]
            tuple(float(w) for w in data["weights"]),  # type: ignore[attr-defined]
            float(data["bias"]),  # type: ignore[arg-type]
            tuple(float(m) for m in data.get("mean", ())),  # type: ignore[attr-defined]
            tuple(float(s) for s in data.get("scale", ())),  # type: ignore[attr-defined]
        )


def _default_ranker() -> Linear:
    return Linear(FEATURES, (10.0, 0.0, 5.0, 0.0, 0.0, 0.0, 1.0, 0.0))


def _default_answerability() -> Linear:
    return Linear(ANSWERABILITY, (0.0, 0.0, 20.0, 0.0, 0.0, 0.0, 0.0, 0.0), -16.0)


@dataclass(frozen=True)
class Decision:
    """The fitted ranker and answerability model, and the answering threshold."""

    ranker: Linear = field(default_factory=_default_ranker)
    answerability: Linear = field(default_factory=_default_answerability)
    threshold: float = 0.5

    def choose(
        self,
        question: str,
        scores: Scores,
        texts: Sequence[str],
        faq: np.ndarray | None = None,
    ) -> tuple[int, float]:
        """The chosen sentence's position and the probability that it is answerable.

        That is, that the store's documents answer the question (-1, 0.0: no candidate).
        """
        found = candidates(question, scores, texts, faq)
        if len(found) == 0:
            return -1, 0.0
        ranked = self.ranker.logit(columns(found.features, self.ranker.names))
        x = answerability_inputs(
            answerability_features(question, found, ranked, scores.unknown, scores.novel),
            scores.vector,
            self.answerability.names,
        )
        p = 1.0 / (1.0 + math.exp(-float(self.answerability.logit(x)[0])))
        return int(found.ids[int(np.argmax(ranked))]), p

    def save(self, path: Path) -> None:
        """Write as JSON."""
        path.parent.mkdir(parents=True, exist_ok=True)
        data = {
            "ranker": self.ranker.to_dict(),
            "answerability": self.answerability.to_dict(),
            "threshold": self.threshold,
        }
        path.write_text(json.dumps(data, indent=2))

    @classmethod
    def load(cls, path: Path) -> Decision:
        """Read a decision file, or the defaults when there is none."""
        if not path.exists():
            log.warning("no fitted decision at %s: using defaults (run 'make models')", path)
            return cls()
        data = json.loads(path.read_text())
        return cls(
            Linear.from_dict(data["ranker"]),
            Linear.from_dict(data["answerability"]),
            float(data["threshold"]),
        )
