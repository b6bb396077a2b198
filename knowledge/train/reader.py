"""Fine-tune the extractive reader from the multilingual encoder (``make models``).

Trained on what it will see in production: each training question with its gold passage
(answer span labelled) *and* the passages the retriever really returns for it, the wrong ones
labelled "no answer" (a retrieved passage that also holds the answer span counts as
positive). Out-of-scope questions with their retrieved passages are "no answer" too.
Seeded; embeddings and the lowest layers frozen (on 2 CPU cores this halves the time;
freezing the 250k-row word embeddings cost no accuracy in ../shared/ENVIRONMENT.md);
padding per batch.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from knowledge.train.common import Steps, adamw, freeze, seed_all
from knowledge.train.data import QAExample, gold_passage, span_in
from knowledge.types import Hit, Passage

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ReaderItem:
    """One (question, passage) training pair; ``start`` is -1 for "no answer"."""

    question: str
    context: str
    start: int
    answer: str


@dataclass(frozen=True)
class ReaderTrainConfig:
    """Hyper-parameters (defaults measured on 2 CPU cores)."""

    epochs: int = 3
    batch_size: int = 16
    lr: float = 2e-4
    warmup: float = 0.1
    negatives_per_question: int = 1
    extra_positives_per_question: int = 1
    frozen_layers: int = 4
    max_seq_len: int = 160
    seed: int = 13


def reader_items(
    examples: Sequence[QAExample],
    passages: Sequence[Passage],
    retrieved: Sequence[list[Hit]],
    negatives_per_question: int,
    extra_positives_per_question: int = 1,
) -> list[ReaderItem]:
    """Positive and "no answer" pairs for each example, from gold and retrieved passages.

    The best-ranked retrieved passages that lack the answer become "no answer" items; a
    retrieved passage that repeats the answer span (an overview, an FAQ row) is a positive.
    """
    items: list[ReaderItem] = []
    for ex, hits in zip(examples, retrieved, strict=True):
        gold = gold_passage(ex, passages)
        span = ex.answer.span if ex.answer else ""
        if gold is not None:
            items.append(ReaderItem(ex.question, gold[0].text, gold[1], span))
        negatives = extra = 0
        for hit in hits:
            if gold is not None and hit.passage.id == gold[0].id:
                continue
            start = span_in(hit.passage, ex)
            if start >= 0 and extra < extra_positives_per_question:
                items.append(ReaderItem(ex.question, hit.passage.text, start, span))
                extra += 1
            elif start < 0 and negatives < negatives_per_question:
                items.append(ReaderItem(ex.question, hit.passage.text, -1, ""))
                negatives += 1
    return items


def featurize(
    tokenizer: Any, items: Sequence[ReaderItem], max_seq_len: int
) -> list[dict[str, Any]]:
    """Token ids and start/end labels (0 = [CLS] = no answer) for each item's first window."""
    enc = tokenizer(
        [i.question for i in items],
        [i.context for i in items],
        truncation="only_second",
        max_length=max_seq_len,
        return_offsets_mapping=True,
    )
    features = []
    for n, item in enumerate(items):
        ids = enc["input_ids"][n]
        start_tok = end_tok = 0
        if item.start >= 0:
            a, b = item.start, item.start + len(item.answer)
            seq = enc.sequence_ids(n)
            offsets = enc["offset_mapping"][n]
            inside = [
                t
                for t, sid in enumerate(seq)
                if sid == 1 and offsets[t][1] > a and offsets[t][0] < b
            ]
            if inside and offsets[inside[0]][0] <= a and offsets[inside[-1]][1] >= b:
                start_tok, end_tok = inside[0], inside[-1]
        features.append({"input_ids": ids, "start": start_tok, "end": end_tok})
    return features


def length_batches(
    features: Sequence[dict[str, Any]], batch_size: int, rng: random.Random
) -> list[list[dict[str, Any]]]:
    """Shuffled batches of similar length (less padding: ~1/3 less compute on CPU)."""
    order = list(range(len(features)))
    rng.shuffle(order)
    chunk = batch_size * 50
    batches = []
    for c in range(0, len(order), chunk):
        part = sorted(order[c : c + chunk], key=lambda i: len(features[i]["input_ids"]))
        batches += [
            [features[i] for i in part[b : b + batch_size]] for b in range(0, len(part), batch_size)
        ]
    rng.shuffle(batches)
    return batches


def train_reader(
    base_model: Path,
    items: Sequence[ReaderItem],
    target: Path,
    config: ReaderTrainConfig | None = None,
) -> dict[str, float]:
    """Fine-tune ``base_model`` (any encoder folder) into a QA model saved in ``target``."""
    import torch
    from transformers import AutoModelForQuestionAnswering, AutoTokenizer

    cfg = config or ReaderTrainConfig()
    seed_all(cfg.seed)
    tokenizer = AutoTokenizer.from_pretrained(str(base_model))
    model = AutoModelForQuestionAnswering.from_pretrained(str(base_model))
    freeze(model, cfg.frozen_layers)
    features = featurize(tokenizer, items, cfg.max_seq_len)
    optimizer, params = adamw(model, cfg.lr)
    steps = cfg.epochs * ((len(features) + cfg.batch_size - 1) // cfg.batch_size)
    warmup = max(1, int(cfg.warmup * steps))
    scheduler = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda s: min((s + 1) / warmup, max(0.0, (steps - s) / (steps - warmup)))
    )
    pad = tokenizer.pad_token_id
    rng = random.Random(cfg.seed)
    model.train()
    clip = lambda: torch.nn.utils.clip_grad_norm_(params, 1.0)  # noqa: E731
    updates = Steps("reader", optimizer, scheduler, every=50, before_update=clip)
    for _ in range(cfg.epochs):
        for batch in length_batches(features, cfg.batch_size, rng):
            width = max(len(f["input_ids"]) for f in batch)
            ids = torch.full((len(batch), width), pad, dtype=torch.long)
            for r, f in enumerate(batch):
                ids[r, : len(f["input_ids"])] = torch.tensor(f["input_ids"])
            out = model(
                input_ids=ids,
                attention_mask=(ids != pad).long(),
                start_positions=torch.tensor([f["start"] for f in batch]),
                end_positions=torch.tensor([f["end"] for f in batch]),
            )
            updates.step(out.loss)
    model.eval()
    target.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(str(target))
    tokenizer.save_pretrained(str(target))
    return {
        "items": len(features),
        "positives": sum(1 for i in items if i.start >= 0),
        **updates.summary(),
    }
