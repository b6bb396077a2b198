"""Tune the local model on the store's own copy: facts in, a text a copy editor approved out.

``python -m shop.generate tune COPY --out FOLDER`` reads ``COPY`` (JSON Lines: ``product``,
``lang``, ``kind``, ``text``; texts written or checked by people, for products of the catalog),
keeps the texts the guard passes for their facts, and trains the generator's model
(``KEFU_GENERATOR_MODEL``, kefu's offline gemma-3-270m by default) to write each one from the
prompt it would be given (``prompt.brief``: the product's data and the task, no examples).
The loss is the text's tokens only. The token embeddings (most of a small model's weights,
shared with its output layer) stay as they were; the transformer layers learn.

The folder it writes is a model folder like any other (``KEFU_GENERATOR_MODEL=FOLDER``), with
a mark (``kefu-tuned.json``) that makes the backend give it the same short prompt. Whether it
is worth showing is for the blind review to say (``python -m shop.generate review``), never for
the training loss.
"""

from __future__ import annotations

import json
import logging
import math
import random
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from knowledge.train.common import Steps, adamw, seed_all
from shop.catalog import Catalog
from shop.generate.backends import TUNED_MARK
from shop.generate.facts import Facts
from shop.generate.guard import Guard
from shop.generate.prompt import brief
from shop.promotions import Promotion, promotion_for

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Example:
    """One prompt and the text the model should write after it."""

    prompt: str
    text: str
    product: str


def examples(
    rows: list[dict[str, str]], catalog: Catalog, promotions: list[Promotion], guard: Guard
) -> tuple[list[Example], list[dict[str, Any]]]:
    """The rows the guard passes for their facts, as examples; and the rows left out (why)."""
    kept, dropped = [], []
    for row in rows:
        p = catalog.by_id.get(row["product"])
        if p is None:
            dropped.append({**row, "problems": ["unknown product"]})
            continue
        promo = promotion_for(p.category, promotions)
        words = promo.text(row["lang"]) if promo and row["kind"] == "marketing" else ""
        facts = Facts.of(p, row["kind"], row["lang"], words)
        problems = guard.problems(row["text"], facts)
        if problems:
            dropped.append({**row, "problems": problems})
        else:
            kept.append(Example(brief(facts), row["text"].strip(), p.id))
    return kept, dropped


def tune(
    model_folder: Path, train: list[Example], out: Path, epochs: int = 2, lr: float = 1e-4,
    accumulate: int = 8, seed: int = 26, max_tokens: int = 384, threads: int | None = None,
) -> dict[str, Any]:  # fmt: skip
    """Fine-tune the causal LM in ``model_folder`` on ``train``; save it to ``out``.

    AdamW on the transformer layers (embeddings frozen), linear warm-up then decay, one
    example at a time with ``accumulate`` steps per update. Returns what it did.
    """
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    if threads:
        torch.set_num_threads(threads)
    seed_all(seed)
    tok = AutoTokenizer.from_pretrained(str(model_folder))
    model: Any = AutoModelForCausalLM.from_pretrained(str(model_folder), dtype=torch.float32)
    model.train()
    for name, param in model.named_parameters():
        param.requires_grad = "embed" not in name and "lm_head" not in name
    optimiser, params = adamw(model, lr, weight_decay=0.0)
    encoded = [_encode(tok, ex, max_tokens) for ex in train]
    updates = math.ceil(len(encoded) * epochs / accumulate)
    warm = max(1, updates // 10)
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimiser, lambda u: min(1.0, (u + 1) / warm) * max(0.0, (updates - u) / updates)
    )
    rng = random.Random(seed)
    clip = lambda: torch.nn.utils.clip_grad_norm_(params, 1.0)  # noqa: E731
    steps = Steps("tune", optimiser, schedule, every=50, before_update=clip, accumulate=accumulate)
    for _ in range(epochs):
        order = list(range(len(encoded)))
        rng.shuffle(order)
        for i in order:
            ids, labels = encoded[i]
            steps.step(model(input_ids=ids, labels=labels).loss)
    steps.flush()
    model.eval()
    out.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(str(out))
    tok.save_pretrained(str(out))
    done = {
        "base": str(model_folder), "examples": len(train), "epochs": epochs, "lr": lr,
        "accumulate": accumulate, "updates": updates, "seconds": round(steps.summary()["seconds"]),
        "loss_first_50": round(sum(steps.losses[:50]) / max(1, len(steps.losses[:50])), 3),
        "loss_last_50": round(steps.final_loss(), 3),
    }  # fmt: skip
    (out / TUNED_MARK).write_text(json.dumps(done, indent=1) + "\n", encoding="utf-8")
    return done


def _encode(tok: Any, ex: Example, max_tokens: int) -> tuple[Any, Any]:
    """Token ids of prompt + text + newline; labels -100 on the prompt (loss on the text only)."""
    import torch

    prompt = tok(ex.prompt, add_special_tokens=True)["input_ids"]
    text = tok(ex.text + "\n", add_special_tokens=False)["input_ids"]
    ids = (prompt + text)[:max_tokens]
    labels = ([-100] * len(prompt) + text)[:max_tokens]
    return torch.tensor([ids]), torch.tensor([labels])
