"""A store's own adaptation of the matcher, made from its documents alone.

kefu's matcher is trained once on kefu's own data and serves any store. A store that brings
only documents still teaches something about how its facts are asked for:

* each FAQ question is a shopper's question: it is answered by its FAQ answer and by the
  policy-page sentences that restate that answer (:func:`twins`: the same words and numbers);
* each section heading names what its sentences are about (the page title names the first
  section, an overview).

The matcher is fine-tuned on these pairs (:func:`adaptation_items`, the general matcher's
training loop) and kept only when it beats the general matcher on a held-out third of the
FAQ questions, matched to their page twins (an FAQ question finds its own answer under its
own words either way, so only the twins measure anything). Otherwise the store keeps the
general matcher. Never for kefu's own store, whose written questions trained the general
matcher (:func:`~knowledge.models.offline.adapts`).
"""

from __future__ import annotations

import hashlib
import json
import logging
import shutil
import time
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from knowledge.decide import words
from knowledge.encode import Encoder
from knowledge.models import ModelResolver
from knowledge.models.offline import adaptation_folder, adapts, build_once
from knowledge.service import KnowledgeService
from knowledge.settings import Settings
from knowledge.train.matcher import Item, MatcherTrainConfig, train_matcher
from knowledge.types import Passage
from knowledge.units import Sentence, is_faq, split_sentences

log = logging.getLogger(__name__)

#: a page sentence restates an FAQ answer sentence when they share this share of all their
#: words (en) or character pairs (zh) (:func:`~knowledge.decide.words`; Jaccard)
TWIN_OVERLAP = 0.4
HELD_SHARE = 3  # one FAQ question in 3 is held out to decide whether the adaptation stays


@dataclass(frozen=True)
class Pair:
    """A query made from the documents and the sentences answering it."""

    query: str
    positives: frozenset[int]
    faq: bool  # an FAQ question (the held-out check uses these)
    twins: frozenset[int] = frozenset()  # its page twins (for an FAQ question)


def twins(answer: Sentence, sentences: Sequence[Sentence]) -> set[int]:
    """The policy-page sentences (same language) that restate an FAQ answer sentence."""
    mine = words(answer.text)
    found = set()
    for i, s in enumerate(sentences):
        if s.lang != answer.lang or is_faq(s.passage):
            continue
        theirs = words(s.text)
        if mine and theirs and len(mine & theirs) / len(mine | theirs) >= TWIN_OVERLAP:
            found.add(i)
    return found


def adaptation_items(passages: Sequence[Passage], sentences: Sequence[Sentence]) -> list[Pair]:
    """Every FAQ question and section heading of the store, with the sentences answering it."""
    by_passage: dict[str, list[int]] = defaultdict(list)
    for i, s in enumerate(sentences):
        by_passage[s.passage.id].append(i)
    pairs: list[Pair] = []
    sections: dict[tuple[str, str], set[int]] = defaultdict(set)
    first: dict[str, str] = {}
    for p in passages:
        own = by_passage.get(p.id, [])
        if not own:
            continue
        if is_faq(p):
            found = set().union(*(twins(sentences[i], sentences) for i in own))
            pairs.append(Pair(p.source.section, frozenset(own) | found, True, frozenset(found)))
            continue
        first.setdefault(p.source.doc, p.source.section)
        sections[(p.source.doc, p.source.section)].update(own)
    titles = {p.source.doc: p.source.title for p in passages}
    for (doc, section), own_set in sections.items():
        query = titles.get(doc) if first.get(doc) == section else section
        if query:
            pairs.append(Pair(query, frozenset(own_set), False))
    return pairs


def held_out(pair: Pair) -> bool:
    """Whether an FAQ question with page twins is held out of the adaptation's training."""
    h = int(hashlib.sha256(pair.query.encode()).hexdigest()[:8], 16)
    return pair.faq and bool(pair.twins) and h % HELD_SHARE == 0


def twin_mrr(
    pairs: Sequence[Pair], queries: np.ndarray, vectors: np.ndarray, sentences: Sequence[Sentence]
) -> float:
    """Mean reciprocal rank (cut at 10) of the first page twin among the page sentences."""
    page = np.array([not is_faq(s.passage) for s in sentences])
    langs = np.array([s.lang for s in sentences])
    ranks = []
    for pair, q in zip(pairs, queries, strict=True):
        lang = sentences[next(iter(pair.twins))].lang
        scores = np.where(page & (langs == lang), vectors @ q, -np.inf)
        order = np.argsort(-scores)[:10]
        hit = [rank for rank, i in enumerate(order) if int(i) in pair.twins]
        ranks.append(1.0 / (hit[0] + 1) if hit else 0.0)
    return float(np.mean(ranks)) if ranks else 0.0


def training_items(
    pairs: Sequence[Pair], similarity: np.ndarray, sentences: Sequence[Sentence]
) -> list[Item]:
    """The matcher's items: one hard negative each, the most similar non-answering sentence."""
    langs = np.array([s.lang for s in sentences])
    items = []
    for pair, row in zip(pairs, similarity, strict=True):
        lang = sentences[min(pair.positives)].lang
        order = [int(i) for i in np.argsort(-row)[:12] if langs[i] == lang]
        hard = tuple(i for i in order if i not in pair.positives)[:1]
        items.append(Item(pair.query, tuple(sorted(pair.positives)), pair.positives, hard))
    return items


def adapt_matcher(general: Path, settings: Settings, target: Path) -> dict[str, object]:
    """Fine-tune the matcher in ``general`` on the store's documents into ``target``.

    Keeps the model only when it beats ``general`` on the held-out FAQ questions; returns
    (and writes, ``kefu_adaptation.json``) the report either way.
    """
    started = time.perf_counter()
    service = KnowledgeService(
        replace(settings, retriever_model=str(general), adapt=False, device="cpu",
                reader_model="", reranker_model=""),
    )  # fmt: skip
    encoder = service.encoder
    encoder.warm_up()
    passages = service.load_passages()
    sentences = split_sentences(passages)
    pairs = adaptation_items(passages, sentences)
    held = [p for p in pairs if held_out(p)]
    train = [p for p in pairs if not held_out(p)]
    report: dict[str, object] = {
        "general": general.name,
        "pairs": len(train),
        "faq_pairs": sum(p.faq for p in train),
        "faq_with_twins": sum(p.faq and bool(p.twins) for p in pairs),
        "held_out": len(held),
        "kept": False,
    }
    if len(held) < 3 or not train:
        report["why"] = "too few FAQ questions with page twins to check an adaptation"
    else:
        vectors = encoder.encode_passages([s.embedding_text for s in sentences])
        before = twin_mrr(held, encoder.encode_queries([p.query for p in held]), vectors, sentences)
        similarity = encoder.encode_queries([p.query for p in train]) @ vectors.T
        items = training_items(train, similarity, sentences)
        cfg = MatcherTrainConfig(epochs=2, lr=3e-5)
        report["train"] = train_matcher(general, items, sentences, target, cfg)
        adapted = Encoder(str(target), service.resolver, "cpu")
        adapted.warm_up()
        after = twin_mrr(
            held,
            adapted.encode_queries([p.query for p in held]),
            adapted.encode_passages([s.embedding_text for s in sentences]),
            sentences,
        )
        report |= {"held_out_mrr": {"general": round(before, 4), "adapted": round(after, 4)}}
        report["kept"] = after > before
        if not report["kept"]:
            for path in target.iterdir():
                shutil.rmtree(path) if path.is_dir() else path.unlink()
    report["seconds"] = round(time.perf_counter() - started, 1)
    (target / "kefu_adaptation.json").write_text(json.dumps(report, indent=2))
    log.info("store adaptation of the matcher: %s", report)
    return report


def ensure_adaptation(settings: Settings, resolver: ModelResolver) -> Path | None:
    """Build the store's adaptation of the matcher once (kept or not); its folder.

    None for kefu's own store or with ``KEFU_ADAPT=0``.
    """
    if not adapts(settings):
        return None
    general = resolver.resolve(settings.retriever_model, adapted=False)
    target = adaptation_folder(settings, general)
    return build_once(
        target,
        "the store's adaptation of the matcher",
        lambda t: adapt_matcher(general, settings, t),
    )
