import asyncio

from rasa_sdk.executor import CollectingDispatcher

from actions.language import ActionDetectLanguage
from tests.actions.conftest import tracker_with


def run(text: str) -> list[dict]:
    return asyncio.run(ActionDetectLanguage().run(CollectingDispatcher(), tracker_with(text), {}))


def test_sets_the_language_slot() -> None:
    assert run("退货政策是什么？") == [
        {"event": "slot", "name": "language", "value": "zh", "timestamp": None}
    ]
    assert run("How long is delivery?")[0]["value"] == "en"


def test_keeps_the_previous_language_for_empty_text() -> None:
    assert run("   ") == []
