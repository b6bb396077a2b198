"""Fit the answer decision (weights, abstention threshold) on the dev split."""

from __future__ import annotations

import itertools
from collections.abc import Sequence

import numpy as np

from knowledge.decide import Calibration, Candidate
from knowledge.evaluate.metrics import abstention, answer_correct
from knowledge.ingest.split import sentence_around

READER_WEIGHTS = (0.0, 0.25, 1.0)
PENALTIES = (0.0, 0.5, 1.0, 2.0, 4.0)
RETRIEVAL_WEIGHTS = (0.0, 5.0, 10.0, 20.0)
SENTENCE_WEIGHTS = (0.0, 5.0, 10.0, 20.0, 40.0)


def _shown(candidates: list[Candidate], cal: Calibration) -> tuple[float, str, str]:
    """(decision score, span text, sentence shown) of the candidate the pipeline would pick."""
    picked = cal.pick(candidates)
    if picked is None:
        return -1e9, "", ""
    score, best = picked
    span = best.span
    start, end = sentence_around(span.passage.text, span.start, span.end)
    return score, span.text, span.passage.text[start:end]


def fit_calibration(
    candidates: Sequence[list[Candidate]],
    golds: Sequence[str | None],
    min_precision: float = 0.9,
) -> tuple[Calibration, dict[str, float]]:
    """Choose the decision maximising dev accuracy with abstention precision >= min.

    ``golds`` holds each question's gold answer span, ``None`` for out-of-scope questions.
    Grid search over the four weights (the reader's fixed to 1 or less, as the scale of
    the rest is relative to it); the threshold over the observed score quantiles.
    Returns the calibration and its dev figures.
    """
    should = np.array([g is None for g in golds])
    best: tuple[tuple[bool, float], Calibration, dict[str, float]] | None = None
    grid = itertools.product(READER_WEIGHTS, PENALTIES, RETRIEVAL_WEIGHTS, SENTENCE_WEIGHTS)
    for reader_w, penalty, retrieval_w, sentence_w in grid:
        if reader_w == 0.0 and sentence_w == 0.0:
            continue  # nothing would look at the span or its sentence
        trial = Calibration(0.0, penalty, retrieval_w, 2.0, reader_w, sentence_w)
        shown = [_shown(row, trial) for row in candidates]
        scores = np.array([d[0] for d in shown])
        right_if_answered = np.array(
            [
                answer_correct(t, False, g, sent)
                for (_, t, sent), g in zip(shown, golds, strict=True)
            ]
        )
        for threshold in np.unique(np.quantile(scores, np.linspace(0, 1, 101))):
            did = scores < threshold
            acc = float(np.mean(np.where(did, should, right_if_answered)))
            ab = abstention(should, did)
            key = (ab["precision"] >= min_precision, acc)
            if best is None or key > best[0]:
                spread = float(np.std(scores)) or 1.0
                cal = Calibration(
                    float(threshold),
                    penalty,
                    retrieval_w,
                    max(0.5, spread / 4),
                    reader_w,
                    sentence_w,
                )
                best = (key, cal, {"accuracy": acc, **ab})
    assert best is not None
    return best[1], best[2]
