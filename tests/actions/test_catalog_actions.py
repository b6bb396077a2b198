from actions.catalog import ActionProductInfo, ActionPromotions, ActionRecommend, _recommend
from actions.service import get_catalog
from tests.actions.conftest import tracker_with


def run_with(action, text, sender="alice", entities=None):  # type: ignore[no-untyped-def]
    import asyncio

    from rasa_sdk.executor import CollectingDispatcher

    dispatcher = CollectingDispatcher()
    tracker = tracker_with(text, sender=sender, entities=entities or [])
    asyncio.run(action.run(dispatcher, tracker, {}))
    return dispatcher.messages


def ent(name: str, value: str) -> dict:
    return {"entity": name, "value": value}


def test_product_details_come_from_the_catalog_row(shop_env) -> None:  # type: ignore[no-untyped-def]
    (m,) = run_with(ActionProductInfo(), "介绍一下空气炸锅", entities=[ent("product", "空气炸锅")])
    assert m["text"].startswith("厨悦 AF5 空气炸锅：¥599") and "仅剩 3 件" in m["text"]
    assert m["products"][0]["id"] == "P0004"
    (m,) = run_with(ActionProductInfo(), "do you sell cars", entities=[ent("product", "cars")])
    assert "couldn't find" in m["text"]
    (m,) = run_with(ActionProductInfo(), "tell me about this product")
    assert "Which product" in m["text"]


def test_recommendations_respect_stock_budget_and_category(shop_env) -> None:  # type: ignore[no-untyped-def]
    products = get_catalog().products
    assert [
        p.id for p in _recommend(products, "groceries", None, None)
    ] == []  # only one, out of stock
    assert [p.id for p in _recommend(products, None, None, None)][:1] == ["P0001"]  # best rated
    cheap = _recommend(products, None, None, __import__("decimal").Decimal(100))
    assert [p.id for p in cheap] == ["P0002"]
    (m,) = run_with(
        ActionRecommend(),
        "推荐500以内的耳机",
        entities=[ent("product", "耳机"), ent("budget", "500")],
    )
    assert "声悦 S3" in m["text"] and [c["id"] for c in m["products"]] == ["P0001"]


def test_promotions_depend_on_membership(shop_env) -> None:  # type: ignore[no-untyped-def]
    gold = run_with(ActionPromotions(), "有什么优惠", sender="alice")[0]["text"]
    guest = run_with(ActionPromotions(), "有什么优惠", sender="")[0]["text"]
    assert "金卡" in gold and "金卡" not in guest
