"""HTTP plumbing of kefu's web server, shared by its routes (``server.py``, ``console_api.py``).

:class:`JsonHandler` answers complete responses (JSON, files, errors) with security headers on
every reply, reads JSON and form bodies within :data:`MAX_BODY`, and reads the console's session
cookie. Neither route module imports the other's plumbing: both import this one.
"""

from __future__ import annotations

import json
import logging
import re
import urllib.parse
from http import HTTPStatus
from http.cookies import SimpleCookie
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any

SENDER = re.compile(r"^[A-Za-z0-9_:.@-]{1,128}$")  # as the channels accept (bot/channels/guard.py)
MAX_BODY = 64 * 1024
COOKIE = "kefu_session"  # the console's session cookie
TYPES = {".html": "text/html", ".js": "text/javascript", ".css": "text/css",
         ".png": "image/png", ".svg": "image/svg+xml", ".map": "application/json"}  # fmt: skip
log = logging.getLogger("kefu.web")


class JsonHandler(BaseHTTPRequestHandler):
    """A request handler that sends complete responses; every reply carries security headers."""

    server_version = "kefu"

    def send(self, status: int, body: bytes = b"", ctype: str = "application/json",
             headers: dict[str, str] | None = None) -> None:  # fmt: skip
        """Send a complete response."""
        self.send_response(status)
        self.send_header("Content-Type", ctype + "; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def send_json(self, status: int, data: Any, headers: dict[str, str] | None = None) -> None:
        """Send ``data`` as JSON."""
        self.send(status, json.dumps(data, ensure_ascii=False).encode(), headers=headers)

    def fail(self, status: HTTPStatus, message: str) -> None:
        """A JSON error the caller can show."""
        self.send_json(status, {"error": message}, headers=self.cors())

    def cors(self) -> dict[str, str]:
        """Cross-origin headers for this reply (none here; the server allows its widget API)."""
        return {}

    def end_headers(self) -> None:
        """Add security headers to every response."""
        self.send_header("X-Content-Type-Options", "nosniff")
        self.send_header("Referrer-Policy", "same-origin")
        if self.path.startswith("/console"):
            self.send_header("X-Frame-Options", "DENY")
            self.send_header(
                "Content-Security-Policy",
                "default-src 'self'; style-src 'self' 'unsafe-inline'; frame-ancestors 'none'",
            )
        super().end_headers()

    def read_json(self) -> dict[str, Any] | None:
        """The request body as a JSON object, or None (after answering 400/413)."""
        length = int(self.headers.get("Content-Length") or 0)
        if length > MAX_BODY:
            self.fail(HTTPStatus.REQUEST_ENTITY_TOO_LARGE, "request too large")
            return None
        try:
            data = json.loads(self.rfile.read(length) or b"{}")
        except ValueError:
            data = None
        if not isinstance(data, dict):
            self.fail(HTTPStatus.BAD_REQUEST, "expected a JSON object")
            return None
        return data

    def read_form(self) -> dict[str, str]:
        """A url-encoded form body."""
        length = min(int(self.headers.get("Content-Length") or 0), MAX_BODY)
        form = urllib.parse.parse_qs(self.rfile.read(length).decode(errors="replace"))
        return {k: v[0] for k, v in form.items()}

    def session_token(self) -> str | None:
        """The console session cookie, if any."""
        cookie = SimpleCookie(self.headers.get("Cookie") or "")
        return cookie[COOKIE].value if COOKIE in cookie else None

    def file(self, path: Path) -> None:
        """Serve a file (404 when missing)."""
        if not path.is_file():
            self.fail(HTTPStatus.NOT_FOUND, "not found")
            return
        ctype = TYPES.get(path.suffix, "application/octet-stream")
        self.send(200, path.read_bytes(), ctype)

    def log_message(self, format: str, *args: Any) -> None:
        """Route access logs through logging (without query strings: they carry ids)."""
        log.info("%s %s", self.address_string(), (format % args).split("?")[0])
