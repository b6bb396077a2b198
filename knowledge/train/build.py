"""Build kefu's trained models: what ``make models`` (``python -m knowledge models``) runs.

The only place trainers reach the model resolver: :func:`builder` gives it sources that train
a missing model (:data:`TRAINERS`); every other resolver only finds what was built. The
retriever (the question–sentence matcher) is fine-tuned from the multilingual encoder on the
questions written for every fact; the index is built with its vectors; then the answer
decision is fitted on the calibration questions (:mod:`knowledge.train.decision`). The
optional reader and reranker are trained only when configured.
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from knowledge.decide import Decision
from knowledge.models import ModelResolver
from knowledge.models.offline import PACKAGED, TRAINED, Source
from knowledge.service import DECISION_VERSION, KnowledgeService, decision_inputs
from knowledge.settings import REPO_ROOT, Settings
from knowledge.train.adapt import ensure_adaptation
from knowledge.train.data import build_examples
from knowledge.train.decision import (
    Scored,
    fit_bank,
    fit_decision,
    held_for_calibration,
    score_questions,
)
from knowledge.train.matcher import MatcherTrainConfig, train_matcher, training_items
from knowledge.train.reader import ReaderTrainConfig, reader_items, train_reader
from knowledge.train.reranker import RerankerTrainConfig, train_reranker, training_groups
from knowledge.units import split_sentences

log = logging.getLogger(__name__)

BASE_ENCODER = "intfloat/multilingual-e5-small"
#: the fewest calibration questions (and unanswerable ones among them) a store's own decision
#: is fitted on; a store with fewer gets the general decision
MIN_CALIBRATION = 300
MIN_CALIBRATION_OOS = 50
#: kefu's other stores with written questions its matcher never trained on: they calibrate
#: the general decision (as documents-only stores), beside kefu's own store
CALIBRATION_STORES = (REPO_ROOT / "stores" / "books",)


def builder(settings: Settings) -> ModelResolver:
    """A resolver that trains a missing trained model (and builds the packaged ones)."""
    trained = {name: replace(TRAINED[name], build=train) for name, train in TRAINERS.items()}
    sources: dict[str, Source] = {**PACKAGED, **trained}
    return ModelResolver(settings, sources)


def build_models(settings: Settings) -> dict[str, Path]:
    """Build every configured model, the index and the answer decision, once.

    Returns the folder of each model, the index and the decision file by name.
    """
    resolver = builder(settings)
    adaptation = ensure_adaptation(settings, resolver)  # the general matcher first, if missing
    service = KnowledgeService(settings, resolver)
    index = service.build_index()
    built = {"index": settings.index_dir / index.manifest["key"]}
    if adaptation is not None:
        built["store adaptation"] = adaptation
    for name in (settings.retriever_model, settings.reader_model, settings.reranker_model):
        if name:
            built[name] = resolver.resolve(name)
    built["decision"] = ensure_decision(settings, resolver)
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
    target: Path, settings: Settings, config: MatcherTrainConfig | None = None
) -> None:
    """Fine-tune the base bi-encoder into the question–sentence matcher in ``target``.

    On kefu's own data (``Settings.training_dir``), whatever the store: the questions written
    for every fact (``data/qa/train``), never on the calibration questions the decision is
    fitted on, nor on dev.
    """
    cfg = config or MatcherTrainConfig()
    started = time.perf_counter()
    kefu = replace(settings, data_dir=settings.training_dir)
    service = KnowledgeService(replace(kefu, retriever_model=BASE_ENCODER, reader_model=""))
    service.encoder.warm_up()
    sentences = split_sentences(service.load_passages())
    examples = build_examples(kefu.data_dir / "qa", variants_per_question=0)
    fit = [e for e in examples if e.split == "train" and e.answer and not held_for_calibration(e)]
    questions = service.encoder.encode_queries([e.question for e in fit])
    vectors = service.encoder.encode_passages([s.embedding_text for s in sentences])
    items = training_items(fit, sentences, questions @ vectors.T, cfg.hard_negatives)
    stats = train_matcher(service.encoder.resolve(), items, sentences, target, cfg)
    report = {
        "base": BASE_ENCODER,
        "config": cfg.__dict__,
        "train": stats,
        "seconds": round(time.perf_counter() - started, 1),
    }
    (target / "kefu_training.json").write_text(json.dumps(report, indent=2))
    log.info("retriever (matcher) trained: %s", report)


def build_reader(target: Path, settings: Settings, config: ReaderTrainConfig | None = None) -> None:
    """Train the reader (it marks the span inside the chosen sentence) into ``target``."""
    cfg = config or ReaderTrainConfig()
    started = time.perf_counter()
    service = retrieval_service(replace(settings, data_dir=settings.training_dir))
    passages = service.retriever.index.passages if service.retriever.index else []
    # Written questions only: the generated variants add little for the reader and would
    # double the training time on 2 cores.
    examples = build_examples(settings.training_dir / "qa", variants_per_question=0)
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
    service = retrieval_service(replace(settings, data_dir=settings.training_dir))
    passages = service.retriever.index.passages if service.retriever.index else []
    examples = build_examples(settings.training_dir / "qa", variants_per_question=0)
    train = [e for e in examples if e.split == "train" and e.answer]
    hits = service.retriever.run([e.question for e in train], top_k=10)
    groups = training_groups(train, passages, hits, cfg.negatives)
    stats = train_reranker(service.resolver.resolve(BASE_ENCODER), groups, target, cfg)
    seconds = round(time.perf_counter() - started, 1)
    report = {"base": BASE_ENCODER, "config": cfg.__dict__, "train": stats, "seconds": seconds}
    (target / "kefu_training.json").write_text(json.dumps(report, indent=2))
    log.info("reranker trained: %s", report)


def ensure_decision(
    settings: Settings, resolver: ModelResolver | None = None, force: bool = False
) -> Path:
    """Fit (or take) the answer decision for the configured matcher and the store's data, once.

    A store with enough written questions (:func:`own_calibration`) gets a decision fitted on
    them; any other store the general one (:func:`general_decision`). Cached in
    ``<cache>/decision/`` under the store's index key (the model, the documents and the known
    questions), so nothing else triggers a fit of its own.
    """
    service = KnowledgeService(replace(settings, reader_model="", reranker_model=""), resolver)
    path = service.decision_path(service.build_index().manifest["key"])
    own = own_calibration(settings.data_dir / "qa")
    if own and path.exists() and not force:
        return path
    if own:
        service.warm_up()
        scored = calibration_scores(service)
        decision, figures = fit_decision(scored)
        decision.save(path)
        log.info("decision fitted on the store's %d questions: %s", len(scored), figures)
    else:  # copied again on every build: the general decision may have been refitted
        general = general_decision(settings, resolver, force)
        Decision.load(general).save(path)
        log.info("the store has too few written questions of its own: general decision")
    return path


def own_calibration(qa: Path) -> bool:
    """Whether a store's written questions can calibrate a decision of its own.

    At least :data:`MIN_CALIBRATION` questions, :data:`MIN_CALIBRATION_OOS` of them
    unanswerable; fewer fit a noisier decision than kefu's general one.
    """
    if not qa.is_dir():
        return False
    held = [e for e in build_examples(qa, 0) if e.split == "train" and held_for_calibration(e)]
    oos = sum(e.answer is None for e in held)
    return len(held) >= MIN_CALIBRATION and oos >= MIN_CALIBRATION_OOS


def general_decision(
    settings: Settings, resolver: ModelResolver | None = None, force: bool = False
) -> Path:
    """The decision for a store that brings only documents, fitted once on kefu's own stores.

    kefu's store (``Settings.training_dir``) and its other stores with written questions
    (:data:`CALIBRATION_STORES`, whose questions the matcher never trained on) are each
    served as a documents-only store (:func:`documents_only`): with the matcher it would get
    (its own adaptation, if kept) and a known-question bank holding only what documents give
    (its FAQ's questions and the general unanswerable ones), never its written questions.
    The calibration questions are those of :func:`calibration_scores`, of every store.
    """
    sources = resolver.sources if resolver else None
    services = []
    stores = (settings.training_dir, *(s for s in CALIBRATION_STORES if s.is_dir()))
    for store in stores:  # each store's documents alone, as such a store brings them
        each = replace(
            settings, data_dir=documents_only(store, settings.cache_dir), reader_model="",
            reranker_model="",
        )  # fmt: skip
        each_resolver = ModelResolver(each, sources)
        ensure_adaptation(each, each_resolver)
        services.append(KnowledgeService(each, each_resolver))
    keys = "\n".join(service.build_index().manifest["key"] for service in services)
    digest = hashlib.sha256(keys.encode()).hexdigest()[:16]
    name = f"general-v{DECISION_VERSION}-{decision_inputs()}-{digest}.json"
    path = settings.cache_dir / "decision" / name
    if path.exists() and not force:
        return path
    scored: list[Scored] = []
    for service, store in zip(services, stores, strict=True):
        service.warm_up()
        scored += calibration_scores(service, store / "qa")
    decision, figures = fit_decision(scored)
    decision.save(path)
    log.info("general decision fitted on %d calibration questions: %s", len(scored), figures)
    return path


def documents_only(data_dir: Path, cache_dir: Path) -> Path:
    """A view of a store folder with its documents alone (``docs/``, ``faq/``), in the cache.

    What a store that brings only documents would have: no written questions, no catalog.
    """
    where = hashlib.sha256(str(data_dir.resolve()).encode()).hexdigest()[:8]
    view = cache_dir / "stores" / f"{data_dir.name}-{where}-documents-only"
    view.mkdir(parents=True, exist_ok=True)
    for part in ("docs", "faq"):
        link = view / part
        if (data_dir / part).is_dir() and not link.exists():
            link.symlink_to((data_dir / part).resolve(), target_is_directory=True)
    return view


def calibration_scores(service: KnowledgeService, questions: Path | None = None) -> list[Scored]:
    """The calibration questions scored as new ones (a warm service; bank without them).

    ``questions``: the folder they are in (default: the store's ``qa/``), for a store whose
    documents are served alone (:func:`documents_only`).
    """
    index = service.graph.index
    assert index is not None and index.known is not None
    qa = questions or service.settings.data_dir / "qa"
    held = [e for e in build_examples(qa, 0) if e.split == "train" and held_for_calibration(e)]
    bank = fit_bank(index.known, {e.question for e in held})
    vectors = service.encoder.encode_queries([e.question for e in held])
    return score_questions(
        held, vectors, lambda v, lang, q: index.scores(v, lang, bank, q), index.sentences
    )


TRAINERS: dict[str, Callable[[Path, Settings], None]] = {
    "kefu/retriever-multilingual-e5-small": build_retriever,
    "kefu/reranker-multilingual-e5-small": build_reranker,
    "kefu/reader-multilingual-e5-small": build_reader,
}
