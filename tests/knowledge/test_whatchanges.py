"""knowledge/whatchanges.py: changed documents, the questions that cited them, changed answers.

The whole command (both stores prepared and asked again) runs in about 1.5 min, so the test
drives its parts; ``python -m knowledge what-changes`` was run on the demo store (README).
"""

from __future__ import annotations

import time
from pathlib import Path

from knowledge.types import Answer, Source
from knowledge.whatchanges import Asked, asked_about, changed_documents, compare
from tests.knowledge.trackers import events_db


def store(root: Path, returns: str) -> Path:
    (root / "docs" / "zh").mkdir(parents=True)
    (root / "faq").mkdir()
    (root / "docs" / "zh" / "returns.md").write_text(returns, encoding="utf-8")
    (root / "docs" / "zh" / "shipping.md").write_text("满 99 元包邮。", encoding="utf-8")
    (root / "faq" / "faq.csv").write_text("id,lang,question,answer\n", encoding="utf-8")
    return root


def test_changed_documents_are_named_as_answers_cite_them(tmp_path: Path) -> None:
    old = store(tmp_path / "old", "签收后 7 天内可以退货。")
    new = store(tmp_path / "new", "签收后 10 天内可以退货。")
    (new / "docs" / "zh" / "gifts.md").write_text("礼品卡有效期 3 年。", encoding="utf-8")
    assert changed_documents(old, new) == ["zh/gifts.md", "zh/returns.md"]
    assert changed_documents(old, old) == []


def bot(text: str, doc: str = "", abstained: bool = False, passages: tuple[str, ...] = ()) -> dict:
    evidence = {
        "abstained": abstained, "source": {"doc": doc} if doc else None,
        "passages": [{"id": f"{p}#0"} for p in passages],
    }  # fmt: skip
    return {"text": text, "metadata": {"evidence": evidence}}


def test_the_questions_whose_answers_cited_a_changed_document(tmp_path: Path) -> None:
    now = time.time()
    db = events_db(tmp_path / "tracker.db", [
        ("a", "user", now - 60, {"text": "几天内可以退货？"}),
        ("a", "bot", now - 59, bot("签收后 7 天内可以退货。", "zh/returns.md")),
        ("b", "user", now - 50, {"text": "几天内可以退货？"}),  # same words, another shopper
        ("b", "bot", now - 49, bot("签收后 7 天内可以退货。", "zh/returns.md")),
        ("c", "user", now - 40, {"text": "多少钱包邮？"}),  # another document
        ("c", "bot", now - 39, bot("满 99 元包邮。", "zh/shipping.md")),
        ("d", "user", now - 30, {"text": "退货运费谁出？"}),  # declined, returns.md was found
        ("d", "bot", now - 29, bot("我需要确认。", "", True, ("zh/returns.md",))),
        ("e", "user", now - 90 * 86400, {"text": "能退吗？"}),  # too long ago
        ("e", "bot", now - 90 * 86400, bot("签收后 7 天内可以退货。", "zh/returns.md")),
    ])  # fmt: skip
    asked = asked_about(db, ["zh/returns.md"], now - 30 * 86400)
    assert [(a.question, a.shoppers, a.abstained) for a in asked] == [
        ("几天内可以退货？", 2, False),
        ("退货运费谁出？", 1, True),
    ]


def answer(sentence: str = "", doc: str = "") -> Answer:
    source = Source(doc, doc, "", "") if doc else None
    return Answer("q", "zh", sentence, sentence, 0.9, source, not sentence)


def test_only_answers_that_differ_are_listed_with_their_kind() -> None:
    questions = ("几天内可以退货？", "多少钱包邮？", "退货运费谁出？")
    asked = [Asked("s", 0.0, q, "told", False, "zh/returns.md") for q in questions]
    same = answer("满 99 元包邮。", "zh/shipping.md")
    old = [answer("签收后 7 天内可以退货。", "zh/returns.md"), same, answer()]
    new = [
        answer("签收后 10 天内可以退货。", "zh/returns.md"),
        same,
        answer("运费买家出。", "zh/returns.md"),
    ]
    changes = compare(asked, old, new)
    assert [(c.question, c.kind) for c in changes] == [
        ("几天内可以退货？", "another answer"),
        ("退货运费谁出？", "now answered"),
    ]
