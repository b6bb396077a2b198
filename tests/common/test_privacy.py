import ast
import sys
from pathlib import Path

import pytest

from common.privacy import KINDS, Redactor, kinds_from_env

R = Redactor()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("手机 13812345678", "手机 [PHONE]"),
        ("call +86 138-1234-5678 now", "call [PHONE] now"),
        ("座机 010-12345678", "座机 [PHONE]"),
        ("mail wang.fang@example.com.cn ok", "mail [EMAIL] ok"),
        ("身份证 11010519491231002X", "身份证 [ID_CARD]"),
        ("card 4111 1111 1111 1111 thanks", "card [BANK_CARD] thanks"),
        ("卡号4111111111111111", "卡号[BANK_CARD]"),
        # the place part starts where the Chinese run starts: "寄到" goes too (erring safe)
        ("寄到上海市浦东新区世纪大道 100 号 2 栋 1201", "[ADDRESS]"),
        ("ship to 221 Baker Street.", "ship to [ADDRESS]"),
    ],
)
def test_personal_data_is_replaced_by_markers(text: str, expected: str) -> None:
    assert R.text(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "订单 KF20261101 怎么还没到",
        "价格 ¥1299，2026-11-29 下单，满 99 包邮",
        "身份证 110105194912310021",  # wrong check digit: not an ID number
        "4111 1111 1111 1112",  # fails the Luhn check
        "order 12345678 costs 4999",
        "Standard delivery takes 2-4 days",
    ],
)
def test_what_is_not_personal_data_stays(text: str) -> None:
    assert R.text(text) == text


def test_nested_values_and_chosen_kinds() -> None:
    value = {"text": "13812345678", "n": 3, "list": ["a@b.cn", None]}
    assert R.value(value) == {"text": "[PHONE]", "n": 3, "list": ["[EMAIL]", None]}
    only_email = Redactor(["email"])
    assert only_email.text("13812345678 a@b.cn") == "13812345678 [EMAIL]"
    assert kinds_from_env("none") == () and kinds_from_env("all") == KINDS
    assert kinds_from_env("phone, email") == ("phone", "email")
    with pytest.raises(ValueError, match="unknown kinds"):
        kinds_from_env("phone,shoe_size")


@pytest.mark.parametrize("module", ["privacy", "lang", "logs", "stats"])
def test_the_module_needs_only_the_standard_library(module: str) -> None:
    """The Rasa process (another environment) imports it."""
    source = Path(__file__).resolve().parents[2] / "common" / f"{module}.py"
    tree = ast.parse(source.read_text())
    names = {
        a.name.split(".")[0] for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names
    }
    names |= {
        n.module.split(".")[0] for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.module
    }
    assert names <= set(sys.stdlib_module_names) | {"__future__", "common"}
