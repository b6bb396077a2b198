"""Train kefu's cross-encoder reranker from the multilingual encoder (listwise).

For each training question: its gold passage and the retriever's best-ranked wrong passages
form one group; the loss is a softmax cross-entropy over the group's scores (listwise), which
learns ranking where a pointwise BCE on this little data learned nothing (measured in
../shared/ENVIRONMENT.md). Embeddings and lower layers frozen, as for the reader.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from knowledge.index import embedding_text
from knowledge.train.common import Steps, adamw, freeze, seed_all
from knowledge.train.data import QAExample, gold_passage, span_in
from knowledge.types import Hit, Passage

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RerankerTrainConfig:
    """Hyper-parameters."""

    epochs: int = 1
    negatives: int = 3
    groups_per_batch: int = 4
    lr: float = 5e-5
    frozen_layers: int = 6
    max_seq_len: int = 192
    seed: int = 13


def training_groups(
    examples: Sequence[QAExample],
    passages: Sequence[Passage],
    retrieved: Sequence[list[Hit]],
    negatives: int,
) -> list[tuple[str, list[Passage]]]:
    """(question, [gold, negative...]) for each answerable example with enough negatives."""
    groups = []
    for ex, hits in zip(examples, retrieved, strict=True):
        gold = gold_passage(ex, passages)
        if gold is None:
            continue
        wrong = [
            h.passage for h in hits if h.passage.id != gold[0].id and span_in(h.passage, ex) < 0
        ]
        if len(wrong) >= negatives:
            groups.append((ex.question, [gold[0], *wrong[:negatives]]))
    return groups


def train_reranker(
    base_model: Path,
    groups: Sequence[tuple[str, list[Passage]]],
    target: Path,
    config: RerankerTrainConfig | None = None,
) -> dict[str, float]:
    """Fine-tune a one-logit sequence classifier on the groups; save it to ``target``."""
    import torch
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    cfg = config or RerankerTrainConfig()
    seed_all(cfg.seed)
    tokenizer = AutoTokenizer.from_pretrained(str(base_model))
    model = AutoModelForSequenceClassification.from_pretrained(str(base_model), num_labels=1)
    freeze(model, cfg.frozen_layers)
    optimizer, _ = adamw(model, cfg.lr)
    rng = random.Random(cfg.seed)
    model.train()
    steps = Steps("reranker", optimizer, every=50)
    size = cfg.negatives + 1
    for _ in range(cfg.epochs):
        order = list(groups)
        rng.shuffle(order)
        for b in range(0, len(order), cfg.groups_per_batch):
            batch = order[b : b + cfg.groups_per_batch]
            enc = tokenizer(
                [q for q, ps in batch for _ in ps],
                [embedding_text(p) for _, ps in batch for p in ps],
                truncation="only_second",
                max_length=cfg.max_seq_len,
                padding=True,
                return_tensors="pt",
            )
            logits = model(**enc).logits.view(len(batch), size)
            steps.step(
                torch.nn.functional.cross_entropy(logits, torch.zeros(len(batch), dtype=torch.long))
            )
    model.eval()
    model.save_pretrained(str(target))
    tokenizer.save_pretrained(str(target))
    return {"groups": len(groups), **steps.summary()}
