"""Fine-tune the bi-encoder on the store's questions (contrastive, in-batch + hard negatives).

Each training question is pulled towards the passage that answers it and pushed away from the
other passages in the batch and from the best-ranked wrong passage the base retriever found
(its hard negative). Passages that hold the same answer are never used as negatives.

A second, sentence-level term pulls the question towards the sentence holding its answer and
away from the other sentences of the same passage (and of the batch): the answer decision
scores sentences with this model (``knowledge/sentences.py``), and on dev that sentence score
chooses the shown sentence better than the reader's span score does. The embeddings and
lowest layers stay frozen, as for the reader.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from knowledge.index import embedding_text
from knowledge.ingest.split import sentence_around, sentence_spans
from knowledge.train.common import adamw, freeze, seed_all
from knowledge.train.data import QAExample, gold_passage, span_in
from knowledge.types import Hit, Passage

if TYPE_CHECKING:
    import torch

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RetrieverTrainConfig:
    """Hyper-parameters (defaults measured on 2 CPU cores)."""

    epochs: int = 1
    batch_size: int = 32
    lr: float = 3e-5
    scale: float = 20.0
    frozen_layers: int = 6
    sentence_loss_weight: float = 1.0
    sentences_per_passage: int = 4
    seed: int = 13


@dataclass(frozen=True)
class Pair:
    """A question, its gold passage, one hard negative (or None) and the gold sentence."""

    question: str
    positive: Passage
    negative: Passage | None
    example: QAExample
    sentence: str = ""
    other_sentences: tuple[str, ...] = ()


def training_pairs(
    examples: Sequence[QAExample], passages: Sequence[Passage], retrieved: Sequence[list[Hit]]
) -> list[Pair]:
    """One pair per answerable example whose gold passage exists."""
    pairs = []
    for ex, hits in zip(examples, retrieved, strict=True):
        gold = gold_passage(ex, passages)
        if gold is None:
            continue
        negative = next(
            (h.passage for h in hits if h.passage.id != gold[0].id and span_in(h.passage, ex) < 0),
            None,
        )
        passage, start = gold
        a, b = sentence_around(passage.text, start, start + len(ex.answer.span) if ex.answer else 0)
        others = tuple(
            passage.text[s:e]
            for s, e in sentence_spans(passage.text)
            if (e <= a or s >= b) and e - s > 3
        )
        pairs.append(Pair(ex.question, passage, negative, ex, passage.text[a:b], others))
    return pairs


def _sentence_loss(
    batch: Sequence[Pair], q: torch.Tensor, embed: Callable[[list[str]], torch.Tensor],
    prompt: str, cfg: RetrieverTrainConfig,
) -> torch.Tensor:  # fmt: skip
    """Cross-entropy of each question over the batch's gold and same-passage sentences."""
    import torch

    texts: dict[str, None] = {}
    for pair in batch:
        texts.setdefault(pair.sentence)
        for other in pair.other_sentences[: cfg.sentences_per_passage]:
            texts.setdefault(other)
    order = list(texts)
    s = embed([prompt + t for t in order])
    scores = cfg.scale * q @ s.T
    span = [pair.example.answer.span if pair.example.answer else "\0" for pair in batch]
    mask = torch.tensor(
        [[span[n] in t and t != pair.sentence for t in order] for n, pair in enumerate(batch)]
    )
    scores = scores.masked_fill(mask, -1e4)
    labels = torch.tensor([order.index(pair.sentence) for pair in batch])
    return torch.nn.functional.cross_entropy(scores, labels)


def train_retriever(
    base_model: Path,
    pairs: Sequence[Pair],
    target: Path,
    config: RetrieverTrainConfig | None = None,
) -> dict[str, float]:
    """Fine-tune the sentence-transformers model in ``base_model``; save it to ``target``."""
    import torch
    from sentence_transformers import SentenceTransformer

    cfg = config or RetrieverTrainConfig()
    seed_all(cfg.seed)
    model = SentenceTransformer(str(base_model), device="cpu")
    freeze(model[0].auto_model, cfg.frozen_layers)
    q_prompt = (model.prompts or {}).get("query") or ""
    p_prompt = (model.prompts or {}).get("passage") or ""
    optimizer, _ = adamw(model, cfg.lr)
    rng = random.Random(cfg.seed)

    def embed(texts: list[str]) -> torch.Tensor:
        features = model.tokenize(texts)
        out = model(features)["sentence_embedding"]
        return torch.nn.functional.normalize(out, dim=-1)

    model.train()
    start, losses = time.perf_counter(), []
    for _ in range(cfg.epochs):
        order = list(pairs)
        rng.shuffle(order)
        for b in range(0, len(order), cfg.batch_size):
            batch = order[b : b + cfg.batch_size]
            docs: dict[str, Passage] = {}
            for pair in batch:
                docs.setdefault(pair.positive.id, pair.positive)
                if pair.negative is not None:
                    docs.setdefault(pair.negative.id, pair.negative)
            ids = list(docs)
            q = embed([q_prompt + pair.question for pair in batch])
            d = embed([p_prompt + embedding_text(docs[i]) for i in ids])
            scores = cfg.scale * q @ d.T
            # a passage that also holds a question's answer is not a negative for it
            mask = torch.tensor(
                [
                    [span_in(docs[i], pair.example) >= 0 and i != pair.positive.id for i in ids]
                    for pair in batch
                ]
            )
            scores = scores.masked_fill(mask, -1e4)
            labels = torch.tensor([ids.index(pair.positive.id) for pair in batch])
            loss = torch.nn.functional.cross_entropy(scores, labels)
            if cfg.sentence_loss_weight:
                loss = loss + cfg.sentence_loss_weight * _sentence_loss(
                    batch, q, embed, p_prompt, cfg
                )
            loss.backward()
            optimizer.step()
            optimizer.zero_grad()
            losses.append(float(loss.detach()))
            if len(losses) % 20 == 0:
                log.info(
                    "retriever step %d loss %.3f (%.0f s)",
                    len(losses),
                    np.mean(losses[-20:]),
                    time.perf_counter() - start,
                )
    model.eval()
    model.save(str(target))
    return {
        "pairs": len(pairs),
        "steps": len(losses),
        "seconds": round(time.perf_counter() - start, 1),
        "final_loss": round(float(np.mean(losses[-20:])), 4) if losses else 0.0,
    }
