"""Build kefu's trained models: what ``make models`` (``python -m knowledge models``) runs.

The only place trainers reach the model resolver: :func:`builder` gives it sources that train
a missing model (:data:`TRAINERS`); every other resolver only finds what was built. The
retriever is fine-tuned from the multilingual encoder, the reader and the reranker are trained
on the store's span-annotated questions with hard negatives from the retriever, then the
answer decision is calibrated on dev.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from knowledge.models import ModelResolver
from knowledge.models.offline import PACKAGED, TRAINED, Source
from knowledge.service import KnowledgeService
from knowledge.settings import Settings
from knowledge.train.calibrate import fit_calibration
from knowledge.train.data import build_examples
from knowledge.train.reader import ReaderTrainConfig, reader_items, train_reader
from knowledge.train.reranker import RerankerTrainConfig, train_reranker, training_groups
from knowledge.train.retriever import RetrieverTrainConfig, train_retriever, training_pairs

log = logging.getLogger(__name__)

BASE_ENCODER = "intfloat/multilingual-e5-small"


def builder(settings: Settings) -> ModelResolver:
    """A resolver that trains a missing trained model (and builds the packaged ones)."""
    trained = {name: replace(TRAINED[name], build=train) for name, train in TRAINERS.items()}
    sources: dict[str, Source] = {**PACKAGED, **trained}
    return ModelResolver(settings, sources)


def build_models(settings: Settings) -> dict[str, Path]:
    """Build every configured model, the passage index and the answer calibration, once.

    Returns the folder of each model and the calibration file by name.
    """
    resolver = builder(settings)
    service = KnowledgeService(settings, resolver)
    index = service.build_index()
    built = {"index": settings.index_dir / index.manifest["key"]}
    for name in (settings.retriever_model, settings.reader_model, settings.reranker_model):
        if name:
            built[name] = resolver.resolve(name)
    if settings.reader_model:
        built["calibration"] = ensure_calibration(settings, resolver)
    return built


def retrieval_service(settings: Settings) -> KnowledgeService:
    """The retriever alone (index built if missing): what produces training negatives."""
    service = KnowledgeService(
        replace(settings, reader_model="", reranker_model=""), builder(settings)
    )
    service.build_index()
    service.warm_up(with_reader=False)
    return service


def build_retriever(
    target: Path, settings: Settings, config: RetrieverTrainConfig | None = None
) -> None:
    """Fine-tune the base bi-encoder on the train split into ``target``."""
    started = time.perf_counter()
    service = retrieval_service(replace(settings, retriever_model=BASE_ENCODER, hybrid=False))
    passages = service.retriever.index.passages if service.retriever.index else []
    train = [e for e in build_examples(settings.data_dir / "qa") if e.split == "train" and e.answer]
    hits = service.retrieve([e.question for e in train])
    pairs = training_pairs(train, passages, hits)
    stats = train_retriever(service.resolver.resolve(BASE_ENCODER), pairs, target, config)
    report = {
        "base": BASE_ENCODER,
        "train": stats,
        "seconds": round(time.perf_counter() - started, 1),
    }
    (target / "kefu_training.json").write_text(json.dumps(report, indent=2))
    log.info("retriever trained: %s", report)


def build_reader(target: Path, settings: Settings, config: ReaderTrainConfig | None = None) -> None:
    """Train the reader into ``target`` (its decision is calibrated by ``ensure_calibration``)."""
    cfg = config or ReaderTrainConfig()
    started = time.perf_counter()
    service = retrieval_service(settings)
    passages = service.retriever.index.passages if service.retriever.index else []
    # Written questions only: the generated variants add little for the reader and would
    # double the training time on 2 cores.
    examples = build_examples(settings.data_dir / "qa", variants_per_question=0)
    train = [e for e in examples if e.split == "train"]
    dev = [e for e in examples if e.split == "dev"]
    log.info("reader data: %d train and %d dev questions", len(train), len(dev))
    hits = service.retrieve([e.question for e in train])
    items = reader_items(
        train, passages, hits, cfg.negatives_per_question, cfg.extra_positives_per_question
    )
    base = service.resolver.resolve(BASE_ENCODER)
    stats = train_reader(base, items, target, cfg)

    report = {
        "base": BASE_ENCODER,
        "config": cfg.__dict__,
        "train": stats,
        "seconds": round(time.perf_counter() - started, 1),
    }
    (target / "kefu_training.json").write_text(json.dumps(report, indent=2))
    log.info("reader trained: %s", report)


def build_reranker(
    target: Path, settings: Settings, config: RerankerTrainConfig | None = None
) -> None:
    """Train the cross-encoder on the written train questions, negatives from the retriever."""
    cfg = config or RerankerTrainConfig()
    started = time.perf_counter()
    service = retrieval_service(settings)
    passages = service.retriever.index.passages if service.retriever.index else []
    examples = build_examples(settings.data_dir / "qa", variants_per_question=0)
    train = [e for e in examples if e.split == "train" and e.answer]
    hits = service.retriever.run([e.question for e in train], top_k=10)
    groups = training_groups(train, passages, hits, cfg.negatives)
    stats = train_reranker(service.resolver.resolve(BASE_ENCODER), groups, target, cfg)
    seconds = round(time.perf_counter() - started, 1)
    report = {"base": BASE_ENCODER, "config": cfg.__dict__, "train": stats, "seconds": seconds}
    (target / "kefu_training.json").write_text(json.dumps(report, indent=2))
    log.info("reranker trained: %s", report)


def ensure_calibration(
    settings: Settings, resolver: ModelResolver | None = None, force: bool = False
) -> Path:
    """Fit the answer decision on the dev split for the configured models, once.

    Cached in ``<cache>/calibration/`` under the reader's and retriever's folder names, so a
    new reader, retriever or dataset gets its own fit and nothing else triggers one.
    """
    service = KnowledgeService(settings, resolver)
    # the path needs only the models' folders: resolve them without loading anything
    for component in (service.reader, service.reranker):
        if component is not None:
            component.folder = service.resolver.resolve(component.model_name)
    path = service.calibration_path()
    if path.exists() and not force:
        return path
    service.warm_up()
    if service.reader is None:
        raise ValueError("calibration needs a reader (KEFU_READER_MODEL is 'none')")
    dev = [
        e
        for e in build_examples(settings.data_dir / "qa", variants_per_question=0)
        if e.split == "dev"
    ]
    candidates = service.candidates([e.question for e in dev])
    golds = [e.answer.span if e.answer else None for e in dev]
    calibration, figures = fit_calibration(candidates, golds)
    calibration.save(path)
    log.info("calibrated on %d dev questions: %s -> %s", len(dev), calibration, figures)
    return path


TRAINERS: dict[str, Callable[[Path, Settings], None]] = {
    "kefu/retriever-multilingual-e5-small": build_retriever,
    "kefu/reranker-multilingual-e5-small": build_reranker,
    "kefu/reader-multilingual-e5-small": build_reader,
}
