"""The trainers' shared step loop: an update per step, or one per ``accumulate`` steps."""

from __future__ import annotations

import torch

from knowledge.train.common import Steps


def _run(accumulate: int, losses: int) -> tuple[float, int]:
    weight = torch.nn.Parameter(torch.tensor(1.0))
    optimizer = torch.optim.SGD([weight], lr=0.1)
    updates = []
    steps = Steps("t", optimizer, before_update=lambda: updates.append(1), accumulate=accumulate)
    for _ in range(losses):
        steps.step(weight * 2.0)  # gradient 2 per step
    steps.flush()
    return float(weight.detach()), len(updates)


def test_one_update_per_step_by_default() -> None:
    weight, updates = _run(accumulate=1, losses=4)
    assert updates == 4 and abs(weight - (1.0 - 4 * 0.1 * 2.0)) < 1e-6


def test_accumulating_updates_once_per_share_with_the_mean_gradient() -> None:
    weight, updates = _run(accumulate=2, losses=4)
    assert updates == 2 and abs(weight - (1.0 - 2 * 0.1 * 2.0)) < 1e-6


def test_flush_applies_what_is_left() -> None:
    weight, updates = _run(accumulate=2, losses=3)  # 2 steps: one update; 1 left: flushed
    assert updates == 1 and abs(weight - (1.0 - 0.1 * 2.0 - 0.1 * 1.0)) < 1e-6
