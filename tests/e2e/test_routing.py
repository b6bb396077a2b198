"""Store questions reach the answer through the whole bot (issue 21): two questions in one
message, an order request with a policy question, a policy question told as a story."""

from __future__ import annotations

import re

import pytest

from tests.e2e.conftest import Stack

pytestmark = pytest.mark.e2e


def test_two_questions_in_one_message_get_two_answers_each_with_its_source(stack: Stack) -> None:
    replies = stack.send("退款多久到账？另外，标准配送一般几天能到？", "e2e-two-part")
    assert len(replies) == 2, replies
    refund, delivery = replies
    # the returns page and the FAQ both state it: either is the right source
    assert "3 个工作日" in refund and re.search("来源：《(退货与退款政策|常见问题)》", refund)
    assert re.search(r"\d+\s*[-–~至到]\s*\d+\s*天", delivery) and "来源：《配送说明》" in delivery


def test_an_order_request_and_a_policy_question_get_both_in_order(stack: Stack) -> None:
    replies = stack.send(
        "帮我查一下订单 KF26110002 到哪了？另外退款多久到账？", "u1001:e2e-order-and-policy"
    )
    assert len(replies) == 2, replies
    status, policy = replies
    assert "KF26110002" in status and "已发货" in status, "the order first"
    assert "工作日" in policy and "来源：" in policy, "then the policy answer"


def test_a_policy_answer_carries_the_engines_evidence_and_next_steps(stack: Stack) -> None:
    (reply,) = stack.post("人工客服每天几点到几点在线？", "e2e-service-hours")
    assert "来源：" in reply["text"]
    assert {"payload": "/human_handoff", "title": "转人工客服"} in reply.get("buttons", [])
