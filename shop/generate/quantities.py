"""Amounts with their meaning: money (¥399, 399 元) and measures (30 小时, 5 g, 25 L).

The guard uses these so that a number the facts contain cannot be moved onto something else:
"续航 5 小时" when 5 is the weight in grams, or "¥30" when 30 is the battery life, are
inventions although 5 and 30 are facts. A number with no unit after it is only checked against
the facts' numbers (``numbers``).
"""

from __future__ import annotations

import re

from shop.money import plain_number

AMOUNT = r"(\d+(?:[.,]\d+)*)"
NUMBER = re.compile(AMOUNT)
MONEY = re.compile(rf"(?:[¥￥]|满|减)\s*[¥￥]?\s*{AMOUNT}|{AMOUNT}\s*(?:元|块)")
UNITS = {  # unit -> the words that mean it, zh and en
    "h": ("小时", "h", "hr", "hrs", "hour", "hours"),
    "min": ("分钟", "min", "mins", "minute", "minutes"),
    "g": ("克", "g", "gram", "grams"),
    "kg": ("公斤", "千克", "kg"),
    "l": ("升", "l", "litre", "litres", "liter", "liters"),
    "ml": ("毫升", "ml"),
    "w": ("瓦", "w", "watt", "watts"),
    "inch": ("英寸", "寸", "inch", "inches", '"'),
    "year": ("年", "year", "years"),
    "month": ("个月", "month", "months"),
    "day": ("天", "day", "days"),
    "percent": ("%", "％"),
}
_WORD_UNIT = {w: unit for unit, words in UNITS.items() for w in words}
_WORDS = "|".join(re.escape(w) for w in sorted(_WORD_UNIT, key=len, reverse=True))
MEASURE = re.compile(rf"{AMOUNT}\s*({_WORDS})(?![A-Za-z])", re.I)


def numbers(text: str) -> set[str]:
    """The numbers written in digits in ``text`` (commas removed; ``4.0`` also as ``4``)."""
    found = {n.replace(",", "") for n in NUMBER.findall(text)}
    found |= {plain_number(n) for n in list(found)}
    return found


def _plain(number: str) -> str:
    return plain_number(number.replace(",", ""))


def money(text: str) -> set[str]:
    """The money amounts in ``text`` (``¥399``, ``¥1,299``, ``399 元``, ``满 300 减 40``)."""
    return {_plain(a or b) for a, b in MONEY.findall(text)}


def measures(text: str) -> set[tuple[str, str]]:
    """``(number, unit)`` pairs: ``续航 30 小时`` and ``30 hours`` are both ``("30", "h")``."""
    return {(_plain(n), _WORD_UNIT[w.lower()]) for n, w in MEASURE.findall(text)}


#: Amounts with a role in a deal: the threshold (满 300) and the reduction (减 40, ¥40 off).
DEAL_ROLES = {
    "threshold": re.compile(rf"满\s*[¥￥]?\s*{AMOUNT}"),
    "reduction": re.compile(rf"减\s*[¥￥]?\s*{AMOUNT}|[¥￥]\s*{AMOUNT}\s*off", re.I),
}


def _role(pattern: re.Pattern[str], text: str) -> set[str]:
    return {_plain(next(g for g in m.groups() if g)) for m in pattern.finditer(text)}


#: English wording of a deal's threshold (orders over ¥300) for constrained decoding.
_OVER = re.compile(rf"over\s*[¥￥]\s*{AMOUNT}", re.I)


def deal_amounts(text: str) -> dict[str, set[str]]:
    """The amounts of ``text``'s deals by role.

    ``threshold``: 满 300, over ¥300; ``reduction``: 减 40, ¥40 off.
    """
    return {
        "threshold": _role(DEAL_ROLES["threshold"], text) | _role(_OVER, text),
        "reduction": _role(DEAL_ROLES["reduction"], text),
    }


def misplaced(text: str, fact_text: str, amounts: set[str]) -> list[str]:
    """Amounts in the wrong place.

    Money that is not one of ``amounts``, a deal's threshold or reduction that the facts' deal
    does not have, a measure in another unit than in ``fact_text``.
    """
    out = [f"price:{a}" for a in sorted(money(text) - amounts)]
    for role, pattern in DEAL_ROLES.items():
        out += [
            f"deal:{role} {a}" for a in sorted(_role(pattern, text) - _role(pattern, fact_text))
        ]
    known = measures(fact_text)
    out += [f"unit:{n} {u}" for n, u in sorted(measures(text) - known)]
    return out
