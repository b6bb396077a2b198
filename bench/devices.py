"""The same results on the CPU and on CUDA, for the same weights: vectors, scores, answers.

``python -m bench.devices [--random-models DIR] [--out DIR]`` on a machine with a GPU:
answers the same questions on the CPU (float32, ``answer_batch``) and on CUDA in float32 and
in the configured dtype (``answer_async``, micro-batched), and compares question vectors
(cosine), answers (text and abstention) and answer scores. Writes devices.json.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

from bench.pipeline import questions
from knowledge.service import KnowledgeService
from knowledge.settings import Settings


def service_on(settings: Settings, models: Path | None) -> KnowledgeService:
    """A warmed-up service for ``settings`` (random models built from ``models`` if given)."""
    if models is not None:
        from bench.random_models import random_service

        return random_service(settings, models)[0]
    service = KnowledgeService(settings)
    service.warm_up()
    return service


def compare(reference: KnowledgeService, other: KnowledgeService, qs: list[str]) -> dict[str, Any]:
    """How far ``other`` (micro-batched) is from ``reference`` (plain batch)."""
    a = reference.encoder.encode_queries(qs)
    b = other.encoder.encode_queries(qs)
    expected = reference.answer_batch(qs)

    async def ask() -> list[Any]:
        try:
            return await asyncio.gather(*(other.answer_async(q) for q in qs))
        finally:
            await other.aclose()

    got = asyncio.run(ask())
    pairs = list(zip(got, expected, strict=True))
    return {
        "questions": len(qs),
        "min_vector_cosine": round(float(np.min(np.sum(a * b, axis=1))), 6),
        "answers_equal": sum((x.text, x.abstained) == (y.text, y.abstained) for x, y in pairs),
        "max_score_diff": round(max(abs(x.score - y.score) for x, y in pairs), 6),
    }


def main(argv: list[str] | None = None) -> int:
    """Compare CPU float32 with CUDA float32 and CUDA in the configured dtype."""
    import torch

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--random-models", type=Path)
    parser.add_argument("--questions", type=int, default=128)
    parser.add_argument("--out", type=Path, default=Path(os.environ.get("OUT", ".")))
    args = parser.parse_args(argv)
    if not torch.cuda.is_available():
        print("no CUDA device: nothing to compare", file=sys.stderr)
        return 2
    settings = Settings.from_env()
    qs = questions(args.questions)
    cpu = service_on(replace(settings, device="cpu"), args.random_models)
    report: dict[str, Any] = {"models": str(args.random_models or "configured")}
    for dtype in dict.fromkeys(("float32", settings.dtype)):
        cuda = service_on(replace(settings, device="cuda", dtype=dtype), args.random_models)
        report[f"cuda_{dtype}"] = compare(cpu, cuda, qs)
        print(dtype, report[f"cuda_{dtype}"], flush=True)
        del cuda
        torch.cuda.empty_cache()
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "devices.json").write_text(json.dumps(report, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
