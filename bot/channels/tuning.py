"""Two costs of Rasa 3.6 that kefu removes in its Rasa process (installed once by the channels).

Profiled under load (py-spy on ``rasa run``, 40 conversations at once), the dialogue server
spent its event loop on:

- **the action server's reply checked against its JSON schema**, twice a turn (the language
  slot's custom action, then the turn's action): ``jsonschema.validate`` first validates the
  *schema* against the draft 2020-12 meta-schema and builds a new ref resolver, every call.
  That was about 40 % of the process's busy time. :func:`install` checks the reply against
  the same schema with one validator built once: the same errors, the same message.
- **the NLU on the event loop**: parsing a message (jieba, n-grams, e5 and USE sentence
  vectors) ran on the loop, so every other conversation waited for it. :func:`install` runs the
  parse in one worker thread (``nlu_thread``); the loop serves other turns meanwhile, and the
  models, whose forward passes release the GIL, use the second core. One thread: the NLU
  components never run concurrently with themselves.

Both are Rasa's own code paths with one step changed; ``tests/bot/test_tuning.py`` runs them
against the real rasa 3.6 and compares with rasa's untouched results.
"""

from __future__ import annotations

import asyncio
import copy
import functools
from concurrent.futures import ThreadPoolExecutor
from typing import Any

_INSTALLED = False
nlu_thread = ThreadPoolExecutor(1, thread_name_prefix="kefu-nlu")


def install() -> None:
    """Patch rasa's action-reply check and message parsing (idempotent)."""
    global _INSTALLED
    if _INSTALLED:
        return
    from rasa.core.actions.action import RemoteAction
    from rasa.core.processor import MessageProcessor

    RemoteAction._validate_action_result = _validate_action_result  # type: ignore[method-assign]
    MessageProcessor.parse_message = parse_message  # type: ignore[method-assign]
    _INSTALLED = True


@functools.cache
def _reply_validator() -> Any:
    """Rasa's action reply schema, checked once, and its validator (as ``validate`` picks)."""
    from jsonschema.validators import validator_for
    from rasa.core.actions.action import RemoteAction

    schema = RemoteAction.action_response_format_spec()
    cls = validator_for(schema)
    cls.check_schema(schema)
    return cls(schema)


def _validate_action_result(self: Any, result: dict[str, Any]) -> bool:
    """``RemoteAction._validate_action_result`` with the validator built once."""
    from jsonschema import ValidationError
    from jsonschema.exceptions import best_match
    from rasa.shared.constants import DOCS_BASE_URL

    error = best_match(_reply_validator().iter_errors(result))
    if error is None:
        return True
    assert isinstance(error, ValidationError)
    error.message += (
        ". Failed to validate Action server response from API, make sure your response from "
        f"the Action endpoint is valid. For more information about the format visit "
        f"{DOCS_BASE_URL}/custom-actions"
    )
    raise error


async def parse_message(
    self: Any, message: Any, tracker: Any = None, only_output_properties: bool = True
) -> dict[str, Any]:
    """``MessageProcessor.parse_message`` with the graph's parse in :data:`nlu_thread`."""
    from rasa.core.processor import structlogger
    from rasa.shared.core.trackers import DialogueStateTracker

    if self.http_interpreter:
        parse_data = await self.http_interpreter.parse(message)
    else:
        if tracker is None:
            tracker = DialogueStateTracker.from_events(message.sender_id, [])
        parse_data = await asyncio.get_running_loop().run_in_executor(
            nlu_thread, self._parse_message_with_graph, message, tracker, only_output_properties
        )
    self._update_full_retrieval_intent(parse_data)
    structlogger.debug(
        "processor.message.parse",
        parse_data_text=copy.deepcopy(parse_data["text"]),
        parse_data_intent=parse_data["intent"],
        parse_data_entities=copy.deepcopy(parse_data["entities"]),
    )
    self._check_for_unseen_features(parse_data)
    return parse_data  # type: ignore[no-any-return]
