"""What the channels check before a message reaches the dialogue, and the replies they give.

Every message a shopper can send gets an answer: an empty or over-long message, a flood from
one sender, or a malformed sender id is answered here, politely and in the shopper's language,
without running the dialogue; control characters are removed. When the dialogue itself gives
no reply (the action server is down, or an action failed) or is slow, the channels send the
``no_reply`` / ``slow`` replies (see ``bot/channels/watch.py``).

``TEXTS`` is all the channels say themselves, in both languages (the Rasa process cannot import
``actions/texts.py``, where the actions' wording lives); the agents' hours come from
``common/clock.py``.

Limits come from the environment of the Rasa process (declared in ``common/config.py``):
``KEFU_MAX_MESSAGE_CHARS``, ``KEFU_RATE_LIMIT`` (messages per minute per sender; 0 = off),
``KEFU_SLOW_REPLY_SECONDS`` (after this long a socket.io shopper is told kefu is still working;
the answer follows) and ``KEFU_REST_REPLY_SECONDS`` (REST answers once, so after this long that
is the reply).
"""

from __future__ import annotations

import re
import time
import unicodedata
from collections import deque
from dataclasses import dataclass, field

from common.clock import AGENT_HOURS
from common.config import value
from common.lang import detect_language

SENDER = re.compile(r"^[A-Za-z0-9_:.@-]{1,128}$")

TEXTS: dict[str, tuple[str, str]] = {
    "empty": ("请问有什么可以帮您？请输入您的问题。", "How can I help? Please type your question."),
    "too_long": (
        "您的消息太长了（最多 {limit} 个字），请精简后再发，或分几条发送。",
        "Your message is too long (at most {limit} characters). Please shorten it or split it.",
    ),
    "rate": (
        "您发得太快啦，请稍等一分钟再发，我会继续为您服务。",
        "You're sending messages very quickly. Please wait a minute, then go on; I'm still here.",
    ),
    "no_reply": (
        "抱歉，系统暂时出了点问题，没能处理您的消息。"
        "请稍后再试，或输入“转人工”联系人工客服（每天 {hours}）。",
        "Sorry, something went wrong on our side and your message wasn't handled. Please try "
        'again in a moment, or type "human" to reach an agent ({hours} daily, Beijing time).',
    ),
    "slow": (
        "正在为您处理，比平时慢一些，请稍等……也可以输入“转人工”联系人工客服。",
        'Still working on it, it\'s taking longer than usual. You can also type "human" for an '
        "agent.",
    ),
    "busy": (
        "现在咨询的人比较多，请稍等片刻再发一次；也可以输入“转人工”联系人工客服（每天 {hours}）。",
        "We're answering a lot of shoppers right now. Please send your message again in a "
        'moment, or type "human" to reach an agent ({hours} daily, Beijing time).',
    ),
    "bad_message": ("无法读取这条消息。", "This message could not be read."),
    "bad_session": (
        "会话编号无效，请刷新页面后重试。",
        "This conversation id is invalid; please reload the page.",
    ),
}


def reply(kind: str, text: str = "", **values: object) -> str:
    """The guard's reply of ``kind`` in the language of ``text`` (both languages if empty)."""
    zh, en = TEXTS[kind]
    values = {"hours": AGENT_HOURS, **values}
    if not text.strip():
        return f"{zh.format(**values)}\n{en.format(**values)}"
    return (zh if detect_language(text[:2000]) == "zh" else en).format(**values)


def clean(text: str) -> str:
    """NFC, without control and format characters (newlines and tabs become spaces)."""
    text = unicodedata.normalize("NFC", text)
    out = []
    for ch in text:
        if ch in "\n\t\r":
            out.append(" ")
        elif unicodedata.category(ch) in ("Cc", "Cs") or ch in "\u200b\u2028\u2029\ufeff":
            continue
        else:
            out.append(ch)
    return "".join(out).strip()


@dataclass
class Verdict:
    """What to do with one message: pass ``text`` on, or answer ``reply`` instead."""

    text: str
    reply: str | None = None


@dataclass
class Guard:
    """Per-process checks (each Rasa replica keeps its own rate counters)."""

    max_chars: int = 2000
    per_minute: int = 30
    slow_seconds: float = 10.0
    _seen: dict[str, deque[float]] = field(default_factory=dict)

    @classmethod
    def from_env(cls) -> Guard:
        """Limits from the environment (see the module docstring)."""
        return cls(
            max_chars=value("KEFU_MAX_MESSAGE_CHARS"),
            per_minute=value("KEFU_RATE_LIMIT"),
            slow_seconds=value("KEFU_SLOW_REPLY_SECONDS"),
        )

    def check(self, sender: str, raw: object, now: float | None = None) -> Verdict:
        """The verdict on one message from ``sender`` (its id already checked)."""
        text = clean(raw if isinstance(raw, str) else "")
        if self._flooding(sender, time.monotonic() if now is None else now):
            return Verdict(text, reply("rate", text))
        if not text:
            return Verdict(text, reply("empty"))
        if len(text) > self.max_chars:
            return Verdict(text, reply("too_long", text, limit=self.max_chars))
        return Verdict(text)

    def _flooding(self, sender: str, now: float) -> bool:
        if self.per_minute <= 0:
            return False
        seen = self._seen.setdefault(sender, deque())
        while seen and now - seen[0] > 60.0:
            seen.popleft()
        if len(seen) >= self.per_minute:
            return True
        seen.append(now)
        if len(self._seen) > 100_000:  # forget idle senders
            for key in [k for k, v in self._seen.items() if not v or now - v[-1] > 60.0]:
                del self._seen[key]
        return False


def valid_sender(sender: object) -> bool:
    """Whether ``sender`` is a usable conversation id (1-128 of letters, digits, ``_:.@-``)."""
    return isinstance(sender, str) and bool(SENDER.fullmatch(sender))
