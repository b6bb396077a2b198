import re
import shutil
from pathlib import Path

import pytest

from knowledge.settings import REPO_ROOT
from shop.logistics.network import LogisticsError, Network
from shop.logistics.promise import fastest, transit_days
from tests.shop.logistics.conftest import FIXTURE


def test_route_is_the_shortest_path_with_lane_delays(tiny: Network) -> None:
    route = tiny.route("SHA", "拉萨")
    assert route.path == ("上海", "西安", "拉萨")
    assert route.km == 4400 and route.slow_km == 2900
    border = tiny.route("SHA", "香港")
    assert border.delay_hours == 72.0  # customs
    slow, fast = tiny.carriers["SLOW"], tiny.carriers["FAST"]
    assert route.hours(slow) == pytest.approx(20 + (1500 + 2900 * 1.6) / 30)
    assert route.days(fast) < route.days(slow)


def test_transit_days_follow_the_service_level(tiny: Network) -> None:
    shanghai, lhasa, hk = tiny.cities["上海"], tiny.cities["拉萨"], tiny.cities["香港"]
    # same city: the network says one day, the standard service level starts at two
    assert transit_days(tiny, "SHA", tiny.carriers["SLOW"], shanghai) == 2
    assert transit_days(tiny, "SHA", tiny.carriers["AIR"], shanghai) == 1  # express city
    assert transit_days(tiny, "XIY", tiny.carriers["FAST"], lhasa) == 5  # remote window 5-7
    assert transit_days(tiny, "XIY", tiny.carriers["SLOW"], lhasa) == 8  # too slow: late
    assert transit_days(tiny, "SHA", tiny.carriers["AIR"], hk) == 5  # no express to HK


def test_costs_grow_with_distance_items_and_remote_surcharge(tiny: Network) -> None:
    slow = tiny.carriers["SLOW"]
    near = tiny.cost("SHA", slow, tiny.cities["苏州"])
    assert near == pytest.approx(3.0 + 2.0 + 0.2 * 1.05)
    assert tiny.cost("SHA", slow, tiny.cities["苏州"], items=3) == pytest.approx(near + 2.0)
    assert tiny.cost("XIY", slow, tiny.cities["拉萨"]) == pytest.approx(1.0 + 2.0 + 0.2 * 29 + 5)


def test_names_resolve_in_both_languages(tiny: Network) -> None:
    assert tiny.city("上海市") is tiny.city("shanghai") is tiny.cities["上海"]
    assert tiny.city("Gotham") is None and tiny.city("") is None
    assert tiny.carrier_named("顺丰速运 SF Express") is tiny.carriers["AIR"]
    assert tiny.warehouse_named("上海 Shanghai") is tiny.warehouses["SHA"]
    assert tiny.nearest_warehouses("北京") == ["XIY", "SHA"]


def test_missing_files_and_bad_lanes_say_what_is_wrong(tmp_path: Path) -> None:
    shutil.copytree(FIXTURE / "logistics", tmp_path / "logistics")
    (tmp_path / "logistics" / "lanes.csv").unlink()
    with pytest.raises(LogisticsError, match=r"lanes\.csv is missing"):
        Network.load(tmp_path / "logistics", FIXTURE / "store.yaml")
    (tmp_path / "logistics" / "lanes.csv").write_text("from,to,km,kind\n上海,火星,5,road\n")
    with pytest.raises(LogisticsError, match="unknown city '火星'"):
        Network.load(tmp_path / "logistics", FIXTURE / "store.yaml")
    with pytest.raises(LogisticsError, match="no valid 'shipping' section"):
        Network.load(FIXTURE / "logistics", REPO_ROOT / "tests" / "fixtures" / "none.yaml")


def test_the_store_network_keeps_the_published_shipping_policy(store_network: Network) -> None:
    """Every city is reachable, and the fastest standard delivery falls inside the policy's
    window for its region; next-day express covers exactly the 50 cities the policy names."""
    rules = store_network.rules
    for city in store_network.cities.values():
        best = fastest(store_network, city, "standard")
        assert best is not None, city.name_en
        low, high = rules.standard_days[city.region]
        assert low <= best[2] <= high, (city.name_en, best[2])
        assert (fastest(store_network, city, "express") is not None) == city.express
    express = sum(c.express for c in store_network.cities.values())
    zh = (REPO_ROOT / "data/docs/zh/shipping.md").read_text(encoding="utf-8")
    en = (REPO_ROOT / "data/docs/en/shipping.md").read_text(encoding="utf-8")
    assert f"{express} 个主要城市" in zh and f"in {express} major cities" in en
    assert {c.region for c in store_network.cities.values()} == set(rules.standard_days)


def test_store_shipping_rules_match_the_policy_pages(store_network: Network) -> None:
    rules = store_network.rules
    zh = (REPO_ROOT / "data/docs/zh/shipping.md").read_text(encoding="utf-8")
    en = (REPO_ROOT / "data/docs/en/shipping.md").read_text(encoding="utf-8")
    cutoff = rules.cutoff.strftime("%H:%M")
    assert f"{cutoff} 前付款" in zh and f"before {cutoff}" in en
    assert f"满 {rules.free_from:g} 元免运费" in zh and f"free from ¥{rules.free_from:g}" in en
    assert f"costs ¥{rules.standard_fee:g}" in en and f"¥{rules.express_fee:g}" in en
    assert f"运费 {rules.express_fee:g} 元" in zh
    for region, (low, high) in rules.standard_days.items():
        assert f"{low}-{high} 天" in zh and f"{low}-{high} days" in en, region
    assert "Gold" in en and "gold" in rules.express_free_for


def test_generated_network_files_are_fresh() -> None:
    import subprocess
    import sys

    result = subprocess.run(
        [sys.executable, str(REPO_ROOT / "scripts" / "logistics_data.py"), "--check"],
        capture_output=True, text=True,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    lanes = (REPO_ROOT / "data/logistics/lanes.csv").read_text(encoding="utf-8")
    assert re.search(r"^深圳,香港,\d+,border$", lanes, re.M)
