"""How often the knowledge engine would overrule NLU, per intent -> reports/second_opinion.json.

``KEFU_SECOND_OPINION`` is the confidence at which the engine's answer replaces the reply of an
out-of-scope, unclear, product or promotion turn (``actions/policy.py``). This asks the engine
every training example of the bot's NLU data (``bot/data/nlu``, never the held-out sets) and
counts, per intent and per candidate bar, the share it would answer (the whole message, as
one question: the production path also asks a message's questions apart and needs every
answer above the bar): high for ``ask_policy``
(store questions it can recover), low for ``out_of_scope`` and the catalog intents (turns it
would wrongly take over). Run: ``python scripts/second_opinion.py`` (app environment, models
built; ~10 minutes on 2 cores).
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import yaml

from knowledge.service import KnowledgeService
from knowledge.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
BARS = (0.5, 0.8, 0.9, 0.95, 0.97, 0.98)
INTENTS = ("ask_policy", "out_of_scope", "ask_product", "ask_promotion", "chitchat",
           "ask_recommendation", "complain")  # fmt: skip
#: entity markup in training examples: [text](entity) or [text]{...}
MARKUP = re.compile(r"\[([^\]]+)\](?:\([^)]*\)|\{[^}]*\})")


def examples(intent: str) -> list[str]:
    """The training examples of ``intent``, entity markup removed."""
    doc = yaml.safe_load((ROOT / "bot" / "data" / "nlu" / f"{intent}.yml").read_text("utf-8"))
    lines = [
        line[2:].strip()
        for block in doc.get("nlu") or []
        for line in (block.get("examples") or "").splitlines()
        if line.startswith("- ")
    ]
    return [MARKUP.sub(r"\1", line) for line in lines]


def main() -> int:
    """Ask, count, write the report."""
    service = KnowledgeService(Settings.from_env())
    service.warm_up()
    report: dict[str, dict[str, float | int]] = {}
    for intent in INTENTS:
        questions = examples(intent)
        answers = service.answer_batch(questions)
        row: dict[str, float | int] = {"n": len(questions)}
        for bar in BARS:
            taken = sum(1 for a in answers if not a.abstained and a.score >= bar)
            row[f"{bar:g}"] = round(taken / max(len(questions), 1), 3)
        report[intent] = row
        print(intent, row, file=sys.stderr, flush=True)
    out = ROOT / "reports" / "second_opinion.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps({"share_answered_at_bar": report}, indent=2) + "\n", "utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
