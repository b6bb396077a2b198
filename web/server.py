"""kefu's web server: the demo store page, the embeddable widget and the agents' console.

``python -m web.server`` (``make run`` starts it; see ``WebConfig`` for the settings). Standard
library HTTP server, one thread per request. Routes:

- shoppers: ``/`` (demo store page; ``?shopper=u1001`` signs in a demo shopper the way a
  store's backend would: the page carries a token signed here with ``KEFU_IDENTITY_SECRET``),
  ``/widget.js`` (the one script tag), ``/vendor/*`` (the socket.io client and Chart.js from
  npm, vendored in the cache), ``/api/history`` and ``/api/rating`` (the widget's history
  after a reload or reconnect; thumbs up / down). A signed-in shopper's conversation answers
  only to that shopper's token (``Authorization: Bearer``); a widget guest's
  (``web-<random>``) to its id;
- agents, behind a login: ``/console`` and ``/console/api/*`` (see ``web/console_api.py``).
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import threading
import time
import urllib.parse
from dataclasses import dataclass, field
from functools import cached_property
from http import HTTPStatus
from http.server import ThreadingHTTPServer
from pathlib import Path

import yaml

from common.config import SettingError
from common.config import value as setting
from common.identity import bearer, shopper_for_sender, sign, verify
from knowledge.logs import setup_logging
from web.auth import Sessions, parse_agents
from web.console_api import handle_console
from web.corrections import Corrections
from web.http import SENDER, JsonHandler
from web.insights import Overview
from web.knowledge_views import Engine, KnowledgeViews, tracker_source
from web.rasa_api import RasaAPI, RasaUnavailable
from web.transcripts import Transcripts

ROOT = Path(__file__).resolve().parent
STATIC = ROOT / "static"
OVERVIEW_EVERY_S = 60.0
VENDORED = {  # npm packages (web/package-lock.json) served from the cache: no CDN
    "/vendor/socket.io.min.js": "socket.io-client/dist/socket.io.min.js",  # the widget's
    "/vendor/chart.umd.min.js": "chart.js/dist/chart.umd.min.js",  # the console's plots
}
WIDGET_GUEST = "web-"  # the widget's guest conversation ids: web-<random> (static/widget.js)
log = logging.getLogger("kefu.web")


def _cache() -> Path:
    cache: Path = setting("KEFU_CACHE")
    return cache


@dataclass
class WebConfig:
    """The web server's settings (``from_env`` reads ``KEFU_*``; flags override)."""

    rasa_url: str = "http://localhost:5005"  # where browsers reach Rasa (socket.io)
    rasa_api: str = "http://127.0.0.1:5005"  # where this server reaches Rasa's HTTP API
    rasa_token: str = ""
    tracker_url: str = ""
    console_db: Path = field(default_factory=lambda: _cache() / "console.db")
    insights_db: Path = field(default_factory=lambda: _cache() / "insights.db")
    vendor_dir: Path | None = None  # the npm folder from scripts/web_env.sh
    agents: str = ""  # KEFU_AGENTS: "name:scrypt$... ..."
    domain: Path = ROOT.parent / "bot" / "domain.yml"
    secure_cookies: bool = False
    cors_origins: tuple[str, ...] = ()  # KEFU_CORS: store pages that embed the widget
    identity_secret: str = ""  # KEFU_IDENTITY_SECRET: what the store signs shoppers' tokens with
    demo_login: bool = False  # KEFU_DEMO_LOGIN=1: the demo page signs in the demo shoppers
    demo_shoppers: Path = ROOT.parent / "data" / "orders" / "demo.yaml"

    @classmethod
    def from_env(cls) -> WebConfig:
        """Settings from the environment (what ``make run`` exports; see common/config.py)."""
        return cls(
            rasa_url=setting("KEFU_PUBLIC_RASA_URL"),
            rasa_api=setting("KEFU_RASA_API"),
            rasa_token=setting("KEFU_RASA_TOKEN"),
            tracker_url=setting("KEFU_TRACKER_URL"),
            console_db=setting("KEFU_CONSOLE_DB"),
            insights_db=setting("KEFU_INSIGHTS_DB"),
            vendor_dir=setting("KEFU_WEB_ENV"),
            agents=setting("KEFU_AGENTS"),
            secure_cookies=setting("KEFU_SECURE_COOKIES"),
            cors_origins=setting("KEFU_CORS"),
            identity_secret=setting("KEFU_IDENTITY_SECRET"),
            demo_login=setting("KEFU_DEMO_LOGIN"),
        )


class App:
    """What the request handlers share: config, sessions, tracker readers, Rasa, corrections."""

    def __init__(self, config: WebConfig, engine: Engine | None = None) -> None:
        self.config = config
        self.sessions = Sessions(parse_agents(config.agents))
        self.transcripts = Transcripts(config.tracker_url)
        self.rasa = RasaAPI(config.rasa_api, config.rasa_token)
        self.corrections = Corrections(config.console_db, intents=set(self.intents()))
        self.overview = Overview(tracker_source(config.tracker_url), config.insights_db)
        self.knowledge = KnowledgeViews(tracker_source(config.tracker_url), engine)

    def intents(self) -> list[str]:
        """The bot's intents (from its domain), for the correction form."""
        try:
            domain = yaml.safe_load(self.config.domain.read_text(encoding="utf-8")) or {}
        except OSError:
            return []
        return sorted(str(i) if not isinstance(i, dict) else next(iter(i)) for i in
                      domain.get("intents", []))  # fmt: skip

    @cached_property
    def demo_shoppers(self) -> frozenset[str]:
        """The demo shoppers' ids (``data/orders/demo.yaml``) the demo page may sign in.

        Read once, on the first demo sign-in.
        """
        try:
            data = yaml.safe_load(self.config.demo_shoppers.read_text(encoding="utf-8")) or {}
        except OSError:
            return frozenset()
        return frozenset(str(s["id"]) for s in data.get("shoppers", []) if isinstance(s, dict))

    def store_page(self, shopper: str) -> bytes:
        """The demo store page; for a demo shopper, signed in as a store's backend would."""
        page = (STATIC / "index.html").read_text(encoding="utf-8")
        config = self.config
        if not shopper or not config.demo_login or shopper not in self.demo_shoppers:
            return page.encode()
        if not config.identity_secret:
            log.warning("demo sign-in of %s skipped: KEFU_IDENTITY_SECRET is not set", shopper)
            return page.encode()
        token = sign(shopper, config.identity_secret, ttl_seconds=8 * 3600)
        tag = '<script src="/widget.js" defer></script>'
        signed = f'<script src="/widget.js" data-shopper-token="{token}" defer></script>'
        return page.replace(tag, signed).encode()

    def may_read(self, sender: str, token: str | None) -> bool:
        """Whether the widget may read (and rate) ``sender``'s conversation.

        A signed-in shopper's needs that shopper's token; a guest conversation the widget
        started (``web-<random>``) answers to its id, its only secret. Any other id (a REST
        client's, or one from before identity checks, such as a bare ``u1001``) answers to
        nobody here.
        """
        shopper = shopper_for_sender(sender)
        if shopper is None:
            return sender.startswith(WIDGET_GUEST)
        return verify(token, self.config.identity_secret).shopper == shopper

    def widget_js(self) -> bytes:
        """The widget with this server's settings filled in."""
        config = json.dumps({"rasaUrl": self.config.rasa_url})
        text = (STATIC / "widget.js").read_text(encoding="utf-8")
        return text.replace("/*KEFU_CONFIG*/{}", config).encode()


class Handler(JsonHandler):
    """Routes GET and POST requests (the plumbing: ``web/http.py``)."""

    app: App

    def cors(self) -> dict[str, str]:
        """The widget's API may be called from the store's pages (``KEFU_CORS`` origins)."""
        origin = self.headers.get("Origin") or ""
        if self.path.startswith("/api/") and origin in self.app.config.cors_origins:
            return {"Access-Control-Allow-Origin": origin, "Vary": "Origin"}
        return {}

    # ---- routes
    def do_OPTIONS(self) -> None:
        """CORS preflight for the widget's API."""
        headers = self.cors() | {
            "Access-Control-Allow-Methods": "GET, POST",
            "Access-Control-Allow-Headers": "Content-Type, Authorization",
        }
        self.send(204, headers=headers)

    def do_GET(self) -> None:
        """Serve a GET request."""
        url = urllib.parse.urlsplit(self.path)
        query = {k: v[0] for k, v in urllib.parse.parse_qs(url.query).items()}
        path = url.path
        if path == "/health":
            self.send_json(200, {"status": "ok"})
        elif path == "/":
            self.send(200, self.app.store_page(query.get("shopper", "")), "text/html")
        elif path == "/widget.js":
            self.send(200, self.app.widget_js(), "text/javascript")
        elif path in VENDORED:
            vendor = self.app.config.vendor_dir
            if vendor is None:
                self.fail(HTTPStatus.NOT_FOUND, "no npm packages: run scripts/web_env.sh")
            else:
                self.file(vendor / "node_modules" / VENDORED[path])
        elif path == "/api/history":
            self.history(query.get("sender", ""))
        elif path == "/console" or path.startswith("/console/"):
            handle_console(self, self.app, "GET", path, query)
        elif path.startswith("/static/") and "/." not in path:
            self.file(STATIC / path.removeprefix("/static/"))
        else:
            self.fail(HTTPStatus.NOT_FOUND, "not found")

    def do_HEAD(self) -> None:
        """Like GET, without the body."""
        self.do_GET()

    def do_POST(self) -> None:
        """Serve a POST request."""
        path = urllib.parse.urlsplit(self.path).path
        if path == "/api/rating":
            self.rating()
        elif path.startswith("/console"):
            handle_console(self, self.app, "POST", path, {})
        else:
            self.fail(HTTPStatus.NOT_FOUND, "not found")

    def refuse_shopper(self) -> None:
        """403: a signed-in shopper's conversation, without that shopper's valid token."""
        message = "this conversation is not yours: a signed-in shopper's needs their token"
        self.fail(HTTPStatus.FORBIDDEN, message)

    def history(self, sender: str) -> None:
        """The widget's conversation so far (a guest's id is its secret; a shopper's, a token)."""
        if not SENDER.fullmatch(sender):
            self.fail(HTTPStatus.BAD_REQUEST, "sender must be 1-128 letters, digits, _ : . @ -")
        elif not self.app.may_read(sender, bearer(self.headers.get("Authorization"))):
            self.refuse_shopper()
        else:
            self.send_json(200, self.app.transcripts.history(sender), headers=self.cors())

    def rating(self) -> None:
        """A shopper's thumbs up / down on one answer, recorded in the conversation."""
        data = self.read_json()
        if data is None:
            return
        sender, rating, ts = data.get("sender"), data.get("rating"), data.get("answer_ts")
        if not isinstance(sender, str) or not SENDER.fullmatch(sender):
            self.fail(HTTPStatus.BAD_REQUEST, "bad sender")
        elif rating not in ("up", "down") or not isinstance(ts, int | float):
            self.fail(HTTPStatus.BAD_REQUEST, "rating must be up or down, with answer_ts")
        elif not self.app.may_read(sender, bearer(self.headers.get("Authorization"))):
            self.refuse_shopper()
        else:
            try:
                self.app.rasa.rate(sender, float(ts), rating)
            except RasaUnavailable:
                log.exception("rating not recorded")
                self.fail(HTTPStatus.BAD_GATEWAY, "the rating could not be recorded; try again")
                return
            self.send_json(200, {"recorded": rating}, headers=self.cors())


def make_server(
    config: WebConfig, host: str = "127.0.0.1", port: int = 0, engine: Engine | None = None
) -> ThreadingHTTPServer:
    """A server bound to ``host:port`` (port 0 picks a free one).

    ``engine``: the knowledge pages' engine (default: this process's ``knowledge`` settings).
    """
    handler = type("ConfiguredHandler", (Handler,), {"app": App(config, engine)})
    server = ThreadingHTTPServer((host, port), handler)
    server.daemon_threads = True
    return server


def keep_overview_fresh(overview: Overview, every_s: float = OVERVIEW_EVERY_S) -> None:
    """Fold new conversations into the Overview's summary in the background, every ``every_s``."""

    def loop() -> None:
        while True:
            try:
                overview.refresh()
            except Exception:  # a tracker store briefly down: try again next time
                log.exception("the Overview's summary could not be refreshed")
            time.sleep(every_s)

    threading.Thread(target=loop, name="overview", daemon=True).start()


def main(argv: list[str] | None = None) -> int:
    """Serve until interrupted; 2 (and one line saying why) for a bad setting."""
    parser = argparse.ArgumentParser(prog="python -m web.server")
    parser.add_argument("--port", type=int, default=8080)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--rasa-url", help="where browsers reach Rasa (KEFU_PUBLIC_RASA_URL)")
    args = parser.parse_args(argv)
    setup_logging()  # one-line logs, personal data redacted (common/privacy.py)
    try:
        config = WebConfig.from_env()
    except SettingError as exc:
        print(f"kefu web: cannot start: {exc}", file=sys.stderr)
        return 2
    if args.rasa_url:
        config.rasa_url = args.rasa_url
    if not config.agents:
        log.warning("KEFU_AGENTS is not set: nobody can log in to the agent console")
    server = make_server(config, args.host, args.port)
    keep_overview_fresh(server.RequestHandlerClass.app.overview)  # type: ignore[attr-defined]
    log.info("serving on http://%s:%d (console: /console)", args.host, args.port)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
