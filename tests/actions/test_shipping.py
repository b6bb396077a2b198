import asyncio
from datetime import datetime
from typing import Any

import pytest
from rasa_sdk.executor import CollectingDispatcher

import actions.shipping
from actions.shipping import ActionShippingOptions
from actions.texts import busy_text
from knowledge.errors import OverloadedError
from tests.actions.conftest import tracker_with
from tests.actions.test_policy import FakeService


def run(text: str, sender: str, **entities: str) -> tuple[list[dict[str, Any]], list]:
    dispatcher = CollectingDispatcher()
    found = [{"entity": k, "value": v} for k, v in entities.items()]
    tracker = tracker_with(text, sender=sender, intent="ask_shipping_options", entities=found)
    events = asyncio.run(ActionShippingOptions().run(dispatcher, tracker, {}))
    return dispatcher.messages, events


def test_gold_member_gets_free_express_for_their_own_city(shop_env) -> None:  # type: ignore[no-untyped-def]
    (message,), events = run("寄到我家要几天", sender="alice:chat")
    text = message["text"]
    assert text.startswith("寄到上海的配送方式（今天 16:00 前付款当天发货）")
    assert "次日达快递：金卡会员免运费" in text and "【最快、最省】" in text
    assert "标准配送：¥8，满 ¥99 免运费" in text
    services = [o["service"] for o in message["shipping_options"]]
    assert services == ["standard", "express"]
    assert {"event": "slot", "name": "kefu_abstained", "value": False} in [
        {k: e.get(k) for k in ("event", "name", "value")} for e in events
    ]


def test_named_city_and_basket_value_for_a_guest(shop_env, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    # a Monday morning in Beijing, before the 16:00 cut-off: it ships today (after the cut-off
    # it ships tomorrow, and every day count is one more)
    morning = datetime(2026, 12, 7, 2, 0)  # naive UTC, as the order store keeps time
    monkeypatch.setattr(actions.shipping, "now", lambda: morning)
    (message,), _ = run("shipping to Lhasa for 120 yuan?", sender="", city="Lhasa", budget="120")
    text = message["text"]
    assert (
        text.startswith("Delivery to Lhasa")
        and "Standard delivery: free, 5–7 days, arrives" in text
    )
    assert "Next-day express does not reach Lhasa yet." in text
    (message,), _ = run("to Beijing, basket 50", sender="", city="北京", budget="50")
    assert "Standard delivery: ¥8, 2–4 days, arrives" in message["text"]
    assert (
        "Next-day express: ¥20, 1 day, arrives" in message["text"]
        and "(fastest)" in message["text"]
    )


def test_without_a_known_city_the_policy_answers(shop_env, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    service = FakeService()
    monkeypatch.setattr(actions.policy, "get_service", lambda: service)
    run("how long does delivery take", sender="")
    run("寄到火星要几天", sender="alice:chat", city="火星")
    assert service.questions == ["how long does delivery take", "寄到火星要几天"]


def test_a_busy_engine_behind_the_policy_answer_asks_to_try_again(  # type: ignore[no-untyped-def]
    shop_env, monkeypatch: pytest.MonkeyPatch
) -> None:
    busy = FakeService(error=OverloadedError("256 items are already waiting for encode."))
    monkeypatch.setattr(actions.policy, "get_service", lambda: busy)
    (message,), events = run("寄到火星要几天", sender="", city="火星")
    assert message["text"] == busy_text("zh") and events == []
    assert busy.questions == ["寄到火星要几天"]


def test_a_broken_network_still_gets_a_polite_reply(shop_env) -> None:  # type: ignore[no-untyped-def]
    (shop_env / "logistics" / "lanes.csv").unlink()
    (message,), events = run("shipping to Beijing?", sender="", city="Beijing")
    assert "sorry" in message["text"].lower() and events == []
