"""Start the action server with the knowledge service loaded before the first request.

``python -m actions.server --port 5055``. Models and the index load here, once, so the
first shopper does not wait for them and a missing index stops start-up with a sentence
saying what to run.
"""

from __future__ import annotations

import argparse
import os
import sys

from knowledge.errors import KnowledgeError
from knowledge.logs import setup_logging


def main(argv: list[str] | None = None) -> int:
    """Warm up, then serve rasa-sdk's HTTP API until stopped."""
    parser = argparse.ArgumentParser(prog="python -m actions.server")
    parser.add_argument("--port", type=int, default=5055)
    parser.add_argument("--host", default="127.0.0.1", help="interface (Rasa calls it here)")
    args = parser.parse_args(argv)
    os.environ["SANIC_HOST"] = args.host  # rasa-sdk listens on all interfaces otherwise
    setup_logging()

    from actions.service import get_generator, get_network, get_orders, get_service

    try:
        get_service()
    except KnowledgeError as exc:
        print(f"kefu actions: cannot start: {exc}", file=sys.stderr)
        return 2
    try:
        get_orders()  # creates and seeds the demo store on first run
    except KnowledgeError as exc:  # policy answers still work; order actions apologise
        print(
            f"kefu actions: order store unavailable, order questions will fail: {exc}",
            file=sys.stderr,
        )
    try:
        get_network()  # shortest paths from every warehouse, once
    except KnowledgeError as exc:  # tracking works without ETAs; shipping options apologise
        print(
            f"kefu actions: shipping network unavailable ({exc}); run `make logistics-data`",
            file=sys.stderr,
        )

    get_generator()  # loads the generator model (or says loudly that templates will answer)

    from rasa_sdk.endpoint import run

    run("actions", port=args.port, cors_origins=[], auto_reload=False)
    return 0


if __name__ == "__main__":
    sys.exit(main())
