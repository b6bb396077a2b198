"""What the three trainers share: seeding, freezing lower layers, the optimiser."""

from __future__ import annotations

import random
from typing import Any

import numpy as np


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


def adamw(model: Any, lr: float) -> tuple[Any, list[Any]]:
    """AdamW (weight decay 0.01) over the trainable parameters; returns it and them."""
    import torch

    params = [p for p in model.parameters() if p.requires_grad]
    return torch.optim.AdamW(params, lr=lr, weight_decay=0.01), params
