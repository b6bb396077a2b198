"""Full stack under load: N simulated shoppers through Rasa's REST channel.

``make bench-rest`` with the stack running (``make run``, or rasa + actions alone): each of
``--shoppers`` shoppers (its own sender id) asks ``--turns`` store-policy questions of the QA
set one after another, each as soon as the previous reply came (closed loop, no think time;
``--think`` adds a random pause). Every turn goes Rasa NLU -> policy -> the action server ->
the micro-batched knowledge service and back. Records throughput, latency percentiles and
how many replies were "busy" or failed; writes reports/bench_rest.json and the "rest" field
of the device's entry in reports/bench.json. Needs only the standard library and PyYAML.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import threading
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from common.stats import percentile

ROOT = Path(__file__).resolve().parent.parent
BUSY = ("咨询的人比较多", "answering a lot of shoppers")
FAILED = ("系统暂时出了点问题", "something went wrong on our side")


def load_questions(n: int, seed: int = 7) -> list[str]:
    """Store-policy questions of the QA seeds (zh, en, mixed), shuffled."""
    import yaml

    pool: list[str] = []
    for path in sorted((ROOT / "data" / "qa" / "seeds").glob("*.yaml")):
        for family in yaml.safe_load(path.read_text(encoding="utf-8")) or []:
            for asked in family["questions"].values():
                pool.extend(str(q) for q in asked)
    random.Random(seed).shuffle(pool)
    return (pool * (n // len(pool) + 1))[:n]


def turn(url: str, sender: str, text: str, timeout: float) -> tuple[float, str]:
    """POST one message; (seconds, the replies' text joined)."""
    body = json.dumps({"sender": sender, "message": text}).encode()
    request = urllib.request.Request(url, body, {"Content-Type": "application/json"})
    start = time.perf_counter()
    with urllib.request.urlopen(request, timeout=timeout) as response:
        replies = json.loads(response.read() or b"[]")
    return time.perf_counter() - start, "\n".join(r.get("text", "") for r in replies)


def main(argv: list[str] | None = None) -> int:
    """Run the shoppers; print and write the figures."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--url", default="http://localhost:5005/webhooks/rest/webhook")
    parser.add_argument("--shoppers", type=int, default=32)
    parser.add_argument("--turns", type=int, default=8, help="questions per shopper")
    parser.add_argument("--think", type=float, default=0.0, help="mean pause between turns (s)")
    parser.add_argument("--timeout", type=float, default=60.0, help="per request (s)")
    parser.add_argument("--key", default="cpu", help="the entry of reports/bench.json to extend")
    args = parser.parse_args(argv)

    qs = load_questions(args.shoppers * args.turns)
    run = time.strftime("%H%M%S")
    latencies: list[float] = []
    counts = {"busy": 0, "failed": 0, "errors": 0, "empty": 0}
    lock = threading.Lock()

    def count(**seen: bool) -> None:
        with lock:
            for name, happened in seen.items():
                counts[name] += happened

    def shopper(i: int) -> None:
        rng = random.Random(i)
        sender = f"bench-{run}-{i}"
        for q in qs[i :: args.shoppers]:
            try:
                seconds, text = turn(args.url, sender, q, args.timeout)
            except OSError:
                count(errors=True)
                continue
            latencies.append(seconds)
            count(
                busy=any(b in text for b in BUSY),
                failed=any(f in text for f in FAILED),
                empty=not text.strip(),
            )
            if args.think:
                time.sleep(rng.expovariate(1 / args.think))

    turn(args.url, f"bench-{run}-warm", "hello", args.timeout)  # fails early if Rasa is down
    start = time.perf_counter()
    with ThreadPoolExecutor(args.shoppers) as pool:
        list(pool.map(shopper, range(args.shoppers)))
    took = time.perf_counter() - start
    ms = sorted(1000 * x for x in latencies)

    def pct(q: float) -> float:
        return round(percentile(ms, q), 1)

    result: dict[str, Any] = {
        "what": "turns through Rasa's REST channel: NLU, policy, action server, knowledge",
        "shoppers": args.shoppers,
        "turns": len(ms),
        "think_s": args.think,
        "seconds": round(took, 2),
        "turns_per_s": round(len(ms) / took, 2) if took else 0.0,
        "p50_ms": pct(0.50),
        "p95_ms": pct(0.95),
        "p99_ms": pct(0.99),
        **counts,
        "date": time.strftime("%Y-%m-%d"),
    }
    (ROOT / "reports" / "bench_rest.json").write_text(json.dumps(result, indent=2) + "\n")
    path = ROOT / "reports" / "bench.json"
    report = json.loads(path.read_text()) if path.exists() else {}
    report.setdefault(args.key, {})["rest"] = result
    path.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n")
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
