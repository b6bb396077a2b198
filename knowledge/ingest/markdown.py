"""Markdown policy pages: an optional front-matter block, then headed sections.

Each section (the text under one heading) becomes one passage; the passage keeps the
document, the page title, the section heading and the effective date.

Front matter is a ``---`` block of ``key: value`` lines (``title``, ``lang``, ``effective``).
"""

from __future__ import annotations

import re
from pathlib import Path

from common.lang import detect_language
from knowledge.errors import DocumentError
from knowledge.types import Language, Passage, Source

_HEADING = re.compile(r"^(#{1,6})\s+(.*\S)\s*$")


def _front_matter(text: str, name: str) -> tuple[dict[str, str], str]:
    if not text.startswith("---"):
        return {}, text
    end = text.find("\n---", 3)
    if end < 0:
        raise DocumentError(f"{name}: front matter starts with '---' but never ends.")
    meta: dict[str, str] = {}
    for line in text[3:end].strip().splitlines():
        key, sep, value = line.partition(":")
        if not sep:
            raise DocumentError(f"{name}: front-matter line {line!r} is not 'key: value'.")
        meta[key.strip()] = value.strip()
    return meta, text[end + 4 :]


def parse_markdown(text: str, doc: str) -> list[Passage]:
    """Split one Markdown document into passages, one per section (paragraphs kept as lines)."""
    meta, body = _front_matter(text, doc)
    title = meta.get("title", "")
    section = ""
    paragraphs: list[tuple[str, str]] = []
    current: list[str] = []

    def flush() -> None:
        if current:
            paragraph = " ".join(current)
            if paragraphs and paragraphs[-1][0] == section:
                paragraphs[-1] = (section, paragraphs[-1][1] + "\n" + paragraph)
            else:
                paragraphs.append((section, paragraph))
            current.clear()

    for raw in body.splitlines():
        line = raw.strip()
        heading = _HEADING.match(line)
        if heading:
            flush()
            if len(heading.group(1)) == 1 and not title:
                title = heading.group(2)
            section = heading.group(2) if len(heading.group(1)) > 1 else section
        elif not line:
            flush()
        else:
            current.append(line)
    flush()
    if not paragraphs:
        raise DocumentError(f"{doc}: no text found.")
    lang_meta = meta.get("lang")
    passages = []
    for i, (sec, para) in enumerate(paragraphs):
        lang: Language = lang_meta if lang_meta in ("zh", "en") else detect_language(para)  # type: ignore[assignment]
        source = Source(doc=doc, title=title, section=sec, effective=meta.get("effective", ""))
        passages.append(Passage(id=f"{doc}#{i}", text=para, source=source, lang=lang))
    return passages


def load_markdown(path: Path, doc: str) -> list[Passage]:
    """Read and parse one Markdown file."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise DocumentError(f"{doc}: cannot be read as UTF-8 text ({exc}).") from exc
    return parse_markdown(text, doc)
