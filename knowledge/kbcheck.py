"""Knowledge-base checks: what a store's documents say against themselves.

``python -m knowledge kb-check [--store DIR]`` reads the store's sentences and their vectors
(the built index: the matcher places a zh sentence and its en twin close together) and lists:

- **contradictions**: two sentences about the same thing that state it with different amounts
  (days, hours, working days, months, years, yuan, per cent). Two sentences are "about the
  same thing" when they match closely (cosine >= ``SAME_THING``) *and* read the same once their
  amounts are masked (>= ``SAME_WORDING`` of their characters, same language), or when they are
  twins across languages (each the other's best match, cosine >= ``TWINS``). They contradict
  when both state an amount of one kind and share none of its values while every other number
  they state is the same: "7 天" against "15 天", a zh page against its en twin (tiers, "50 to
  199 books: 12 % off" and "200 to 999 books: 18 % off", are not);
- **near-duplicates**: two sentences of the store's pages (Markdown: FAQ and help-centre
  exports restate the pages by design and are left out, as is a page's overview restating its
  own sections) that read the same (>= ``DUPLICATE`` of their characters) in two pages;
- **one-language facts**: an amount a page (or FAQ entry) states that its twin in the other
  language (``zh/returns.md`` and ``en/returns.md``; ``faq-zh-001`` and ``faq-en-001``) states
  nowhere.

Each problem names both places (document and section) so an editor can go there. Amounts in
Chinese numerals (七天, 十五天, 三个工作日) count as their digits; dates (2026 年 12 月 31 日,
每月 1 日), ordinals and relative days (第二天, 前一天) are not amounts.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from difflib import SequenceMatcher
from typing import Any

import numpy as np

from knowledge.units import Sentence

SAME_THING = 0.80  # cosine of two sentences about the same thing (same language)
SAME_WORDING = 0.80  # share of characters two sentences keep once amounts are masked
TWINS = 0.60  # cosine of a zh sentence and its en twin (mutual best matches; exact twins of
# the demo store score 0.6-0.8: the matcher is trained for questions, not translations)
DUPLICATE = 0.92  # share of characters of two near-duplicate sentences
SHORT = {"zh": 12, "en": 30}  # shorter sentences ("The details follow below.") are not compared
PAGES = (".md", ".markdown")  # a store's own pages; FAQ and help-centre exports restate them

ZH_DIGITS = {"零": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7,
             "八": 8, "九": 9}  # fmt: skip
ZH_NUMBER = r"[零一二两三四五六七八九十百]+"
NUMBER = rf"(\d{{1,3}}(?:,\d{{3}})+(?:\.\d+)?|\d+(?:\.\d+)?|{ZH_NUMBER})"
#: dates are not amounts: 2026 年, 12 月 31 日, 每月 1 日, 2026-07-01
DATE = re.compile(
    r"\d{4}\s*年(?:\s*\d{1,2}\s*月(?:\s*\d{1,2}\s*[日号])?)?|\d{0,2}\s*月\s*\d{1,2}\s*[日号]"
    r"|\d{4}-\d{1,2}-\d{1,2}"
)
#: kind -> the words that state it, zh and en (longest first when matched)
UNITS = {
    "working days": ("个工作日", "工作日", "business days", "business day", "working days",
                     "working day"),
    "days": ("天", "日", "days", "day"),
    "hours": ("小时", "hours", "hour", "h"),
    "months": ("个月", "期", "months", "month"),  # 分 12 期: twelve monthly instalments
    "years": ("年", "years", "year"),
    "yuan": ("元", "块", "yuan", "rmb"),
    "percent": ("%", "％"),
}  # fmt: skip
_UNIT_OF = {word: kind for kind, words in UNITS.items() for word in words}
_UNIT_WORDS = "|".join(re.escape(w) for w in sorted(_UNIT_OF, key=len, reverse=True))
_JOIN = r"\s*(?:-|~|to|至|到|,|，|、|or|and|或|和)\s*"
#: one amount, a range (3-5 个工作日) or a list (3、6 或 12 期 / 3, 6 or 12 months) and its unit
AMOUNT = re.compile(
    rf"(?<!\d){NUMBER}((?:{_JOIN}(?:{NUMBER[1:-1]}))*)\s*(?:-\s*)?({_UNIT_WORDS})"
    r"(?![A-Za-z])",
    re.I,
)
_NUMBERS = re.compile(NUMBER)
#: ordinals and relative days are not amounts: 第二天, 第 18 个月, 前一天, 下一个工作日
RELATIVE = re.compile(r"第\s*[\d零一二两三四五六七八九十百]+|[前后下上次]一个?(?:天|日|工作日)")
DIGITS = re.compile(r"\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?")
ZHE = re.compile(r"(\d+(?:\.\d+)?)\s*折")  # 打 88 折 = 12 % off, 7 折 = 30 % off
YUAN_SIGN = re.compile(r"[¥￥]\s*(\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?)")
MASK = re.compile(rf"[¥￥]?\s*{NUMBER}")


def zh_number(text: str) -> float | None:
    """一 -> 1, 十五 -> 15, 三十 -> 30, 两百 -> 200 (None when it is not a number)."""
    if not text:
        return None
    total, current = 0, 0
    for ch in text:
        if ch in ZH_DIGITS:
            current = ZH_DIGITS[ch]
        elif ch == "十":
            total += (current or 1) * 10
            current = 0
        elif ch == "百":
            total += (current or 1) * 100
            current = 0
        else:
            return None
    return float(total + current)


def amounts(text: str) -> dict[str, frozenset[float]]:
    """The amounts ``text`` states, by kind: ``{"days": {7.0}, "yuan": {10.0}}``."""
    found: dict[str, set[float]] = {}
    text = RELATIVE.sub(" ", DATE.sub(" ", text))
    for match in AMOUNT.finditer(text):
        first, more, unit = match.group(1), match.group(2) or "", match.group(3)
        for number in [first, *_NUMBERS.findall(more)]:
            if unit == "期" and not number[0].isdigit():
                continue  # 每一期: "each instalment", not an amount
            value = float(number.replace(",", "")) if number[0].isdigit() else zh_number(number)
            if value is not None:
                found.setdefault(_UNIT_OF[unit.lower()], set()).add(value)
    for number in YUAN_SIGN.findall(text):
        found.setdefault("yuan", set()).add(float(number.replace(",", "")))
    for number in ZHE.findall(text):
        off = 100 - float(number) * (10 if float(number) < 10 else 1)
        found.setdefault("percent", set()).add(round(off, 1))
    return {kind: frozenset(values) for kind, values in found.items()}


def numbers(text: str) -> frozenset[float]:
    """Every number written in digits in ``text`` (dates left out)."""
    return frozenset(float(n.replace(",", "")) for n in DIGITS.findall(DATE.sub(" ", text)))


def masked(text: str) -> str:
    """``text`` with every amount replaced by ``#`` (for "the same wording")."""
    return MASK.sub("#", text.lower())


def wording(a: str, b: str) -> float:
    """Share of characters two texts have in common (difflib's ratio)."""
    return SequenceMatcher(None, a, b, autojunk=False).ratio()


@dataclass(frozen=True)
class Place:
    """Where a sentence is: document, section and the sentence."""

    doc: str
    section: str
    lang: str
    text: str

    @classmethod
    def of(cls, sentence: Sentence) -> Place:
        """The place of ``sentence``."""
        source = sentence.passage.source
        return cls(source.doc, source.section, sentence.lang, sentence.text.strip())


@dataclass(frozen=True)
class Problem:
    """One finding: its kind, what is wrong, and the places."""

    kind: str  # contradiction | duplicate | one_language
    detail: str
    places: tuple[Place, ...]


@dataclass
class Report:
    """Every problem found, and what was read."""

    sentences: int
    problems: list[Problem] = field(default_factory=list)

    @property
    def clean(self) -> bool:
        """No problem found."""
        return not self.problems

    def counts(self) -> dict[str, int]:
        """Problems by kind."""
        out: dict[str, int] = {"contradiction": 0, "duplicate": 0, "one_language": 0}
        for problem in self.problems:
            out[problem.kind] += 1
        return out

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready."""
        return {
            "sentences": self.sentences, "clean": self.clean, "counts": self.counts(),
            "problems": [asdict(p) for p in self.problems],
        }  # fmt: skip

    def text(self) -> str:
        """The report as an editor reads it."""
        lines = [f"{self.sentences} sentences read: " + ", ".join(
            f"{n} {kind.replace('_', '-')}" for kind, n in self.counts().items())]  # fmt: skip
        for problem in self.problems:
            lines.append(f"\n{problem.kind}: {problem.detail}")
            lines += [f"  - {p.doc} · {p.section}: {p.text}" for p in problem.places]
        return "\n".join(lines)


def check(sentences: Sequence[Sentence], vectors: np.ndarray) -> Report:
    """Every check over ``sentences`` and their unit ``vectors`` (one row each)."""
    report = Report(len(sentences))
    if not sentences:
        return report
    facts = [amounts(s.text) for s in sentences]
    sims = vectors @ vectors.T
    langs = np.array([s.lang for s in sentences])
    report.problems += contradictions(sentences, facts, sims, langs)
    report.problems += duplicates(sentences)
    report.problems += one_language(sentences, facts)
    return report


def _clash(a: dict[str, frozenset[float]], b: dict[str, frozenset[float]]) -> list[str]:
    """The kinds both state with no value in common."""
    return [kind for kind in sorted(a.keys() & b.keys()) if not a[kind] & b[kind]]


def _says(kind: str, values: Iterable[float]) -> str:
    return "/".join(f"{v:g}" for v in sorted(values)) + f" {kind}"


def contradictions(
    sentences: Sequence[Sentence],
    facts: list[dict[str, frozenset[float]]],
    sims: np.ndarray,
    langs: np.ndarray,
) -> list[Problem]:
    """Pairs about the same thing that state different amounts (see the module docstring)."""
    out = []
    stated = [i for i, f in enumerate(facts) if f]
    best_other = {}
    for i in stated:
        others = np.flatnonzero(langs != langs[i])
        if len(others):
            best_other[i] = int(others[np.argmax(sims[i, others])])
    for n, i in enumerate(stated):
        for j in stated[n + 1 :]:
            kinds = _clash(facts[i], facts[j])
            if not kinds or sentences[i].text.strip() == sentences[j].text.strip():
                continue
            clashing = {v for k in kinds for v in facts[i][k] | facts[j][k]}
            if numbers(sentences[i].text) - clashing != numbers(sentences[j].text) - clashing:
                continue  # other conditions differ (50-199 books: 12 % off; 200-999: 18 %)
            if langs[i] == langs[j]:
                same = sims[i, j] >= SAME_THING and (
                    wording(masked(sentences[i].text), masked(sentences[j].text)) >= SAME_WORDING
                )
            else:
                same = sims[i, j] >= TWINS and best_other.get(i) == j and best_other.get(j) == i
            if same:
                said = "; ".join(
                    f"{_says(k, facts[i][k])} vs {_says(k, facts[j][k])}" for k in kinds
                )
                out.append(Problem("contradiction", said, (Place.of(sentences[i]),
                                                           Place.of(sentences[j]))))  # fmt: skip
    return out


def duplicates(sentences: Sequence[Sentence]) -> list[Problem]:
    """Sentences of the store's pages that read the same in different sections."""
    docs = [
        i
        for i, s in enumerate(sentences)
        if s.passage.source.doc.endswith(PAGES) and len(s.text.strip()) >= SHORT[s.lang]
    ]
    out = []
    for n, i in enumerate(docs):
        for j in docs[n + 1 :]:
            a, b = sentences[i], sentences[j]
            if a.lang != b.lang or a.passage.source.doc == b.passage.source.doc:
                continue
            if wording(a.text.strip().lower(), b.text.strip().lower()) >= DUPLICATE:
                out.append(Problem("duplicate", "the same sentence in two places",
                                   (Place.of(a), Place.of(b))))  # fmt: skip
    return out


def twin_key(sentence: Sentence) -> str:
    """What a sentence's twin in the other language shares: its page or FAQ entry.

    ``zh/returns.md`` and ``en/returns.md`` are twins, as are the FAQ rows ``faq-zh-001`` and
    ``faq-en-001``; a document without its language in its path has no twin.
    """
    passage = sentence.passage
    lang, other = sentence.lang, "en" if sentence.lang == "zh" else "zh"
    if "#" in passage.id and passage.source.doc.endswith((".csv", ".json", ".yaml", ".yml")):
        key = passage.id.replace(f"-{lang}-", "-*-")
    else:
        key = passage.source.doc
        for part in (f"{lang}/", f"/{lang}/"):
            key = key.replace(part, "*/")
    return key if "*" in key and other else ""


def one_language(
    sentences: Sequence[Sentence], facts: list[dict[str, frozenset[float]]]
) -> list[Problem]:
    """Amounts a page (or FAQ entry) states that its twin in the other language does not."""
    said: dict[str, dict[str, dict[str, set[float]]]] = {}  # key -> lang -> kind -> values
    for sentence, stated in zip(sentences, facts, strict=True):
        key = twin_key(sentence)
        if key:
            kinds = said.setdefault(key, {}).setdefault(sentence.lang, {})
            for kind, values in stated.items():
                kinds.setdefault(kind, set()).update(values)
    out = []
    for i, (sentence, stated) in enumerate(zip(sentences, facts, strict=True)):
        key = twin_key(sentence)
        langs = said.get(key, {})
        if not stated or len(langs) < 2:
            continue
        other = langs["en" if sentence.lang == "zh" else "zh"]
        missing = {k: v - other.get(k, set()) for k, v in stated.items()}
        missing = {k: v for k, v in missing.items() if v}
        if missing:
            what = ", ".join(_says(k, v) for k, v in sorted(missing.items()))
            out.append(Problem("one_language", f"{what}: not in the {key} of the other language",
                               (Place.of(sentences[i]),)))  # fmt: skip
    return out
