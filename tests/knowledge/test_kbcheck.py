"""knowledge/kbcheck.py: amounts read right; planted contradictions found; the demo store clean."""

from __future__ import annotations

import numpy as np
import pytest

from knowledge.kbcheck import amounts, check
from knowledge.service import KnowledgeService
from knowledge.settings import Settings
from knowledge.types import Passage, Source
from knowledge.units import Sentence


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("签收后 7 天内可以退货", {"days": {7}}),
        ("签收后七天内，十五天内可以换货", {"days": {7, 15}}),
        ("退款在 3-5 个工作日内原路退回", {"working days": {3, 5}}),
        ("within 3 to 5 business days", {"working days": {3, 5}}),
        ("instalments of 3, 6 or 12 months", {"months": {3, 6, 12}}),
        ("分 3 期、6 期或 12 期免息", {"months": {3, 6, 12}}),
        ("满 5,000 元即可成为金卡会员", {"yuan": {5000}}),
        ("a flat ¥10 fee; orders over ¥99 ship free", {"yuan": {10, 99}}),
        ("按定价打 88 折", {"percent": {12}}),
        ("首单 7 折", {"percent": {30}}),
        ("保修两年", {"years": {2}}),
        ("7-day no-reason returns", {"days": {7}}),
        # not amounts: dates, ordinals, relative days
        ("2026 年获得的积分将在 2027 年 12 月 31 日过期", {}),
        ("会员等级每月 1 日重新计算；快递员会在第二天再送一次", {}),
        ("下单日前一天 23:59 之前可以修改，在下一个工作日发货", {}),
    ],
)
def test_amounts(text: str, expected: dict[str, set[float]]) -> None:
    assert {k: set(v) for k, v in amounts(text).items()} == expected


def sentence(doc: str, section: str, lang: str, text: str, pid: str = "") -> Sentence:
    passage = Passage(pid or f"{doc}#{section}", text, Source(doc, doc, section), lang)  # type: ignore[arg-type]
    return Sentence(passage, 0, len(text))


def unit(*weights: float) -> np.ndarray:
    v = np.array(weights + (0.0,) * (8 - len(weights)), np.float32)
    return v / np.linalg.norm(v)


def test_a_planted_contradiction_a_twin_that_disagrees_and_a_duplicate_are_found() -> None:
    sentences = [
        # the returns page and the help centre disagree on the return window
        sentence("zh/returns.md", "无理由退货", "zh", "签收后 7 天内可以申请无理由退货。"),
        sentence("zh/help-center.html", "退货", "zh", "签收后 15 天内可以申请无理由退货。"),
        # the en page says 5 days for what its zh twin says 3 working days... in days
        sentence("zh/returns.md", "退款", "zh", "退款在 3 天内原路退回。"),
        sentence("en/returns.md", "Refunds", "en", "Refunds reach you within 5 days."),
        # the same sentence kept on two pages
        sentence("en/shipping.md", "Cut-off", "en", "Orders paid before 16:00 ship the same day."),
        sentence("en/service.md", "Shipping", "en", "Orders paid before 16:00 ship the same day."),
        # tiers: different conditions, not a contradiction
        sentence("en/payment.md", "Bulk", "en", "Orders of 50 to 199 books get 12% off."),
        sentence("en/payment.md", "Bulk", "en", "Orders of 200 to 999 books get 18% off."),
    ]
    vectors = np.stack([
        unit(1), unit(1, 0.1),  # the same thing
        unit(0, 1), unit(0, 1, 0.3),  # twins
        unit(0, 0, 1), unit(0, 0, 1),
        unit(0, 0, 0, 1), unit(0, 0, 0, 1, 0.1),
    ])  # fmt: skip
    report = check(sentences, vectors)
    found = [(p.kind, p.detail, [x.doc for x in p.places]) for p in report.problems]
    assert ("contradiction", "7 days vs 15 days", ["zh/returns.md", "zh/help-center.html"]) in found
    assert ("contradiction", "3 days vs 5 days", ["zh/returns.md", "en/returns.md"]) in found
    assert (
        "duplicate",
        "the same sentence in two places",
        ["en/shipping.md", "en/service.md"],
    ) in found
    assert not [f for f in found if "percent" in f[1] and f[0] == "contradiction"]  # tiers
    # returns.md: zh states 7 and 3 days, en 5 days: each is missing from the other language
    assert report.counts()["one_language"] == 3 and not report.clean


def test_the_demo_store_passes_clean() -> None:
    built = KnowledgeService(Settings()).open_index()
    report = check(built.sentences, built.sentence_vectors)
    assert report.clean, report.text()
    assert report.sentences > 300
