"""Shopper identity on the real stack: only a token the store signed opens a shopper's orders.

REST cases post to Rasa's REST channel; the widget cases run in headless Chromium; the action
server is called directly, as an attacker on its port would. Results go to the ``identity``
section of ``reports/reliability.json`` (``make reliability``).
"""

from __future__ import annotations

import base64
import json
import sqlite3
import time
from collections.abc import Callable
from typing import Any

import pytest
import requests

from tests.e2e.conftest import ACTION_TOKEN, Stack, signed, write_report

pytestmark = pytest.mark.e2e
RESULTS: list[dict[str, Any]] = []
U1002_ORDER = "KF26110011"  # one of u1002's orders (data/orders/demo.yaml)
U1001_ORDER = "KF26110002"  # u1001's order in transit
ASK_U1002 = f"where is my order {U1002_ORDER}?"


def record(name: str, ok: bool, detail: str = "") -> None:
    RESULTS.append({"case": name, "passed": ok, "detail": detail[:200]})


def asks_to_log_in(text: str) -> bool:
    return "log in" in text or "登录" in text


def b64(data: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def tampered(token: str, shopper: str) -> str:
    header, payload, signature = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=="))
    return f"{header}.{b64(claims | {'sub': shopper})}.{signature}"


def alg_none(shopper: str) -> str:
    now = int(time.time())
    claims = {"sub": shopper, "iat": now, "exp": now + 3600}
    return f"{b64({'alg': 'none', 'typ': 'JWT'})}.{b64(claims)}."


GUESTS: list[tuple[str, str, Callable[[], str]]] = [
    ("no token, sender id is the shopper id", "u1002", lambda: ""),
    ("no token, sender id claims the shopper", "u1002:e2e-claim", lambda: ""),
    ("expired token", "u1002:e2e-expired", lambda: signed("u1002", ttl=-120)),
    ("token signed with another secret", "u1002:e2e-secret",
     lambda: signed("u1002", secret="not the store's secret, but long enough")),
    ("tampered token (u1001's, sub changed to u1002)", "u1002:e2e-tampered",
     lambda: tampered(signed("u1001"), "u1002")),
    ("alg none", "u1002:e2e-none", lambda: alg_none("u1002")),
    ("not a token", "u1002:e2e-junk", lambda: "not.a.token"),
]  # fmt: skip


@pytest.mark.parametrize(("name", "sender", "token"), GUESTS, ids=[g[0] for g in GUESTS])
def test_a_sender_without_the_shoppers_valid_token_is_a_guest(
    stack: Stack, name: str, sender: str, token: Callable[[], str]
) -> None:
    replies = stack.post(ASK_U1002, sender, token=token())
    text = " ".join(m.get("text", "") for m in replies)
    ok = (
        U1002_ORDER not in text
        and asks_to_log_in(text)
        and all(":" not in m["recipient_id"] for m in replies)  # a guest's id
    )
    record(f"rest: {name}", ok, text[:120])
    assert ok, replies


def test_a_token_for_u1001_with_a_sender_id_of_u1002_gets_u1001s_view_only(stack: Stack) -> None:
    token = signed("u1001")
    replies = stack.post(ASK_U1002, "u1002:e2e-replayed", token=token)
    theirs = " ".join(m.get("text", "") for m in replies)
    mine = stack.send(f"我的订单 {U1001_ORDER} 到哪了", "u1002:e2e-replayed", token=token)[0]
    ok = (
        {m["recipient_id"] for m in replies} == {"u1001:e2e-replayed"}
        and f"couldn't find order {U1002_ORDER}" in theirs
        and U1001_ORDER in mine
        and "已发货" in mine
    )
    record("rest: u1001's token, sender id of u1002", ok, theirs[:120])
    assert ok, (replies, mine)


def test_a_signed_shopper_sees_their_own_orders_and_it_is_recorded(stack: Stack) -> None:
    token = signed("u1002")
    (reply,) = stack.send(f"where is my order {U1002_ORDER}?", "u1002:e2e-signed", token=token)
    ok = U1002_ORDER in reply and not asks_to_log_in(reply)
    record("rest: u1002 with u1002's token", ok, reply[:120])
    assert ok, reply
    with sqlite3.connect(stack.tracker_db) as db:
        (data,) = db.execute(
            "select data from events where sender_id = 'u1002:e2e-signed' and type_name = 'user'"
        ).fetchone()
    metadata = json.loads(data)["metadata"]
    assert metadata["identity"] == {"verified": True, "shopper": "u1002", "reason": "verified"}
    assert token.split(".")[2] not in data, "the token is never stored"


def test_guests_keep_working_for_everything_else(stack: Stack) -> None:
    (reply,) = stack.send("退货政策是什么？", "u1002:e2e-guest-policy", token="")
    ok = "退货" in reply and "来源：" in reply
    record("rest: a guest asks a policy question", ok, reply[:120])
    assert ok, reply


def test_refusals_are_logged_with_the_reason_never_the_token(stack: Stack) -> None:
    expired = signed("u1002", ttl=-120)
    stack.send("hello", "u1002:e2e-logged", token=expired)
    log = stack.log.read_text(errors="replace")
    ok = "u1002-e2e-logged" in log and "expired token" in log and expired not in log
    ok = ok and expired.split(".")[2] not in log
    record("log: a refused token is logged with its reason, never itself", ok)
    assert ok


def forged_call(port: int, query: str = "") -> requests.Response:
    """What anything on the action server's port could send: a tracker claiming u1002."""
    tracker = {
        "sender_id": "u1002:forged",
        "slots": {"order_id": U1002_ORDER},
        "latest_message": {"text": ASK_U1002, "intent": {"name": "track_order"}},
        "events": [],
        "paused": False,
        "followup_action": None,
        "active_loop": {},
        "latest_action_name": "action_listen",
    }
    return requests.post(
        f"http://127.0.0.1:{port}/webhook{query}",
        json={"next_action": "action_track_order", "sender_id": "u1002:forged",
              "tracker": tracker, "domain": {}, "version": "3.6.21"},
        timeout=30,
    )  # fmt: skip


@pytest.mark.parametrize(
    "query", ["", "?token=wrong-token-0123456789", f"?token={ACTION_TOKEN[:-1]}"]
)
def test_a_forged_direct_call_to_the_action_server_is_refused(stack: Stack, query: str) -> None:
    port = stack.ports["actions"]
    r = forged_call(port, query)
    ok = r.status_code == 401 and U1002_ORDER not in r.text
    record(f"action server: forged call {'with a wrong token' if query else 'without a token'}", ok,
           f"{r.status_code} {r.text[:100]}")  # fmt: skip
    assert ok, (r.status_code, r.text)
    listing = requests.get(f"http://127.0.0.1:{port}/actions", timeout=30)
    assert listing.status_code == 401
    health = requests.get(f"http://127.0.0.1:{port}/health", timeout=30)
    assert health.status_code == 200


def listening_addresses(port: int) -> set[str]:
    """The local addresses on which something listens on TCP ``port`` (from /proc/net/tcp*)."""
    found = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with open(table) as f:
            for line in list(f)[1:]:
                local, state = line.split()[1], line.split()[3]
                address, hexport = local.split(":")
                if state == "0A" and int(hexport, 16) == port:  # 0A: LISTEN
                    found.add(address)
    return found


def test_the_action_server_listens_on_loopback_only(stack: Stack) -> None:
    bound = listening_addresses(stack.ports["actions"])
    ok = bound == {"0100007F"}  # 127.0.0.1, little-endian hex; never 0.0.0.0 or ::
    record("action server: listens on 127.0.0.1 only", ok, str(sorted(bound)))
    assert ok, bound


# ---- the widget, in headless Chromium


FORGE = """(token) => new MutationObserver((changes) => {
  for (const change of changes) for (const node of change.addedNodes)
    if (node.tagName === "SCRIPT" && (node.src || "").endsWith("/widget.js"))
      node.dataset.shopperToken = token;
}).observe(document, {childList: true, subtree: true})"""


def widget_page(browser: Any, stack: Stack, token: str | None) -> Any:
    """The store page with the widget, signed in by the demo's own backend (``token`` None), or
    the guest page whose widget tag is given ``token``, one the store never made."""
    context = browser.new_context(locale="en-US")
    page = context.new_page()
    page.set_default_timeout(60_000)
    web = f"http://127.0.0.1:{stack.ports['web']}"
    if token is not None:
        page.add_init_script(f"({FORGE})({json.dumps(token)})")
        page.goto(web + "/")
    else:
        page.goto(web + "/?shopper=u1002")
    page.locator("#kefu-toggle").click()
    page.wait_for_function("window.kefu && window.kefu.sender")
    return page


def ask(page: Any, text: str) -> str:
    before = page.locator(".kefu-bot").count()
    page.fill("#kefu-input", text)
    page.keyboard.press("Enter")
    page.wait_for_function(f"document.querySelectorAll('.kefu-bot').length > {before}")
    page.wait_for_timeout(500)  # a form may follow with a second message
    return " ".join(page.locator(".kefu-bot").all_inner_texts()[before:])


def test_the_widget_with_a_valid_token_tracks_the_shoppers_order(
    browser: Any, stack: Stack
) -> None:
    page = widget_page(browser, stack, token=None)
    text = ask(page, ASK_U1002)
    sender = page.evaluate("window.kefu.sender")
    ok = U1002_ORDER in text and not asks_to_log_in(text) and sender.startswith("u1002:")
    record("widget: signed page (demo sign-in) tracks u1002's order", ok, text[:120])
    page.context.close()
    assert ok, (sender, text)


def test_the_widget_with_a_forged_token_asks_to_log_in(browser: Any, stack: Stack) -> None:
    forged = signed("u1002", secret="a forger's secret, long enough to sign")
    page = widget_page(browser, stack, token=forged)
    text = ask(page, ASK_U1002)
    sender = page.evaluate("window.kefu.sender")
    key = page.evaluate("localStorage.getItem('kefu.sender.u1002')")
    ok = U1002_ORDER not in text and asks_to_log_in(text) and ":" not in sender
    ok = ok and key.startswith("u1002:") and sender == key.replace(":", "-")
    history = requests.get(
        f"http://127.0.0.1:{stack.ports['web']}/api/history",
        params={"sender": key},
        headers={"Authorization": f"Bearer {forged}"},
        timeout=30,
    )
    ok = ok and history.status_code == 403
    record("widget: forged token asks to log in", ok, f"{sender} {text[:100]}")
    page.context.close()
    assert ok, (sender, text, history.status_code)


def test_report(stack: Stack) -> None:
    """Runs last in this module: write the figures if asked."""
    assert len(RESULTS) >= 14, len(RESULTS)
    passed = sum(r["passed"] for r in RESULTS)
    write_report("identity", {"cases": len(RESULTS), "passed": passed, "results": RESULTS})
