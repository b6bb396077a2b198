"""Fit the answer decision (:mod:`knowledge.decide`) on questions the matcher never saw.

The training questions are split by who wrote them. The questions written for every fact of
the documents (``data/qa/train``) train the matcher (:mod:`knowledge.train.matcher`); the
train split of the seed families and of ``out_of_scope.yaml`` (another writer, another pass),
with a third of the written unanswerable questions, is the *calibration* set. Its questions
are scored as new questions would be: against a known-question bank without them, by a
matcher that never trained on them, by a writer whose wording the bank does not hold — the
case of a shopper's question. (Scores on the matcher's own training questions, or on
siblings of the bank's questions, are inflated: a decision fitted on them trusts the
signals too much.) The dev split is never used here.

1. :class:`~knowledge.decide.Linear` ranker: logistic regression over the candidates'
   features, a candidate labelled by whether it answers the question.
2. Answerability: logistic regression over the pick's scores, its margin and the closeness to
   known unanswerable questions, labelled by whether the question is answerable at all.
3. Threshold: the probability above which kefu answers, chosen for shoppers on the
   answerability model's out-of-fold probabilities (5 folds of the calibration set): answering
   an out-of-scope question costs :data:`WRONG_COST` times what a handoff on an answerable one
   costs, when :data:`OUT_OF_SCOPE_SHARE` of the questions cannot be answered.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from knowledge.decide import (
    ANSWERABILITY,
    FEATURES,
    Candidates,
    Decision,
    Linear,
    answerability_features,
    answerability_inputs,
    candidates,
    columns,
)
from knowledge.known import KnownBank, answering
from knowledge.train.data import QAExample
from knowledge.types import Language
from knowledge.units import Sentence, is_faq

log = logging.getLogger(__name__)

OOS_CALIBRATION_SHARE = 3  # one written unanswerable question in 3 calibrates
WRONG_COST = 3.0
#: share of the questions reaching the engine that the documents cannot answer (an
#: assumption about shoppers' traffic, not fitted: the calibration set's share is ~25 %)
OUT_OF_SCOPE_SHARE = 0.1


def held_for_calibration(example: QAExample) -> bool:
    """Whether a training question belongs to the calibration set (see the module's doc)."""
    if example.origin != "train":
        return True
    h = int(hashlib.sha256(example.question.encode()).hexdigest()[:8], 16)
    return example.answer is None and h % OOS_CALIBRATION_SHARE == 0


@dataclass(frozen=True)
class Scored:
    """One calibration question, its candidates' features and which ones answer it."""

    example: QAExample
    ids: np.ndarray
    features: np.ndarray
    labels: np.ndarray  # 1 answers, 0 does not, -1 neither (only holds the answer text)
    unknown: float  # best similarity to a known unanswerable question
    vector: np.ndarray  # the question's
    novel: float = 0.0  # share of its words the store's documents never use


def score_questions(
    examples: Sequence[QAExample],
    vectors: np.ndarray,
    scores_of: object,
    sentences: Sequence[Sentence],
) -> list[Scored]:
    """Candidates and labels for each example (``scores_of(vector, lang, question)``)."""
    texts = [s.text for s in sentences]
    faq = np.array([is_faq(s.passage) for s in sentences], np.float32)
    out = []
    for ex, vector in zip(examples, vectors, strict=True):
        lang: Language = ex.lang
        scores = scores_of(vector, lang, ex.question)  # type: ignore[operator]
        found = candidates(ex.question, scores, texts, faq)
        if ex.answer is not None:
            pos, neutral = answering(ex.lang, ex.answer, ex.also, sentences)
        else:
            pos, neutral = set(), set()
        labels = np.array(
            [1 if i in pos else (-1 if i in neutral else 0) for i in found.ids], np.int64
        )
        out.append(
            Scored(ex, found.ids, found.features, labels, scores.unknown, vector, scores.novel)
        )
    return out


def logistic(c: float = 1.0) -> Any:
    """The logistic regression both decision models use (classes weighted to balance)."""
    from sklearn.linear_model import LogisticRegression

    return LogisticRegression(C=c, max_iter=5000, class_weight="balanced")


def fit_linear(x: np.ndarray, y: np.ndarray, names: Sequence[str], c: float = 1.0) -> Linear:
    """Logistic regression on standardised inputs, as a :class:`Linear`."""
    mean, scale = x.mean(axis=0), x.std(axis=0) + 1e-6
    model = logistic(c)
    model.fit((x - mean) / scale, y)
    return Linear(
        tuple(names),
        tuple(float(w) for w in model.coef_[0]),
        float(model.intercept_[0]),
        tuple(float(m) for m in mean),
        tuple(float(s) for s in scale),
    )


def out_of_fold(x: np.ndarray, y: np.ndarray, folds: int = 5, c: float = 1.0) -> np.ndarray:
    """Each row's probability from a logistic model fitted on the other folds."""
    from sklearn.model_selection import StratifiedKFold, cross_val_predict
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    model = make_pipeline(StandardScaler(), logistic(c))
    splits = StratifiedKFold(min(folds, int(np.bincount(y).min())), shuffle=True, random_state=13)
    return np.asarray(cross_val_predict(model, x, y, cv=splits, method="predict_proba")[:, 1])


def fit_ranker(scored: Sequence[Scored], names: Sequence[str] = FEATURES) -> Linear:
    """The candidate ranker over the columns ``names`` of :data:`FEATURES`."""
    rows = [(columns(s.features[s.labels >= 0], names), s.labels[s.labels >= 0]) for s in scored]
    x = np.concatenate([r[0] for r in rows if len(r[0])])
    y = np.concatenate([r[1] for r in rows if len(r[1])])
    return fit_linear(x, y, names)


def pick_features(
    scored: Sequence[Scored], ranker: Linear
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per calibration question: the answerability inputs, answerable or not, pick right or not.

    The inputs are all the named ones (:data:`~knowledge.decide.ANSWERABILITY`).
    """
    xs, answerable, right = [], [], []
    for s in scored:
        found = Candidates(s.ids, s.features)
        answerable.append(s.example.answer is not None)
        if len(found) == 0:
            xs.append(np.zeros(len(ANSWERABILITY), np.float32))
            right.append(False)
            continue
        ranked = ranker.logit(columns(s.features, ranker.names))
        xs.append(answerability_features(s.example.question, found, ranked, s.unknown, s.novel))
        right.append(bool(s.labels[int(np.argmax(ranked))] == 1))
    return np.stack(xs), np.array(answerable), np.array(right)


def choose_threshold(
    p: np.ndarray, answerable: np.ndarray, out_of_scope_share: float = OUT_OF_SCOPE_SHARE
) -> float:
    """The probability of "answerable" above which kefu answers.

    Chosen for shoppers: an out-of-scope question answered confidently costs
    :data:`WRONG_COST` times what a handoff on an answerable question costs, among questions
    of which ``out_of_scope_share`` cannot be answered (the calibration set holds far more
    of them than shoppers ask: each class is weighted to that share).
    """
    oos = ~answerable
    w_oos = out_of_scope_share / max(1, oos.sum())
    w_ans = (1 - out_of_scope_share) / max(1, answerable.sum())
    best, best_cost = 0.5, np.inf
    for t in np.unique(np.round(p, 3)):
        answered = p >= t
        cost = WRONG_COST * w_oos * (answered & oos).sum() + w_ans * (~answered & answerable).sum()
        if cost < best_cost:
            best, best_cost = float(t), float(cost)
    return best


def fit_decision(
    scored: Sequence[Scored],
    ranker_names: Sequence[str] = FEATURES,
    answer_names: Sequence[str] = ANSWERABILITY,
) -> tuple[Decision, dict[str, float]]:
    """Ranker, answerability model and threshold, with their figures on the calibration set.

    ``*_names``: the inputs each model gets (all by default).
    """
    ranker = fit_ranker([s for s in scored if s.example.answer is not None], ranker_names)
    named, answerable, right = pick_features(scored, ranker)
    x = answerability_inputs(named, np.stack([s.vector for s in scored]), answer_names)
    answerability = fit_linear(x, answerable.astype(int), answer_names)
    # the threshold is chosen on out-of-fold probabilities: in-sample ones are optimistic (and
    # with the question's vector as an input, 384 more, separate the calibration set perfectly)
    p = out_of_fold(x, answerable.astype(int))
    threshold = choose_threshold(p, answerable)
    answered, oos = p >= threshold, ~answerable
    figures = {
        "questions": float(len(scored)),
        "pick_right": float(right[answerable].mean()) if answerable.any() else 0.0,
        "answered_right": float((answered & right).sum() / max(1, answered.sum())),
        "abstained_out_of_scope": float((~answered & oos).sum() / max(1, oos.sum())),
        "abstained_answerable": float((~answered & answerable).sum() / max(1, answerable.sum())),
        "threshold": threshold,
    }
    return Decision(ranker, answerability, threshold), figures


def fit_bank(bank: KnownBank, held: set[str]) -> KnownBank:
    """The bank without the calibration questions (they must look new to the decision)."""
    return bank.subset(np.array([k.question not in held for k in bank.known]))
