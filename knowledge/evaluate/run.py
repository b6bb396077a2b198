"""``make eval``: retrieval, decision and end-to-end figures on the dev split, per language.

Writes ``reports/eval.json`` (the shape the knowledge issue fixes) and ``reports/eval.png``:
per language the answer accuracy (span F1 >= 0.5 or the shown sentence contains the gold
answer), the strict accuracy (the shown text contains the whole gold answer) and the mean
length of what is shown; abstention precision and recall, and the curve over thresholds;
and ablations: the decision refitted without each family of signals (on the calibration
questions, as ``make models`` fits it), measured on dev.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Coroutine, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

from knowledge.decide import ANSWERABILITY, FEATURES, VECTOR
from knowledge.evaluate.metrics import (
    abstention,
    answer_correct,
    contains,
    exact_match,
    f1,
    hit_at,
    mrr,
)
from knowledge.graph import run_inline
from knowledge.index import make_faiss
from knowledge.service import KnowledgeService
from knowledge.settings import REPO_ROOT, Settings
from knowledge.train.build import (
    BASE_ENCODER,
    build_models,
    calibration_scores,
    documents_only,
    ensure_decision,
    own_calibration,
)
from knowledge.train.data import (
    QAExample,
    build_examples,
    gold_passage,
    held_out_examples,
    span_in,
)
from knowledge.train.decision import Scored, fit_decision
from knowledge.types import Answer, Hit, Passage

log = logging.getLogger(__name__)
GROUPS = ("zh", "en", "mixed")
#: a store no model or decision is trained on (its questions are never trained on either)
SECOND_STORE = REPO_ROOT / "stores" / "pets"
#: families of signals the ablations drop: ranker features and answerability inputs
SIGNALS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "matcher (sentence cosine)": (("cosine", "cosine_gap"), ("cosine",)),
    "known questions": (("known", "known_gap", "votes"), ("known",)),
    "known unanswerable questions": ((), ("unknown", "unknown_gap")),
    "passage cosine": (("passage",), ()),
    "word overlap": (("overlap",), ()),
    "FAQ or policy page": (("faq",), ()),
}


def first_relevant(example: QAExample, hits: Sequence[Hit]) -> int | None:
    """Rank of the first passage that holds the answer (gold section or the same span)."""
    for rank, hit in enumerate(hits):
        src = hit.passage.source
        assert example.answer is not None
        if (src.doc, src.section) == (example.answer.doc, example.answer.section):
            return rank
        if span_in(hit.passage, example) >= 0:
            return rank
    return None


def retrieval_figures(
    examples: Sequence[QAExample], hits: Sequence[list[Hit]]
) -> dict[str, dict[str, float]]:
    """hit@1, hit@3, MRR@10 per language group."""
    out = {}
    for group in GROUPS:
        ranks = [
            first_relevant(e, h) for e, h in zip(examples, hits, strict=True) if e.kind == group
        ]
        out[group] = {
            "hit@1": hit_at(ranks, 1),
            "hit@3": hit_at(ranks, 3),
            "mrr@10": mrr(ranks),
            "n": len(ranks),
        }
    return out


def _timed(step: Callable[[], Coroutine[Any, Any, Any]], repeat: int = 20) -> float:
    """Mean milliseconds of one inline graph step (after one warm run)."""
    run_inline(step())
    start = time.perf_counter()
    for _ in range(repeat):
        run_inline(step())
    return (time.perf_counter() - start) / repeat * 1000


def stage_latency(service: KnowledgeService, question: str) -> dict[str, float]:
    """Milliseconds per model stage for one question on this machine (mean of repeats).

    Each stage runs as the answer graph calls it inline, on what the stages before it made.
    """
    lanes = service.inline()
    graph = service.graph
    vectors, hits = run_inline(graph.retrieve([question], lanes))
    out = {
        "encode_ms": _timed(lambda: lanes.encode.map([question])),
        "search_ms": _timed(lambda: lanes.search.map([(question, vectors[0])])),
    }
    if lanes.rerank is not None:
        rerank = lanes.rerank
        out["rerank_ms"] = _timed(lambda: rerank.map([(question, tuple(hits[0]))]), repeat=5)
    out["answer_ms"] = _timed(lambda: graph.answer([question], lanes), repeat=20)
    return {k: round(v, 2) for k, v in out.items()}


def per_question_ms(service: KnowledgeService, questions: Sequence[str]) -> dict[str, float]:
    """Milliseconds per question, each answered alone: wall and CPU.

    CPU is process time (every thread); with torch's threads as configured, then with one
    thread.
    """
    import torch

    out = {}
    threads = torch.get_num_threads()
    for label, n in (("", threads), ("_one_thread", 1)):
        torch.set_num_threads(n)
        service.answer(questions[0])
        wall, cpu = time.perf_counter(), time.process_time()
        for q in questions:
            service.answer(q)
        out[f"wall_ms{label}"] = (time.perf_counter() - wall) / len(questions) * 1000
        out[f"cpu_ms{label}"] = (time.process_time() - cpu) / len(questions) * 1000
    torch.set_num_threads(threads)
    return out


def ann_recall(
    passage_vectors: np.ndarray, queries: np.ndarray, size: int = 50_000, seed: int = 7
) -> dict[str, dict[str, float]]:
    """recall@10 of the approximate indexes against exact search, on a large synthetic store.

    The store is ``size`` vectors made by perturbing the real passage vectors (so they cluster
    like real passages); the queries are the real dev questions.
    """
    rng = np.random.default_rng(seed)
    base = passage_vectors[rng.integers(0, len(passage_vectors), size)]
    noisy = base + rng.normal(scale=0.05, size=base.shape).astype(np.float32)
    noisy /= np.linalg.norm(noisy, axis=1, keepdims=True)
    exact = make_faiss("flat", noisy).search(queries, 10)[1]
    out = {}
    for kind in ("ivf", "hnsw"):
        start = time.perf_counter()
        index = make_faiss(kind, noisy)
        built = time.perf_counter() - start
        start = time.perf_counter()
        found = index.search(queries, 10)[1]
        per_query = (time.perf_counter() - start) / len(queries) * 1000
        recall = np.mean([len(set(f) & set(e)) / 10 for f, e in zip(found, exact, strict=True)])
        out[kind] = {"recall@10": float(recall), "ms_per_query": per_query, "build_s": built}
    out["store_size"] = {"vectors": float(size)}
    return out


def compare_retrievers(
    settings: Settings, answerable: Sequence[QAExample]
) -> tuple[dict[str, dict[str, dict[str, float]]], list[Passage]]:
    """Retrieval figures of the base encoder, the trained bi-encoder and hybrid; the passages."""
    questions = [e.question for e in answerable]
    methods = {
        "e5-small (base)": {"retriever_model": BASE_ENCODER, "hybrid": False},
        "bi-encoder": {"hybrid": False},
        "hybrid (+BM25)": {"hybrid": True},
    }
    retrieval = {}
    passages: list[Passage] = []
    for label, overrides in methods.items():
        svc = KnowledgeService(replace(settings, reader_model="", reranker_model="", **overrides))  # type: ignore[arg-type]
        svc.build_index()
        svc.warm_up()
        passages = svc.retriever.index.passages if svc.retriever.index else []
        retrieval[label] = retrieval_figures(answerable, svc.retrieve(questions))
    return retrieval, passages


def reader_alone(
    service: KnowledgeService, answerable: Sequence[QAExample], passages: list[Passage]
) -> dict[str, dict[str, float]]:
    """The reader's exact match and F1 on each question's gold passage, per language."""
    if service.reader is None:
        return {}
    golds = [gold_passage(e, passages) for e in answerable]
    pairs = [(e, g[0]) for e, g in zip(answerable, golds, strict=True) if g is not None]
    spans = service.reader.run([e.question for e, _ in pairs], [p for _, p in pairs])
    figures = {}
    for group in GROUPS:
        rows = [
            (s.text, e.answer.span)
            for (e, _), s in zip(pairs, spans, strict=True)
            if e.kind == group and e.answer
        ]
        figures[group] = {
            "exact_match": float(np.mean([exact_match(p, g) for p, g in rows])) if rows else 0.0,
            "f1": float(np.mean([f1(p, g) for p, g in rows])) if rows else 0.0,
        }
    return figures


def answer_figures(answers: Sequence[Answer], dev: Sequence[QAExample]) -> dict[str, Any]:
    """Per language: accuracy, strict accuracy, shown length; and abstention P/R.

    Abstaining on an out-of-scope question counts as a right answer.
    """
    out: dict[str, Any] = {}
    for group in GROUPS:
        rows = [(a, e) for a, e in zip(answers, dev, strict=True) if e.kind == group]
        gold = [e.answer.span if e.answer else None for _, e in rows]
        # a sentence the question's writer named as answering too (``also``) is right as well
        named = [not a.abstained and any(contains(a.sentence, t) for t in e.also) for a, e in rows]
        right = [
            answer_correct(a.text, a.abstained, g, a.sentence) or n
            for (a, _), g, n in zip(rows, gold, named, strict=True)
        ]
        strict = [
            (not a.abstained and g is not None and contains(a.sentence, g)) or n
            for (a, _), g, n in zip(rows, gold, named, strict=True)
        ]
        shown = [len(a.sentence) for a, _ in rows if not a.abstained]
        out[group] = {
            "answer_accuracy": float(np.mean(right)) if rows else 0.0,
            "strict_accuracy": float(np.mean(strict)) if rows else 0.0,
            "shown_chars": float(np.mean(shown)) if shown else 0.0,
        }
    should = [e.answer is None for e in dev]
    out["abstention"] = abstention(should, [a.abstained for a in answers])
    return out


def abstention_curve(service: KnowledgeService, dev: Sequence[QAExample]) -> list[dict[str, float]]:
    """Abstention precision/recall and answer accuracy over answering thresholds."""
    graph = service.graph
    vectors = service.encoder.encode_queries([e.question for e in dev])
    assert graph.index is not None
    picks = [graph.choose(e.question, v) for e, v in zip(dev, vectors, strict=True)]
    texts = graph.index.sentence_texts
    right = np.array(
        [
            e.answer is not None and i >= 0 and contains(texts[i], e.answer.span)
            for e, (i, _) in zip(dev, picks, strict=True)
        ]
    )
    p = np.array([prob for _, prob in picks])
    oos = np.array([e.answer is None for e in dev])
    curve = []
    for t in np.round(np.arange(0.05, 1.0, 0.05), 2):
        abstained = p < t
        ab = abstention(list(oos), list(abstained))
        answered = ~abstained & ~oos
        curve.append(
            {
                "threshold": float(t),
                "precision": ab["precision"],
                "recall": ab["recall"],
                "answered": float((~abstained).mean()),
                "answered_right": float((right & ~abstained).sum() / max(1, (~abstained).sum())),
                "answerable_answered": float(answered.sum() / max(1, (~oos).sum())),
            }
        )
    return curve


def ablations(
    service: KnowledgeService, scored: Sequence[Scored], dev: Sequence[QAExample]
) -> dict[str, dict[str, Any]]:
    """The decision refitted on the calibration questions without each family of signals.

    And with one more: the question's own vector as an answerability input.
    """
    fitted = service.graph.decision
    runs: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
        "all signals": (FEATURES, ANSWERABILITY)
    }
    for label, (ranker_drop, answer_drop) in SIGNALS.items():
        runs[f"without {label}"] = (
            tuple(n for n in FEATURES if n not in ranker_drop),
            tuple(n for n in ANSWERABILITY if n not in answer_drop),
        )
    runs["with the question vector (answerability)"] = (FEATURES, (*ANSWERABILITY, VECTOR))
    out: dict[str, dict[str, Any]] = {}
    try:
        for label, (ranker, answer) in runs.items():
            decision, _ = fit_decision(scored, ranker, answer)
            service.graph.decision = decision
            figures = answer_figures(service.answer_batch([e.question for e in dev]), dev)
            out[label] = {
                **{g: figures[g]["answer_accuracy"] for g in GROUPS},
                "abstention": figures["abstention"],
            }
    finally:
        service.graph.decision = fitted
    return out


def base_encoder_figures(settings: Settings, dev: Sequence[QAExample]) -> dict[str, Any]:
    """The whole engine with the base encoder (not fine-tuned), its decision fitted the same way."""
    base = KnowledgeService(replace(settings, retriever_model=BASE_ENCODER, hybrid=False))
    base.build_index()
    base.warm_up()
    base.graph.decision, _ = fit_decision(calibration_scores(base))
    figures = answer_figures(base.answer_batch([e.question for e in dev]), dev)
    return {
        **{g: figures[g]["answer_accuracy"] for g in GROUPS},
        "abstention": figures["abstention"],
    }


def store_figures(settings: Settings, dev: Sequence[QAExample]) -> dict[str, Any]:
    """The engine on one store (``settings.data_dir``) and its dev questions, as it would run.

    Its models, index and decision are built as ``make models`` builds them for that store.
    Per language hit@3 and the answer figures; abstention; which decision it got; sizes.
    """
    settings = replace(settings, reader_model="", reranker_model="")
    own = own_calibration(settings.data_dir / "qa")
    built = build_models(settings)
    service = KnowledgeService(settings)
    service.warm_up()
    answerable = [e for e in dev if e.answer is not None]
    hits = retrieval_figures(answerable, service.retrieve([e.question for e in answerable]))
    end = answer_figures(service.answer_batch([e.question for e in dev]), dev)
    index = service.graph.index
    assert index is not None
    return {
        "store": str(settings.data_dir),
        "dev": {g: {"hit@3": hits[g]["hit@3"], **end[g]} for g in GROUPS},
        "abstention": end["abstention"],
        "abstention_curve": abstention_curve(service, dev),
        "decision": "the store's own" if own else "general (documents only)",
        "adaptation": _adaptation(built.get("store adaptation")),
        "threshold": service.decision.threshold,
        "sizes": {
            "passages": len(index.passages),
            "sentences": len(index.sentences),
            "known_questions": len(index.known) if index.known is not None else 0,
            "dev_questions": len(dev),
            **{f"dev_{g}": sum(e.kind == g for e in dev) for g in GROUPS},
            "dev_out_of_scope": sum(e.answer is None for e in dev),
        },
    }


def _adaptation(folder: Path | None) -> dict[str, Any] | None:
    """The store adaptation's report (None: not made for this store)."""
    if folder is None or not (folder / "kefu_adaptation.json").exists():
        return None
    report: dict[str, Any] = json.loads((folder / "kefu_adaptation.json").read_text())
    return report


def store_questions(store: Path) -> list[QAExample]:
    """A store's dev questions: ``<store>/eval/`` (all held out), else its ``qa/`` dev split."""
    if (store / "eval").is_dir():
        return held_out_examples(store / "eval")
    return [e for e in build_examples(store / "qa", 0) if e.split == "dev"]


def evaluate_store(settings: Settings, out: Path) -> dict[str, Any]:
    """``make eval STORE=<folder>``: :func:`store_figures` on the store's own questions."""
    report = store_figures(settings, store_questions(settings.data_dir))
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(_round(report), indent=2, ensure_ascii=False) + "\n")
    return report


def evaluate(settings: Settings, out_dir: Path) -> dict[str, Any]:
    """Run every figure and write the report files."""
    examples = build_examples(settings.data_dir / "qa")
    dev = [e for e in examples if e.split == "dev"]
    answerable = [e for e in dev if e.answer is not None]
    questions = [e.question for e in answerable]

    ensure_decision(settings)
    retrieval, passages = compare_retrievers(settings, answerable)
    full = KnowledgeService(settings)
    full.warm_up()
    if full.reranker is not None:
        retrieval["+reranker"] = retrieval_figures(answerable, full.retrieve(questions))
    answer_path = retrieval_figures(answerable, full.retrieve(questions))
    index = full.retriever.index
    assert index is not None
    ann = ann_recall(
        index.faiss_index.reconstruct_n(0, len(index.passages)),
        full.encoder.encode_queries(questions[:300]),
    )
    reader_figs = reader_alone(full, answerable, passages)
    answers = full.answer_batch([e.question for e in dev])
    end = answer_figures(answers, dev)
    figures = {
        group: {
            "hit@3": answer_path[group]["hit@3"],
            "mrr@10": answer_path[group]["mrr@10"],
            "reader_f1": reader_figs.get(group, {}).get("f1"),  # None without a reader
            **end[group],
        }
        for group in GROUPS
    }
    scored = calibration_scores(full)
    signals = ablations(full, scored, dev)
    signals["base encoder, not fine-tuned (decision refitted)"] = base_encoder_figures(
        settings, dev
    )
    latency: dict[str, Any] = dict(stage_latency(full, "请问 refund 多久到账?"))
    latency["dev_questions"] = per_question_ms(full, [e.question for e in dev[:200]])
    # kefu as a new store meets it: the demo store's documents alone (no written questions),
    # then the second store, whose questions no model or decision ever saw
    only_docs = replace(settings, data_dir=documents_only(settings.data_dir, settings.cache_dir))
    stores = {"documents_only": store_figures(only_docs, dev)}
    if (SECOND_STORE / "eval").is_dir():
        second = replace(settings, data_dir=SECOND_STORE)
        stores["second_store"] = store_figures(second, store_questions(SECOND_STORE))
    report = {
        "dev": figures,
        "abstention": end["abstention"],
        "abstention_curve": abstention_curve(full, dev),
        "ablations": signals,
        "retrieval": retrieval,
        "approximate_index": ann,
        "reader": reader_figs,
        "latency_cpu": latency,
        "load_seconds": {
            "encoder": round(full.encoder.load_seconds, 2),
            "reader": round(full.reader.load_seconds, 2) if full.reader else None,
            "reranker": round(full.reranker.load_seconds, 2) if full.reranker else None,
        },
        "models": {
            "retriever": settings.retriever_model,
            "reader": settings.reader_model or None,
            "reranker": settings.reranker_model or None,
            "hybrid": settings.hybrid,
            "decision": {
                "threshold": full.decision.threshold,
                "ranker": dict(
                    zip(full.decision.ranker.names, full.decision.ranker.weights, strict=True)
                ),
                "answerability": dict(
                    zip(
                        full.decision.answerability.names,
                        full.decision.answerability.weights,
                        strict=True,
                    )
                ),
            },
        },
        "sizes": {
            "passages": len(passages),
            "sentences": len(index.sentences),
            "known_questions": len(index.known) if index.known is not None else 0,
            "train_questions": sum(1 for e in examples if e.split == "train"),
            "calibration_questions": len(scored),
            "dev_questions": len(dev),
            "dev_answerable": len(answerable),
            "dev_out_of_scope": sum(e.answer is None for e in dev),
            "written_questions": sum(1 for e in examples if not e.generated),
        },
        **stores,
    }
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "eval.json").write_text(
        json.dumps(_round(report), indent=2, ensure_ascii=False) + "\n"
    )
    plot(report, out_dir / "eval.png")
    return report


def _round(value: Any) -> Any:
    if isinstance(value, float):
        return round(value, 4)
    if isinstance(value, dict):
        return {k: _round(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_round(v) for v in value]
    return value


def plot(report: dict[str, Any], path: Path) -> None:
    """Bars per language: retrieval hit@3 per method, reader F1, answer accuracy."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    series: dict[str, list[float]] = {
        f"hit@3 {m}": [report["retrieval"][m][g]["hit@3"] for g in GROUPS]
        for m in report["retrieval"]
    }
    series["answer accuracy"] = [report["dev"][g]["answer_accuracy"] for g in GROUPS]
    series["strict accuracy"] = [report["dev"][g]["strict_accuracy"] for g in GROUPS]
    fig, ax = plt.subplots(figsize=(9, 4.5))
    width = 0.8 / len(series)
    for n, (label, values) in enumerate(series.items()):
        ax.bar(np.arange(len(GROUPS)) + n * width, values, width, label=label)
    ab = report["abstention"]
    ax.set_title(
        f"kefu knowledge engine, dev split "
        f"(abstention P={ab['precision']:.2f} R={ab['recall']:.2f})"
    )
    ax.set_xticks(np.arange(len(GROUPS)) + 0.4 - width / 2, GROUPS)
    ax.set_ylim(0, 1.05)
    ax.axhline(0.9, color="grey", lw=0.5, ls="--")
    ax.legend(fontsize=7, loc="lower right")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
