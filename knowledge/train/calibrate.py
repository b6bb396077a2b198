"""Fit the answer decision (rank penalty, abstention threshold) on the dev split."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from knowledge.evaluate.metrics import abstention, answer_correct
from knowledge.ingest.split import sentence_around
from knowledge.pipeline import Calibration
from knowledge.read import Span

PENALTIES = (0.0, 0.5, 1.0, 2.0, 4.0, 8.0)
RETRIEVAL_WEIGHTS = (0.0, 5.0, 10.0, 20.0, 40.0)


def _best(spans: list[Span], scores: list[float], cal: Calibration) -> tuple[float, str, str]:
    """(decision score, span text, sentence shown) of the span the pipeline would pick."""
    picked = cal.pick(spans, scores)
    if picked is None:
        return -1e9, "", ""
    score, best = picked
    start, end = sentence_around(best.passage.text, best.start, best.end)
    return score, best.text, best.passage.text[start:end]


def fit_calibration(
    spans: Sequence[list[Span]],
    golds: Sequence[str | None],
    retrieval_scores: Sequence[list[float]] | None = None,
    min_precision: float = 0.9,
) -> tuple[Calibration, dict[str, float]]:
    """Choose the decision maximising dev accuracy with abstention precision >= min.

    ``golds`` holds each question's gold answer span, ``None`` for out-of-scope questions;
    ``retrieval_scores`` the retrieval score of each read passage. Grid search over rank
    penalty and retrieval weight; the threshold over the observed score quantiles.
    Returns the calibration and its dev figures.
    """
    best: tuple[tuple[bool, float], Calibration, dict[str, float]] | None = None
    should = [g is None for g in golds]
    rscores = retrieval_scores or [[0.0] * len(row) for row in spans]
    weights = RETRIEVAL_WEIGHTS if retrieval_scores is not None else (0.0,)
    grid = [(p, w) for p in PENALTIES for w in weights]
    for penalty, weight in grid:
        trial = Calibration(0.0, penalty, weight)
        decided = [_best(row, rs, trial) for row, rs in zip(spans, rscores, strict=True)]
        scores = np.array([d[0] for d in decided])
        candidates = np.unique(np.quantile(scores, np.linspace(0, 1, 101)))
        for threshold in candidates:
            did = [s < threshold for s in scores]
            correct = [
                answer_correct(text, a, g, sentence)
                for (_, text, sentence), a, g in zip(decided, did, golds, strict=True)
            ]
            acc = float(np.mean(correct))
            ab = abstention(should, did)
            key = (ab["precision"] >= min_precision, acc)
            if best is None or key > best[0]:
                spread = float(np.std(scores)) or 1.0
                cal = Calibration(float(threshold), penalty, weight, max(0.5, spread / 4))
                best = (key, cal, {"accuracy": acc, **ab})
    assert best is not None
    return best[1], best[2]
