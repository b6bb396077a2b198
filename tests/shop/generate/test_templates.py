"""The templates: what a shopper reads when the model is not used, as sentences a copy editor
would publish (issue 26's blind review), for every product of the catalog."""

from __future__ import annotations

import re

import pytest

from shop.catalog import Catalog
from shop.generate.facts import Facts
from shop.generate.templates import template

KINDS = ("pitch", "marketing", "description")


def texts(catalog: Catalog, lang: str, kind: str) -> dict[str, str]:
    return {p.id: template(Facts.of(p, kind, lang)) for p in catalog.products}


@pytest.mark.parametrize("kind", KINDS)
def test_no_text_is_a_form(catalog: Catalog, kind: str) -> None:
    """No "key: value" fields, no "Its battery is ...", no "X为Y" where Y repeats X."""
    for pid, text in texts(catalog, "en", kind).items():
        assert not re.search(r"\b[a-z]+: ", text.split(". ", 1)[-1]), (pid, text)
        assert not re.search(r"\bIts \w+ (is|are)\b", text), (pid, text)
        assert "  " not in text and ".." not in text, (pid, text)
    for pid, text in texts(catalog, "zh", kind).items():
        body = re.sub(r"「[^」]*」|《[^》]*》", "", text)
        assert not re.search(r"[\u4e00-\u9fff]{2,}：[^\s]", body.split("：", 1)[-1]), (pid, text)
        assert not re.search(r"(\w{2})为\S*\1", body), (pid, text)


def test_a_description_says_what_it_is_its_features_and_the_price(catalog: Catalog) -> None:
    en = template(Facts.of(catalog.by_id["P0001"], "description", "en"))
    assert en == (
        "The SonicJoy S3 ANC Bluetooth Earphones last 30 hours on a charge and have active noise "
        "cancelling. They weigh 5 g and come in black or white. They cost ¥399, shoppers rate "
        "them 4.8, and they are in stock."
    )
    zh = template(Facts.of(catalog.by_id["P0001"], "description", "zh"))
    assert zh == (
        "「声悦 S3 主动降噪蓝牙耳机」是声悦出品的蓝牙耳机。续航 30 小时，主动降噪，重量 5 克，"
        "颜色有黑、白。售价 ¥399，顾客评分 4.8，目前有货。"
    )


def test_a_book_is_described_by_its_credits(catalog: Catalog) -> None:
    en = template(Facts.of(catalog.by_id["P0274"], "description", "en"))
    assert en.startswith(
        "Echoes of the Star Sea is a paperback science fiction novel by Lin Yuanzhou, "
        "published by Starstream Publishing. It runs to 416 pages."
    )
    zh = template(Facts.of(catalog.by_id["P0274"], "description", "zh"))
    assert zh.startswith("《星海回声》是一本科幻小说，林远舟著，星河文化出版，平装，共 416 页。")


def test_a_set_of_books_is_a_set(catalog: Catalog) -> None:
    assert "是一套" in template(Facts.of(catalog.by_id["P0276"], "description", "zh"))
    en = template(Facts.of(catalog.by_id["P0311"], "description", "en"))
    assert "is a set of 20 paperback English learning books" in en
    assert "has 16 pages per book" in en
    pitch = template(Facts.of(catalog.by_id["P0295"], "pitch", "en"))
    assert "a set of 10 children's picture books" in pitch


def test_a_product_is_not_made_with_itself(catalog: Catalog) -> None:
    almonds = template(Facts.of(catalog.by_id["P0240"], "description", "en"))
    assert "made with almonds" not in almonds


def test_stock_reads_right_for_one_left_and_for_many(catalog: Catalog) -> None:
    one = next(p for p in catalog.products if p.stock == 1)
    assert template(Facts.of(one, "description", "en")).endswith("and only 1 is left.")
    gone = next(p for p in catalog.products if p.stock == 0)
    assert "out of stock for now" in template(Facts.of(gone, "pitch", "en"))
    assert "目前暂时" not in template(Facts.of(gone, "pitch", "zh"))


def test_a_pitch_leads_with_what_sells_not_sizes(catalog: Catalog) -> None:
    jacket = template(Facts.of(catalog.by_id["P0116"], "pitch", "en"))
    assert "sizes" not in jacket and "filled with 90% white duck down" in jacket
