"""The guardrail: a generated text may state only what its facts say.

Checks, each a named problem: wrong language; too long; too short (little beyond the
product's name); empty; a number (digits or a Chinese numeral with a unit) that no fact
contains; money that is not one of the facts' prices or amounts, a deal's threshold or
reduction (满 300 减 40) other than the facts' deal, a measure in another unit than the facts
give it (``quantities.py``); copy that repeats itself or is a list of stubs (``quality``); a
feature of the prompt's solved examples that this product does not have (``example:``, the
small model's favourite invention); a catalog brand or product name that is not one of the
facts' products; another catalog value of one of the product's own features, which the facts
do not give (``value:``, "黑鹅绒" for a jacket filled with white duck down); a stock state the
facts contradict; a promise (free shipping, gifts, discounts, guarantees, lowest price, ...)
that no fact makes; none of the products named.
The shopper's own words are not facts: "只要 1 元" injected by a shopper does not make ¥1 one.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterable

from shop.catalog import Catalog
from shop.generate.facts import Facts, ProductFacts
from shop.generate.prompt import EXAMPLE_ONLY, low_text
from shop.generate.quantities import NUMBER, misplaced, numbers
from shop.money import chinese_number, plain_number

LIMITS = {  # (zh characters, en words)
    "pitch": (120, 60),
    "marketing": (120, 60),
    "description": (200, 110),
}
MINIMUM = (6, 5)  # beyond the product's name: zh characters, en words (else: too_short)
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
METRIC = re.compile(r"千(?=克|米|瓦|卡)")
CN_NUMBER = re.compile(r"([零一二两三四五六七八九十百千万]+)\s*(?=[元块折件天年个克斤升%％倍])")


#: The problems that state something the facts do not (the others are of form: length,
#: language, repetition, no product named).
FACT_PROBLEMS = ("number", "price", "deal", "unit", "example", "name", "value", "promise", "stock",
                 "feature")  # fmt: skip


def invented(problems: Iterable[str]) -> list[str]:
    """The ``problems`` that are invented facts."""
    return [p for p in problems if p.split(":")[0] in FACT_PROBLEMS]


class Guard:
    """Checks generated texts against their facts; knows the catalog's names to spot inventions."""

    def __init__(self, catalog: Catalog) -> None:
        names: set[str] = set()
        brands: set[str] = set()
        for p in catalog.products:
            names |= {p.name_zh.lower(), p.name_en.lower()}
            brands |= {part for part in p.brand.split() if len(part) > 1}
        # Latin brand words match as capitalised whole words ("Books" the brand, not "books").
        words = {b for b in brands if b.isascii()}
        names |= {b.lower() for b in brands - words}
        self.names = sorted(names, key=len, reverse=True)
        self.values = {"zh": feature_values(p.attributes_zh for p in catalog.products),
                       "en": feature_values(p.attributes_en for p in catalog.products)}  # fmt: skip
        self.brand_words = {b: re.compile(rf"\b{re.escape(b)}\b") for b in sorted(words)}

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
        if _substance(text, facts) < MINIMUM[facts.lang == "en"]:
            out.append("too_short")
        source = facts.text()
        out += [f"number:{n}" for n in sorted(self._unsupported_numbers(text, source))]
        out += misplaced(text, source, facts.amounts())
        out += quality(text, facts.lang)
        out += readable(text, facts)
        plain, plain_source = low_text(text), low_text(source)
        out += [f"example:{w}" for w in EXAMPLE_ONLY[facts.lang] if w in plain
                and w not in plain_source]  # fmt: skip
        out += [f"name:{n}" for n in self._foreign_names(text, source)]
        out += [f"value:{v}" for v in self._foreign_values(plain, plain_source, facts)]
        low, src_low = text.lower(), source.lower()
        out += [f"promise:{p}" for p in PROMISES[facts.lang] if p in low and p not in src_low]
        if facts.lang == "zh" and DISCOUNT.search(text) and not DISCOUNT.search(source):
            out.append("promise:折")
        out += _stock(low, facts)
        out += _rating(low, facts)
        named = [p for p in facts.products if p.brand.lower() in low or p.name.lower() in low
                 or p.type.lower() in low]  # fmt: skip
        if facts.products and not named:
            out.append("no_product")
        return out

    @staticmethod
    def _unsupported_numbers(text: str, source: str) -> set[str]:
        allowed = numbers(source) | _chinese_numbers(source)  # 《丝路千年》 names its 千
        said = numbers(text) | _chinese_numbers(text)
        return {n for n in said if n not in allowed}

    def _foreign_names(self, text: str, source: str) -> Iterable[str]:
        low = text.lower()
        own = source.lower()
        for name in self.names:
            if name in low and name not in own:
                yield name
                low = low.replace(name, " ")
        for word, pattern in self.brand_words.items():
            if pattern.search(text) and not pattern.search(source) and word.lower() in low:
                yield word.lower()

    def _foreign_values(self, plain: str, own: str, facts: Facts) -> Iterable[str]:
        """Another value of one of the products' own features, which the facts do not give.

        ``plain`` and ``own``: the text and the facts' text as phrases are compared (``low_text``).

        Only the features the products have are checked ("silver" for a product whose colours
        are black and white; "鹅绒" for a jacket filled with duck down), so that copy may
        still use a common word that some other product has as a feature value.
        """
        low = plain
        for p in facts.products:  # "English Grammar Illustrated by ..." names no illustrator
            low = low.replace(low_text(p.name), " | ")
            for _, value in p.attributes:  # "激光 + 3D 结构光导航" is not "激光导航"'s 光导
                for part in VALUE_PARTS.split(low_text(value)):
                    if len(part.strip()) > 1:
                        low = low.replace(part.strip(), " | ")
        values = self.values[facts.lang]
        keys = {low_text(k).strip() for p in facts.products for k, _ in p.attributes}
        own_stems = _stems(own)
        for key in sorted(keys & values.keys()):
            for value, pattern in values[key].items():
                if value not in own and _stems(value) not in own_stems and pattern.search(low):
                    yield value


FeatureValues = dict[str, dict[str, re.Pattern[str]]]
VALUE_PARTS = re.compile(r"[/、，,+]")  # a value's alternatives: 黑/白, 激光 + 3D 结构光


def feature_values(attributes: Iterable[str]) -> FeatureValues:
    """Every catalog feature's values, as phrases a text may state, each with its pattern.

    From "填充物: 90% 白鸭绒; 颜色: 米白/雾霾蓝" come 填充物: 白鸭绒 and 颜色: 米白, 雾霾蓝
    (runs of two or more Chinese characters); from "fill: 90% white duck down; colours:
    off-white/haze blue" come "white duck down", "off white", "haze blue" (letters, matched as
    whole words; a one-word value of under five letters is too common to tell); not units.
    """
    out: FeatureValues = {}
    for line in attributes:
        for pair in line.split(";"):
            if ":" not in pair:
                continue
            key, value = (low_text(x).strip() for x in pair.split(":", 1))
            phrases = out.setdefault(key, {})
            for part in VALUE_PARTS.split(value):
                for phrase in sorted(_phrases(part) - NOT_VALUES):
                    phrases.setdefault(phrase, re.compile(
                        re.escape(phrase) if CJK.search(phrase) else rf"\b{re.escape(phrase)}\b"
                    ))  # fmt: skip
    return out


# Units (measures are checked as such, ``quantities.py``) and words that only introduce a value.
NOT_VALUES = {"小时", "分钟", "个月", "千克", "公斤", "英寸", "厘米", "毫米", "毫升", "毫安时",
              "万像素", "亿像素", "hours", "days", "weeks", "months", "years", "minutes", "inch",
              "keys", "written", "illustrated", "written and", "and illustrated"}  # fmt: skip


def _phrases(part: str) -> set[str]:
    """A value's phrases and their parts.

    白鹅绒 gives 鹅绒 too (a "黑鹅绒" is still goose down); "white goose down" gives "goose down"
    and "goose".
    """
    out: set[str] = set()
    if CJK.search(part):
        for run in re.findall(r"[\u4e00-\u9fff]{2,}", part):
            out |= {run[i:j] for i in range(len(run)) for j in range(i + 2, len(run) + 1)}
        return out - ZH_GLUE
    for phrase in re.findall(r"[a-z]+(?:[ '][a-z]+)*", re.sub(r"\S*\d\S*", " ", part)):
        words = phrase.split()
        spans = (words[i:j] for i in range(len(words)) for j in range(i + 1, len(words) + 1))
        out |= {" ".join(w) for w in spans if (len(w) > 1 or len(w[0]) >= 5)
                and w[0] not in GLUE and w[-1] not in GLUE}  # fmt: skip
    return out


# A value's phrase neither starts nor ends with one of these ("keeps for", "by the" are not
# values: they are how any copy says one).
GLUE = {
    "a",
    "an",
    "the",
    "for",
    "by",
    "of",
    "to",
    "at",
    "in",
    "on",
    "if",
    "and",
    "or",
    "with",
    "keeps",
    "is",
    "are",
}
# Chinese words any copy uses around a value (支持 of 支持浮潜, 肌肤 of 干裂肌肤)
ZH_GLUE = {"支持", "肌肤", "适合", "适用", "可选", "采用"}


def _stems(text: str) -> str:
    """English words without their -ed / -d / -s ending: "refrigerated" is "refrigerate"."""
    return re.sub(r"(?:ed|d|s)\b", "", text)


def _chinese_numbers(text: str) -> set[str]:
    """Numbers written in Chinese numerals before a unit (三件, 七折, 一个), as digits."""
    out = set()
    for m in CN_NUMBER.finditer(METRIC.sub("", text)):  # 5 千克 is 5 kg, not 5 and 1000
        value = chinese_number(m.group(1))
        if value is not None:
            out.add(plain_number(str(value)))
    return out


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


RATING = re.compile(
    r"(?:评分|评价|打分|\brated(?! at)|\brating(?: of)?|\brate (?:it|them))\s*(?:为|是|高达|of)?\s*"
    r"(\d[\d,]*(?:\.\d+)?)(?!\d|[.,]\d|\s*(?:%|°|分钟|小时|(?:mm|cm|kg|g|w|v|ml|l|hz|db|mah|atm"
    r"|rpm|pa|m|h|min|hp)\b))"
)


def _rating(low: str, facts: Facts) -> list[str]:
    """A number said as the rating ("评分 4.2", "rated 4.2") must be a product's rating.

    The model moves the battery's 4.2 g onto the rating of a product rated 4.0: each number
    is in the facts, but not as the rating.
    """
    ratings = {float(p.rating) for p in facts.products}
    said = {float(m.group(1).replace(",", "")) for m in RATING.finditer(low)}
    return ["rating"] if said - ratings else []


def _language(text: str, lang: str) -> list[str]:
    cjk, latin = len(CJK.findall(text)), len(LATIN.findall(text))
    if lang == "en" and cjk:
        return ["language"]
    if lang == "zh" and cjk < max(4, latin):
        return ["language"]
    return []


SHORT_PART = re.compile(r"[^，、。；！？,;.!?]+")


def _substance(text: str, facts: Facts) -> int:
    """How much ``text`` says beyond its products' names: CJK characters (zh) or words (en)."""
    rest = text
    for p in facts.products:
        rest = rest.replace(p.name, " ")
    return len(CJK.findall(rest)) if facts.lang == "zh" else len(re.findall(r"[A-Za-z]+", rest))


def quality(text: str, lang: str) -> list[str]:
    """Problems of form: ``repetitive`` or ``fragmentary``.

    ``repetitive``: over a quarter of its character (zh) or word (en) pairs are repeats;
    ``fragmentary``: four or more stubs of one to three characters (a list of labels, not copy).
    """
    units = CJK_OR_WORD[lang].findall(text.lower())
    pairs = list(itertools.pairwise(units))
    out = []
    if len(pairs) >= 8 and (len(pairs) - len(set(pairs))) / len(pairs) > 0.25:
        out.append("repetitive")
    if lang == "zh":
        stubs = [p for p in SHORT_PART.findall(text) if 0 < len(p.strip()) <= 3 and CJK.search(p)]
        if len(stubs) >= 4:
            out.append("fragmentary")
    return out


CJK_OR_WORD = {"zh": re.compile(r"[\u4e00-\u9fff]|[a-z0-9]+"), "en": re.compile(r"[a-z0-9]+")}


# -- what a shopper would not want to read, though every fact in it is right
ENDS = ("。", "！", "？", "!", "?", ".", "…", "」", "』", "）", ")", "”", '"', "~", "～")
DANGLING = re.compile(  # a last word that needs more after it ("with a 1."), or a colon
    r"(?:\b(?:a|an|the)(?:\s+\d+)?\.?|\b(?:with|and|or|of|to|for|its|is|are)\.?|[:：,，、;；])\s*$",
    re.I,
)
DOUBLED = {
    "zh": re.compile(r"([\u4e00-\u9fff]{2,4})\1"),
    "en": re.compile(r"\b([a-z]+)\s+\1\b", re.I),
}
CLAUSES = re.compile(r"[，。；;!?！？\n、]|,(?!\d)|\.(?!\d)")  # not 4.2 or 1,299
LEADING = re.compile(r"^\s*(?:and|with|plus|以及|和)\s+", re.I)


def readable(text: str, facts: Facts) -> list[str]:
    """Problems a fact check does not see, each found in the small model's shown texts.

    - ``unfinished``: it stops mid-thought: a colon, comma or article last ("该产品具有以下
      特点：", "with a 1."), or a description without its closing punctuation (cut off);
    - ``doubled``: a word written twice in a row ("以下以下", "the the");
    - ``field_list``: three or more clauses that are only a feature and its value, and most
      of the text ("降噪 20 毫秒；重量 4.2 克；颜色 白/粉/蓝"): the facts, not copy;
    - ``one_clause``: a description that is a single clause beyond the product's name;
    - ``feature:<name>``: a number given to a feature whose value it is not, though another
      feature's ("30 小时降噪" when 30 hours is the battery): an invented fact.
    """
    out = []
    lang = facts.lang
    body = text.strip()
    if DANGLING.search(body) or (facts.kind == "description" and not body.endswith(ENDS)):
        out.append("unfinished")
    if DOUBLED[lang].search(body):
        out.append("doubled")
    rest = body
    for p in facts.products:
        rest = rest.replace(p.name, " ")
    clauses = [c.strip() for c in CLAUSES.split(rest) if c.strip()]
    keys = [low_key(k) for p in facts.products for k, _ in p.attributes if low_key(k)]
    bare = [c for c in clauses if _is_field(c, keys, lang)]
    if len(bare) >= 3 and len(bare) >= 0.6 * len(clauses):  # a spec line in prose is fine
        out.append("field_list")
    if facts.kind == "description" and len(clauses) < 2:
        out.append("one_clause")
    out += [f"feature:{k}" for k in _misattached(clauses, facts)]
    return out


def low_key(key: str) -> str:
    """A feature's name as clauses are compared (lower case; "colours" also matches "colour")."""
    key = key.strip().lower()
    return key[:-1] if key.endswith("s") and len(key) > 4 else key


def _is_field(clause: str, keys: list[str], lang: str) -> bool:
    """A clause that is only a feature's name and a short value."""
    clause = LEADING.sub("", clause).lower()
    short = len(clause) <= 14 if lang == "zh" else len(clause.split()) <= 6
    return short and any(clause.startswith(k) for k in keys)


def _misattached(clauses: list[str], facts: Facts) -> list[str]:
    """Features given another feature's number.

    The number is written next to the feature's name (only a unit or a word between, no
    "with" / "and"), in a clause that names only that feature.
    """
    found = []
    for p in facts.products:
        values = {low_key(k): numbers(v) for k, v in p.attributes if low_key(k)}
        not_features = numbers(f"{p.price} {p.rating}")  # ¥399, rated 4.0: not 4K
        for clause in clauses:
            low = clause.lower()
            inside = _value_spans(low, p)  # "fabric" in "12 fabrics to choose from" is a value
            named = [k for k in values if any(not _within(m.start(), inside)
                                              for m in re.finditer(re.escape(k), low))]  # fmt: skip
            if len(named) != 1:
                continue
            key = named[0]
            others = set().union(*(v for k, v in values.items() if k != key))
            for m in NUMBER.finditer(low):
                said = numbers(m.group(1))  # as quantities.py reads it: 1,299 is 1299
                if said & values[key] or not said & others or said & not_features:
                    continue
                if _next_to(low, key, m.start(), m.end(), facts.lang):
                    found.append(key)
    return sorted(set(found))


def _value_spans(low: str, p: ProductFacts) -> list[tuple[int, int]]:
    """Where ``low`` quotes one of the product's feature values whole."""
    spans = []
    for _, value in p.attributes:
        v = value.strip().lower()
        spans += [(m.start(), m.end()) for m in re.finditer(re.escape(v), low)] if v else []
    return spans


def _within(at: int, spans: list[tuple[int, int]]) -> bool:
    return any(start <= at < end for start, end in spans)


JOINING = re.compile(r"\b(?:with|and|plus)\b|[和及与并]")


def _next_to(low: str, key: str, start: int, end: int, lang: str) -> bool:
    """Whether the number at ``start:end`` is written next to ``key`` in ``low``."""
    at = low.find(key)
    between = low[end:at] if at >= end else low[at + len(key) : start]
    if JOINING.search(between):
        return False
    return len(between.strip()) <= 4 if lang == "zh" else len(between.split()) <= 2
