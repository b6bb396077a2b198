import actions.catalog
from actions.catalog import ActionProductInfo, ActionPromotions, ActionRecommend
from actions.service import get_catalog
from shop.recommend import Recommender
from tests.actions.conftest import tracker_with
from tests.conftest import FakeEncoder


def run_with(action, text, sender="alice:chat", entities=None):  # type: ignore[no-untyped-def]
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
            "title": "详情：声悦 S3 主动降噪蓝牙耳机",
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
    assert "P0001" not in [c["id"] for c in m["products"]]


def test_promotions_depend_on_membership(shop_env, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    with_generator(monkeypatch, "")
    gold = run_with(ActionPromotions(), "有什么优惠", sender="alice:chat")[0]["text"]
    guest = run_with(ActionPromotions(), "有什么优惠", sender="")[0]["text"]
    assert "金卡" in gold and "金卡" not in guest


class Scripted:
    """A generator backend that writes what it is told."""

    model_name = "scripted"

    def __init__(self, text: str) -> None:
        self.text = text

    def warm_up(self) -> None:
        pass

    def complete(self, messages, max_tokens, timeout, attempt=0):  # type: ignore[no-untyped-def]
        from shop.generate.backends import Completion

        return Completion(self.text, 10, 0.1)


def with_generator(monkeypatch, text: str):  # type: ignore[no-untyped-def]
    from shop.generate.generator import Generator
    from shop.generate.guard import Guard

    generator = Generator(Scripted(text), Guard(get_catalog()))
    monkeypatch.setattr(actions.catalog, "get_generator", lambda: generator)
    recommender = Recommender(get_catalog(), FakeEncoder())
    recommender.warm_up()
    monkeypatch.setattr(actions.catalog, "get_recommender", lambda: recommender)


def test_product_details_add_a_generated_description_that_passes(shop_env, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    with_generator(monkeypatch, "厨悦 AF5 空气炸锅容量 5 升，功率 1500 瓦，售价 ¥599。")
    (m,) = run_with(ActionProductInfo(), "介绍一下空气炸锅", entities=[ent("product", "空气炸锅")])
    assert m["text"].endswith("\n厨悦 AF5 空气炸锅容量 5 升，功率 1500 瓦，售价 ¥599。")
    assert m["generation"]["source"] == "model"
    with_generator(monkeypatch, "厨悦 AF5 空气炸锅今天只要 ¥199，包邮！")
    (m,) = run_with(ActionProductInfo(), "介绍一下空气炸锅", entities=[ent("product", "空气炸锅")])
    assert "199" not in m["text"] and "包邮" not in m["text"]
    assert m["generation"]["source"] == "template" and "number:199" in m["generation"]["problems"]


def test_promotions_put_the_shoppers_interests_first_with_an_offer(shop_env, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    with_generator(monkeypatch, "not used: the template is the answer when this fails the guard")
    (m,) = run_with(ActionPromotions(), "有什么优惠", sender="alice:chat")
    lines = m["text"].split("\n")
    # alice bought an air fryer: the appliance promotion comes first, then the store-wide ones
    assert lines[1] == "· 家电满 500 减 50" and "· 金卡免费次日达" in lines
    assert lines[-1].startswith("为您推荐：") and "家电满 500 减 50" in lines[-1]
    assert m["generation"]["source"] == "template" and m["products"][0]["id"] == "P0005"
    (guest,) = run_with(ActionPromotions(), "any deals?", sender="")
    assert "Picked for you" not in guest["text"] and "Gold" not in guest["text"]


def test_a_policy_question_naming_a_product_is_answered_from_the_documents(
    shop_env,
    monkeypatch,  # type: ignore[no-untyped-def]
) -> None:
    """NLU said ask_product; the engine is sure the warranty page answers it (second opinion)."""
    import actions.policy
    from tests.actions.conftest import FakeService

    monkeypatch.setattr(actions.policy, "get_service", lambda: FakeService(score=0.97))
    for action in (ActionProductInfo(), ActionPromotions()):
        (m,) = run_with(action, "空气炸锅保修多久", entities=[ent("product", "空气炸锅")])
        assert m["text"].startswith("退款 【3 个工作日内】") and m["evidence"]["source"]
        assert "products" not in m
    monkeypatch.setattr(actions.policy, "get_service", lambda: FakeService(score=0.7))
    (m,) = run_with(ActionProductInfo(), "空气炸锅保修多久", entities=[ent("product", "空气炸锅")])
    assert m["text"].startswith("厨悦 AF5 空气炸锅"), "below the bar: the catalog answers"


def test_a_store_with_only_documents_answers_product_and_order_messages_from_them(  # type: ignore[no-untyped-def]
    store, tmp_path, monkeypatch
) -> None:
    import actions.policy
    from actions.feedback import ActionRecordFeedback
    from actions.orders import ActionTrackOrder
    from actions.shipping import ActionShippingOptions
    from tests.actions.conftest import FakeService, _clear

    monkeypatch.setenv("KEFU_DATA_DIR", str(store))  # docs/ alone: no catalog, orders, network
    monkeypatch.setenv("KEFU_CACHE", str(tmp_path / "cache"))
    monkeypatch.delenv("KEFU_ORDERS_URL", raising=False)
    _clear()
    try:
        monkeypatch.setattr(actions.policy, "get_service", lambda: FakeService())
        (m,) = run_with(
            ActionShippingOptions(), "运费多少，几天到？", entities=[ent("city", "上海")]
        )
        assert "【3 个工作日内】" in m["text"] and "来源" in m["text"]  # the documents' answer
        (m,) = run_with(ActionTrackOrder(), "退款多久到账？", sender="")
        assert "【3 个工作日内】" in m["text"] and "log in" not in m["text"]
        monkeypatch.setattr(actions.policy, "get_service", lambda: FakeService(abstain=True))
        messages = run_with(
            ActionProductInfo(), "介绍一下空气炸锅", entities=[ent("product", "空气炸锅")]
        )
        assert "没有把握" in messages[0]["text"] and "人工" in messages[0]["text"]
        assert run_with(ActionRecordFeedback(), "你们太慢了") == []  # kept in the transcript
    finally:
        _clear()


def test_each_details_button_names_its_product(shop_env) -> None:  # type: ignore[no-untyped-def]
    """Products of one type (three recommended speakers) get buttons a shopper can tell apart."""
    from dataclasses import replace

    from actions.service import get_catalog
    from actions.texts import details_button

    first = get_catalog().products[0]
    alike = [first] + [replace(first, id=f"P9{i}", name_zh=f"{first.name_zh} {i} 代",
                               name_en=f"{first.name_en} gen {i}") for i in (2, 3)]  # fmt: skip
    for lang in ("zh", "en"):
        titles = [details_button(p, lang)["title"] for p in alike]
        assert len(set(titles)) == 3
        assert all(p.name(lang) in t for p, t in zip(alike, titles, strict=True))
