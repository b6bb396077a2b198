import json
import threading
from pathlib import Path

import pytest
import requests

from common.identity import verify
from tests.web.conftest import DAY, SECRET, FakeRasa, signed_in
from web.server import WebConfig, main, make_server


def test_health(web: str) -> None:
    assert requests.get(web + "/health", timeout=5).json() == {"status": "ok"}


def test_store_page_embeds_the_widget_with_one_script_tag(web: str) -> None:
    page = requests.get(web + "/", timeout=5).text
    assert page.count("<script") == 1 and '<script src="/widget.js" defer></script>' in page


def test_widget_is_served_with_where_rasa_is_and_never_writes_html(web: str) -> None:
    r = requests.get(web + "/widget.js", timeout=5)
    assert r.headers["Content-Type"].startswith("text/javascript")
    assert 'var config = {"rasaUrl": "http://rasa.test:5005"};' in r.text
    assert "innerHTML" not in r.text and "insertAdjacentHTML" not in r.text
    assert r.headers["X-Content-Type-Options"] == "nosniff"


def test_socket_io_client_comes_from_the_vendored_npm_folder(web: str) -> None:
    assert requests.get(web + "/vendor/socket.io.min.js", timeout=5).text == "/* io */"


def test_the_demo_page_signs_in_a_demo_shopper_as_a_stores_backend_would(web: str) -> None:
    page = requests.get(web + "/", params={"shopper": "u1001"}, timeout=5).text
    assert page.count("<script") == 1
    token = page.split('data-shopper-token="')[1].split('"')[0]
    assert verify(token, SECRET).shopper == "u1001"
    for who in ("u9999", "u1001:x", "<script>"):  # not a demo shopper: a guest's page
        page = requests.get(web + "/", params={"shopper": who}, timeout=5).text
        assert "data-shopper-token" not in page and "<script>" not in page.split("<body>")[0]


def test_history_gives_messages_in_order_with_evidence_and_ratings(web: str) -> None:
    h = requests.get(
        web + "/api/history", params={"sender": "u1001:zh"}, headers=signed_in("u1001"), timeout=5
    ).json()
    assert [m["from"] for m in h["messages"]] == ["user", "bot"]
    assert h["messages"][0] == {
        "from": "user",
        "text": "可以退货吗",
        "timestamp": DAY + 10,
        "cid": "c1",
    }
    assert h["messages"][1]["evidence"]["span"] == [4, 7]
    assert h["ratings"] == {str(DAY + 11): "down"}


def test_history_shows_a_button_by_its_title_and_an_agent_by_name(web: str) -> None:
    h = requests.get(web + "/api/history", params={"sender": "web-en"}, timeout=5).json()
    texts = [m["text"] for m in h["messages"]]
    assert "Talk to a human" in texts and "/human_handoff" not in texts
    assert h["messages"][-1]["agent"] == "alice"


def test_history_of_an_unknown_sender_is_empty_and_a_bad_id_is_refused(web: str) -> None:
    r = requests.get(web + "/api/history", params={"sender": "web-nobody"}, timeout=5)
    assert r.json() == {"messages": [], "ratings": {}}
    r = requests.get(web + "/api/history", params={"sender": "<script>"}, timeout=5)
    assert r.status_code == 400 and "sender" in r.json()["error"]


def test_a_shoppers_history_and_ratings_need_that_shoppers_token(web: str, rasa: FakeRasa) -> None:
    for headers in (
        {},
        signed_in("u1002"),  # another shopper's valid token
        signed_in("u1001", ttl=-120),  # expired
        signed_in("u1001", secret="another secret, not the store's one, 40c"),
        {"Authorization": "Bearer not-a-token"},
    ):
        r = requests.get(
            web + "/api/history", params={"sender": "u1001:zh"}, headers=headers, timeout=5
        )
        assert r.status_code == 403 and "token" in r.json()["error"] and "可以退货吗" not in r.text
        r = requests.post(
            web + "/api/rating",
            json={"sender": "u1001:zh", "answer_ts": DAY + 11, "rating": "up"},
            headers=headers,
            timeout=5,
        )
        assert r.status_code == 403
    assert rasa.calls == [], "no rating reached the conversation"


def test_a_conversation_neither_signed_nor_the_widgets_guest_answers_to_nobody(web: str) -> None:
    # e.g. a REST client's "u1001" from before identity checks, or a refused claim "u1002-abc"
    for sender in ("u1001", "u1002-abc", "nobody"):
        r = requests.get(web + "/api/history", params={"sender": sender}, timeout=5)
        assert r.status_code == 403, sender
    r = requests.get(web + "/api/history", params={"sender": "web-en\n"}, timeout=5)
    assert r.status_code == 400, "a trailing newline is not part of an id"


def test_the_demo_page_signs_in_nobody_unless_asked(web: str, tmp_path: Path) -> None:
    assert WebConfig().demo_login is False
    server = make_server(WebConfig(identity_secret=SECRET, console_db=tmp_path / "c.db"))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/?shopper=u1001"
        assert "data-shopper-token" not in requests.get(url, timeout=5).text
    finally:
        server.shutdown()
        server.server_close()


def test_rating_is_recorded_in_the_conversation_through_rasa(web: str, rasa: FakeRasa) -> None:
    r = requests.post(
        web + "/api/rating",
        json={"sender": "u1001:zh", "answer_ts": DAY + 11, "rating": "down"},
        headers={"Origin": "http://shop.test"} | signed_in("u1001"),
        timeout=5,
    )
    assert r.status_code == 200 and r.headers["Access-Control-Allow-Origin"] == "http://shop.test"
    path, events = rasa.calls[-1]
    assert path.startswith("/conversations/u1001:zh/tracker/events?token=t0ken")
    assert events == [
        {
            "event": "slot",
            "name": "answer_rating",
            "value": {"answer_ts": DAY + 11, "rating": "down"},
        }
    ]


def test_bad_ratings_are_refused_with_a_reason(web: str, rasa: FakeRasa) -> None:
    for body in ({"sender": "u1001:zh", "answer_ts": 1, "rating": "meh"}, {"rating": "up"}):
        r = requests.post(web + "/api/rating", json=body, timeout=5)
        assert r.status_code == 400 and r.json()["error"]
    r = requests.post(web + "/api/rating", data=b"\xff\x00", timeout=5)
    assert r.status_code == 400
    r = requests.post(web + "/api/rating", data=b"x" * 70_000, timeout=5)
    assert r.status_code == 413
    assert rasa.calls == []


def test_a_rating_rasa_refuses_is_reported_not_lost_silently(web: str, rasa: FakeRasa) -> None:
    rasa.fail = True
    r = requests.post(
        web + "/api/rating", json={"sender": "web-a", "answer_ts": 1, "rating": "up"}, timeout=5
    )
    assert r.status_code == 502 and "try again" in r.json()["error"]


def test_unknown_paths_are_404_and_no_file_outside_static(web: str) -> None:
    assert requests.get(web + "/nope", timeout=5).status_code == 404
    assert requests.get(web + "/static/../server.py", timeout=5).status_code == 404
    assert json.loads(requests.get(web + "/nope", timeout=5).text)["error"] == "not found"


def test_only_configured_origins_may_call_the_widget_api(web: str) -> None:
    params = {"sender": "web-en"}
    other = requests.get(
        web + "/api/history", params=params, headers={"Origin": "http://evil.test"}, timeout=5
    )
    assert "Access-Control-Allow-Origin" not in other.headers
    shop = requests.get(
        web + "/api/history", params=params, headers={"Origin": "http://shop.test"}, timeout=5
    )
    assert shop.headers["Access-Control-Allow-Origin"] == "http://shop.test"


def test_a_bad_setting_stops_the_server_with_one_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:

    monkeypatch.setenv("KEFU_SECURE_COOKIES", "perhaps")
    assert main([]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("kefu web: cannot start:") and "KEFU_SECURE_COOKIES" in err
    assert len(err.splitlines()) == 1
