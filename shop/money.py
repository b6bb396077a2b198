"""Amounts of money as shoppers write them: "500以内", "¥1,299", "两千", "1.5k", "300 yuan"."""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

_DIGITS = {
    "零": 0,
    "一": 1,
    "二": 2,
    "两": 2,
    "三": 3,
    "四": 4,
    "五": 5,
    "六": 6,
    "七": 7,
    "八": 8,
    "九": 9,
}
_UNITS = {"十": 10, "百": 100, "千": 1000, "万": 10000}


def chinese_number(text: str) -> int | None:
    """``"两千五"`` -> 2500, ``"三百"`` -> 300, ``"一万"`` -> 10000; None if not a number."""
    if not text or any(c not in _DIGITS and c not in _UNITS for c in text):
        return None
    total, current, last_unit = 0, 0, 1
    for c in text:
        if c in _DIGITS:
            current = _DIGITS[c]
        else:
            unit = _UNITS[c]
            total += (current or 1) * unit
            current, last_unit = 0, unit
    if current:  # "两千五": a trailing digit counts in the next smaller unit
        total += current * (last_unit // 10 if last_unit >= 10 else 1)
    return total


def parse_money(text: str | None) -> Decimal | None:
    """The first amount in ``text``, in yuan; None when there is none."""
    if not text:
        return None
    m = re.search(r"(\d[\d,]*(?:\.\d+)?)\s*([kK千wW万])?", text)
    if m:
        try:
            value = Decimal(m.group(1).replace(",", ""))
        except InvalidOperation:
            return None
        unit = (m.group(2) or "").lower()
        return value * (1000 if unit in ("k", "千") else 10000 if unit in ("w", "万") else 1)
    m = re.search(r"[零一二两三四五六七八九十百千万]+", text)
    if m:
        number = chinese_number(m.group(0))
        return Decimal(number) if number else None
    return None


_LIMIT = re.compile(
    r"(\d[\d,]*(?:\.\d+)?)\s*(?:元|块钱|块|rmb|yuan)?\s*(?:以内|以下|之内)"
    r"|(?:under|below|less than|within|up to|max)\s*(?:¥|rmb\s*)?(\d[\d,]*(?:\.\d+)?)"
    r"|预算\s*(?:¥)?(\d[\d,]*(?:\.\d+)?)",
    re.IGNORECASE,
)


def budget_in(text: str | None) -> Decimal | None:
    """A spending limit written in ``text`` ("500 以内", "under 300", "预算800"), else None.

    For when NLU found no budget entity: only amounts phrased as a limit count.
    """
    m = _LIMIT.search(text or "")
    if not m:
        return None
    number = next(g for g in m.groups() if g)
    try:
        return Decimal(number.replace(",", ""))
    except InvalidOperation:
        return None


def plain_number(number: str) -> str:
    """``"399.00"`` -> ``"399"``, ``"4.50"`` -> ``"4.5"``, ``"800"`` stays."""
    return number.rstrip("0").rstrip(".") if "." in number else number


def yuan(amount: Decimal) -> str:
    """An amount as the shopper reads it, without trailing zeros: 399, 29.8."""
    return plain_number(f"{amount:f}")
