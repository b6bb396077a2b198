"""The guardrail: a generated text may state only what its facts say.

Checks, each a named problem: wrong language; too long; empty; a number (digits or a Chinese
numeral with a unit) that no fact contains; a catalog brand or product name that is not one
of the facts' products; a stock state the facts contradict; a promise (free shipping, gifts,
discounts, guarantees, lowest price, ...) that no fact makes; none of the products named.
The shopper's own words are not facts: "只要 1 元" injected by a shopper does not make ¥1 one.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from knowledge.catalog import Catalog
from knowledge.generate.facts import Facts
from knowledge.money import chinese_number, plain_number

LIMITS = {  # (zh characters, en words)
    "pitch": (120, 60),
    "marketing": (120, 60),
    "description": (200, 110),
}
PROMISES = {
    "zh": ("包邮", "免运费", "免邮", "赠品", "赠送", "送您", "买一送一", "打折", "折扣", "立减",
           "满减", "优惠券", "红包", "保证", "保修", "包退", "退款", "最低价", "全网最低", "限时",
           "秒杀", "正品", "终身", "免费"),
    "en": ("free shipping", "free delivery", "ships free", "gift", "discount", "% off", "coupon",
           "guarantee", "warranty", "refund", "lowest price", "cheapest", "limited time",
           "lifetime", "free", "bonus", "bogo", "half price"),
}  # fmt: skip
DISCOUNT = re.compile(r"[\d一二三四五六七八九]\s*折")
CJK = re.compile(r"[\u4e00-\u9fff]")
LATIN = re.compile(r"[A-Za-z]")
NUMBER = re.compile(r"\d+(?:[.,]\d+)*")
CN_NUMBER = re.compile(r"([零一二两三四五六七八九十百千万]+)\s*(?=[元块折件天年个克斤升%％倍])")


def _numbers(text: str) -> set[str]:
    found = {n.replace(",", "") for n in NUMBER.findall(text)}
    found |= {plain_number(n) for n in list(found)}
    return found


class Guard:
    """Checks generated texts against their facts; knows the catalog's names to spot inventions."""

    def __init__(self, catalog: Catalog) -> None:
        names: set[str] = set()
        for p in catalog.products:
            names |= {p.name_zh.lower(), p.name_en.lower()}
            names |= {part.lower() for part in p.brand.split() if len(part) > 1}
        self.names = sorted(names, key=len, reverse=True)

    def problems(self, text: str, facts: Facts) -> list[str]:
        """What is wrong with ``text`` for ``facts`` (empty: it may be shown)."""
        text = text.strip()
        if not text:
            return ["empty"]
        out: list[str] = []
        out += _language(text, facts.lang)
        zh_limit, en_limit = LIMITS[facts.kind]
        if (facts.lang == "zh" and len(text) > zh_limit) or (
            facts.lang == "en" and len(text.split()) > en_limit
        ):
            out.append("too_long")
        source = self._fact_text(facts)
        out += [f"number:{n}" for n in sorted(self._unsupported_numbers(text, source))]
        out += [f"name:{n}" for n in self._foreign_names(text, source)]
        low, src_low = text.lower(), source.lower()
        out += [f"promise:{p}" for p in PROMISES[facts.lang] if p in low and p not in src_low]
        if facts.lang == "zh" and DISCOUNT.search(text) and not DISCOUNT.search(source):
            out.append("promise:折")
        out += _stock(low, facts)
        named = [p for p in facts.products if p.brand.lower() in low or p.name.lower() in low
                 or p.type.lower() in low]  # fmt: skip
        if facts.products and not named:
            out.append("no_product")
        return out

    @staticmethod
    def _fact_text(facts: Facts) -> str:
        parts: list[str] = [facts.promotion, *facts.extra.values()]
        for p in facts.products:
            parts += [p.name, p.brand, p.type, p.price, str(p.rating), p.stock, p.reason]
            parts += [f"{k} {v}" for k, v in p.attributes]
        return "\n".join(parts)

    @staticmethod
    def _unsupported_numbers(text: str, source: str) -> set[str]:
        allowed = _numbers(source)
        said = _numbers(text)
        for m in CN_NUMBER.finditer(text):
            value = chinese_number(m.group(1))
            if value is not None:
                said.add(plain_number(str(value)))
        return {n for n in said if n not in allowed}

    def _foreign_names(self, text: str, source: str) -> Iterable[str]:
        low = text.lower()
        own = source.lower()
        for name in self.names:
            if name in low and name not in own:
                yield name
                low = low.replace(name, " ")


IN_STOCK = ("有货", "现货", "in stock", "available now")
OUT_OF_STOCK = ("缺货", "售罄", "卖完", "out of stock", "sold out")


def _stock(low: str, facts: Facts) -> list[str]:
    """A text must not call an out-of-stock product available, or an available one sold out."""
    if len(facts.products) != 1:
        return []
    out = any(w in facts.products[0].stock.lower() for w in OUT_OF_STOCK)
    says_in = any(w in low for w in IN_STOCK) and not any(w in low for w in OUT_OF_STOCK)
    says_out = any(w in low for w in OUT_OF_STOCK)
    return ["stock"] if (out and says_in) or (not out and says_out) else []


def _language(text: str, lang: str) -> list[str]:
    cjk, latin = len(CJK.findall(text)), len(LATIN.findall(text))
    if lang == "en" and cjk:
        return ["language"]
    if lang == "zh" and cjk < max(4, latin):
        return ["language"]
    return []
