"""Personal data in text: find it and replace it with a marker, before anything is stored.

Kinds: ``phone`` (mainland mobile and landline numbers), ``email``, ``id_card`` (18-character
resident ID, checksum verified), ``bank_card`` (13-19 digits passing the Luhn check),
``address`` (Chinese street addresses down to the house number and flat; English "12 Baker
Street"). ``KEFU_REDACT`` picks the kinds (comma-separated; default all, ``none`` for none).

Standard library only: the Rasa process imports this module too (its tracker store redacts
every event before writing it, ``bot/stores/redacting.py``), so that both processes agree.
Order numbers (``KF`` + 8 digits), prices and dates are not personal data and stay.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from typing import Any

from common import config

KINDS = ("phone", "email", "id_card", "bank_card", "address")
MARKERS = {kind: f"[{kind.upper()}]" for kind in KINDS}

_CN_PLACE = r"[\u4e00-\u9fff]{1,12}?(?:省|自治区|市|区|县|镇|乡|街道)"
_CN_ROAD = r"[\u4e00-\u9fff\d]{1,16}?(?:路|街|大道|道|巷|弄|胡同)"
_CN_UNIT = (
    r"(?:\s*[\d一二三四五六七八九十A-Za-z-]+\s*(?:号楼|栋|幢|座|单元|楼|层|室|号|户))*"
    r"(?:\s*\d{1,5}(?!\d))?"  # a bare flat number at the end: "2 栋 1201"
)
PATTERNS: dict[str, re.Pattern[str]] = {
    "email": re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}"),
    "id_card": re.compile(r"(?<![\dA-Za-z])[1-9]\d{16}[\dXx](?![\dA-Za-z])"),
    "bank_card": re.compile(r"(?<![\dA-Za-z])\d{4}(?:[ -]?\d){9,15}(?![\dA-Za-z])"),
    "phone": re.compile(
        r"(?<![\dA-Za-z])(?:(?:\+|00)?86[ -]?)?(?:1[3-9]\d[ -]?\d{4}[ -]?\d{4}"
        r"|0\d{2,3}-?\d{7,8})(?![\dA-Za-z])"
    ),
    "address": re.compile(
        rf"(?:{_CN_PLACE})*{_CN_ROAD}\s*\d+\s*(?:号|弄){_CN_UNIT}"
        r"|\b\d{1,5}\s+(?:[A-Z][a-z]+\s+){1,4}"
        r"(?:Street|St|Road|Rd|Avenue|Ave|Lane|Ln|Boulevard|Blvd|Drive|Dr)\b\.?"
    ),
}
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)


def _id_card_ok(text: str) -> bool:
    total = sum(int(d) * w for d, w in zip(text[:17], _ID_WEIGHTS, strict=True))
    return "10X98765432"[total % 11] == text[17].upper()


def _luhn_ok(text: str) -> bool:
    digits = [int(c) for c in text if c.isdigit()]
    total = 0
    for i, d in enumerate(reversed(digits)):
        if i % 2:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return 13 <= len(digits) <= 19 and total % 10 == 0


CHECKS: dict[str, Callable[[str], bool]] = {"id_card": _id_card_ok, "bank_card": _luhn_ok}


def kinds_from_env(value: str | None = None) -> tuple[str, ...]:
    """The kinds ``KEFU_REDACT`` asks for (unknown names raise ValueError)."""
    value = config.value("KEFU_REDACT") if value is None else value
    names = [n.strip() for n in value.replace(" ", ",").split(",") if n.strip()]
    if names in (["all"], []):
        return KINDS
    if names == ["none"]:
        return ()
    unknown = set(names) - set(KINDS)
    if unknown:
        raise ValueError(f"KEFU_REDACT: unknown kinds {sorted(unknown)}; known: {KINDS}")
    return tuple(k for k in KINDS if k in names)


class Redactor:
    """Replace the configured kinds of personal data in text (and in nested JSON values)."""

    # Order matters: an ID card or a bank card is a long digit run a phone pattern could split.
    ORDER = ("email", "id_card", "bank_card", "phone", "address")

    def __init__(self, kinds: Iterable[str] = KINDS) -> None:
        self.kinds = tuple(k for k in self.ORDER if k in set(kinds))

    @classmethod
    def from_env(cls) -> Redactor:
        """The kinds ``KEFU_REDACT`` names."""
        return cls(kinds_from_env())

    def text(self, text: str) -> str:
        """``text`` with each configured kind replaced by its marker, e.g. ``[PHONE]``."""
        for kind in self.kinds:
            check = CHECKS.get(kind)

            def swap(m: re.Match[str], kind: str = kind, check: Any = check) -> str:
                return MARKERS[kind] if check is None or check(m.group()) else m.group()

            text = PATTERNS[kind].sub(swap, text)
        return text

    def value(self, value: Any) -> Any:
        """Strings redacted inside dicts and lists (keys and non-strings kept)."""
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, dict):
            return {k: self.value(v) for k, v in value.items()}
        if isinstance(value, list):
            return [self.value(v) for v in value]
        return value
