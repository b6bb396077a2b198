"""knowledge/gaps.py: which questions are gaps, and grouping them by meaning (purity)."""

from __future__ import annotations

import json
import sqlite3
import time
from pathlib import Path

import numpy as np
import pytest

from knowledge.gaps import gaps_in, group
from knowledge.service import KnowledgeService
from knowledge.settings import Settings
from tests.knowledge.trackers import events_db

#: planted paraphrase groups: questions the demo store's documents do not answer
PLANTED = {
    "paypal": ["能用 PayPal 付款吗？", "Can I pay with PayPal?", "支持贝宝支付吗",
               "do you take paypal", "PayPal 可以用吗"],
    "japan": ["你们发货到日本吗？", "Do you ship to Japan?", "能寄到东京吗",
              "shipping to japan possible?", "日本可以收到货吗"],
    "pickup": ["可以到店自提吗？", "Can I pick up my order in a store?", "有线下门店可以自取吗",
               "is in-store pickup available", "能去实体店取货吗"],
    "engraving": ["可以在商品上刻字吗？", "Do you offer engraving?", "能帮我刻个名字吗",
                  "can you engrave my name on it", "提供定制刻字服务吗"],
}  # fmt: skip


#: where ``TWIN_GROUPS`` was chosen (never PLANTED): zh and en phrasings of other questions
DEV = {
    "giftwrap": ["可以礼品包装吗", "有礼品包装服务吗", "do you offer gift wrapping?",
                 "can you gift wrap my order"],
    "bulk": ["买一百件有批发价吗", "大量购买有折扣吗", "do you give discounts for bulk orders",
             "wholesale price for 100 units?"],
    "warranty": ["可以买延保吗", "有延长保修服务吗", "can I buy an extended warranty",
                 "is there an extended warranty"],
    "cod": ["可以货到付款吗", "支持货到付款吗", "can I pay cash on delivery",
            "is cash on delivery available"],
    "invoice": ["能开公司抬头的发票吗", "发票可以写公司名吗",
                "can the invoice show my company name", "do you issue company invoices"],
    "giftcard": ["有礼品卡卖吗", "可以买购物卡送人吗", "do you sell gift cards",
                 "can I buy a gift card"],
}  # fmt: skip


def purities(planted: dict[str, list[str]]) -> tuple[float, float, list[list[str]]]:
    """Purity and inverse purity of grouping ``planted``'s questions with kefu's matcher."""
    from knowledge.gaps import Gap

    service = KnowledgeService(Settings())
    service.encoder.warm_up()
    labels = [name for name, qs in planted.items() for _ in qs]
    questions = [q for qs in planted.values() for q in qs]
    gaps = [Gap(f"s{i}", float(i), q, "declined") for i, q in enumerate(questions)]
    groups = group(gaps, service.encoder.encode_queries(questions))
    label_of = dict(zip(questions, labels, strict=True))

    def most(names: list[str], of: str) -> int:
        return sum(n == of for n in names)

    named = [[label_of[g.question] for g in grp.questions] for grp in groups]
    purity = sum(max(most(names, p) for p in planted) for names in named) / len(gaps)
    # each planted group in one group (inverse purity)
    inverse = sum(max(most(names, p) for names in named) for p in planted) / len(gaps)
    return purity, inverse, [[g.question for g in grp.questions] for grp in groups]


def test_planted_paraphrase_groups_come_out_as_groups() -> None:
    """Measured once the zh and en twins' joining was chosen on DEV: 1.0 and 1.0 (0.7 without)."""
    purity, inverse, groups = purities(PLANTED)
    print(json.dumps({"groups": len(groups), "purity": purity, "inverse_purity": inverse}))
    assert purity >= 0.9 and inverse >= 0.9, (purity, inverse, groups)


def test_zh_and_en_twin_groups_join_on_the_development_set() -> None:
    """0.92 / 0.88 (0.5 inverse purity before joining): en gift wrap and gift cards cluster
    together before the languages are joined, so gift cards' zh stays alone."""
    purity, inverse, groups = purities(DEV)
    assert purity >= 0.9 and inverse >= 0.85, (purity, inverse, groups)


def tracker(path: Path, rows: list[tuple[str, str, dict]]) -> Path:
    now = time.time()
    return events_db(path, [(s, t, now - 100 + i, d) for i, (s, t, d) in enumerate(rows)])


def user(text: str, intent: str = "ask_policy") -> dict:
    return {"text": text, "parse_data": {"intent": {"name": intent}}}


def bot(text: str, abstained: bool | None = None, agent: str = "") -> dict:
    meta: dict = {"evidence": {"abstained": abstained}} if abstained is not None else {}
    return {"text": text, "metadata": meta | ({"agent": agent} if agent else {})}


def test_declined_thumbs_down_and_handed_off_questions_with_the_agents_reply(
    tmp_path: Path,
) -> None:
    db = tracker(tmp_path / "t.db", [
        ("a", "user", user("能用 PayPal 付款吗？")),
        ("a", "bot", bot("这个问题我需要请同事确认。", abstained=True)),
        ("a", "bot", bot("目前不支持 PayPal，可以用支付宝。", agent="alice")),
        ("b", "user", user("退货要几天？")),
        ("b", "bot", bot("签收后 7 天内。", abstained=False)),
        ("c", "user", user("能寄到日本吗？")),
        ("c", "user", user("转人工", intent="human_handoff")),
        ("c", "slot", {"name": "handoff", "value": True}),
        ("c", "bot", bot("暂时只发中国大陆。", agent="bob")),
        ("d", "user", user("the parcel arrived broken", intent="complain")),
        ("d", "user", user("yes", intent="affirm")),
        ("d", "slot", {"name": "handoff", "value": True}),  # a complaint handed off: no gap
        # e's first question is declined; the agent is called for the second, and answers it
        ("e", "user", user("do you gift wrap?")),
        ("e", "bot", bot("I'm not sure.", abstained=True)),
        ("e", "user", user("can I pay with PayPal?")),
        ("e", "bot", bot("I'm not sure.", abstained=True)),
        ("e", "pause", {}),
        ("e", "bot", bot("Not PayPal, sorry: Alipay or cards.", agent="carol")),
    ])  # fmt: skip
    # b rates the answer down: the rating points at the answer's timestamp
    with sqlite3.connect(db) as conn:
        answer_ts = json.loads(
            conn.execute("select data from events where sender_id='b' and type_name='bot'")
            .fetchone()[0]
        )["timestamp"]  # fmt: skip
        conn.execute(
            "insert into events (sender_id, type_name, timestamp, data) values ('b', 'slot', ?, ?)",
            (time.time(), json.dumps({"name": "answer_rating",
                                      "value": {"rating": "down", "answer_ts": answer_ts}})),
        )  # fmt: skip
    found = {(g.sender, g.question, g.why, g.agent_reply) for g in gaps_in(db, 0.0)}
    assert found == {
        ("a", "能用 PayPal 付款吗？", "declined", "目前不支持 PayPal，可以用支付宝。"),
        ("b", "退货要几天？", "thumbs_down", ""),
        ("c", "能寄到日本吗？", "handed_off", "暂时只发中国大陆。"),
        ("e", "do you gift wrap?", "declined", ""),
        ("e", "can I pay with PayPal?", "declined", "Not PayPal, sorry: Alipay or cards."),
    }


def test_groups_are_ranked_by_shoppers() -> None:
    from knowledge.gaps import Gap

    gaps = [Gap(s, float(t), q, "declined") for s, t, q in
            (("a", 1, "x"), ("b", 2, "x"), ("c", 3, "y"), ("a", 4, "x"))]  # fmt: skip
    vectors = np.array([[1, 0], [1, 0], [0, 1], [1, 0]], np.float32)
    groups = group(gaps, vectors)
    assert [g.as_dict()["shoppers"] for g in groups] == [2, 1]
    assert groups[0].as_dict()["asked"] == 3


@pytest.fixture(autouse=True)
def _no_hub(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
