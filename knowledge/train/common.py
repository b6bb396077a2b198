"""What the trainers share: seeding, freezing lower layers, the optimiser, the step loop."""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable
from typing import Any

import numpy as np

log = logging.getLogger(__name__)


def seed_all(seed: int) -> None:
    """Seed Python's, numpy's and torch's generators."""
    import torch

    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def freeze(model: Any, layers: int) -> None:
    """Freeze the embeddings and the lowest ``layers`` transformer layers.

    Their gradients are never computed, which roughly halves training time on CPU; the
    multilingual lower layers stay as pretrained.
    """
    for name, param in model.named_parameters():
        if ".embeddings." in f".{name}" or any(f"layer.{i}." in name for i in range(layers)):
            param.requires_grad = False


def adamw(model: Any, lr: float, weight_decay: float = 0.01) -> tuple[Any, list[Any]]:
    """AdamW over the trainable parameters; returns it and them."""
    import torch

    params = [p for p in model.parameters() if p.requires_grad]
    return torch.optim.AdamW(params, lr=lr, weight_decay=weight_decay), params


class Steps:
    """A training loop's optimiser steps: the update, the loss log, the summary figures.

    ``step(loss)`` back-propagates, runs ``before_update`` (gradient clipping), steps the
    optimiser (and the scheduler) and logs the mean loss every ``every`` steps. With
    ``accumulate`` > 1 a step back-propagates ``loss / accumulate`` and the update comes every
    ``accumulate`` steps (one example at a time, as many per update as a batch would hold);
    ``flush()`` applies what is left at the end.
    """

    def __init__(
        self,
        name: str,
        optimizer: Any,
        scheduler: Any = None,
        every: int = 20,
        before_update: Callable[[], Any] | None = None,
        accumulate: int = 1,
    ) -> None:
        self.name, self.optimizer, self.scheduler = name, optimizer, scheduler
        self.every, self.before_update, self.accumulate = every, before_update, accumulate
        self.losses: list[float] = []
        self.start = time.perf_counter()

    def step(self, loss: Any) -> None:
        """One update from ``loss`` (a torch scalar), or a share of one when accumulating."""
        (loss / self.accumulate if self.accumulate > 1 else loss).backward()
        self.losses.append(float(loss.detach()))
        if len(self.losses) % self.accumulate == 0:
            if self.before_update is not None:
                self.before_update()
            self.optimizer.step()
            if self.scheduler is not None:
                self.scheduler.step()
            self.optimizer.zero_grad()
        if len(self.losses) % self.every == 0:
            log.info(
                "%s step %d loss %.3f (%.0f s)",
                self.name, len(self.losses), self.final_loss(), time.perf_counter() - self.start,
            )  # fmt: skip

    def flush(self) -> None:
        """Apply the gradients of the steps since the last update (accumulating only)."""
        if len(self.losses) % self.accumulate:
            self.optimizer.step()
            self.optimizer.zero_grad()

    def final_loss(self) -> float:
        """Mean loss of the last ``every`` steps (0 before any)."""
        return float(np.mean(self.losses[-self.every :])) if self.losses else 0.0

    def summary(self) -> dict[str, float]:
        """Steps, seconds and the final loss, for the model's training report."""
        return {
            "steps": len(self.losses),
            "seconds": round(time.perf_counter() - self.start, 1),
            "final_loss": round(self.final_loss(), 4),
        }
