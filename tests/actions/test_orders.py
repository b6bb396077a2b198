import asyncio
import re
from datetime import UTC, datetime, timedelta
from typing import Any

from rasa_sdk import Action
from rasa_sdk.executor import CollectingDispatcher

from actions.orders import (
    ActionCancelOrder,
    ActionChangeAddress,
    ActionTrackOrder,
    ValidateAddressForm,
    ValidateTrackOrderForm,
)
from actions.texts import FAILURE
from tests.actions.conftest import tracker_with


def run(
    action: Action, text: str, sender: str = "alice:chat", **slots: Any
) -> tuple[list[str], list]:
    dispatcher = CollectingDispatcher()
    tracker = tracker_with(text, sender=sender, slots=slots)
    events = asyncio.run(action.run(dispatcher, tracker, {}))
    return [m.get("text") or "" for m in dispatcher.messages], events


def validate(text: str, value: str, sender: str = "alice:chat") -> tuple[list[str], dict]:
    dispatcher = CollectingDispatcher()
    tracker = tracker_with(text, sender=sender)
    result = asyncio.run(ValidateTrackOrderForm().validate_order_id(value, dispatcher, tracker, {}))
    return [m["text"] for m in dispatcher.messages], result


def test_order_id_is_normalised_and_must_be_the_shoppers(shop_env) -> None:  # type: ignore[no-untyped-def]
    assert validate("kf1000 0001", "kf1000 0001")[1] == {"order_id": "KF10000001"}
    said, result = validate("KF123", "KF123")
    assert result == {"order_id": None} and "KF followed by 8 digits" in said[0]


def test_another_shoppers_order_gets_the_unknown_order_answer(shop_env) -> None:  # type: ignore[no-untyped-def]
    theirs, r1 = validate("KF20000001", "KF20000001", sender="alice:chat")
    nobody, r2 = validate("KF99999999", "KF99999999", sender="alice:chat")
    assert r1 == r2 == {"order_id": None}
    assert theirs[0].replace("KF20000001", "X") == nobody[0].replace("KF99999999", "X")
    assert "KF10000001" in theirs[1], "offers the shopper's own recent orders instead"


def test_guests_are_asked_to_log_in(shop_env) -> None:  # type: ignore[no-untyped-def]
    said, _ = run(ActionTrackOrder(), "我的订单到哪了", sender="", order_id=None)
    assert "登录" in said[0]
    # a guest's sender id never has a ":" (the channels make it so), even when it names one
    for guest in ("alice", "alice-chat"):
        said, _ = run(ActionTrackOrder(), "我的订单到哪了", sender=guest, order_id="KF10000001")
        assert "登录" in said[0] and "KF10000001" not in said[0]
    form = ValidateTrackOrderForm()
    slots = asyncio.run(
        form.required_slots(["order_id"], CollectingDispatcher(), tracker_with("x", sender=""), {})
    )
    assert slots == []


def test_tracking_in_each_language(shop_env) -> None:  # type: ignore[no-untyped-def]
    said, _ = run(ActionTrackOrder(), "where is my order", order_id="KF10000003")
    assert "has shipped" in said[0] and "tracking number" in said[0]
    # SF express from the Shanghai warehouse to Shanghai: next day after shipping (yesterday)
    today = (datetime.now(UTC) + timedelta(hours=8)).date()
    assert f"Expected delivery: {today.strftime('%b %-d')}." in said[0]
    said, _ = run(ActionTrackOrder(), "订单到哪了", order_id="KF10000001")
    assert "签收" in said[0]
    said, _ = run(ActionTrackOrder(), "到哪了", order_id="KF10000002")
    assert (
        "已付款" in said[0]
        and "发货" in said[0]
        and re.search(r"\d+月\d+日–\d+月\d+日 送达", said[0])
    )


def test_cancel_needs_confirmation_and_an_unshipped_order(shop_env) -> None:  # type: ignore[no-untyped-def]
    said, events = run(ActionCancelOrder(), "no", order_id="KF10000002", cancel_confirmed=False)
    assert "stays" in said[0] and events[0]["name"] == "cancel_confirmed"
    said, _ = run(ActionCancelOrder(), "yes", order_id="KF10000003", cancel_confirmed=True)
    assert "already shipped" in said[0]
    said, _ = run(ActionCancelOrder(), "确认", order_id="KF10000002", cancel_confirmed=True)
    assert "已为您取消" in said[0] and "1 小时内" in said[0]
    said, _ = run(ActionTrackOrder(), "到哪了", order_id="KF10000002")
    assert "已取消" in said[0]


def test_change_address(shop_env) -> None:  # type: ignore[no-untyped-def]
    address = "杭州市西湖区文三路 3 号 张三 13800000000"
    said, events = run(ActionChangeAddress(), address, order_id="KF10000002", new_address=address)
    assert address in said[0] and events == [
        {"event": "slot", "timestamp": None, "name": "new_address", "value": None}
    ]
    said, _ = run(
        ActionChangeAddress(), "new address please", order_id="KF10000003", new_address="x" * 10
    )
    assert "contact the courier" in said[0]
    bad = asyncio.run(
        ValidateAddressForm().validate_new_address(
            "北京", CollectingDispatcher(), tracker_with("北京"), {}
        )
    )
    assert bad == {"new_address": None}


def test_a_failing_store_still_gets_a_polite_reply(shop_env, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    import actions.orders

    def broken(*_: object) -> None:
        raise RuntimeError("database is down")

    monkeypatch.setattr(actions.orders, "get_orders", broken)
    said, events = run(ActionTrackOrder(), "where is my order", order_id="KF10000001")
    assert said == [FAILURE["en"]]
    assert events == []


def test_a_policy_question_asked_with_the_order_request_is_answered_after_it(
    shop_env,
    monkeypatch,  # type: ignore[no-untyped-def]
) -> None:
    import actions.policy
    from tests.actions.conftest import FakeService

    engine = FakeService()
    monkeypatch.setattr(actions.policy, "get_service", lambda: engine)
    request = "帮我查一下订单 KF10000001 到哪了？另外退款多久到账？"
    tracker = tracker_with("KF10000001", sender="alice:chat", slots={"order_id": "KF10000001"})
    tracker.events = [
        {"event": "user", "text": request},
        {"event": "action", "name": "track_order_form"},
        {"event": "active_loop", "name": "track_order_form"},
        {"event": "user", "text": "KF10000001"},
    ]
    dispatcher = CollectingDispatcher()
    asyncio.run(ActionTrackOrder().run(dispatcher, tracker, {}))
    status, policy = (m["text"] for m in dispatcher.messages)
    assert "KF10000001 was delivered" in status, "the order first"
    assert policy.startswith("退款 【3 个工作日内】"), "then the policy question"
    assert engine.questions == ["另外退款多久到账？"], "the request itself is not asked"
    engine.abstain = True
    dispatcher = CollectingDispatcher()
    asyncio.run(ActionTrackOrder().run(dispatcher, tracker, {}))
    assert len(dispatcher.messages) == 1, "an unsure answer is left out"
    engine.abstain, asked = False, len(engine.questions)
    alone = tracker_with("到哪了", slots={"order_id": "KF10000001"}, sender="alice:chat")
    dispatcher = CollectingDispatcher()
    asyncio.run(ActionTrackOrder().run(dispatcher, alone, {}))
    assert len(dispatcher.messages) == 1 and len(engine.questions) == asked, "nothing to answer"
    tracker.events[0] = {"event": "user", "text": "退款多久到账？包裹到哪了？"}
    dispatcher = CollectingDispatcher()
    asyncio.run(ActionTrackOrder().run(dispatcher, tracker, {}))
    assert len(dispatcher.messages) == 1, "which part was the request is unclear: no guessing"
    tracker.events[0] = {"event": "user", "text": request}
    tracker.events.insert(
        3, {"event": "bot", "text": "…", "metadata": {"evidence": {"abstained": False}}}
    )
    dispatcher = CollectingDispatcher()
    asyncio.run(ActionTrackOrder().run(dispatcher, tracker, {}))
    assert len(dispatcher.messages) == 1, "answered when the form started: not again"
