"""The stand-ins in rasa_standins.py against the real rasa, in the dialogue environment.

The channel tests beside this one run in the app environment, where rasa is absent; they are
worth what the stand-ins are. This runs the real rasa 3.6 (a subprocess, as test_components.py
does): every stand-in class and method must exist there with the same parameters and the same
sync/async kind, the stand-ins must behave as rasa does on the messages and events the channels
handle, and the channel modules must import with the real rasa.
"""

from tests.bot.test_components import rasa_json

CHECK = r"""
import asyncio, importlib, inspect, json, sys
import socketio
from tests.bot.channels import rasa_standins as s

problems = []


def params(fn):
    return [(p.name, p.kind, p.default) for p in inspect.signature(fn).parameters.values()]


def compare(where, standin, real, exact=True):
    for attr, value in vars(standin).items():
        if attr.startswith("__") and attr != "__init__" or not callable(getattr(standin, attr)):
            continue
        mine, theirs = getattr(standin, attr), getattr(real, attr, None)
        if theirs is None:
            problems.append(f"{where}.{attr}: not in rasa")
            continue
        if inspect.iscoroutinefunction(mine) != inspect.iscoroutinefunction(theirs):
            problems.append(f"{where}.{attr}: async in one, not the other")
        a, b = params(mine), params(theirs)
        ok = a == b if exact else {n for n, k, _ in a if k != k.VAR_KEYWORD} <= {n for n, _, _ in b}
        if not ok:
            problems.append(f"{where}.{attr}: {a} != {b}")


for dotted, names in s.MODULES.items():
    module = importlib.import_module(dotted)
    for name, standin in names.items():
        real = getattr(module, name, None)
        if real is None:
            problems.append(f"{dotted}.{name}: gone")
        else:
            compare(f"{dotted}.{name}", standin, real)
compare("socketio.AsyncServer", s.AsyncServer, socketio.AsyncServer, exact=False)

from rasa.core.channels.channel import CollectingOutputChannel, UserMessage
from rasa.core.channels.socketio import SocketIOInput, SocketIOOutput
from rasa.shared.core.events import BotUttered, UserUttered

SENT = [{"text": "a\n\nb"}, {"text": "t", "buttons": [{"title": "x", "payload": "/x"}]},
        {"custom": {"k": 1}}, {"text": "q", "quick_replies": [{"title": "y"}]},
        {"text": "c", "custom": {"k": 2}}]


def collected(cls):
    out = cls()
    for message in SENT:
        asyncio.run(out.send_response("r", dict(message)))
    return out.messages


class Sio:
    def __init__(self):
        self.emitted = []

    async def emit(self, event, data=None, room=None, **kw):
        self.emitted.append([event, data, room])


def emitted(cls):
    sio = Sio()
    asyncio.run(cls(sio, "bot_uttered").send_text_message("r", "a\n\nb"))
    return sio.emitted


def message(cls, out_cls):
    m = cls(" hi ", None, None, metadata={"k": 1})
    return [m.text, m.sender_id, type(m.output_channel).__name__ == out_cls.__name__,
            len(m.message_id), m.metadata, m.input_channel, cls("x", message_id=7).message_id]


def events(user, bot):
    u, b, empty = user("x", message_id="m"), bot("t", data={"buttons": [1]}), bot()
    return [u.text, u.message_id, b.text, b.data, empty.text, empty.data]


def inputs(sio_in):
    c = sio_in(session_persistence=True)
    keys = ("bot_message_evt", "user_message_evt", "session_persistence", "namespace",
            "metadata_key", "sio")
    return [getattr(c, k) for k in keys] + [sio_in.name()]


for what, mine, real in [
    ("collected", collected(s.CollectingOutputChannel), collected(CollectingOutputChannel)),
    ("emitted", emitted(s.SocketIOOutput), emitted(SocketIOOutput)),
    ("message", message(s.UserMessage, s.CollectingOutputChannel),
     message(UserMessage, CollectingOutputChannel)),
    ("events", events(s.UserUttered, s.BotUttered), events(UserUttered, BotUttered)),
    ("inputs", inputs(s.SocketIOInput), inputs(SocketIOInput)),
]:
    if mine != real:
        problems.append(f"{what}: stand-in {mine!r} != rasa {real!r}")

import channels.replay, channels.rest, channels.socketio, channels.watch  # the real thing

print(json.dumps(problems))
"""


def test_the_stand_ins_are_what_rasa_is() -> None:
    assert rasa_json(CHECK) == []
