"""A "busy" turn with the real rasa 3.6 and its Python 3.10 (the dialogue environment).

The line refuses a turn that waited out its budget (asyncio's own timeout, which on 3.10 is not
the built-in ``TimeoutError``); the redacting store appends the busy turn after what the
conversation holds without reading it, redacted, and the dialogue skips it (reverted).
"""

import json
from pathlib import Path

from tests.bot.test_components import rasa_json

CHECK = r"""
import asyncio, json, sys
from rasa.shared.core.events import (
    ActionExecuted, BotUttered, SessionStarted, UserUttered, UserUtteranceReverted,
)
from rasa.shared.core.trackers import DialogueStateTracker
from channels.admission import Admission
from stores.redacting import RedactingSQLTrackerStore

out = {}

async def line():
    admission = Admission(budget_s=0.3, running=1, mean_turn_s=0.05)
    first = await admission.enter("a")
    second = await admission.enter("b")  # a never leaves: waits out the budget, refused
    return [first, second, admission.waiting]

out["line"] = asyncio.run(line())

async def store():
    store = RedactingSQLTrackerStore(dialect="sqlite", db=sys.argv[1])
    before = [ActionExecuted("action_session_start"), SessionStarted(),
              ActionExecuted("action_listen"), UserUttered("你好", intent={"name": "greet"}),
              BotUttered("您好！"), ActionExecuted("action_listen")]
    await store.save(DialogueStateTracker.from_events("s1", before))
    busy = [UserUttered("我的手机是13912345678", intent={"name": None}),
            BotUttered("现在咨询的人比较多"), UserUtteranceReverted()]
    await store.append("s1", busy)
    tracker = await store.retrieve("s1")
    return {
        "events": [e.type_name for e in tracker.events],
        "texts": [e.text for e in tracker.events if e.type_name in ("user", "bot")],
        "applied_user_texts": [e.text for e in tracker.applied_events() if e.type_name == "user"],
    }

out["store"] = asyncio.run(store())
print(json.dumps(out, ensure_ascii=False))
"""


def test_a_busy_turn_is_refused_on_time_and_appended_after_the_conversation(
    tmp_path: Path,
) -> None:
    out = rasa_json(CHECK.replace("sys.argv[1]", json.dumps(str(tmp_path / "t.db"))))
    assert out["line"] == [True, False, 0]
    store = out["store"]
    # the session so far (rasa reads from its start), then the busy turn
    assert store["events"] == [
        "session_started", "action", "user", "bot", "action", "user", "bot", "rewind",
    ]  # fmt: skip
    assert store["texts"] == ["你好", "您好！", "我的手机是[PHONE]", "现在咨询的人比较多"]
    assert store["applied_user_texts"] == ["你好"]  # the dialogue goes on without it
