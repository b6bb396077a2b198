"""Start the action server with the knowledge service loaded before the first request.

``python -m actions.server --port 5055``. Models and the index load here, once, so the
first shopper does not wait for them and a missing index stops start-up with a sentence
saying what to run. It listens on loopback unless told otherwise (``--host``) and answers only
calls carrying ``KEFU_ACTION_TOKEN`` (``actions/auth.py``): only kefu's Rasa.
"""

from __future__ import annotations

import argparse
import sys

from actions.auth import ActionTokenError, check_token, protect
from actions.policy import second_opinion_bar
from common.config import SettingError, value
from knowledge.errors import KnowledgeError, NotConnectedError
from knowledge.logs import setup_logging


def main(argv: list[str] | None = None) -> int:
    """Warm up, then serve rasa-sdk's HTTP API until stopped."""
    parser = argparse.ArgumentParser(prog="python -m actions.server")
    parser.add_argument("--port", type=int, default=5055)
    parser.add_argument("--host", default="127.0.0.1", help="interface (Rasa calls it here)")
    args = parser.parse_args(argv)
    setup_logging()
    try:
        token = check_token(value("KEFU_ACTION_TOKEN"))
        second_opinion_bar()  # a bad KEFU_SECOND_OPINION fails here, not on every turn
    except (ActionTokenError, SettingError) as exc:
        print(f"kefu actions: cannot start: {exc}", file=sys.stderr)
        return 2

    from actions.service import get_generator, get_network, get_orders, get_service

    try:
        get_service()
    except KnowledgeError as exc:
        print(f"kefu actions: cannot start: {exc}", file=sys.stderr)
        return 2
    try:
        get_orders()  # creates and seeds the demo store on first run
    except NotConnectedError as exc:  # a store that brought only its documents
        print(f"kefu actions: {exc}: order questions get an apology", file=sys.stderr)
    except KnowledgeError as exc:  # policy answers still work; order actions apologise
        print(
            f"kefu actions: order store unavailable, order questions will fail: {exc}",
            file=sys.stderr,
        )
    try:
        get_network()  # shortest paths from every warehouse, once
    except NotConnectedError as exc:
        print(f"kefu actions: {exc}: shipping options get an apology", file=sys.stderr)
    except KnowledgeError as exc:  # tracking works without ETAs; shipping options apologise
        print(
            f"kefu actions: shipping network unavailable ({exc}); run `make logistics-data`",
            file=sys.stderr,
        )

    try:
        get_generator()  # loads the generator model (or says loudly that templates will answer)
    except NotConnectedError as exc:  # a store that brought only its documents
        print(f"kefu actions: {exc}: product questions get an apology", file=sys.stderr)

    from rasa_sdk.endpoint import create_app
    from rasa_sdk.utils import number_of_sanic_workers

    app = protect(create_app("actions", cors_origins=[], auto_reload=False), token)
    app.run(args.host, args.port, workers=number_of_sanic_workers(), access_log=False)
    return 0


if __name__ == "__main__":
    sys.exit(main())
