"""NLU evaluation on the held-out split (bot/eval/nlu), per language -> reports/nlu.json + PNG.

Runs in the Rasa environment: ``make eval-nlu`` (or, from the repository root, with the root
for ``common/`` and ``bot/`` for kefu's components, as when Rasa runs from bot/:
``PYTHONPATH=$PWD:$PWD/bot $RASA_ENV/bin/python scripts/nlu_eval.py MODEL.tar.gz``). Each held-out example is parsed by the trained model; intent precision, recall
and F1 are computed per intent and per language group (zh, en, mixed: Chinese and English words
in one message, order ids not counted as English), with macro averages; entity extraction is
scored as exact (entity, value) matches. The confusion matrix over all languages goes to
reports/nlu_confusion.png.
"""

from __future__ import annotations

import asyncio
import json
import re
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
ANNOTATION = re.compile(r"\[([^\]]+)\](?:\((\w+)(?::([^)]+))?\)|\{([^}]*)\})")
GROUPS = ("zh", "en", "mixed")


def language_group(text: str) -> str:
    """zh, en or mixed (order ids and amounts do not make a message English)."""
    bare = re.sub(r"(?i)kf\d{8}|¥|\d+", " ", text)
    zh = bool(re.search(r"[\u4e00-\u9fff]", bare))
    en = bool(re.search(r"[A-Za-z]{2,}", bare))
    return "mixed" if zh and en else "zh" if zh else "en"


def parse_example(line: str) -> tuple[str, list[tuple[str, str]]]:
    """Plain text and its (entity, value) pairs from Rasa's annotation syntax."""
    entities: list[tuple[str, str]] = []

    def plain(m: re.Match[str]) -> str:
        text = m.group(1)
        if m.group(2):
            entities.append((m.group(2), m.group(3) or text))
        else:
            meta = json.loads("{" + m.group(4) + "}")
            entities.append((meta["entity"], meta.get("value", text)))
        return text

    return ANNOTATION.sub(plain, line), entities


def load_heldout(folder: Path) -> list[dict[str, Any]]:
    """Every held-out example with its intent, entities and language group."""
    import yaml

    rows = []
    for path in sorted(folder.glob("*.yml")):
        for block in yaml.safe_load(path.read_text(encoding="utf-8"))["nlu"]:
            for line in block["examples"].splitlines():
                line = line.strip()[2:].strip()
                if line:
                    text, entities = parse_example(line)
                    rows.append({"text": text, "intent": block["intent"], "entities": entities,
                                 "group": language_group(text)})  # fmt: skip
    return rows


def prf(gold: list[str], pred: list[str]) -> dict[str, Any]:
    """Per-intent precision/recall/F1/support and their macro average."""
    labels = sorted(set(gold))
    per: dict[str, dict[str, float]] = {}
    for label in labels:
        tp = sum(1 for g, p in zip(gold, pred) if g == p == label)
        fp = sum(1 for g, p in zip(gold, pred) if p == label and g != label)
        fn = sum(1 for g, p in zip(gold, pred) if g == label and p != label)
        precision = tp / (tp + fp) if tp + fp else 0.0
        recall = tp / (tp + fn) if tp + fn else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        per[label] = {"precision": round(precision, 4), "recall": round(recall, 4),
                      "f1": round(f1, 4), "support": tp + fn}  # fmt: skip
    macro = sum(v["f1"] for v in per.values()) / len(per) if per else 0.0
    accuracy = sum(1 for g, p in zip(gold, pred) if g == p) / len(gold) if gold else 0.0
    return {"macro_f1": round(macro, 4), "accuracy": round(accuracy, 4), "n": len(gold),
            "intents": per}  # fmt: skip


async def predict(model: Path, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Parse every example; keep the intent (nlu_fallback = the top real intent too) and entities."""
    from rasa.core.agent import Agent

    agent = Agent.load(str(model))
    out = []
    for row in rows:
        started = time.perf_counter()
        parsed = await agent.parse_message(row["text"])
        ms = (time.perf_counter() - started) * 1000
        ranking = [r["name"] for r in parsed.get("intent_ranking", []) if r["name"] != "nlu_fallback"]
        out.append({
            "intent": parsed["intent"]["name"],
            "top_intent": ranking[0] if ranking else parsed["intent"]["name"],
            "entities": sorted({(e["entity"], str(e["value"])) for e in parsed.get("entities", [])}),
            "ms": ms,
        })  # fmt: skip
    return out


def entity_scores(rows: list[dict[str, Any]], preds: list[dict[str, Any]]) -> dict[str, Any]:
    """Exact (entity, value) match precision/recall/F1 per entity type."""
    counts: dict[str, Counter[str]] = defaultdict(Counter)
    for row, pred in zip(rows, preds):
        gold = {(e, v.lower()) for e, v in row["entities"]}
        got = {(e, v.lower()) for e, v in pred["entities"]}
        for e, _ in gold | got:
            counts[e]  # noqa: B018 - touch
        for item in gold & got:
            counts[item[0]]["tp"] += 1
        for item in got - gold:
            counts[item[0]]["fp"] += 1
        for item in gold - got:
            counts[item[0]]["fn"] += 1
    out = {}
    for e, c in sorted(counts.items()):
        p = c["tp"] / (c["tp"] + c["fp"]) if c["tp"] + c["fp"] else 0.0
        r = c["tp"] / (c["tp"] + c["fn"]) if c["tp"] + c["fn"] else 0.0
        out[e] = {"precision": round(p, 4), "recall": round(r, 4),
                  "f1": round(2 * p * r / (p + r), 4) if p + r else 0.0, "support": c["tp"] + c["fn"]}  # fmt: skip
    return out


def plot_confusion(gold: list[str], pred: list[str], path: Path) -> None:
    """Row-normalised confusion matrix over every intent (+ nlu_fallback as a column)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    labels = sorted(set(gold))
    cols = labels + (["nlu_fallback"] if "nlu_fallback" in pred else [])
    m = np.zeros((len(labels), len(cols)))
    for g, p in zip(gold, pred):
        if p in cols:
            m[labels.index(g), cols.index(p)] += 1
    m = m / np.maximum(m.sum(axis=1, keepdims=True), 1)
    fig, ax = plt.subplots(figsize=(12, 10))
    ax.imshow(m, cmap="Blues", vmin=0, vmax=1)
    ax.set_xticks(range(len(cols)), cols, rotation=90)
    ax.set_yticks(range(len(labels)), labels)
    for i in range(len(labels)):
        for j in range(len(cols)):
            if m[i, j] >= 0.01:
                ax.text(j, i, f"{m[i, j]:.2f}", ha="center", va="center", fontsize=6,
                        color="white" if m[i, j] > 0.5 else "black")  # fmt: skip
    ax.set_xlabel("predicted")
    ax.set_ylabel("held-out label")
    ax.set_title("kefu NLU: held-out intents (row-normalised)")
    fig.tight_layout()
    fig.savefig(path, dpi=110)


def story_turns(folder: Path) -> list[dict[str, Any]]:
    """Every user turn of the test stories that has text: its story, intent and entities."""
    import yaml

    turns = []
    for path in sorted(folder.glob("*.yml")):
        for story in yaml.safe_load(path.read_text(encoding="utf-8")).get("stories", []):
            for step in story["steps"]:
                if "user" in step and "intent" in step:
                    text, entities = parse_example(step["user"].strip())
                    turns.append({"story": story["story"], "text": text, "intent": step["intent"],
                                  "entities": entities})  # fmt: skip
    return turns


def check_stories(model: Path, folder: Path) -> int:
    """Parse every user turn of the test stories: the labelled intent and entities must come out.

    ``rasa test core`` takes the stories' intents as given; this is the NLU half of the
    conversation regression tests. Exit status 1 lists every turn that went wrong.
    """
    turns = story_turns(folder)
    preds = asyncio.run(predict(model, turns))
    wrong = []
    for turn, pred in zip(turns, preds):
        missing = {(e, v.lower()) for e, v in turn["entities"]} - {
            (e, v.lower()) for e, v in pred["entities"]
        }
        if pred["intent"] != turn["intent"] or missing:
            wrong.append(f"  {turn['story']}: {turn['text']!r} -> {pred['intent']}"
                         f" (want {turn['intent']}){'; missing ' + str(sorted(missing)) if missing else ''}")  # fmt: skip
    print(f"{len(turns) - len(wrong)} of {len(turns)} story turns parsed as labelled")
    if wrong:
        print("\n".join(wrong))
    return 1 if wrong else 0


def main(argv: list[str]) -> int:
    """``nlu_eval.py MODEL [--out reports]`` or ``nlu_eval.py MODEL --check-stories bot/tests``."""
    import logging

    from rasa.utils.common import configure_logging_and_warnings

    configure_logging_and_warnings(logging.WARNING)
    import structlog

    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING))
    model = Path(argv[0])
    if "--check-stories" in argv:
        return check_stories(model, ROOT / argv[argv.index("--check-stories") + 1])
    out_dir = ROOT / (argv[argv.index("--out") + 1] if "--out" in argv else "reports")
    rows = load_heldout(ROOT / "bot" / "eval" / "nlu")
    preds = asyncio.run(predict(model, rows))
    gold = [r["intent"] for r in rows]
    final = [p["intent"] for p in preds]
    top = [p["top_intent"] for p in preds]
    report: dict[str, Any] = {
        "model": model.name,
        "heldout": "bot/eval/nlu (never used in training)",
        "note": "intent = what the bot acts on (nlu_fallback when unsure); top_intent = best real intent",
        "all": prf(gold, final),
        "all_top_intent": {k: v for k, v in prf(gold, top).items() if k != "intents"},
        "fallback_rate": round(final.count("nlu_fallback") / len(final), 4),
        "entities": entity_scores(rows, preds),
        "parse_ms_median": round(sorted(p["ms"] for p in preds)[len(preds) // 2], 2),
    }
    for group in GROUPS:
        idx = [i for i, r in enumerate(rows) if r["group"] == group]
        report[group] = prf([gold[i] for i in idx], [final[i] for i in idx])
        report[group]["top_intent_macro_f1"] = prf([gold[i] for i in idx], [top[i] for i in idx])["macro_f1"]
    errors = [{"text": r["text"], "label": g, "predicted": p}
              for r, g, p in zip(rows, gold, final) if g != p]  # fmt: skip
    report["errors"] = errors[:200]
    pipelines = ROOT / "bot" / "eval" / "pipelines.json"
    if pipelines.exists():
        report["pipelines"] = json.loads(pipelines.read_text(encoding="utf-8"))
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "nlu.json").write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n")
    plot_confusion(gold, final, out_dir / "nlu_confusion.png")
    summary = {g: report[g]["macro_f1"] for g in GROUPS}
    print(f"held-out macro F1 {summary}, fallback rate {report['fallback_rate']}, "
          f"{len(errors)} errors of {len(rows)} -> {out_dir / 'nlu.json'}")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
