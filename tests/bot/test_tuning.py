"""bot/channels/tuning.py against the real rasa 3.6 (the dialogue environment, a subprocess).

The action reply check must accept and refuse exactly what rasa's own does, with its message;
the parse must give rasa's own result, computed in the NLU thread, not on the event loop.
"""

from tests.bot.test_components import rasa_json

CHECK = r"""
import asyncio, json, threading
import jsonschema
from rasa.core.actions.action import RemoteAction
from rasa.core.processor import MessageProcessor
from rasa.core.channels.channel import UserMessage

original_check = RemoteAction._validate_action_result
original_parse = MessageProcessor.parse_message
from channels import tuning
tuning.install()
tuning.install()  # idempotent
out = {"patched": RemoteAction._validate_action_result is not original_check
       and MessageProcessor.parse_message is not original_parse}

action = RemoteAction("action_x", None)
replies = [
    {"events": [{"event": "slot", "name": "language", "value": "zh"}],
     "responses": [{"text": "hi"}]},
    {"events": [], "responses": []},
    {"events": [{"event": "slot"}], "responses": "not a list"},
    {"events": "nope"},
    {"events": [{"event": 3}]},
]
for reply in replies:
    def outcome(check):
        try:
            return ["ok", check(action, reply)]
        except jsonschema.ValidationError as e:
            return ["error", e.message]
    mine, theirs = outcome(RemoteAction._validate_action_result), outcome(original_check)
    out.setdefault("checks", []).append([mine, theirs])

class Processor:
    http_interpreter = None
    def _parse_message_with_graph(self, message, tracker, only_output_properties=True):
        self.thread = threading.current_thread().name
        return {"text": message.text, "intent": {"name": "greet", "confidence": 0.9},
                "entities": []}
    def _update_full_retrieval_intent(self, parse_data):
        pass
    def _check_for_unseen_features(self, parse_data):
        pass

for parse in (original_parse, MessageProcessor.parse_message):
    p = Processor()
    data = asyncio.run(parse(p, UserMessage("你好", sender_id="s")))
    out.setdefault("parses", []).append([data, p.thread])
print(json.dumps(out, ensure_ascii=False))
"""


def test_tuned_rasa_checks_and_parses_as_rasa_does() -> None:
    out = rasa_json(CHECK)
    assert out["patched"]
    for mine, theirs in out["checks"]:
        assert mine == theirs
    assert [c[0][0] for c in out["checks"]] == ["ok", "ok", "error", "error", "error"]
    (theirs, their_thread), (mine, my_thread) = out["parses"]
    assert mine == theirs and mine["intent"]["name"] == "greet"
    assert their_thread == "MainThread" and my_thread.startswith("kefu-nlu")
