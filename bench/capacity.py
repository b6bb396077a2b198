"""How many shoppers one machine holds: the whole stack under rising open-loop traffic.

``make bench-capacity`` (``python -m bench.capacity``, app environment) starts kefu's whole
single-machine stack (``scripts/run.sh`` on free ports: Rasa's REST channel -> the action server
-> the answer engine) and sends it shoppers' conversations at rising arrival rates:

* **the conversations** are the conversation test stories (``bot/tests/*.yml``), each story's
  user turns in order, entity marks removed; a story stops at a handoff to a person (what
  follows is the agent's). Each turn's kind comes from its intent (:data:`KINDS`); the mix is
  the stories' own, written to the report (``mix``).
* **open loop**: conversations start as a Poisson process whose rate gives ``rate`` messages
  per second on average; inside one, a shopper sends the next message a pause after the reply
  (exponential, mean ``--think`` seconds, at least 1 s), as people type. Shoppers are signed
  in (a token of the demo store's shopper), so order questions reach the order store.
* each rate runs ``--seconds``; its figures count the turns *sent* after the first third (the
  ramp-up) and every turn of every conversation started in it to the end; a turn is **lost**
  when the HTTP call fails or the reply is empty. After the run, the tracker store is checked:
  every message sent must be stored (``not_stored``).
* **capacity**: the highest rate at which p95 of all replies is <= 1.5 s, nothing is lost and
  at most 1 % of replies are "busy"; the concurrent shoppers it implies are the rate's
  conversation arrival rate x the mean length of a conversation (Little's law).

``--baseline REV`` runs the same ladder on another revision first (a ``git worktree`` of REV,
the same caches), so the ratio is measured on one machine in one run. Writes
reports/capacity.json and reports/capacity.png.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import re
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from common.identity import sign
from common.stats import percentile
from deploy.stack import Stack, local_stack

ROOT = Path(__file__).resolve().parent.parent
P95_TARGET_S = 1.5
BUSY_SHARE = 0.01  # at most this share of "busy" replies at a rate that counts as held
SECRET = "capacity bench identity secret, 40 characters"
SHOPPER = "u1001"  # the demo store's shopper with orders (data/orders)
RATES = (1.0, 1.5, 2.0, 3.0, 4.0, 6.0, 8.0, 11.0, 16.0, 22.0)
BUSY = ("咨询的人比较多", "answering a lot of shoppers")  # the channel's and the engine's
#: message kind by the story turn's intent
KINDS = {
    "greet": "greeting", "goodbye": "greeting", "thanks": "greeting", "affirm": "greeting",
    "deny": "greeting", "stop": "greeting",
    "ask_policy": "policy", "ask_shipping_options": "policy", "ask_promotion": "policy",
    "track_order": "order", "cancel_order": "order", "change_address": "order", "inform": "order",
    "request_return": "return", "complain": "return",
    "ask_recommendation": "recommendation", "ask_product": "recommendation",
    "chitchat": "chitchat", "out_of_scope": "chitchat", "feedback": "chitchat",
    "human_handoff": "handoff",
}  # fmt: skip
MARK = re.compile(r"\[([^\]]*)\]\([^)]*\)|\[([^\]]*)\]\{[^}]*\}")


def conversations(folder: Path = ROOT / "bot" / "tests") -> list[list[tuple[str, str]]]:
    """Each story's user turns as ``(text, kind)``, marks removed, cut after a handoff."""
    import yaml

    out = []
    for path in sorted(folder.glob("*.yml")):
        for story in (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("stories", []):
            turns = []
            for step in story.get("steps", []):
                if "user" not in step:
                    continue
                text = MARK.sub(lambda m: m.group(1) or m.group(2) or "", step["user"]).strip()
                kind = KINDS.get(step.get("intent", ""), "other")
                turns.append((text, kind))
                if kind == "handoff":
                    break
            if turns:
                out.append(turns)
    return out


@dataclass
class Turn:
    """One message: when it was sent (since the rate began), its kind, what came back."""

    sent: float
    kind: str
    seconds: float = 0.0
    lost: bool = False
    busy: bool = False
    sender: str = ""


@dataclass
class Step:
    """One arrival rate's run."""

    rate: float
    seconds: float
    turns: list[Turn] = field(default_factory=list)
    conversations: int = 0
    conversation_seconds: list[float] = field(default_factory=list)

    def figures(self, mean_turns: float) -> dict[str, Any]:
        """Latency percentiles (all, per kind) and counts of the turns that count."""
        counted = [t for t in self.turns if t.sent >= self.seconds / 3]
        answered = [t for t in counted if not t.lost]

        def pcts(turns: list[Turn]) -> dict[str, Any]:
            ms = sorted(1000 * t.seconds for t in turns)
            if not ms:
                return {"turns": 0}
            return {
                "turns": len(ms),
                "p50_ms": round(percentile(ms, 0.50)),
                "p95_ms": round(percentile(ms, 0.95)),
                "p99_ms": round(percentile(ms, 0.99)),
                "max_ms": round(ms[-1]),
            }

        window = self.seconds * 2 / 3
        length = sum(self.conversation_seconds) / max(1, len(self.conversation_seconds))
        kinds = sorted({t.kind for t in counted})
        out = {
            "rate": self.rate,
            "sent_per_s": round(len(counted) / window, 2) if window else 0.0,
            "conversations": self.conversations,
            "mean_conversation_s": round(length, 1),
            "concurrent_shoppers": round(self.rate / mean_turns * length, 1),
            **pcts(answered),
            "lost": sum(t.lost for t in counted),
            "busy": sum(t.busy for t in counted),
            "by_kind": {
                k: {
                    **pcts([t for t in answered if t.kind == k]),
                    "lost": sum(t.lost for t in counted if t.kind == k),
                    "busy": sum(t.busy for t in answered if t.kind == k),
                }
                for k in kinds
            },
        }
        out["held"] = bool(
            answered
            and out["p95_ms"] <= 1000 * P95_TARGET_S
            and out["lost"] == 0
            and out["busy"] <= BUSY_SHARE * len(counted)
        )
        return out


def send(
    stack: Stack, sender: str, text: str, token: str, timeout: float
) -> tuple[float, bool, bool]:
    """One REST turn: (seconds, lost, busy)."""
    start = time.perf_counter()
    try:
        replies = stack.post(text, sender, token=token, timeout=timeout)
    except (OSError, ValueError):
        return time.perf_counter() - start, True, False
    texts = " ".join(str(r.get("text", "")) for r in replies if isinstance(r, dict))
    return time.perf_counter() - start, not replies, any(b in texts for b in BUSY)


def run_rate(
    stack: Stack, rate: float, seconds: float, think: float, scripts: list[list[tuple[str, str]]],
    seed: int, timeout: float,
) -> Step:  # fmt: skip
    """Open-loop conversations at ``rate`` messages/s for ``seconds``; wait for them all."""
    rng = random.Random(seed)
    mean_turns = sum(map(len, scripts)) / len(scripts)
    step = Step(rate, seconds)
    lock = threading.Lock()
    token = sign(SHOPPER, SECRET, ttl_seconds=3600)
    begin = time.monotonic()

    def shopper(n: int, script: list[tuple[str, str]], pauses: list[float]) -> None:
        sender = f"{SHOPPER}:cap{seed}x{n}"
        started = time.monotonic()
        for (text, kind), pause in zip(script, pauses, strict=True):
            sent = time.monotonic() - begin
            took, lost, busy = send(stack, sender, text, token, timeout)
            with lock:
                step.turns.append(Turn(sent, kind, took, lost, busy, sender))
            time.sleep(pause)
        with lock:
            step.conversation_seconds.append(time.monotonic() - started)

    threads = []
    at = rng.expovariate(rate / mean_turns)
    while at < seconds:
        script = rng.choice(scripts)
        pauses = [max(1.0, rng.expovariate(1 / think)) for _ in script[:-1]] + [0.0]
        time.sleep(max(0.0, at - (time.monotonic() - begin)))
        thread = threading.Thread(target=shopper, args=(len(threads), script, pauses))
        thread.start()
        threads.append(thread)
        at += rng.expovariate(rate / mean_turns)
    for thread in threads:
        thread.join()
    step.conversations = len(threads)
    return step


def not_stored(stack: Stack, turns: list[Turn]) -> int:
    """Messages sent that the tracker store does not hold (per conversation: sent - stored)."""
    sent = Counter(t.sender for t in turns)
    with sqlite3.connect(stack.tracker_db) as db:
        rows = db.execute(
            "select sender_id, count(*) from events where type_name = 'user' group by sender_id"
        ).fetchall()
    stored = dict(rows)
    return sum(max(0, n - stored.get(sender, 0)) for sender, n in sent.items())


@contextmanager
def checkout(rev: str | None) -> Iterator[Path]:
    """This checkout (``rev`` None), or a temporary worktree of ``rev``."""
    if rev is None:
        yield ROOT
        return
    folder = Path(tempfile.mkdtemp(prefix="kefu-baseline-"))
    subprocess.run(["git", "worktree", "add", "--detach", str(folder), rev], cwd=ROOT, check=True,
                   capture_output=True)  # fmt: skip
    try:
        yield folder
    finally:
        subprocess.run(["git", "worktree", "remove", "--force", str(folder)], cwd=ROOT,
                       check=False, capture_output=True)  # fmt: skip


def ladder(
    root: Path, label: str, args: argparse.Namespace, scripts: list[list[tuple[str, str]]]
) -> dict[str, Any]:
    """Every rate of ``args.rates`` on a fresh stack of ``root`` (stops past capacity)."""
    mean_turns = sum(map(len, scripts)) / len(scripts)
    env = {"KEFU_IDENTITY_SECRET": SECRET, "KEFU_RATE_LIMIT": "30", **dict(args.env)}
    steps: list[dict[str, Any]] = []
    with (
        tempfile.TemporaryDirectory(prefix="kefu-capacity-") as work,
        local_stack(Path(work), env, root=root) as stack,
    ):
        token = sign(SHOPPER, SECRET, ttl_seconds=3600)
        firsts = {kind: s for s in reversed(scripts) for _, kind in s}
        for n, script in enumerate(firsts.values()):  # every kind once: models loaded
            for text, _ in script:
                send(stack, f"{SHOPPER}:warm{n}", text, token, 120)
        all_turns: list[Turn] = []
        failed = 0
        for i, rate in enumerate(args.rates):
            step = run_rate(stack, rate, args.seconds, args.think, scripts, 100 * i + 1,
                                args.timeout)  # fmt: skip
            all_turns += step.turns
            figures = step.figures(mean_turns)
            steps.append(figures)
            shown = {k: v for k, v in figures.items() if k != "by_kind"}
            print(f"{label}: {json.dumps(shown)}", flush=True)
            failed = 0 if figures["held"] else failed + 1
            if failed >= 2 or (not figures["held"] and figures.get("p95_ms", 0) > 10_000):
                break
        missing = not_stored(stack, all_turns)
    held = [s for s in steps if s["held"]]
    best = max(held, key=lambda s: s["rate"]) if held else None
    return {
        "label": label,
        "capacity_msgs_per_s": best["rate"] if best else 0.0,
        "capacity_shoppers": best["concurrent_shoppers"] if best else 0.0,
        "not_stored": missing,
        "steps": steps,
    }


def plot(report: dict[str, Any], path: Path) -> None:
    """p95 per rate for each stack, with the 1.5 s line."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 4))
    for run in report["runs"]:
        rates = [s["rate"] for s in run["steps"] if "p95_ms" in s]
        ax.plot(rates, [s["p95_ms"] / 1000 for s in run["steps"] if "p95_ms" in s], "o-",
                label=f"{run['label']} (capacity {run['capacity_msgs_per_s']} msg/s)")  # fmt: skip
    ax.axhline(P95_TARGET_S, color="grey", linestyle="--", label="p95 target 1.5 s")
    ax.set_xlabel("arrival rate (messages/s)")
    ax.set_ylabel("p95 reply time (s)")
    ax.set_yscale("log")
    ax.set_title(f"kefu capacity, whole stack on {report['machine']}")
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)


def main(argv: list[str] | None = None) -> int:
    """Run the ladder (baseline first when asked); write the report and the plot."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--baseline", help="a git revision to measure first, e.g. main")
    parser.add_argument("--rates", type=lambda s: [float(x) for x in s.split(",")],
                        default=list(RATES), help="messages/s, comma-separated")  # fmt: skip
    parser.add_argument("--seconds", type=float, default=45.0, help="arrivals per rate")
    parser.add_argument("--think", type=float, default=4.0, help="mean pause between turns (s)")
    parser.add_argument("--timeout", type=float, default=120.0, help="per request (s)")
    parser.add_argument("--env", action="append", default=[], type=lambda s: s.split("=", 1),
                        help="NAME=VALUE for the stack (both stacks)")  # fmt: skip
    parser.add_argument("--out", type=Path, default=ROOT / "reports" / "capacity.json")
    args = parser.parse_args(argv)

    scripts = conversations()
    kinds = Counter(kind for script in scripts for _, kind in script)
    total = sum(kinds.values())
    runs = []
    for rev in ([args.baseline] if args.baseline else []) + [None]:
        head = subprocess.run(["git", "rev-parse", "--short", rev or "HEAD"], cwd=ROOT,
                              capture_output=True, text=True).stdout.strip()  # fmt: skip
        label = f"baseline {rev} ({head})" if rev else f"this checkout ({head})"
        with checkout(rev) as root:
            runs.append(ladder(root, label, args, scripts))
    report: dict[str, Any] = {
        "what": "whole stack (Rasa REST -> actions -> engine), open-loop conversations from "
        "bot/tests at rising rates; capacity: the highest rate with p95 <= 1.5 s, none lost, "
        "<= 1 % busy",
        "command": " ".join(
            ["python -m bench.capacity", *(sys.argv[1:] if argv is None else argv)]
        ),
        "machine": f"{platform.machine()}, {os.cpu_count()} CPUs",
        "date": time.strftime("%Y-%m-%d"),
        "think_s": args.think,
        "seconds_per_rate": args.seconds,
        "conversations": len(scripts),
        "mean_turns": round(total / len(scripts), 2),
        "mix": {k: round(v / total, 3) for k, v in kinds.most_common()},
        "runs": runs,
    }
    if len(runs) == 2 and runs[0]["capacity_msgs_per_s"]:
        report["ratio"] = round(runs[1]["capacity_msgs_per_s"] / runs[0]["capacity_msgs_per_s"], 2)
    args.out.write_text(json.dumps(report, indent=1, ensure_ascii=False) + "\n")
    plot(report, args.out.with_suffix(".png"))
    print(json.dumps({k: v for k, v in report.items() if k != "runs"}, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
