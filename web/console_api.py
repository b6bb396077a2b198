"""The agents' console: login, conversations, takeover, corrections, and the store's insights.

Insights: the Overview (``web/insights.py``), knowledge gaps with FAQ drafts and the
knowledge-base checks (``web/knowledge_views.py``).

Everything under ``/console`` but the login page needs a session cookie (HttpOnly, SameSite
Strict, expiring; see ``web/auth.py``). API calls that change something must be JSON posts,
which a page on another site cannot send with the agent's cookie.
"""

from __future__ import annotations

import logging
import urllib.parse
from datetime import UTC, date, datetime
from http import HTTPStatus
from pathlib import Path
from typing import Any, Protocol

import sqlalchemy as sa

from knowledge.errors import KnowledgeError
from web.auth import SESSION_SECONDS, Sessions
from web.corrections import CorrectionError, Corrections
from web.http import COOKIE, SENDER, JsonHandler
from web.insights import Overview, last_week
from web.knowledge_views import KnowledgeViews
from web.rasa_api import RasaAPI, RasaUnavailable
from web.transcripts import Filters, Transcripts, conversation_identity, paused

CONSOLE = Path(__file__).resolve().parent / "console"
MAX_REPLY = 2000
PAGES = {"/console": "index.html", "/console/app.js": "app.js", "/console/app.css": "app.css",
         "/console/insights.js": "insights.js"}  # fmt: skip
MAX_DAYS = 366  # the longest Overview period
OVERVIEW_WAIT_S = 3.0  # how long a page view waits for the summary to catch up
log = logging.getLogger("kefu.web")


class ConsoleConfig(Protocol):
    """The console's setting (``web.server.WebConfig`` has it)."""

    @property
    def secure_cookies(self) -> bool:
        """Whether the session cookie is sent over HTTPS only."""


class ConsoleApp(Protocol):
    """What the console needs of the web server's state (``web.server.App``)."""

    @property
    def config(self) -> ConsoleConfig:
        """The console's setting."""

    @property
    def sessions(self) -> Sessions:
        """Agents' logins."""

    @property
    def transcripts(self) -> Transcripts:
        """The conversations, read from the tracker store."""

    @property
    def rasa(self) -> RasaAPI:
        """Rasa's HTTP API (takeover, handback, an agent's reply)."""

    @property
    def corrections(self) -> Corrections:
        """Agents' corrections and FAQ drafts."""

    @property
    def overview(self) -> Overview:
        """How kefu did, per day and language."""

    @property
    def knowledge(self) -> KnowledgeViews:
        """Knowledge gaps and knowledge-base checks."""

    def intents(self) -> list[str]:
        """The bot's intents, for the correction form."""


def handle_console(
    h: JsonHandler, app: ConsoleApp, method: str, path: str, query: dict[str, str]
) -> None:
    """Answer one request under ``/console`` (``h``: the request, ``app``: the server's state)."""
    if path == "/console/login":
        if method == "GET":
            h.file(CONSOLE / "login.html")
            return
        form = h.read_form()
        token = app.sessions.login(
            form.get("name", ""), form.get("password", ""), h.client_address[0]
        )
        if token is None:
            h.send(303, headers={"Location": "/console/login?failed=1"})
            return
        secure = "; Secure" if app.config.secure_cookies else ""
        cookie = (f"{COOKIE}={token}; HttpOnly; SameSite=Strict; Path=/console;"
                  f" Max-Age={SESSION_SECONDS}{secure}")  # fmt: skip
        h.send(303, headers={"Location": "/console", "Set-Cookie": cookie})
        return
    agent = app.sessions.agent(h.session_token())
    if agent is None:
        if path.startswith("/console/api/"):
            h.fail(HTTPStatus.UNAUTHORIZED, "log in first")
        else:
            h.send(303, headers={"Location": "/console/login"})
        return
    if path == "/console/logout" and method == "POST":
        app.sessions.logout(h.session_token())
        expired = f"{COOKIE}=; HttpOnly; SameSite=Strict; Path=/console; Max-Age=0"
        h.send(303, headers={"Location": "/console/login", "Set-Cookie": expired})
        return
    if method == "GET" and path in PAGES:
        h.file(CONSOLE / PAGES[path])
        return
    if not path.startswith("/console/api/"):
        h.fail(HTTPStatus.NOT_FOUND, "not found")
        return
    data: dict[str, Any] = {}
    if method == "POST":
        if not (h.headers.get("Content-Type") or "").startswith("application/json"):
            h.fail(HTTPStatus.UNSUPPORTED_MEDIA_TYPE, "send JSON")
            return
        body = h.read_json()
        if body is None:
            return
        data = body
    parts = [urllib.parse.unquote(p) for p in path.removeprefix("/console/api/").split("/")]
    try:
        _api(h, app, agent, method, parts, query, data)
    except RasaUnavailable as exc:
        h.fail(HTTPStatus.BAD_GATEWAY, f"Rasa did not take it: {exc}")
    except CorrectionError as exc:
        h.fail(HTTPStatus.BAD_REQUEST, str(exc))
    except KnowledgeError as exc:  # the gaps and checks pages: no model or index built yet
        h.fail(HTTPStatus.SERVICE_UNAVAILABLE, f"the knowledge engine is not ready: {exc}")
    except sa.exc.SQLAlchemyError as exc:  # the tracker store is down or unreachable
        log.warning("tracker store unavailable: %s", type(exc).__name__)
        h.fail(HTTPStatus.SERVICE_UNAVAILABLE, "the conversations cannot be read now; try again")


def _api(
    h: JsonHandler, app: ConsoleApp, agent: str, method: str, parts: list[str],
    query: dict[str, str], data: dict[str, Any],
) -> None:  # fmt: skip
    route = (method, parts[0], len(parts))
    if route == ("GET", "me", 1):
        h.send_json(200, {"agent": agent, "intents": app.intents()})
    elif route == ("GET", "conversations", 1):
        found = app.transcripts.conversations(filters_from(query))
        h.send_json(200, {"conversations": [s.as_dict() for s in found]})
    elif parts[0] == "conversations" and len(parts) >= 2:
        sender = parts[1]
        if not SENDER.fullmatch(sender):
            h.fail(HTTPStatus.BAD_REQUEST, "bad conversation id")
        elif method == "GET" and len(parts) == 2:
            turns = app.transcripts.turns(sender)
            h.send_json(200, {"sender": sender, "turns": [t.__dict__ for t in turns],
                              "paused": paused(turns),
                              "identity": conversation_identity(sender, turns)})  # fmt: skip
        elif method == "POST" and len(parts) == 3:
            _act(h, app.rasa, agent, sender, parts[2], data)
        else:
            h.fail(HTTPStatus.NOT_FOUND, "not found")
    elif route == ("GET", "corrections", 1):
        h.send_json(200, {"corrections": app.corrections.as_dicts()})
    elif route == ("POST", "corrections", 1):
        c = app.corrections.add(
            sender=str(data.get("sender", "")),
            message_ts=float(data.get("message_ts") or 0),
            kind=str(data.get("kind", "")),
            text=str(data.get("text", "")),
            wrong=str(data.get("wrong", "")),
            right=str(data.get("right", "")),
            lang=str(data.get("lang", "")),
            agent=agent,
        )
        h.send_json(201, c.__dict__)
    elif parts[0] in ("overview", "overview.csv") and method == "GET" and len(parts) == 1:
        _overview(h, app.overview, parts[0], query)
    elif route == ("GET", "gaps", 1):
        days = _number(query.get("days"), 7.0, 1.0, 90.0)
        h.send_json(200, app.knowledge.gaps(days))
    elif route == ("GET", "kb-check", 1):
        h.send_json(200, app.knowledge.kb_check())
    elif route == ("GET", "faq-drafts", 1):
        h.send_json(200, {"drafts": [d.__dict__ for d in app.corrections.drafts()]})
    elif route == ("POST", "faq-drafts", 1):
        h.send_json(201, app.corrections.save_draft(data, agent).__dict__)
    elif route == ("POST", "faq-drafts", 2):
        if not parts[1].isdigit():
            h.fail(HTTPStatus.BAD_REQUEST, "bad draft id")
            return
        h.send_json(200, app.corrections.save_draft(data, agent, int(parts[1])).__dict__)
    elif route == ("GET", "export", 2):
        body = app.corrections.export(parts[1]).encode()
        ctype = "text/csv" if parts[1].endswith(".csv") else "text/yaml"
        disposition = {"Content-Disposition": f'attachment; filename="kefu-{parts[1]}"'}
        h.send(200, body, ctype, headers=disposition)
    else:
        h.fail(HTTPStatus.NOT_FOUND, "not found")


def _act(
    h: JsonHandler, rasa: RasaAPI, agent: str, sender: str, action: str, data: dict[str, Any]
) -> None:
    if action == "takeover":
        rasa.take_over(sender)
    elif action == "handback":
        rasa.hand_back(sender)
    elif action == "reply":
        text = str(data.get("text", "")).strip()
        if not text or len(text) > MAX_REPLY:
            h.fail(HTTPStatus.BAD_REQUEST, f"write 1-{MAX_REPLY} characters")
            return
        rasa.reply(sender, agent, text)
    else:
        h.fail(HTTPStatus.NOT_FOUND, "not found")
        return
    h.send_json(200, {"done": action})


def _overview(h: JsonHandler, overview: Overview, name: str, query: dict[str, str]) -> None:
    default = last_week()
    try:
        first = date.fromisoformat(query.get("since") or default[0])
        last = date.fromisoformat(query.get("until") or default[1])
    except ValueError:
        h.fail(HTTPStatus.BAD_REQUEST, "since and until are days: YYYY-MM-DD")
        return
    if last < first or (last - first).days >= MAX_DAYS:
        h.fail(HTTPStatus.BAD_REQUEST, f"until must be on or after since, at most {MAX_DAYS} days")
        return
    lang = query.get("lang") if query.get("lang") in ("zh", "en", "?") else None
    complete = overview.refresh(budget_s=OVERVIEW_WAIT_S)
    if name == "overview.csv":
        body = overview.csv(first.isoformat(), last.isoformat(), lang).encode()
        filename = f"kefu-overview-{first}-{last}.csv"
        headers = {"Content-Disposition": f'attachment; filename="{filename}"'}
        h.send(200, body, "text/csv; charset=utf-8", headers=headers)
    else:
        figures = overview.figures(first.isoformat(), last.isoformat(), lang)
        h.send_json(200, figures | {"complete": complete})


def _number(text: str | None, default: float, low: float, high: float) -> float:
    try:
        found = float(text) if text else default
    except ValueError:
        return default
    return min(max(found, low), high) if found == found else default


def filters_from(query: dict[str, str]) -> Filters:
    """The list's filters from the query string (dates as YYYY-MM-DD, UTC)."""

    def day(value: str | None, end: bool = False) -> float | None:
        if not value:
            return None
        try:
            ts = datetime.strptime(value, "%Y-%m-%d").replace(tzinfo=UTC).timestamp()
        except ValueError:
            return None
        return ts + 86400 if end else ts

    def flag(name: str) -> bool | None:
        return True if query.get(name) in ("1", "true", "yes") else None

    return Filters(
        query=query.get("q", "").strip()[:200],
        since=day(query.get("since")),
        until=day(query.get("until"), end=True),
        language=query.get("lang") if query.get("lang") in ("zh", "en") else None,
        handoff=flag("handoff"),
        abstained=flag("abstained"),
        low_confidence=flag("low"),
        thumbs_down=flag("down"),
    )
