import asyncio

import pytest
from rasa_sdk.executor import CollectingDispatcher

import actions.handoff
from actions.fallback import ActionClarify
from actions.handoff import ActionHandoff
from actions.returns import ActionSubmitReturn, ValidateReturnForm
from tests.actions.conftest import tracker_with
from tests.actions.test_orders import run


def test_return_allowed_is_explained_and_recorded(shop_env) -> None:  # type: ignore[no-untyped-def]
    said, events = run(
        ActionSubmitReturn(), "不想要了", order_id="KF10000001", return_item="耳机",
        return_reason="不想要了",
    )  # fmt: skip
    assert "7 天无理由退货" in said[0] and "10 元" in said[0]
    assert "R1" in said[1]
    assert {e["name"] for e in events} == {"return_item", "return_reason"}
    again, _ = run(
        ActionSubmitReturn(), "退耳机", order_id="KF10000001", return_item="耳机",
        return_reason="不想要了",
    )  # fmt: skip
    assert "已经提交过" in again[0] and len(again) == 1


def test_return_refused_for_excluded_items_unless_faulty(shop_env) -> None:  # type: ignore[no-untyped-def]
    said, _ = run(
        ActionSubmitReturn(), "return the underwear", order_id="KF10000001",
        return_item="the underwear", return_reason="wrong size",
    )  # fmt: skip
    assert "can't be returned without a reason" in said[0] and len(said) == 1
    said, _ = run(
        ActionSubmitReturn(), "return the underwear", order_id="KF10000001",
        return_item="the underwear", return_reason="it arrived damaged",
    )  # fmt: skip
    assert "quality problem" in said[0] and "R1" in said[1]


def test_return_item_must_be_in_the_order(shop_env) -> None:  # type: ignore[no-untyped-def]
    dispatcher = CollectingDispatcher()
    tracker = tracker_with("沙发", sender="alice:chat", slots={"order_id": "KF10000001"})
    result = asyncio.run(ValidateReturnForm().validate_return_item("沙发", dispatcher, tracker, {}))
    assert result == {"return_item": None}
    assert "声悦 S3" in dispatcher.messages[0]["text"], "lists the order's items"
    ok = asyncio.run(ValidateReturnForm().validate_return_item("耳机", dispatcher, tracker, {}))
    assert ok == {"return_item": "声悦 S3 主动降噪蓝牙耳机"}


@pytest.mark.parametrize("agents_in", [True, False])
def test_handoff_marks_pauses_and_says_when_agents_are_in(  # type: ignore[no-untyped-def]
    shop_env, monkeypatch: pytest.MonkeyPatch, agents_in: bool
) -> None:
    monkeypatch.setattr(actions.handoff, "is_open", lambda: agents_in)
    said, events = run(ActionHandoff(), "转人工", handoff_topic="耳机没声音")
    assert "耳机没声音" in said[0]
    if agents_in:
        assert said[0].startswith("已为您转接人工客服") and "9:00-21:00" not in said[0]
    else:
        assert "服务时间是每天 9:00-21:00（北京时间），现在不在服务时间" in said[0]
    kinds = [(e["event"], e.get("name")) for e in events]
    assert ("slot", "handoff") in kinds and ("pause", None) in kinds
    assert ("slot", "handoff_topic") in kinds


def test_clarify_offers_the_two_likeliest_intents_as_buttons() -> None:
    ranking = [
        {"name": "nlu_fallback", "confidence": 0.4},
        {"name": "track_order", "confidence": 0.35},
        {"name": "request_return", "confidence": 0.3},
        {"name": "ask_policy", "confidence": 0.2},
    ]
    dispatcher = CollectingDispatcher()
    tracker = tracker_with("那个东西怎么弄", intent="nlu_fallback", ranking=ranking)
    asyncio.run(ActionClarify().run(dispatcher, tracker, {}))
    (message,) = dispatcher.messages
    assert [b["payload"] for b in message["buttons"]] == ["/track_order", "/request_return"]
    assert message["buttons"][0]["title"] == "查询订单物流"


def test_an_order_id_in_a_free_text_answer_corrects_the_order(shop_env) -> None:  # type: ignore[no-untyped-def]
    dispatcher = CollectingDispatcher()
    tracker = tracker_with(
        "sorry, it's order KF10000004", sender="alice:chat", slots={"order_id": "KF10000001"},
        intent="inform", entities=[{"entity": "order_id", "value": "KF10000004"}],
    )  # fmt: skip
    form = ValidateReturnForm()
    assert asyncio.run(form.validate_return_item("sorry", dispatcher, tracker, {})) == {
        "return_item": None
    }
    assert asyncio.run(form.validate_return_reason("sorry", dispatcher, tracker, {})) == {
        "return_reason": None
    }
    assert dispatcher.messages == []


def test_clarify_answers_when_the_engine_is_sure(monkeypatch: pytest.MonkeyPatch) -> None:
    import actions.policy
    from tests.actions.conftest import FakeService

    monkeypatch.setattr(actions.policy, "get_service", lambda: FakeService(score=0.97))
    dispatcher = CollectingDispatcher()
    tracker = tracker_with("refund 几天 到", intent="nlu_fallback")
    asyncio.run(ActionClarify().run(dispatcher, tracker, {}))
    (message,) = dispatcher.messages
    assert message["text"].startswith("退款 【3 个工作日内】") and not message["buttons"]


def test_a_form_started_by_a_policy_question_answers_it_first(
    shop_env,
    monkeypatch: pytest.MonkeyPatch,  # type: ignore[no-untyped-def]
) -> None:
    """A story about the shopper's own order opened the return form: the answer comes first."""
    import actions.policy
    from tests.actions.conftest import FakeService

    engine = FakeService(score=0.6)  # answered as an ask_policy turn: no second-opinion bar
    monkeypatch.setattr(actions.policy, "get_service", lambda: engine)
    story = "I bought a coat last week and now it's on sale. Do I get the difference back?"
    policy_too = [{"name": "request_return", "confidence": 0.55},
                  {"name": "ask_policy", "confidence": 0.4}]  # fmt: skip

    def start(
        text: str,
        ranking: list = policy_too,
        entities: list | None = None,  # type: ignore[type-arg]
        first_turn: bool = True,
    ) -> list:  # type: ignore[type-arg]
        dispatcher = CollectingDispatcher()
        tracker = tracker_with(text, sender="alice:chat", intent="request_return",
                               entities=entities, ranking=ranking)  # fmt: skip
        trigger = {"text": text if first_turn else "I want to return something"}
        tracker.active_loop = {"name": "return_form", "trigger_message": trigger}
        asyncio.run(ValidateReturnForm().run(dispatcher, tracker, {}))
        return dispatcher.messages

    (answer,) = start(story)
    assert answer["text"].startswith("退款 【3 个工作日内】") and answer["evidence"]
    assert start("I want to return my coat") == [], "a request, not a question"
    assert start("can you start a return for me?") == [], "a question that is a request"
    order = [{"entity": "order_id", "value": "KF10000001"}]
    assert start("退货运费谁出？订单 KF10000001", entities=order) == [], "an order named"
    assert start(story, first_turn=False) == [], "only the message that starts the form"
    tracking = [
        {"name": "track_order", "confidence": 0.9},
        {"name": "ask_policy", "confidence": 0.05},
    ]
    assert start("我的快递到哪了？", ranking=tracking) == [], "NLU saw no policy question"
    assert engine.questions and all(q in story for q in engine.questions), "no other was asked"
