import actions.catalog
from actions.catalog import ActionProductInfo, ActionPromotions, ActionRecommend
from actions.service import get_catalog
from knowledge.recommend import Recommender
from tests.actions.conftest import tracker_with
from tests.conftest import FakeEncoder


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


def test_recommendations_come_with_reasons_cards_and_buttons(shop_env, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    recommender = Recommender(get_catalog(), FakeEncoder())
    recommender.warm_up()
    monkeypatch.setattr(actions.catalog, "get_recommender", lambda: recommender)
    (m,) = run_with(
        ActionRecommend(),
        "推荐500以内的耳机",
        sender="",
        entities=[ent("product", "耳机"), ent("budget", "500")],
    )
    assert m["text"].startswith("为您挑了这几款：\n· 声悦 S3 主动降噪蓝牙耳机，¥399：")
    assert [c["id"] for c in m["products"]] == ["P0001"]
    assert m["buttons"] == [
        {
            "title": "详情：蓝牙耳机",
            "payload": '/ask_product{"product": "声悦 S3 主动降噪蓝牙耳机"}',
        }
    ]
    (m,) = run_with(
        ActionRecommend(), "anything under 100 yuan?", sender="", entities=[ent("budget", "100")]
    )
    assert [c["id"] for c in m["products"]] == ["P0002"]  # P0003 is out of stock, P0004 too dear
    (m,) = run_with(ActionRecommend(), "food please", entities=[ent("category", "groceries")])
    assert "nothing in stock matches" in m["text"]
    # alice already owns the earphones (and the underwear set): not suggested to her again
    (m,) = run_with(ActionRecommend(), "推荐500以内的耳机", entities=[ent("budget", "500")])
    assert "抱歉" in m["text"]


def test_promotions_depend_on_membership(shop_env) -> None:  # type: ignore[no-untyped-def]
    gold = run_with(ActionPromotions(), "有什么优惠", sender="alice")[0]["text"]
    guest = run_with(ActionPromotions(), "有什么优惠", sender="")[0]["text"]
    assert "金卡" in gold and "金卡" not in guest
