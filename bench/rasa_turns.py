"""Rasa-side latency per turn: NLU parse + policy prediction, action server excluded.

``make bench`` (Rasa environment; ``PYTHONPATH=$PWD:$PWD/bot python -m bench.rasa_turns MODEL`` from
the repository root): replays the held-out NLU messages (bot/eval/nlu) as turns of 20 interleaved
conversations through the trained model (in-memory tracker store) and times, per turn, parsing
the message, logging it and predicting the next action. Writes reports/bench_rasa.json with the
median, p90 and p99 in milliseconds.
"""

from __future__ import annotations

import asyncio
import json
import logging
import platform
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

TURNS = 300


async def run(model: Path) -> dict[str, object]:
    from rasa.core.agent import Agent
    from rasa.core.channels.channel import UserMessage

    from scripts.nlu_eval import load_heldout

    agent = Agent.load(str(model))
    processor = agent.processor
    assert processor is not None
    texts = [row["text"] for row in load_heldout(ROOT / "bot" / "eval" / "nlu")]
    texts = (texts * (TURNS // len(texts) + 1))[:TURNS]
    await processor.log_message(UserMessage("warm up", sender_id="warm-up"))
    times = []
    for i, text in enumerate(texts):
        started = time.perf_counter()
        tracker = await processor.log_message(UserMessage(text, sender_id=f"bench-{i % 20}"))
        processor.predict_next_with_tracker_if_should(tracker)
        times.append((time.perf_counter() - started) * 1000)
    times.sort()
    return {
        "what": "Rasa-side latency per turn (NLU parse + tracker update + next-action prediction), "
        "action server excluded, CPU",
        "model": model.name,
        "turns": len(times),
        "median_ms": round(statistics.median(times), 1),
        "p90_ms": round(times[int(0.9 * len(times))], 1),
        "p99_ms": round(times[int(0.99 * len(times))], 1),
        "machine": f"{platform.machine()}, {__import__('os').cpu_count()} CPUs",
    }


def main(argv: list[str]) -> int:
    """``rasa_turns.py MODEL`` -> reports/bench_rasa.json."""
    from rasa.utils.common import configure_logging_and_warnings

    configure_logging_and_warnings(logging.WARNING)
    import structlog

    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING))
    result = asyncio.run(run(Path(argv[0])))
    out = ROOT / "reports" / "bench_rasa.json"
    out.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
