import requests

from tests.web.conftest import DAY, PASSWORD, FakeRasa


def login(web: str, name: str = "alice", password: str = PASSWORD) -> requests.Session:
    s = requests.Session()
    s.post(web + "/console/login", data={"name": name, "password": password}, timeout=10)
    return s


def test_nothing_of_the_console_is_reachable_without_logging_in(web: str) -> None:
    for path in (
        "/console",
        "/console/app.js",
        "/console/api/conversations",
        "/console/api/conversations/u1001:zh",
        "/console/api/export/nlu.yml",
    ):
        r = requests.get(web + path, allow_redirects=False, timeout=5)
        assert r.status_code in (303, 401), path
        assert "u1001" not in r.text and "function" not in r.text
    r = requests.post(web + "/console/api/conversations/u1001:zh/takeover", json={}, timeout=5)
    assert r.status_code == 401


def test_wrong_password_is_refused_and_guessing_is_slowed(web: str) -> None:
    r = requests.post(
        web + "/console/login",
        data={"name": "alice", "password": "x"},
        allow_redirects=False,
        timeout=10,
    )
    assert r.status_code == 303 and r.headers["Location"].endswith("failed=1")
    assert "Set-Cookie" not in r.headers
    for _ in range(5):
        login(web, password="wrong")
    s = login(web)  # the right password, but too many failures from this address
    assert s.get(web + "/console/api/me", timeout=5).status_code == 401


def test_login_sets_a_strict_http_only_cookie_and_logout_ends_it(web: str) -> None:
    r = requests.post(
        web + "/console/login",
        data={"name": "alice", "password": PASSWORD},
        allow_redirects=False,
        timeout=10,
    )
    cookie = r.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie and "Max-Age=" in cookie
    s = login(web)
    me = s.get(web + "/console/api/me", timeout=5).json()
    assert me["agent"] == "alice" and "ask_policy" in me["intents"]
    s.post(web + "/console/logout", timeout=5)
    assert s.get(web + "/console/api/me", timeout=5).status_code == 401


def test_console_page_is_served_with_a_strict_content_policy(web: str) -> None:
    r = login(web).get(web + "/console", timeout=5)
    assert r.status_code == 200 and "agent console" in r.text
    assert "default-src 'self'" in r.headers["Content-Security-Policy"]


def test_conversation_list_filters(web: str) -> None:
    s = login(web)

    def senders(**params: str) -> list[str]:
        data = s.get(web + "/console/api/conversations", params=params, timeout=5).json()
        return [c["sender"] for c in data["conversations"]]

    assert senders() == ["web-en", "u1001:zh"]  # latest first
    assert senders(lang="zh") == ["u1001:zh"]
    assert senders(handoff="1") == ["web-en"]
    assert senders(low="1") == ["web-en"]
    assert senders(down="1") == ["u1001:zh"]
    assert senders(q="退货") == ["u1001:zh"]
    assert senders(since="2025-11-30") == ["web-en"]
    assert senders(until="2025-11-29") == ["u1001:zh"]
    assert senders(abstained="1") == []


def test_the_list_says_whether_each_shopper_was_verified(web: str) -> None:
    data = login(web).get(web + "/console/api/conversations", timeout=5).json()
    who = {c["sender"]: (c["verified"], c["shopper"], c["identity"]) for c in data["conversations"]}
    assert who == {"u1001:zh": (True, "u1001", "verified"), "web-en": (False, "", "guest")}


def test_transcript_shows_intents_confidence_and_evidence(web: str) -> None:
    data = login(web).get(web + "/console/api/conversations/u1001:zh", timeout=5).json()
    kinds = [t["kind"] for t in data["turns"]]
    assert kinds == ["user", "bot", "rating"] and data["paused"] is False
    assert data["identity"] == {"verified": True, "shopper": "u1001", "reason": "verified"}
    assert data["turns"][0]["intent"] == "ask_policy" and data["turns"][0]["confidence"] == 0.97
    evidence = data["turns"][1]["message"]["evidence"]
    assert evidence["passages"][0]["score"] == 0.91 and evidence["source"]["doc"] == "returns.md"


def test_takeover_reply_and_handback_go_to_rasa(web: str, rasa: FakeRasa) -> None:
    s = login(web)
    base = web + "/console/api/conversations/web-en/"
    assert s.post(base + "takeover", json={}, timeout=5).status_code == 200
    assert s.post(base + "reply", json={"text": "我来帮您"}, timeout=5).status_code == 200
    assert s.post(base + "handback", json={}, timeout=5).status_code == 200
    (p1, e1), (p2, e2), (_, e3) = rasa.calls
    assert e1[0] == {"event": "pause"} and {"event": "resume"} in e3
    assert e2 == [{"event": "bot", "text": "我来帮您", "metadata": {"agent": "alice"}}]
    assert "execute_side_effects=true" in p2 and "output_channel=latest" in p2
    assert "execute_side_effects" not in p1


def test_replies_must_be_json_and_not_empty(web: str, rasa: FakeRasa) -> None:
    s = login(web)
    base = web + "/console/api/conversations/web-en/"
    assert s.post(base + "reply", data={"text": "hi"}, timeout=5).status_code == 415
    assert s.post(base + "reply", json={"text": "  "}, timeout=5).status_code == 400
    assert rasa.calls == []


def test_corrections_are_recorded_and_exported(web: str) -> None:
    s = login(web)
    r = s.post(
        web + "/console/api/corrections",
        json={
            "sender": "web-en",
            "message_ts": DAY + 86405,
            "kind": "intent",
            "text": "hmm blue",
            "wrong": "chitchat",
            "right": "ask_product",
            "lang": "en",
        },
        timeout=5,
    )
    assert r.status_code == 201 and r.json()["agent"] == "alice"
    r = s.post(
        web + "/console/api/corrections",
        json={
            "sender": "u1001:zh",
            "message_ts": DAY + 10,
            "kind": "answer",
            "text": "可以退货吗",
            "wrong": "...",
            "right": "可以，签收后 7 天内。",
            "lang": "zh",
        },
        timeout=5,
    )
    assert r.status_code == 201
    bad = s.post(
        web + "/console/api/corrections",
        json={"kind": "intent", "text": "x", "right": "no_such_intent"},
        timeout=5,
    )
    assert bad.status_code == 400 and "unknown intent" in bad.json()["error"]
    nlu = s.get(web + "/console/api/export/nlu.yml", timeout=5)
    assert "intent: ask_product" in nlu.text and "- hmm blue" in nlu.text
    assert nlu.headers["Content-Disposition"].startswith("attachment")
    stories = s.get(web + "/console/api/export/stories.yml", timeout=5).text
    assert "user: hmm blue" in stories and "intent: ask_product" in stories
    faq = s.get(web + "/console/api/export/faq.csv", timeout=5).text
    assert "faq-zh-agent-2,zh,可以退货吗,可以，签收后 7 天内。,agent" in faq
