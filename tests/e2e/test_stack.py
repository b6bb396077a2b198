"""End to end: `scripts/run.sh` (what `make run` runs) on free ports, driven over REST.

Starts the real processes (rasa, action server, web), sends shopper messages to Rasa's REST
channel and checks each reply carries the right passage and its source. Ends with Ctrl-C
(SIGINT to the process group, as a terminal sends it) and checks that everything stopped.
"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import urllib.request

import pytest

from tests.e2e.conftest import Stack, answers

pytestmark = pytest.mark.e2e


def test_shopper_page_and_widget_are_served(stack: Stack) -> None:
    with urllib.request.urlopen(f"http://127.0.0.1:{stack.ports['web']}/", timeout=5) as r:
        assert "/widget.js" in r.read().decode()


def test_zh_policy_question_quotes_the_returns_policy(stack: Stack) -> None:
    (reply,) = stack.send("退货政策是什么？", "e2e-zh")
    assert "退货" in reply and "来源：《退货与退款政策》" in reply


def test_zh_shipping_fee_question_quotes_the_fee_passage(stack: Stack) -> None:
    (reply,) = stack.send("满多少钱包邮？", "e2e-zh-fee")
    # The threshold must be in the quoted sentence.
    assert "99 元" in reply and "来源：《配送说明》· 运费" in reply


def test_en_policy_question_quotes_the_delivery_times(stack: Stack) -> None:
    (reply,) = stack.send("How long does delivery take?", "e2e-en")
    assert "Standard delivery takes" in reply and "2-4 days" in reply
    assert "Source: Shipping and Delivery" in reply


def test_mixed_question_is_answered_in_chinese(stack: Stack) -> None:
    (reply,) = stack.send("请问 refund 多久到账?", "e2e-mixed")
    assert "3 个工作日内" in reply and "来源：" in reply


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("你好", "您好"),
        ("hello", "Hello"),
        ("谢谢", "不客气"),
        ("thank you", "welcome"),
        ("再见", "再见"),
        ("bye", "Goodbye"),
    ],
)
def test_greetings_thanks_goodbye_in_both_languages(stack: Stack, text: str, expected: str) -> None:
    sender = f"e2e-small-{text.encode().hex()}"  # sender ids are ASCII (bot/channels/guard.py)
    (reply,) = stack.send(text, sender)
    assert expected in reply


def test_out_of_scope_request_is_declined_politely(stack: Stack) -> None:
    (reply,) = stack.send("Can you book me a flight to Paris?", "e2e-oos")
    assert "outside what I can help with" in reply


def test_order_tracking_sees_only_the_shoppers_own_orders(stack: Stack) -> None:
    # each sender is signed in with its shopper's token (Stack.send)
    (reply,) = stack.send("我的订单 KF26110002 到哪了", "u1001:e2e-track")
    assert "KF26110002" in reply and "已发货" in reply and "京东物流" in reply
    assert "送达" in reply, "the ETA from the shipping network"
    replies = stack.send("where is my order KF26110002?", "u1002:e2e-track")
    assert "couldn't find order KF26110002" in replies[0]
    assert "KF26110011" in " ".join(replies), "offers u1002's own orders instead"


def test_shipping_options_for_a_city(stack: Stack) -> None:
    (reply,) = stack.send("寄到拉萨要几天？有次日达吗", "e2e-shipping")
    assert reply.startswith("寄到拉萨的配送方式") and "标准配送" in reply
    assert "次日达暂不覆盖拉萨" in reply
    # no city in the message: the shopper's own (u1001: Shanghai, Gold), the basket from it
    (reply,) = stack.send("买200元的东西运费多少", "u1001:e2e-shipping")
    assert reply.startswith("寄到上海的配送方式") and "标准配送：免运费" in reply
    assert "次日达快递：金卡会员免运费" in reply


def test_recommendations_for_a_wish_and_a_budget(stack: Stack) -> None:
    (reply,) = stack.send("推荐一款送女朋友的礼物，500 以内", "u1001:e2e-recommend")
    lines = reply.split("\n")
    assert "为您挑了这几款：" in lines and len([x for x in lines if x.startswith("· ")]) == 3
    assert all("在 ¥500 预算内" in x for x in lines if x.startswith("· "))


def test_return_form_asks_for_what_is_missing_and_records_the_request(stack: Stack) -> None:
    sender = "u1001:e2e-return"
    assert "order number" in stack.send("I want to return something", sender)[-1]
    assert "Which item" in stack.send("KF26110001", sender)[-1]
    assert "why" in stack.send("the earphones", sender)[-1].lower()
    replies = stack.send("I don't like the colour", sender)
    assert "returned without a reason" in replies[0] and "¥10" in replies[0]
    assert "return request is recorded" in replies[1]


def test_handoff_pauses_the_bot(stack: Stack) -> None:
    sender = "u1001:e2e-handoff"
    assert "人工客服" in stack.send("转人工", sender)[-1]
    (reply,) = stack.send("我的耳机连不上蓝牙", sender)
    assert "耳机连不上蓝牙" in reply
    assert stack.send("还在吗？", sender) == [], "the bot stays quiet until an agent hands back"
    # an agent hands back through Rasa's HTTP API (what the agent console does)
    events = [
        {"event": "resume"},
        {"event": "slot", "name": "handoff", "value": False},
        {"event": "action", "name": "action_listen"},  # the next message starts a new turn
    ]
    request = urllib.request.Request(
        f"http://127.0.0.1:{stack.ports['rasa']}/conversations/{sender}/tracker/events"
        "?token=e2e-token&include_events=NONE",
        data=json.dumps(events).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        assert response.status == 200
    assert "不客气" in stack.send("谢谢", sender)[-1], "the bot answers again"


def test_a_message_sent_again_with_its_id_is_answered_once(stack: Stack) -> None:
    sender = "e2e-replay"
    first = stack.send("退货政策是什么？", sender, message_id="replay-1")
    again = stack.send("退货政策是什么？", sender, message_id="replay-1")
    assert first and again == first, "the stored replies come back"
    other = stack.send("谢谢", sender, message_id="replay-2")
    assert "不客气" in other[-1]
    with sqlite3.connect(stack.tracker_db) as db:
        texts = [
            row[0]
            for row in db.execute(
                "select json_extract(data, '$.message_id') from events "
                "where sender_id = ? and type_name = 'user' order by id",
                (sender,),
            )
        ]
    assert texts == ["replay-1", "replay-2"], "each message is stored once"


def test_conversations_are_stored_in_the_sql_tracker_store(stack: Stack) -> None:
    with sqlite3.connect(stack.tracker_db) as db:
        (count,) = db.execute(
            "select count(*) from events where sender_id = 'e2e-zh' and type_name = 'user'"
        ).fetchone()
    assert count == 1


def test_ctrl_c_stops_every_process(stack: Stack) -> None:
    os.killpg(stack.process.pid, signal.SIGINT)
    stack.process.wait(timeout=60)
    for port in stack.ports.values():
        assert not answers(f"http://127.0.0.1:{port}/"), f"port {port} still answers"
