"""Fine-tune the bi-encoder as a question–sentence matcher (contrastive, hard negatives).

Each training question is pulled towards the sentence that answers it (seen under its
headings, :attr:`~knowledge.units.Sentence.embedding_text`) and pushed away from the other
sentences of the batch and from its hard negatives: the sentences the base model confuses
with the answer (its neighbours in the section, the same topic on another page). Sentences
that also answer the question (an Overview repeating the fact, the FAQ twin) are neither
positives nor negatives for it.

Only short texts are encoded (a question, a sentence under its headings), which keeps a step
cheap on 2 CPU cores; the embeddings and the lowest layers stay frozen.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from knowledge.known import answering
from knowledge.train.common import Steps, adamw, freeze, seed_all
from knowledge.train.data import QAExample
from knowledge.units import Sentence

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class MatcherTrainConfig:
    """Hyper-parameters (defaults measured on 2 CPU cores)."""

    epochs: int = 1
    batch_size: int = 32
    lr: float = 5e-5
    scale: float = 20.0
    frozen_layers: int = 4
    hard_negatives: int = 1
    max_tokens: int = 64
    seed: int = 13


@dataclass(frozen=True)
class Item:
    """A question, the sentences that answer it, those not to push away, its hard negatives."""

    question: str
    positives: tuple[int, ...]
    neutral: frozenset[int]
    hard: tuple[int, ...] = ()


def training_items(
    examples: Sequence[QAExample],
    sentences: Sequence[Sentence],
    similarity: np.ndarray,
    hard_negatives: int,
    seed: int = 13,
) -> list[Item]:
    """One item per answerable example with at least one answering sentence.

    ``similarity`` is (questions × sentences) from the base model: hard negatives are drawn
    from each question's 8 most similar sentences in its language that do not answer it.
    """
    rng = random.Random(seed)
    langs = np.array([s.lang for s in sentences])
    items = []
    for row, ex in zip(similarity, examples, strict=True):
        if ex.answer is None:
            continue
        pos, neutral = answering(ex.lang, ex.answer, ex.also, sentences)
        if not pos:
            continue
        order = [int(i) for i in np.argsort(-row) if langs[i] == ex.lang]
        confusable = [i for i in order[:12] if i not in pos and i not in neutral][:8]
        hard = tuple(rng.sample(confusable, min(hard_negatives, len(confusable))))
        items.append(Item(ex.question, tuple(sorted(pos)), frozenset(pos | neutral), hard))
    return items


def train_matcher(
    base_model: Path,
    items: Sequence[Item],
    sentences: Sequence[Sentence],
    target: Path,
    config: MatcherTrainConfig | None = None,
) -> dict[str, float]:
    """Fine-tune the sentence-transformers model in ``base_model``; save it to ``target``."""
    import torch
    from sentence_transformers import SentenceTransformer

    cfg = config or MatcherTrainConfig()
    seed_all(cfg.seed)
    model = SentenceTransformer(str(base_model), device="cpu")
    model.max_seq_length = cfg.max_tokens
    freeze(model[0].auto_model, cfg.frozen_layers)
    q_prompt = (model.prompts or {}).get("query") or ""
    p_prompt = (model.prompts or {}).get("passage") or ""
    optimizer, _ = adamw(model, cfg.lr)
    rng = random.Random(cfg.seed)
    texts = [p_prompt + s.embedding_text for s in sentences]

    def embed(batch: list[str]) -> torch.Tensor:
        out = model(model.tokenize(batch))["sentence_embedding"]
        return torch.nn.functional.normalize(out, dim=-1)

    model.train()
    steps = Steps("matcher", optimizer)
    for _ in range(cfg.epochs):
        order = list(items)
        rng.shuffle(order)
        for b in range(0, len(order), cfg.batch_size):
            batch = order[b : b + cfg.batch_size]
            chosen = [rng.choice(item.positives) for item in batch]
            ids = list(dict.fromkeys([*chosen, *(h for item in batch for h in item.hard)]))
            q = embed([q_prompt + item.question for item in batch])
            d = embed([texts[i] for i in ids])
            scores = cfg.scale * q @ d.T
            mask = torch.tensor(
                [
                    [i in item.neutral and i != c for i in ids]
                    for item, c in zip(batch, chosen, strict=True)
                ]
            )
            scores = scores.masked_fill(mask, -1e4)
            labels = torch.tensor([ids.index(c) for c in chosen])
            steps.step(torch.nn.functional.cross_entropy(scores, labels))
    model.eval()
    model.save(str(target))
    return {"items": len(items), **steps.summary()}
