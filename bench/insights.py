"""The console's insights at a real store's volume: ``make bench-insights`` -> reports/insights.json

Generates ``--conversations`` (default 100,000) conversations over the last ``--days`` days
(up to now) into a
SQLite tracker store, row for row as Rasa's ``SQLTrackerStore`` writes them (session start,
user messages with their parse, the slots and actions of each turn, kefu's answers with
evidence, handoffs, pauses, agents' replies, ratings), then measures:

- the first fold of every event into the Overview's summary (``web/insights.py``);
- a day's new conversations folded in afterwards (what the web server does every minute);
- the Overview's queries for 7, 30 and 90 days and the CSV export (median of ``REPEAT``);
- with ``--pages``, the console's pages in Chromium (the Overview, the knowledge gaps of the
  last week with the store's own encoder, kb-check), saving their screenshots.

Seeded: the same store each run.
"""

from __future__ import annotations

import argparse
import json
import random
import sqlite3
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from web.insights import Overview, day_of

ROOT = Path(__file__).resolve().parents[1]
REPEAT = 5
QUESTIONS = {
    "zh": [
        ("可以退货吗", "ask_policy"),
        ("我的快递到哪了", "track_order"),
        ("你好", "greet"),
        ("运费多少", "ask_shipping_options"),
        ("有什么推荐", "ask_recommendation"),
        ("谢谢", "thanks"),
        ("东西坏了", "complain"),
        ("转人工", "human_handoff"),
    ],
    "en": [
        ("can I return this", "ask_policy"),
        ("where is my parcel", "track_order"),
        ("hi", "greet"),
        ("how much is shipping", "ask_shipping_options"),
        ("what do you recommend", "ask_recommendation"),
        ("thanks", "thanks"),
        ("it arrived broken", "complain"),
        ("talk to a human", "human_handoff"),
    ],
}
WEIGHTS = (25, 25, 15, 10, 8, 12, 2, 3)  # how often shoppers ask each, in the order above
GAPS = [  # what the demo store's documents do not say: paraphrases, and what an agent answers
    {
        "weight": 5,
        "en": [
            "do you offer gift wrapping?",
            "can you gift wrap my order",
            "is gift wrap available",
        ],
        "zh": ["可以礼品包装吗", "有礼品包装服务吗", "能帮我包装成礼物吗"],
        "reply_en": "Yes: gift wrapping is 5 yuan, choose it at checkout.",
        "reply_zh": "可以，礼品包装 5 元，结算时勾选即可。",
    },
    {
        "weight": 4,
        "en": ["can I pay with PayPal", "do you accept PayPal?"],
        "zh": ["可以用PayPal付款吗", "支持PayPal支付吗"],
        "reply_en": "We take Alipay, WeChat Pay and bank cards; not PayPal yet.",
        "reply_zh": "目前支持支付宝、微信支付和银行卡，暂不支持 PayPal。",
    },
    {
        "weight": 3,
        "en": ["can I pick up my order in a store", "is there a pickup point in Shanghai"],
        "zh": ["可以到店自提吗", "上海有自提点吗"],
        "reply_en": "Not yet: every order is delivered.",
        "reply_zh": "暂时不支持自提，所有订单都会配送。",
    },
    {
        "weight": 2,
        "en": ["do you give discounts for bulk orders", "is there a wholesale price for 100 units"],
        "zh": ["买一百件有批发价吗", "大量购买有折扣吗"],
        "reply_en": "For 50 units or more, write to sales@example.com for a quote.",
        "reply_zh": "50 件以上请发邮件到 sales@example.com 询价。",
    },
    {
        "weight": 1,
        "en": ["can I buy an extended warranty", "is there an extended warranty"],
        "zh": ["可以买延保吗", "有延长保修服务吗"],
        "reply_en": "Extended warranty is not offered.",
        "reply_zh": "本店不提供延保服务。",
    },
]
META = {"model_id": "f086a0abe25945d18b04ced4488ad5f7", "assistant_id": "kefu"}


class Writer:
    """Rows for the ``events`` table, as Rasa writes them."""

    def __init__(self) -> None:
        self.rows: list[tuple[Any, ...]] = []

    def add(self, sender: str, ts: float, event: dict[str, Any]) -> None:
        intent = ((event.get("parse_data") or {}).get("intent") or {}).get("name")
        data = {"event": event["event"], "timestamp": ts, "metadata": META} | event
        self.rows.append(
            (
                sender,
                event["event"],
                ts,
                intent,
                event.get("name"),
                json.dumps(data, ensure_ascii=False),
            )
        )

    def action(self, sender: str, ts: float, name: str) -> None:
        self.add(
            sender,
            ts,
            {
                "event": "action",
                "name": name,
                "policy": "RulePolicy",
                "confidence": 1.0,
                "action_text": None,
                "hide_rule_turn": False,
            },
        )

    def slot(self, sender: str, ts: float, name: str, value: Any) -> None:
        self.add(sender, ts, {"event": "slot", "name": name, "value": value})


def conversation(w: Writer, rng: random.Random, sender: str, start: float) -> None:
    """One shopper's conversation: 1-6 messages, some declined, handed off or rated.

    A policy question is, one time in seven, about something the store's documents do not
    cover (``GAPS``): kefu declines; half of those shoppers then ask for a person, who answers.
    """
    lang = "zh" if rng.random() < 0.6 else "en"
    ts = start
    w.action(sender, ts, "action_session_start")
    w.add(sender, ts, {"event": "session_started"})
    w.action(sender, ts, "action_listen")
    handed, gap, asks = False, None, rng.choice((1, 1, 2, 2, 3, 3, 4, 6))
    while asks > 0:
        asks -= 1
        ts += rng.uniform(5, 90)
        text, intent = rng.choices(QUESTIONS[lang], WEIGHTS)[0]
        declined = False
        if gap is not None:  # kefu declined the last question: this shopper asks for a person
            text, intent = ("转人工" if lang == "zh" else "talk to a human"), "human_handoff"
        elif intent == "ask_policy" and rng.random() < 1 / 7:
            gap = rng.choices(GAPS, [g["weight"] for g in GAPS])[0]
            text, declined = rng.choice(gap[lang]), True
        user(w, rng, sender, ts, text, intent, lang)
        if handed:  # an agent has it: no answer from kefu
            continue
        reply = ts + rng.lognormvariate(-1.6, 0.7)
        evidence = {"abstained": declined, "score": round(rng.random(), 3)}
        w.action(
            sender, reply, "action_answer_policy" if intent == "ask_policy" else f"utter_{intent}"
        )
        meta = {"evidence": evidence} if intent == "ask_policy" else {}
        w.add(
            sender,
            reply,
            {"event": "bot", "text": "……", "data": {"buttons": None}, "metadata": meta},
        )
        w.slot(sender, reply, "kefu_abstained", declined)
        w.action(sender, reply + 0.002, "action_listen")
        if intent == "ask_policy" and not declined and rng.random() < 0.2:
            rating = "down" if rng.random() < 0.2 else "up"
            w.slot(sender, reply + 8, "answer_rating", {"answer_ts": reply, "rating": rating})
        if declined:
            if rng.random() < 0.5:
                asks = max(asks, 1)  # asks for a person next
            else:
                gap = None
        if intent in ("human_handoff", "complain"):
            w.slot(sender, reply + 0.003, "handoff", True)
            w.add(sender, reply + 0.004, {"event": "pause"})
            handed = True
            if gap is not None:
                answer = {"text": gap[f"reply_{lang}"], "metadata": {"agent": "alice"}}
                w.add(sender, reply + rng.uniform(20, 120), {"event": "bot"} | answer)
                gap = None


def user(
    w: Writer, rng: random.Random, sender: str, ts: float, text: str, intent: str, lang: str
) -> None:
    """A shopper's message, parsed, and what Rasa writes with it."""
    parse = {
        "intent": {"name": intent, "confidence": round(rng.uniform(0.5, 1), 3)},
        "entities": [],
        "text": text,
        "intent_ranking": [{"name": n, "confidence": 0.01} for _, n in QUESTIONS[lang]],
    }
    event = {
        "event": "user",
        "text": text,
        "parse_data": parse,
        "input_channel": "socketio",
        "message_id": f"{sender}-{ts}",
    }
    w.add(sender, ts, event)
    w.slot(sender, ts + 0.004, "language", lang)
    w.add(sender, ts + 0.008, {"event": "user_featurization", "use_text_for_featurization": False})


def generate(path: Path, conversations: int, days: int, end: float, seed: int = 7) -> int:
    """``conversations`` spread over the ``days`` days before ``end``; the number of rows."""
    rng = random.Random(seed)
    starts = sorted(end - rng.uniform(0, days * 86400) for _ in range(conversations))
    return append(path, starts, rng, "s")


def append(path: Path, starts: list[float], rng: random.Random, prefix: str) -> int:
    """Conversations starting at ``starts`` added to ``path``'s events; the number of rows."""
    rows = 0
    with sqlite3.connect(path) as db:
        db.execute(
            "create table if not exists events (id integer not null primary key, sender_id"
            " varchar(255) not null, type_name varchar(255) not null, timestamp float,"
            " intent_name varchar(255), action_name varchar(255), data text)"
        )
        db.execute("create index if not exists ix_events_sender_id on events (sender_id)")
        for first in range(0, len(starts), 5000):
            w = Writer()
            for i, start in enumerate(starts[first : first + 5000], first):
                conversation(w, rng, f"{prefix}{i}", start)
            w.rows.sort(key=lambda r: r[2])  # written in time order, as Rasa writes them
            db.executemany(
                "insert into events (sender_id, type_name, timestamp, intent_name,"
                " action_name, data) values (?, ?, ?, ?, ?, ?)",
                w.rows,
            )
            rows += len(w.rows)
    return rows


def timed(run: Any) -> float:
    """The median wall time of ``REPEAT`` runs, in ms."""
    times = []
    for _ in range(REPEAT):
        began = time.perf_counter()
        run()
        times.append((time.perf_counter() - began) * 1000)
    return round(statistics.median(times), 1)


def main(argv: list[str] | None = None) -> int:
    """Generate, fold, query, look at the pages; write the figures."""
    parser = argparse.ArgumentParser(prog="python -m bench.insights")
    parser.add_argument("--conversations", type=int, default=100_000)
    parser.add_argument("--days", type=int, default=90)
    parser.add_argument("--out", type=Path, default=ROOT / "reports" / "insights.json")
    parser.add_argument(
        "--pages",
        action="store_true",
        help="also time the console's pages in Chromium and save screenshots",
    )
    args = parser.parse_args(argv)
    now = time.time()
    with tempfile.TemporaryDirectory(prefix="kefu-insights-") as tmp:
        tracker, summary = Path(tmp) / "tracker.db", Path(tmp) / "insights.db"
        began = time.perf_counter()
        history_end = now - 86400  # the history, then a last day folded in on its own
        rows = generate(tracker, args.conversations, args.days, history_end)
        generated_s = time.perf_counter() - began
        overview = Overview(tracker, summary, settle_s=0)
        began = time.perf_counter()
        overview.refresh()
        fold_s = time.perf_counter() - began
        per_day = args.conversations // args.days
        rng = random.Random(8)
        new = sorted(history_end + rng.uniform(0, 86400 - 60) for _ in range(per_day))
        new_rows = append(tracker, new, rng, "n")
        began = time.perf_counter()
        overview.refresh()
        day_fold_s = time.perf_counter() - began
        last = day_of(now)
        queries = {}
        for span in (7, 30, 90):
            first = day_of(now - (span - 1) * 86400)
            queries[f"overview_{span}_days_ms"] = timed(lambda f=first: overview.figures(f, last))
        first30 = day_of(now - 29 * 86400)
        queries["csv_30_days_ms"] = timed(lambda: overview.csv(first30, last))
        week = day_of(now - 6 * 86400)
        queries["overview_7_days_one_language_ms"] = timed(
            lambda: overview.figures(week, last, "zh")
        )
        total = overview.figures(day_of(now - (args.days + 1) * 86400), last)["total"]
        report = {
            "what": "the console Overview on a generated store (bench/insights.py), SQLite, "
            "this 2-core machine",
            "conversations": args.conversations + per_day,
            "days": args.days + 1,
            "event_rows": rows + new_rows,
            "tracker_mb": round(tracker.stat().st_size / 2**20),
            "summary_mb": round(summary.stat().st_size / 2**20, 1),
            "generate_s": round(generated_s, 1),
            "first_fold_s": round(fold_s, 1),
            "first_fold_events_per_s": round(rows / fold_s),
            "one_day_fold_s": round(day_fold_s, 2),
            "one_day_conversations": per_day,
            "queries": queries,
            "figures": {
                k: total[k]
                for k in (
                    "conversations",
                    "messages",
                    "answered",
                    "handed_off",
                    "reply_p50_ms",
                    "reply_p95_ms",
                )
            },
        }
        if args.pages:
            report["pages"] = pages(Path(tmp), tracker, summary)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, ensure_ascii=False, indent=1) + "\n")
    print(json.dumps(report, ensure_ascii=False, indent=1))
    return 0


def pages(tmp: Path, tracker: Path, summary: Path) -> dict[str, Any]:
    """The console's insight pages on the generated store, timed in Chromium; screenshots."""
    import threading

    from common.config import value
    from deploy.browser import chromium
    from web.auth import hash_password
    from web.server import WebConfig, make_server

    password = "bench password"
    config = WebConfig(
        tracker_url=f"sqlite:///{tracker}",
        insights_db=summary,
        console_db=tmp / "console.db",
        vendor_dir=value("KEFU_WEB_ENV"),
        agents="bench:" + hash_password(password),
    )
    server = make_server(config)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}"
    shots = ROOT / "reports" / "screenshots"
    shots.mkdir(parents=True, exist_ok=True)
    out: dict[str, Any] = {}
    try:
        with chromium() as browser:
            page = browser.new_page(viewport={"width": 1280, "height": 1000})
            page.set_default_timeout(600_000)
            page.goto(base + "/console/login")
            page.fill("#name", "bench")
            page.fill("#password", password)
            page.click("button[type=submit]")
            page.wait_for_url(base + "/console")
            began = time.perf_counter()
            page.click("#views a[data-view=overview]")
            page.locator("#overview-status").filter(has_text=" to ").wait_for()
            out["overview_7_days_page_ms"] = round((time.perf_counter() - began) * 1000)
            page.screenshot(path=str(shots / "insights-overview.png"), full_page=True)
            began = time.perf_counter()
            page.click("#views a[data-view=gaps]")
            page.locator("#gaps-status").filter(has_text="groups").wait_for()
            out["gaps_7_days_page_s"] = round(time.perf_counter() - began, 1)
            out["gaps_7_days"] = page.locator("#gaps-status").inner_text()
            page.screenshot(path=str(shots / "insights-gaps.png"))
            began = time.perf_counter()
            page.click("#views a[data-view=checks]")
            page.get_by_role("button", name="Check the store's documents").click()
            page.locator("#checks-status").filter(has_text="sentences read").wait_for()
            out["kb_check_page_s"] = round(time.perf_counter() - began, 1)
            out["kb_check"] = page.locator("#checks-status").inner_text()
            page.screenshot(path=str(shots / "insights-checks.png"))
    finally:
        server.shutdown()
        server.server_close()
    return out


if __name__ == "__main__":
    raise SystemExit(main())
