"""Concurrent shoppers over Rasa's REST channel, each message resent until it is answered.

Used by the scaled mode's tests (a replica killed mid-run) and its benchmark. Every message
carries a ``message_id``, so a resend after a dropped connection is answered once
(``bot/channels/replay.py``).
"""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from common.stats import percentile

#: what each shopper says, in order: a greeting, a policy question (the answer engine), thanks
SCRIPT = ("你好", "退货政策是什么？", "谢谢")


@dataclass
class Turn:
    """One message: when it was first sent, how long until answered, how many sends it took."""

    sender: str
    message_id: str
    seconds: float = 0.0
    attempts: int = 0
    replies: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    @property
    def answered(self) -> bool:
        """At least one non-empty reply came back."""
        return any(r.strip() for r in self.replies)


def send(
    url: str, sender: str, text: str, message_id: str, timeout: float = 120, token: str = ""
) -> list[str]:
    """POST one message to ``url``'s REST channel; the replies' texts.

    ``token``: the shopper's signed token (common/identity.py); without it a guest.
    """
    payload = {"sender": sender, "message": text, "message_id": message_id}
    body = json.dumps(payload | ({"token": token} if token else {})).encode()
    request = urllib.request.Request(
        f"{url}/webhooks/rest/webhook", data=body, headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=timeout) as response:
        return [m.get("text", "") for m in json.loads(response.read())]


def converse(
    url: str, sender: str, script: tuple[str, ...] = SCRIPT, attempts: int = 8, deadline: float = 0
) -> list[Turn]:
    """Send ``script`` as ``sender``, one message after the other's answer, resending on errors."""
    turns = []
    for i, text in enumerate(script):
        turn = Turn(sender, f"{sender}-{i}")
        start = time.monotonic()
        while turn.attempts < attempts and (not deadline or time.monotonic() < deadline):
            turn.attempts += 1
            try:
                turn.replies = send(url, sender, text, turn.message_id)
                break
            except (urllib.error.URLError, OSError, ValueError) as exc:
                turn.errors.append(f"{type(exc).__name__}: {exc}"[:200])
                time.sleep(min(2.0 * turn.attempts, 8.0))
        turn.seconds = time.monotonic() - start
        turns.append(turn)
    return turns


def run_load(
    url: str, conversations: int, prefix: str, script: tuple[str, ...] = SCRIPT, budget: float = 600
) -> list[Turn]:
    """``conversations`` shoppers at once (one thread each); every turn of every shopper."""
    deadline = time.monotonic() + budget
    with ThreadPoolExecutor(conversations) as pool:
        futures = [
            pool.submit(converse, url, f"{prefix}-{i}", script, 8, deadline)
            for i in range(conversations)
        ]
        return [t for f in futures for t in f.result()]


def summary(turns: list[Turn], seconds: float) -> dict[str, float | int]:
    """Messages, answered, resends, throughput (messages/s) and latency percentiles."""
    latencies = sorted(t.seconds for t in turns) or [0.0]

    def pct(p: float) -> float:
        return round(percentile(latencies, p), 3)

    return {
        "messages": len(turns),
        "answered": sum(t.answered for t in turns),
        "resent": sum(t.attempts - 1 for t in turns),
        "seconds": round(seconds, 1),
        "messages_per_s": round(len(turns) / seconds, 2) if seconds else 0.0,
        "p50_s": pct(0.5),
        "p95_s": pct(0.95),
    }
