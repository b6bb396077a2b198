"""FAQ exports: CSV (``id,lang,question,answer[,topic]``) or JSONL with the same keys.

Each row becomes one passage: the answer is the text, the question is its section heading
(so the encoder sees both), and the title is "常见问题" / "FAQ".
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from common.lang import detect_language
from knowledge.errors import DocumentError
from knowledge.types import Language, Passage, Source

TITLES = {"zh": "常见问题", "en": "FAQ"}
REQUIRED = ("question", "answer")


def _passages(rows: Iterable[dict[str, Any]], doc: str) -> list[Passage]:
    passages = []
    for n, row in enumerate(rows, start=1):
        missing = [k for k in REQUIRED if not str(row.get(k) or "").strip()]
        if missing:
            raise DocumentError(f"{doc}: row {n} has no {' or '.join(missing)}.")
        question, answer = str(row["question"]).strip(), str(row["answer"]).strip()
        lang: Language = (
            row["lang"] if row.get("lang") in ("zh", "en") else detect_language(question)
        )
        source = Source(
            doc=doc, title=TITLES[lang], section=question, effective=str(row.get("effective", ""))
        )
        pid = f"{doc}#{row.get('id') or n}"
        passages.append(Passage(id=pid, text=answer, source=source, lang=lang))
    if not passages:
        raise DocumentError(f"{doc}: no rows.")
    return passages


def load_faq_csv(path: Path, doc: str) -> list[Passage]:
    """Read an FAQ CSV file."""
    try:
        with open(path, encoding="utf-8-sig", newline="") as f:
            return _passages(list(csv.DictReader(f)), doc)
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise DocumentError(f"{doc}: cannot be read as a UTF-8 CSV file ({exc}).") from exc


def load_faq_jsonl(path: Path, doc: str) -> list[Passage]:
    """Read an FAQ JSONL file (one object per line)."""
    rows = []
    line_no = 0
    try:
        with open(path, encoding="utf-8") as f:
            for line_no, line in enumerate(f, start=1):  # noqa: B007 (used in the error)
                if line.strip():
                    rows.append(json.loads(line))
    except json.JSONDecodeError as exc:
        raise DocumentError(f"{doc}: line {line_no} is not JSON ({exc.msg}).") from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise DocumentError(f"{doc}: cannot be read as UTF-8 text ({exc}).") from exc
    return _passages(rows, doc)
