"""What the return policy allows for one item of one order (rules from ``data/store.yaml``)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import yaml

from shop.orders.models import Order, OrderItem

# Words that mean the item itself is faulty (policy: "quality problem"), zh and en.
_QUALITY = re.compile(
    r"坏|质量|破损|损坏|故障|瑕疵|不能用|用不了|开不了机|无法开机|漏|少了?配件|缺配件|描述不符|不符|假货|发霉|变质|过期"
    r"|broken|defect|faulty|damaged|not working|doesn'?t work|does not work|stopped working"
    r"|missing (?:part|piece|accessor)|not as described|cracked|leak|expired|fake|mou?ld",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class ReturnRules:
    """The store's return rules."""

    no_reason_days: int = 7
    quality_days: int = 15
    no_reason_fee: int = 10
    not_returnable_without_reason: tuple[str, ...] = ()

    @classmethod
    def load(cls, path: Path) -> ReturnRules:
        """Read the ``returns`` section of ``data/store.yaml``."""
        data = yaml.safe_load(path.read_text(encoding="utf-8"))["returns"]
        data["not_returnable_without_reason"] = tuple(data["not_returnable_without_reason"])
        return cls(**data)


@dataclass(frozen=True)
class ReturnDecision:
    """The outcome for one item.

    ``outcome`` is one of: ``no_reason`` (allowed, shopper pays ``fee``), ``quality``
    (allowed, free, return or exchange), ``not_delivered``, ``excluded`` (no no-reason return
    for this kind of item), ``too_late``, ``already_requested``, ``not_returnable`` (cancelled
    or already returned orders).
    """

    outcome: str
    fee: int = 0
    days_left: int = 0

    @property
    def allowed(self) -> bool:
        """True when a request can be recorded."""
        return self.outcome in ("no_reason", "quality")


def is_quality_problem(reason: str) -> bool:
    """Whether the shopper's reason describes a faulty item."""
    return bool(_QUALITY.search(reason or ""))


def decide_return(
    order: Order, item: OrderItem, reason: str, rules: ReturnRules, now: datetime
) -> ReturnDecision:
    """Apply the rules to the item; ``now`` is naive UTC like the store."""
    if order.state in ("cancelled", "returned"):
        return ReturnDecision("not_returnable")
    if order.state != "delivered" or order.delivered_at is None:
        return ReturnDecision("not_delivered")
    if any(r.item_id == item.id for r in order.returns):
        return ReturnDecision("already_requested")
    days = (now - order.delivered_at).days
    if is_quality_problem(reason):
        if days < rules.quality_days:
            return ReturnDecision("quality", 0, rules.quality_days - days)
        return ReturnDecision("too_late")
    tags = set(filter(None, item.tags.split("|")))
    if tags & set(rules.not_returnable_without_reason):
        return ReturnDecision("excluded")
    if days < rules.no_reason_days:
        return ReturnDecision("no_reason", rules.no_reason_fee, rules.no_reason_days - days)
    return ReturnDecision("too_late")


def match_item(order: Order, words: str) -> OrderItem | None:
    """The order line the shopper means ("the headphones", "耳机", "第二件"); one line: that one."""
    if len(order.items) == 1:
        return order.items[0]
    text = (words or "").lower().strip()
    ordinal = re.search(
        r"第\s*([一二三四五1-5])\s*[件个样]|(\d)(?:st|nd|rd|th)? (?:item|one)", text
    )
    if ordinal:
        raw = ordinal.group(1) or ordinal.group(2)
        n = "一二三四五".find(raw) + 1 if raw in "一二三四五" else int(raw)
        return order.items[n - 1] if 0 < n <= len(order.items) else None
    pieces = re.findall(r"[a-z0-9]+|[\u4e00-\u9fff]{1}", text)
    best, best_score = None, 0
    for item in order.items:
        names = " ".join((item.name_zh, item.name_en, item.type_zh, item.type_en)).lower()
        score = sum(1 for w in pieces if w in names)
        if text and (text in names or item.type_zh in text or item.type_en.lower() in text):
            score += 10
        if score > best_score:
            best, best_score = item, score
    return best if best_score >= 2 else None
