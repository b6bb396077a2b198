"""Serve the demo store page and the embeddable widget; tell the widget where Rasa is.

``python -m web.server --port 8080 --rasa-url http://localhost:5005``. Standard library only.
"""

from __future__ import annotations

import argparse
import json
import logging
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

STATIC = Path(__file__).resolve().parent / "static"
log = logging.getLogger("kefu.web")


class Handler(SimpleHTTPRequestHandler):
    """Static files from ``web/static`` plus ``/config.js`` and ``/health``."""

    rasa_url = ""

    def do_GET(self) -> None:
        """Serve a GET request."""
        if self.path == "/health":
            self._send(200, "application/json", b'{"status":"ok"}')
        elif self.path == "/config.js":
            config = json.dumps({"rasaUrl": self.rasa_url})
            self._send(200, "text/javascript", f"window.KEFU_CONFIG = {config};\n".encode())
        else:
            super().do_GET()

    def _send(self, status: int, ctype: str, body: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Type", ctype + "; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        self.wfile.write(body)

    def end_headers(self) -> None:
        """Add security headers to every response."""
        self.send_header("X-Content-Type-Options", "nosniff")
        super().end_headers()

    def log_message(self, format: str, *args: object) -> None:
        """Route access logs through logging."""
        log.info("%s %s", self.address_string(), format % args)


def main(argv: list[str] | None = None) -> None:
    """Serve until interrupted."""
    parser = argparse.ArgumentParser(prog="python -m web.server")
    parser.add_argument("--port", type=int, default=8080)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--rasa-url", default="http://localhost:5005")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    handler = type("ConfiguredHandler", (Handler,), {"rasa_url": args.rasa_url})
    server = ThreadingHTTPServer((args.host, args.port), partial(handler, directory=str(STATIC)))
    log.info("serving %s on http://%s:%d", STATIC, args.host, args.port)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


if __name__ == "__main__":
    main()
