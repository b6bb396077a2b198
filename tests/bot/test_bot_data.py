"""Consistency of bot/ and data/: what `rasa data validate` cannot see."""

import re
import subprocess
import sys
from pathlib import Path

import yaml

from knowledge.settings import REPO_ROOT
from shop.catalog import Catalog
from shop.orders.models import STATES

BOT = REPO_ROOT / "bot"
DATA = REPO_ROOT / "data"


def domain() -> dict:
    return yaml.safe_load((BOT / "domain.yml").read_text(encoding="utf-8"))


def test_every_response_speaks_both_languages() -> None:
    for name, variants in domain()["responses"].items():
        zh = [
            v
            for v in variants
            if v.get("condition") == [{"type": "slot", "name": "language", "value": "zh"}]
        ]
        plain = [v for v in variants if "condition" not in v]
        assert len(zh) == 1 and len(plain) == 1, f"{name}: one zh variant and one default (en)"
        assert re.search(r"[\u4e00-\u9fff]", zh[0]["text"]), f"{name}: zh text"
        assert not re.search(r"[\u4e00-\u9fff]", plain[0]["text"]), f"{name}: en text"


def test_every_intent_has_training_and_heldout_examples_and_a_rule() -> None:
    intents = set(domain()["intents"])
    assert {p.stem for p in (BOT / "data" / "nlu").glob("*.yml")} == intents
    assert {p.stem for p in (BOT / "eval" / "nlu").glob("*.yml")} == intents
    rules = yaml.safe_load((BOT / "data" / "rules.yml").read_text(encoding="utf-8"))["rules"]
    routed = {s["intent"] for r in rules for s in r["steps"] if "intent" in s}
    assert intents - routed == {"inform"}, "inform only answers a form's question"


def test_heldout_examples_are_not_training_examples() -> None:
    def examples(folder: Path) -> set[str]:
        out = set()
        for path in folder.glob("*.yml"):
            for block in yaml.safe_load(path.read_text(encoding="utf-8"))["nlu"]:
                out |= {
                    line.strip()[2:].lower()
                    for line in block["examples"].splitlines()
                    if line.strip()
                }
        return out

    assert not examples(BOT / "data" / "nlu") & examples(BOT / "eval" / "nlu")


def test_blocks_marked_unannotated_mark_no_entities() -> None:
    """The entity CRF skips them (bot/components/entities.py): a marked entity would be lost."""
    marked = 0
    for path in (BOT / "data" / "nlu").glob("*.yml"):
        for block in yaml.safe_load(path.read_text(encoding="utf-8"))["nlu"]:
            if (block.get("metadata") or {}).get("entities") == "unannotated":
                marked += 1
                assert not re.search(r"\]\(|\]\{", block["examples"]), path.name
    assert marked, "no block is marked `entities: unannotated`"


def test_lookup_tables_are_up_to_date() -> None:
    result = subprocess.run([sys.executable, str(REPO_ROOT / "scripts" / "lookups.py"), "--check"])
    assert result.returncode == 0, "run `make lookups`"


def test_demo_orders_cover_every_state_and_exist_in_the_catalog() -> None:
    demo = yaml.safe_load((DATA / "orders" / "demo.yaml").read_text(encoding="utf-8"))
    catalog = Catalog.load(DATA / "catalog" / "products.csv")
    orders = [o for s in demo["shoppers"] for o in s["orders"]]
    assert {o["state"] for o in orders} == set(STATES)
    assert all(i["product"] in catalog.by_id for o in orders for i in o["items"])
    assert all(re.fullmatch(r"KF\d{8}", o["id"]) for o in orders)


def test_store_rules_match_the_policy_pages() -> None:
    rules = yaml.safe_load((DATA / "store.yaml").read_text(encoding="utf-8"))["returns"]
    zh = (DATA / "docs" / "zh" / "returns.md").read_text(encoding="utf-8")
    en = (DATA / "docs" / "en" / "returns.md").read_text(encoding="utf-8")
    assert f"{rules['no_reason_days']} 天" in zh and f"{rules['quality_days']} 天" in zh
    assert f"{rules['no_reason_fee']} 元" in zh
    assert f"{rules['no_reason_days']} days" in en and f"{rules['quality_days']} days" in en
    assert f"¥{rules['no_reason_fee']}" in en
