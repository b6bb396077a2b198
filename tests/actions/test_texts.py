"""actions/texts.py: the one home of the actions' wording."""

import ast
import re
from datetime import date, datetime
from pathlib import Path

import pytest

import actions
from actions.texts import ORDER_TEXTS, day_text, eta_text, sentences, time_text
from shop.logistics.promise import OrderEta

CJK = "\u3400-\u4dbf\u4e00-\u9fff"


def test_no_action_spells_chinese_wording_outside_texts() -> None:
    """Shopper-facing zh text lives in texts.py (docstrings may quote it; code may not)."""
    found = []
    for path in sorted(Path(actions.__file__).parent.glob("*.py")):
        if path.name == "texts.py":
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        docstrings = {
            id(node.body[0].value)
            for node in ast.walk(tree)
            if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef)
            and node.body and isinstance(node.body[0], ast.Expr)
            and isinstance(node.body[0].value, ast.Constant)
        }  # fmt: skip
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Constant)
                and isinstance(node.value, str)
                and id(node) not in docstrings
                and re.search(f"[{CJK}]", node.value)
            ):
                found.append(f"{path.name}:{node.lineno}: {node.value[:30]}")
    assert found == []


@pytest.mark.parametrize(
    ("eta", "zh", "en"),
    [
        (OrderEta("due", date(2026, 12, 2)), "预计 12月2日 送达。", "Expected delivery: Dec 2."),
        (
            OrderEta("late", date(2026, 12, 2)),
            "原定 12月2日 送达，已经晚了，抱歉！需要的话我可以帮您转人工催件。",
            "It was due on Dec 2 and is running late, sorry! I can pass you to a colleague to "
            "chase it if you like.",
        ),
        (
            OrderEta("window", date(2026, 12, 4), date(2026, 11, 30), date(2026, 12, 2)),
            "预计 11月30日 发货，12月2日–12月4日 送达。",
            "It should ship on Nov 30 and arrive between Dec 2 and Dec 4.",
        ),
    ],
)
def test_each_delivery_promise_has_its_sentence(eta: OrderEta, zh: str, en: str) -> None:
    assert (eta_text(eta, "zh"), eta_text(eta, "en")) == (zh, en)
    assert eta_text(None, "zh") == ""


def test_store_times_read_in_beijing_time() -> None:
    late_evening_utc = datetime(2026, 11, 30, 17, 5)  # 01:05 on Dec 1 in Beijing
    assert time_text(late_evening_utc, "zh") == "12月1日 01:05"
    assert time_text(late_evening_utc, "en") == "Dec 1, 01:05"
    assert day_text(date(2026, 12, 1), "zh") == "12月1日"
    assert day_text(date(2026, 12, 1), "en") == "Dec 1"


def test_two_sentences_are_joined_as_each_language_writes() -> None:
    assert sentences("zh", "订单已付款", "预计明天发货。") == "订单已付款。预计明天发货。"
    assert sentences("en", "Order paid", "Ships tomorrow.") == "Order paid. Ships tomorrow."
    assert sentences("en", "Paid!", "") == "Paid!"
    assert ORDER_TEXTS["store_down"][0] != ORDER_TEXTS["store_down"][1], "each language its own"
