"""Hot-path speed: naive vs micro-batched vs the model-only ceiling -> reports/bench.json.

``make bench-pipeline`` (``python -m bench.pipeline``, app environment; models built by
``make models``). One run, the same models and the same questions (the written questions of
``data/qa``, shuffled):

* naive: one question at a time through the whole pipeline (``service.answer``);
* threaded: the action server's former path, ``asyncio.to_thread(service.answer)`` per shopper;
* batched: ``service.answer_async`` (micro-batched stages) with ``--shoppers`` concurrent
  shoppers, each asking again as soon as answered (closed loop: the target's figure), and
  with open-loop Poisson arrivals at rising rates until the service saturates;
* ceiling: each model stage alone at its best batch size, no queueing:
  1 / (sum over stages of the best seconds per question).

Writes the device's entry of reports/bench.json (``cpu`` or ``gpu``; the other entry is
kept) and reports/bench.png. ``--random-models DIR`` runs models built from the configs in
DIR with random weights (the GPU script, ``bench/gpu.sh``); ``--quick`` shrinks every count.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import platform
import random
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from common.stats import percentile
from knowledge.errors import OverloadedError
from knowledge.graph import InlineLane, Lanes, run_inline
from knowledge.service import KnowledgeService
from knowledge.settings import Settings

ROOT = Path(__file__).resolve().parent.parent

log = logging.getLogger("bench")
THINK_S = 3.0  # mean pause of a shopper between an answer and the next question
TARGETS = {
    "cpu": {"shoppers": 32, "speedup": 3.0, "p95_ms": 1500.0},
    "gpu": {"shoppers": 256, "speedup": 10.0, "ceiling_share": 0.60},
}


def questions(n: int, seed: int = 7) -> list[str]:
    """``n`` written questions of the QA set (zh, en, mixed, out of scope), shuffled."""
    from knowledge.train.data import build_examples

    pool = [e.question for e in build_examples(ROOT / "data" / "qa", variants_per_question=0)]
    random.Random(seed).shuffle(pool)
    return (pool * (n // len(pool) + 1))[:n]


def summary(latencies: Sequence[float], seconds: float, **extra: Any) -> dict[str, Any]:
    """Throughput and latency percentiles (ms) of one run."""
    ms = sorted(1000 * x for x in latencies)

    def pct(q: float) -> float:
        return round(percentile(ms, q), 1)

    return {
        "answered": len(ms),
        "seconds": round(seconds, 2),
        "qps": round(len(ms) / seconds, 2) if seconds else 0.0,
        "p50_ms": pct(0.50),
        "p95_ms": pct(0.95),
        "p99_ms": pct(0.99),
        **extra,
    }


def naive(service: KnowledgeService, qs: list[str]) -> dict[str, Any]:
    """One question at a time through the whole pipeline."""
    latencies = []
    start = time.perf_counter()
    for q in qs:
        t = time.perf_counter()
        service.answer(q)
        latencies.append(time.perf_counter() - t)
    return summary(latencies, time.perf_counter() - start)


async def closed_loop(
    service: KnowledgeService,
    qs: list[str],
    shoppers: int,
    threaded: bool = False,
    think: float = 0.0,
) -> dict[str, Any]:
    """``shoppers`` concurrent shoppers, each asking again when answered (after ``think`` s)."""
    todo = iter(qs)
    latencies: list[float] = []
    busy = 0
    rng = random.Random(5)

    async def shopper() -> None:
        nonlocal busy
        for q in todo:
            if think:
                await asyncio.sleep(rng.expovariate(1 / think))
            t = time.perf_counter()
            try:
                if threaded:
                    await asyncio.to_thread(service.answer, q)
                else:
                    await service.answer_async(q)
            except OverloadedError:
                busy += 1
                continue
            latencies.append(time.perf_counter() - t)

    await service.aclose()  # fresh batchers: their counters cover this run only
    start = time.perf_counter()
    await asyncio.gather(*(shopper() for _ in range(shoppers)))
    took = time.perf_counter() - start
    stages = service.batch_stats()
    return summary(
        latencies, took, shoppers=shoppers, think_s=think, overloaded=busy, stages=stages
    )


async def open_loop(
    service: KnowledgeService, qs: list[str], rate: float, seed: int = 11
) -> dict[str, Any]:
    """Poisson arrivals at ``rate`` questions per second; latency counts from the arrival."""
    rng = random.Random(seed)
    latencies: list[float] = []
    busy = 0

    async def one(q: str, due: float) -> None:
        nonlocal busy
        try:
            await service.answer_async(q)
        except OverloadedError:
            busy += 1
            return
        latencies.append(time.perf_counter() - due)

    await service.aclose()
    await service.lanes()
    start = time.perf_counter()
    due = start
    tasks = []
    for q in qs:
        due += rng.expovariate(rate)
        await asyncio.sleep(max(0.0, due - time.perf_counter()))
        tasks.append(asyncio.create_task(one(q, due)))
    await asyncio.gather(*tasks)
    took = time.perf_counter() - start
    offered = len(qs) / (due - start)
    return summary(
        latencies, took, rate=round(rate, 2), offered_qps=round(offered, 2), overloaded=busy
    ) | {"stages": service.batch_stats()}


class Recorder:
    """An inline lane that keeps the items it was given: each stage's real input."""

    def __init__(self, stage: Any) -> None:
        self.lane = InlineLane(stage)
        self.stage = stage
        self.items: list[Any] = []

    @property
    def name(self) -> str:
        return self.lane.name

    async def map(self, items: Sequence[Any]) -> list[Any]:
        self.items.extend(items)
        return await self.lane.map(items)

    def stats(self) -> dict[str, Any]:
        return self.lane.stats()


def ceiling(service: KnowledgeService, qs: list[str], sizes: list[int]) -> dict[str, Any]:
    """Each model stage alone at each batch size: the best seconds per question.

    The stages' items are what the answer graph gives them for ``qs`` (recorded on one inline
    run); stages that got too few items are left out.
    """
    recorders = {name: Recorder(stage) for name, stage in service.stages().items()}
    run_inline(service.graph.answer(qs, Lanes(**recorders)))
    out: dict[str, Any] = {}
    for name, recorder in recorders.items():
        stage, stage_items = recorder.stage, recorder.items
        if len(stage_items) < min(sizes):  # e.g. read: only the answered questions
            continue
        by_size = {}
        for size in [s for s in sizes if s <= len(stage_items)]:
            chunks = [stage_items[i : i + size] for i in range(0, len(stage_items), size)]
            chunks = [c for c in chunks if len(c) == size][: max(2, 64 // size)]
            stage.finish(chunks[0], stage.forward(stage.prepare(chunks[0])))  # warm
            start = time.perf_counter()
            for chunk in chunks:
                stage.finish(chunk, stage.forward(stage.prepare(chunk)))
            by_size[size] = 1000 * (time.perf_counter() - start) / sum(map(len, chunks))
        best = min(by_size, key=lambda s: by_size[s])
        out[name] = {
            "best_batch": best,
            "ms_per_question": round(by_size[best], 3),
            "ms_per_question_by_batch": {s: round(v, 3) for s, v in by_size.items()},
        }
    total_ms = sum(v["ms_per_question"] for v in out.values())
    return {"qps": round(1000 / total_ms, 2), "ms_per_question": round(total_ms, 3), "stages": out}


def agreement(service: KnowledgeService, qs: list[str]) -> dict[str, Any]:
    """Do the batched answers equal the naive ones (text, abstention; score within 1e-3)?"""
    expected = [service.answer(q) for q in qs]

    async def ask() -> list[Any]:
        await service.aclose()
        return await asyncio.gather(*(service.answer_async(q) for q in qs))

    got = asyncio.run(ask())
    same = [
        (a.text, a.abstained) == (b.text, b.abstained) and abs(a.score - b.score) < 1e-3
        for a, b in zip(got, expected, strict=True)
    ]
    worst = max(abs(a.score - b.score) for a, b in zip(got, expected, strict=True))
    return {"questions": len(qs), "equal": sum(same), "max_score_diff": round(worst, 6)}


def plot(entry: dict[str, Any], path: Path, key: str) -> None:
    """Throughput and latency against the offered rate, with naive and ceiling lines."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = entry["open_loop"]
    rates = [r["offered_qps"] for r in rows]
    fig, (left, right, stages) = plt.subplots(1, 3, figsize=(15, 4.2))
    left.plot(rates, [r["qps"] for r in rows], "o-", label="batched (open loop)")
    left.plot(rates, rates, ":", color="grey", label="offered")
    for name, style in (("naive_qps", "--"), ("ceiling_qps", "-.")):
        left.axhline(entry[name], linestyle=style, color="k" if name == "naive_qps" else "r")
        left.annotate(name.removesuffix("_qps"), (rates[0], entry[name]), va="bottom")
    left.set(xlabel="offered questions/s", ylabel="answered questions/s", title="throughput")
    left.legend(loc="lower right")
    for q in ("p50_ms", "p95_ms", "p99_ms"):
        right.plot(rates, [r[q] for r in rows], "o-", label=q.removesuffix("_ms"))
    right.set(xlabel="offered questions/s", ylabel="ms", title="latency", yscale="log")
    right.legend()
    names = list(entry["stages"])
    per = entry["stages"]
    steps = ("queue_wait", "prepare", "forward", "finish")
    bottom = [0.0] * len(names)
    for step in steps:
        values = [per[n][f"{step}_ms_per_item"] for n in names]
        stages.bar(names, values, bottom=bottom, label=step)
        bottom = [b + v for b, v in zip(bottom, values, strict=True)]
    stages.set(ylabel="ms per question", title=f"stages at {entry['shoppers']} shoppers")
    stages.legend()
    fig.suptitle(f"kefu hot path on {key}: {entry['machine']}")
    fig.tight_layout()
    fig.savefig(path, dpi=110)


def sweep(
    service: KnowledgeService, qs: list[str], naive_qps: float, ceiling_qps: float, seconds: float
) -> list[dict[str, Any]]:
    """Open loop at rising multiples of the naive rate, until the service saturates."""
    rows: list[dict[str, Any]] = []
    for mult in (0.25, 0.5, 0.75, 1, 1.25, 1.5, 2, 3, 4, 6, 8, 12, 16, 24, 32, 48):
        rate = mult * naive_qps
        if rate > 1.3 * ceiling_qps and rows:
            break
        n = min(len(qs), max(8, int(rate * seconds)))
        row = asyncio.run(open_loop(service, qs[:n], rate))
        log.info("open loop: %s", {k: v for k, v in row.items() if k != "stages"})
        rows.append(row)
        if row["qps"] < 0.85 * row["offered_qps"] or row["overloaded"]:
            break  # saturated
    return rows


def write(entry: dict[str, Any], out: Path, key: str) -> None:
    """The device's entry of ``out``/bench.json (the other device's is kept) and its plot."""
    out.mkdir(parents=True, exist_ok=True)
    path = out / "bench.json"
    report = json.loads(path.read_text()) if path.exists() else {}
    if "rest" in report.get(key, {}):  # bench/rasa_rest.py's figures stay until it runs again
        entry["rest"] = report[key]["rest"]
    report[key] = entry
    path.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n")
    plot(entry, out / "bench.png" if key == "cpu" else out / f"bench_{key}.png", key)


def main(argv: list[str] | None = None) -> int:
    """Run every mode; write reports/bench.json and reports/bench.png."""
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")  # as the action server runs (see there)
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--shoppers", type=int, help="concurrent shoppers (default: the target's)")
    parser.add_argument("--quick", action="store_true", help="small counts, for a smoke test")
    parser.add_argument("--random-models", type=Path, help="configs to build random models from")
    parser.add_argument("--out", type=Path, default=ROOT / "reports")
    parser.add_argument("--how", default="", help="how the figures were obtained (recorded)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s", datefmt="%H:%M:%S")
    logging.getLogger("knowledge").setLevel(logging.WARNING)

    settings = Settings.from_env()
    key = "gpu" if settings.device == "cuda" else "cpu"
    target = TARGETS[key]
    shoppers = args.shoppers or int(target["shoppers"])
    scale = 0.25 if args.quick else (1.0 if key == "cpu" else 4.0)
    load_before = os.getloadavg()
    if args.random_models:
        from bench.random_models import random_service

        service, how_models = random_service(settings, args.random_models)
    else:
        service = KnowledgeService(settings)
        service.warm_up()
        how_models = "the configured models: " + ", ".join(
            m
            for m in (settings.retriever_model, settings.reranker_model, settings.reader_model)
            if m
        )
    qs = questions(max(200, int(320 * scale) if key == "cpu" else 4800))
    log.info("warming the sentence cache with %d questions", len(qs))
    for i in range(0, len(qs), 64):
        service.answer_batch(qs[i : i + 64])

    log.info("naive")
    base = naive(service, qs[: int(80 * scale)])
    log.info("naive: %s", base)
    log.info("agreement")
    agree = agreement(service, qs[: int(64 * scale)])
    log.info("agreement: %s", agree)
    log.info("ceiling")
    sizes = [1, 4, 8, 16, 32] if key == "cpu" else [1, 8, 32, 64, 128, 256]
    ceil = ceiling(service, qs[: max(sizes) * 2], sizes)
    log.info("ceiling: %s", {k: v for k, v in ceil.items() if k != "stages"})
    log.info("threaded, %d shoppers", shoppers)
    threaded = asyncio.run(closed_loop(service, qs[: int(96 * scale)], shoppers, threaded=True))
    log.info("threaded: %s", {k: v for k, v in threaded.items() if k != "stages"})
    log.info("batched, %d shoppers", shoppers)
    n_closed = max(shoppers * 4, int(320 * scale))
    closed = asyncio.run(closed_loop(service, qs[:n_closed], shoppers))
    log.info("batched: %s", {k: v for k, v in closed.items() if k != "stages"})
    log.info("batched, %d shoppers thinking %.0f s between questions", shoppers, THINK_S)
    n_think = shoppers * (2 if args.quick else 4)
    calm = asyncio.run(closed_loop(service, qs[:n_think], shoppers, think=THINK_S))
    log.info("thinking: %s", {k: v for k, v in calm.items() if k != "stages"})

    seconds = (10.0 if key == "cpu" else 6.0) * (0.5 if args.quick else 1.0)
    rows = sweep(service, qs, base["qps"], ceil["qps"], seconds)
    asyncio.run(service.aclose())

    import torch

    entry = {
        "naive_qps": base["qps"],
        "batched_qps": closed["qps"],
        "ceiling_qps": ceil["qps"],
        "p50_ms": closed["p50_ms"],
        "p95_ms": closed["p95_ms"],
        "p99_ms": closed["p99_ms"],
        "shoppers": shoppers,
        "speedup": round(closed["qps"] / base["qps"], 2),
        "ceiling_share": round(closed["qps"] / ceil["qps"], 3),
        "threaded_qps": threaded["qps"],
        "thinking_p95_ms": calm["p95_ms"],
        "saturation_qps": max(r["qps"] for r in rows),
        "targets": target,
        "naive": base,
        "threaded": {k: v for k, v in threaded.items() if k != "stages"},
        "thinking": {k: v for k, v in calm.items() if k != "stages"},
        "batched": {k: v for k, v in closed.items() if k != "stages"},
        "stages": closed["stages"],
        "ceiling": ceil,
        "open_loop": rows,
        "agreement": agree,
        "settings": {
            "device": settings.device,
            "dtype": settings.model_dtype,
            "batch_max": settings.batch_max,
            "batch_delay_ms": settings.batch_delay_ms,
            "batch_queue": settings.batch_queue,
            "torch_threads": torch.get_num_threads(),
            "top_k": settings.top_k,
        },
        "models": how_models,
        "load_average": [round(x, 2) for x in (*load_before, *os.getloadavg())],
        "machine": _machine(key),
        "how": args.how or f"make bench-pipeline ({' '.join(sys.argv[1:]) or 'defaults'})",
        "date": time.strftime("%Y-%m-%d"),
    }
    write(entry, args.out, key)
    print(json.dumps({k: entry[k] for k in list(entry)[:12]}, indent=2))
    return 0


def _machine(key: str) -> str:
    if key == "gpu":
        import torch

        return f"{torch.cuda.get_device_name(0)}, {os.cpu_count()} CPUs"
    return f"{platform.machine()}, {os.cpu_count()} CPUs ({platform.processor() or 'cpu'})"


if __name__ == "__main__":
    sys.exit(main())
