"""Fit the answer decision (rank penalty, abstention threshold) on the dev split."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from knowledge.evaluate.metrics import abstention, answer_correct
from knowledge.pipeline import Calibration
from knowledge.read import Span

PENALTIES = (0.0, 0.5, 1.0, 2.0, 4.0)


def _best(spans: list[Span], penalty: float) -> tuple[float, str]:
    scored = [(s.margin - penalty * r, s.text) for r, s in enumerate(spans) if s.end > s.start]
    return max(scored) if scored else (-1e9, "")


def fit_calibration(
    spans: Sequence[list[Span]],
    golds: Sequence[str | None],
    min_precision: float = 0.9,
) -> tuple[Calibration, dict[str, float]]:
    """Choose penalty and threshold maximising accuracy with abstention precision >= min.

    ``golds`` holds each question's gold answer span, ``None`` for out-of-scope questions.
    Returns the calibration and its dev figures.
    """
    best: tuple[tuple[bool, float], Calibration, dict[str, float]] | None = None
    should = [g is None for g in golds]
    for penalty in PENALTIES:
        decided = [_best(row, penalty) for row in spans]
        scores = np.array([d[0] for d in decided])
        candidates = np.unique(np.quantile(scores, np.linspace(0, 1, 101)))
        for threshold in candidates:
            did = [s < threshold for s in scores]
            correct = [
                answer_correct(text, a, g) for (_, text), a, g in zip(decided, did, golds, strict=True)
            ]
            acc = float(np.mean(correct))
            ab = abstention(should, did)
            key = (ab["precision"] >= min_precision, acc)
            if best is None or key > best[0]:
                spread = float(np.std(scores)) or 1.0
                cal = Calibration(float(threshold), penalty, max(0.5, spread / 4))
                best = (key, cal, {"accuracy": acc, **ab})
    assert best is not None
    return best[1], best[2]
