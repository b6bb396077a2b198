"""bot/channels/guard.py: the checks before a message reaches the dialogue, and their replies."""

from channels.guard import TEXTS, Guard, clean, reply, valid_sender

from common.clock import AGENT_HOURS


def test_clean_drops_control_and_invisible_characters_and_keeps_text() -> None:
    assert clean("  退货\x00\x07政策\u200b？\n ") == "退货政策？"
    assert clean("שלום 😀 مرحبا") == "שלום 😀 مرحبا"
    assert clean("a\tb\r\nc") == "a b  c"


def test_empty_and_whitespace_messages_are_answered_in_both_languages() -> None:
    g = Guard()
    for text in ("", "   ", "\x00\n\t", None, 42):
        verdict = g.check("s", text)
        assert verdict.reply is not None and "请输入" in verdict.reply and "type" in verdict.reply


def test_over_long_messages_are_answered_in_the_shoppers_language() -> None:
    g = Guard(max_chars=2000)
    zh = g.check("s", "退" * 100_000)
    assert zh.reply is not None and "2000" in zh.reply and "太长" in zh.reply
    en = g.check("s2", "word " * 20_000)
    assert en.reply is not None and "too long" in en.reply
    assert g.check("s3", "退" * 2000).reply is None


def test_a_flood_from_one_sender_is_slowed_others_are_not() -> None:
    g = Guard(per_minute=5)
    verdicts = [g.check("flood", "hi", now=100.0 + i) for i in range(7)]
    assert [v.reply is None for v in verdicts] == [True] * 5 + [False] * 2
    assert "quickly" in (verdicts[-1].reply or "")
    assert g.check("other", "hi", now=106.0).reply is None
    assert g.check("flood", "hi", now=170.0).reply is None, "a minute later it goes through"


def test_sender_ids() -> None:
    assert valid_sender("u1001:abc-1.2_x@shop")
    for bad in ("", "a" * 129, "../etc", "a b", "<script>", None, 7, {"id": 1}):
        assert not valid_sender(bad)


def test_apology_offers_a_human_in_the_shoppers_language() -> None:
    assert "转人工" in reply("no_reply", "我的订单呢")
    assert "human" in reply("no_reply", "where is my order")


def test_the_apology_states_the_agents_hours_of_the_clock() -> None:
    assert f"（每天 {AGENT_HOURS}）" in reply("no_reply", "我的订单呢")
    assert f"({AGENT_HOURS} daily, Beijing time)" in reply("no_reply", "where is my order")
    both = reply("no_reply")
    assert both.count(AGENT_HOURS) == 2 and "{hours}" not in both


def test_without_text_to_tell_the_language_both_are_given() -> None:
    assert reply("bad_message") == "无法读取这条消息。\nThis message could not be read."
    for kind, (zh, en) in TEXTS.items():
        both = reply(kind, limit=7)
        assert both.startswith(zh.format(limit=7, hours=AGENT_HOURS) + "\n"), kind
        assert both.endswith("\n" + en.format(limit=7, hours=AGENT_HOURS)), kind
