"""What the fact guard let through and a shopper would not want to read.

Every bad text here is one the 270M model wrote and kefu showed (``reports/generate.json``
before these checks, or issue 26's examples); every good one must still pass.
"""

from __future__ import annotations

import pytest

from shop.catalog import Catalog
from shop.generate.guard import Guard, invented
from tests.shop.generate.conftest import facts_for

SHOWN_BEFORE = [  # (product, lang, kind, text, the problem now found)
    (
        "P0001",
        "zh",
        "description",
        "声悦 S3 主动降噪蓝牙耳机。该产品具有以下以下特点：",
        "unfinished",
    ),
    ("P0001", "zh", "description", "声悦 S3 主动降噪蓝牙耳机。该产品具有以下以下特点：", "doubled"),
    (
        "P0002",
        "en",
        "description",
        "The SonicJoy S1 Lite Bluetooth Earphones are a wireless Bluetooth earphone with a 1.",
        "unfinished",
    ),
    (
        "P0002",
        "zh",
        "pitch",
        "声悦 S1 青春版蓝牙耳机：卖点 20 小时；降噪 20 毫秒；重量 4.2 克；颜色 白/粉/蓝",
        "field_list",
    ),
    (
        "P0002",
        "zh",
        "pitch",
        "声悦 S1 青春版蓝牙耳机：卖点 20 小时；降噪 20 毫秒；重量 4.2 克；颜色 白/粉/蓝",
        "feature:降噪",
    ),
    (
        "P0002",
        "en",
        "pitch",
        "The SonicJoy S1 Lite Bluetooth Earphones hold 20 hours of battery life, noise cancelling "
        "none, weight 4.2 g, and colour white/pink/blue.",
        "field_list",
    ),
    (
        "P0001",
        "zh",
        "description",
        "声悦 S3 主动降噪蓝牙耳机采用30 小时降噪，售价 ¥399。",
        "feature:降噪",
    ),
    (
        "P0001",
        "zh",
        "description",
        "声悦 S3 主动降噪蓝牙耳机。该产品具有以下以下特点：",
        "one_clause",
    ),
    (
        "P0002",
        "en",
        "description",
        "The SonicJoy S1 Lite Bluetooth Earphones are a wireless Bluetooth earphone with a 1.",
        "one_clause",
    ),
]


@pytest.mark.parametrize(("pid", "lang", "kind", "text", "problem"), SHOWN_BEFORE)
def test_texts_shown_before_are_caught(
    catalog: Catalog, guard: Guard, pid: str, lang: str, kind: str, text: str, problem: str
) -> None:
    found = guard.problems(text, facts_for(catalog, pid, lang, kind))
    assert problem in found, found


def test_a_feature_given_another_features_number_is_an_invented_fact(
    catalog: Catalog, guard: Guard
) -> None:
    facts = facts_for(catalog, "P0001", "zh", "description")
    found = guard.problems("声悦 S3 主动降噪蓝牙耳机采用30 小时降噪，售价 ¥399。", facts)
    assert invented(found) == ["feature:降噪"]


GOOD = [
    (
        "P0001",
        "zh",
        "description",
        "声悦 S3 主动降噪蓝牙耳机续航 30 小时，主动降噪，只有 5 克重。有黑白两色，售价 ¥399。",
    ),
    (
        "P0001",
        "en",
        "description",
        "The SonicJoy S3 ANC Bluetooth Earphones last 30 hours with active noise cancelling. "
        "They weigh only 5 g and cost ¥399.",
    ),
    ("P0001", "zh", "pitch", "声悦 S3 主动降噪蓝牙耳机续航 30 小时，主动降噪，¥399 就能带走"),
    (
        "P0002",
        "en",
        "pitch",
        "The SonicJoy S1 Lite earphones: 20 hours of battery and 4.2 g, for ¥99.",
    ),
]


@pytest.mark.parametrize(("pid", "lang", "kind", "text"), GOOD)
def test_good_copy_still_passes(
    catalog: Catalog, guard: Guard, pid: str, lang: str, kind: str, text: str
) -> None:
    assert guard.problems(text, facts_for(catalog, pid, lang, kind)) == []
