import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest

from knowledge.settings import REPO_ROOT
from shop.catalog import Catalog, CatalogError
from shop.money import chinese_number, parse_money
from shop.promotions import Promotion, active_promotions, by_interest, load_promotions


@pytest.mark.parametrize(
    ("text", "value"),
    [("500以内", 500), ("¥1,299 左右", 1299), ("两千", 2000), ("两千五", 2500), ("三百块", 300),
     ("1.5k", 1500), ("under 300 yuan", 300), ("一万", 10000), ("便宜点", None), (None, None)],
)  # fmt: skip
def test_amounts_as_shoppers_write_them(text: str | None, value: int | None) -> None:
    assert parse_money(text) == (Decimal(value) if value is not None else None)


def test_chinese_numbers() -> None:
    assert chinese_number("十五") == 15 and chinese_number("一百二") == 120
    assert chinese_number("abc") is None


def test_catalog_finds_by_type_name_brand(shop: Path) -> None:
    catalog = Catalog.load(shop / "catalog" / "products.csv")
    assert catalog.find("蓝牙耳机")[0].id == "P0001"
    assert catalog.find("air fryer")[0].id == "P0004"
    assert catalog.find("ChefJoy")[0].id == "P0004"
    assert catalog.find("汽车") == [] and catalog.find("") == []
    assert catalog.by_id["P0001"].attributes("en")[0] == ("battery", "30 hours")


def test_a_broken_catalog_row_is_named(tmp_path: Path) -> None:
    bad = tmp_path / "p.csv"
    bad.write_text("id,category\nP1,books\n", encoding="utf-8")
    with pytest.raises(CatalogError, match="line 2"):
        Catalog.load(bad)
    with pytest.raises(CatalogError, match="No catalog"):
        Catalog.load(tmp_path / "missing.csv")


def test_promotions_by_date_audience_and_category() -> None:
    promos = load_promotions(REPO_ROOT / "data" / "promotions.yaml")
    day = dt.date(2026, 12, 1)
    guest = {p.id for p in active_promotions(promos, day, None)}
    gold = {p.id for p in active_promotions(promos, day, "gold")}
    assert "gold-express" in gold and "gold-express" not in guest
    assert "new-member-coupon" not in guest
    books = {p.id for p in active_promotions(promos, day, "gold", "books")}
    assert "books-3-for-2" in books and "winter-appliances" not in books
    assert active_promotions(promos, dt.date(2030, 1, 1), "gold") == []


def promo(pid: str, category: str) -> Promotion:
    return Promotion(pid, dt.date(2000, 1, 1), dt.date(2100, 1, 1), "everyone", category, pid, pid)


def test_promotions_of_what_a_shopper_shops_for_come_first_with_the_offer() -> None:
    promos = [promo("all", "all"), promo("books", "books"), promo("kitchen", "appliances"),
              promo("audio", "electronics")]  # fmt: skip
    ordered, offer = by_interest(promos, {"electronics": 1, "appliances": 3})
    assert [p.id for p in ordered] == ["kitchen", "audio", "all", "books"]
    assert offer is not None and offer.id == "kitchen"
    ordered, offer = by_interest(promos, {})  # no history: store-wide ones first
    assert [p.id for p in ordered] == ["all", "books", "kitchen", "audio"] and offer is None
    ordered, offer = by_interest([promos[0]], {"books": 2})  # nothing in their categories
    assert [p.id for p in ordered] == ["all"] and offer is None
    assert [p.id for p in promos] == ["all", "books", "kitchen", "audio"], "not reordered"


def test_a_shoppers_categories_are_counted_from_the_catalog(shop: Path) -> None:
    catalog = Catalog.load(shop / "catalog" / "products.csv")
    counts = catalog.category_counts(["P0001", "P0004", "P0004", "P9999"])  # P9999: unknown
    assert counts == {"electronics": 1, "appliances": 2}


def test_a_budget_written_as_a_limit_is_found_in_the_text() -> None:
    from decimal import Decimal

    from shop.money import budget_in

    assert budget_in("推荐一款送女朋友的礼物，500 以内") == Decimal(500)
    assert budget_in("300块以下的零食") == Decimal(300)
    assert budget_in("a gift under 1,200 please") == Decimal(1200)
    assert budget_in("预算 800，送爸妈") == Decimal(800)
    for text in ("签收后 7 天内可以退吗", "订单 KF20261101", "", None):
        assert budget_in(text) is None
