"""A feature as a phrase inside a sentence, not as a form's field ("Its battery is 14 days")."""

from __future__ import annotations

import pytest

from shop.generate.phrasing import article, en_phrase, listed, plural, zh_phrase


@pytest.mark.parametrize(
    ("key", "value", "phrase"),
    [
        ("battery", "14 days", "lasts 14 days on a charge"),
        ("battery", "5000 mAh", "has a 5000 mAh battery"),
        ("keys", "87 keys", "has 87 keys"),  # not "its keys are 87 keys"
        ("screen", "6.67-inch OLED", "has a 6.67-inch OLED screen"),
        ("colours", "black/white/mint", "comes in black, white or mint"),
        ("noise cancelling", "active", "has active noise cancelling"),
        ("cooling", "direct cooling", "uses direct cooling"),  # not "cooling is direct cooling"
        ("processor", "8-core 4.4 GHz", "runs on an 8-core 4.4 GHz processor"),
        ("filter", "H13 HEPA", "has an H13 HEPA filter"),
        ("benefits", "reduces hair fall", "reduces hair fall"),
        ("benefits", "brightening/moisturising", "is brightening and moisturising"),
        ("benefits", "oil control", "is made for oil control"),
        (
            "water resistance",
            "10 ATM, snorkelling",
            "is rated 10 ATM for water resistance (snorkelling)",
        ),
        ("DPI", "1600", "has a 1600 DPI sensor"),
        ("battery", "70 days (rechargeable)", "runs for 70 days on a charge"),  # no "(...)"
        ("door style", "French door (4 doors)", "has a French door design with 4 doors"),
        (
            "fabric",
            "100% cotton (antibacterial gusset)",
            "is made of 100% cotton with an antibacterial gusset",
        ),
        ("capacity", "wash 10 kg/dry 7 kg", "takes 10 kg to wash and 7 kg to dry"),
        (
            "heat settings",
            "4 settings + smart heat control",
            "has 4 settings and smart heat control",
        ),
        ("functions", "microwave/grill", "offers microwave and grill functions"),
        ("functions", "smoothies/nut butter", "makes smoothies and nut butter"),
        ("features", "gentle, fragrance-free", "is gentle and fragrance-free"),
        (
            "midsole",
            "full-length carbon plate + PEBA",
            "has a full-length carbon plate and PEBA midsole",
        ),
        ("warranty", "2 years", "has a warranty of 2 years"),  # a key the table does not know
    ],
)
def test_english_features_read_as_verb_phrases(key: str, value: str, phrase: str) -> None:
    assert en_phrase(key, value) == phrase


@pytest.mark.parametrize(
    ("key", "value", "phrase"),
    [  # keys no table knows (another store's catalog): read by the value's shape
        ("stackable", "yes", "is stackable"),
        ("pieces", "520", "has 520 pieces"),
        ("clumping", "strong", "has strong clumping"),
        ("top speed", "25 km/h", "has a top speed of 25 km/h"),
        ("blade material", "SK5 steel", "has a blade made of SK5 steel"),
        ("ink colour", "black", "has black ink"),
        ("suitable weight", "10-25 kg", "suits a weight of 10-25 kg"),
        ("assembled size", "32×18×9 cm", "has an assembled size of 32×18×9 cm"),
    ],
)
def test_a_feature_no_table_knows_reads_as_a_phrase(key: str, value: str, phrase: str) -> None:
    assert en_phrase(key, value) == phrase


def test_chinese_yes_and_no_and_units_as_written() -> None:
    assert zh_phrase("可叠放", "是") == "可叠放"
    assert zh_phrase("可折叠", "否") == ""
    assert zh_phrase("容量", "25升") == "容量 25升"  # the catalog's own spacing is kept


def test_a_feature_the_product_lacks_is_left_out() -> None:
    assert en_phrase("noise cancelling", "none") == ""
    assert zh_phrase("降噪", "无") == ""


def test_many_things_take_the_plural_verb() -> None:
    assert en_phrase("battery", "30 hours", many=True) == "last 30 hours on a charge"
    assert en_phrase("fabric", "100% cotton", many=True) == "are made of 100% cotton"
    assert plural("reaches 5 m") == "reach 5 m" and plural("has a fit") == "have a fit"


def test_articles_follow_the_sound() -> None:
    words = ("8-core", "11-inch", "H13", "LCD", "HEPA", "one-piece", "IPS")
    assert [article(w) for w in words] == ["an", "an", "an", "an", "a", "a", "an"]


@pytest.mark.parametrize(
    ("key", "value", "phrase"),
    [
        ("降噪", "主动降噪", "主动降噪"),  # not 降噪为主动降噪
        ("门型", "双门", "双门"),  # the value says what the key names
        ("匹数", "1 匹", "1 匹"),
        ("续航", "30 小时", "续航 30 小时"),
        ("颜色", "黑/白", "颜色有黑、白"),
        ("适用肤质", "所有肤质", "适合所有肤质"),
        ("适用肤质", "干性/中性", "适合干性、中性肌肤"),
        ("连接", "有线/蓝牙/2.4G", "支持有线、蓝牙、2.4G 连接"),
        ("处理器", "8 核 4.4GHz", "搭载 8 核 4.4GHz 处理器"),
        ("DPI", "26000", "DPI 26000"),
        ("保修", "2 年", "保修 2 年"),  # a key the table does not know
    ],
)
def test_chinese_features_read_as_shop_copy(key: str, value: str, phrase: str) -> None:
    assert zh_phrase(key, value) == phrase


def test_lists_are_written_out() -> None:
    assert listed("a/b/c", "and") == "a, b and c"
    assert listed("touch panel + app", "and") == "touch panel and app"
    assert listed("黑/白", "、") == "黑、白"
