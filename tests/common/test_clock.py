import re
from datetime import UTC, datetime, timedelta, timezone

import pytest

from common.clock import AGENT_HOURS, BEIJING, beijing_date, is_open, now_beijing, to_beijing
from knowledge.settings import REPO_ROOT

HOURS = re.compile(r"\d{1,2}:\d{2}\s*[-–]\s*\d{1,2}:\d{2}")


@pytest.mark.parametrize(
    ("at", "open_"),
    [
        (datetime(2026, 11, 28, 1, 0, tzinfo=UTC), True),  # 09:00 Beijing
        (datetime(2026, 11, 28, 0, 59, tzinfo=UTC), False),  # 08:59 Beijing
        (datetime(2026, 11, 28, 12, 59, tzinfo=UTC), True),  # 20:59 Beijing
        (datetime(2026, 11, 28, 13, 0, tzinfo=UTC), False),  # 21:00 Beijing
        (datetime(2026, 11, 27, 23, 30, tzinfo=UTC), False),  # 07:30 Beijing
        (datetime(2026, 11, 27, 20, 0, tzinfo=timezone(timedelta(hours=-5))), True),  # 09:00
    ],
)
def test_agents_are_on_duty_nine_to_nine_beijing_time(at: datetime, open_: bool) -> None:
    assert is_open(at) is open_


def test_a_naive_time_is_a_store_time_in_utc() -> None:
    assert to_beijing(datetime(2026, 11, 30, 17, 0)) == datetime(2026, 12, 1, 1, 0, tzinfo=BEIJING)
    assert beijing_date(datetime(2026, 11, 30, 17, 0)).isoformat() == "2026-12-01"
    assert beijing_date(datetime(2026, 11, 30, 15, 59)).isoformat() == "2026-11-30"
    assert not is_open(datetime(2026, 11, 30, 13, 0))  # 21:00 Beijing


def test_now_is_beijing_time() -> None:
    now = now_beijing()
    assert now.utcoffset() == timedelta(hours=8)
    assert abs(now - datetime.now(UTC)) < timedelta(seconds=5)


def test_the_dialogues_responses_state_the_clocks_agent_hours() -> None:
    """bot/domain.yml (which Rasa reads, so it cannot import the clock) agrees with it."""
    assert AGENT_HOURS == "9:00-21:00"
    found = HOURS.findall((REPO_ROOT / "bot/domain.yml").read_text(encoding="utf-8"))
    assert found and set(found) == {AGENT_HOURS}, found
