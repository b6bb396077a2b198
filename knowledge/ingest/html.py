"""Exported HTML help pages, one passage per section.

``<h1>`` is the title, ``<h2>``/``<h3>`` start sections, and ``<p>``/``<li>`` text is kept.
Navigation, scripts, styles, headers and footers are skipped.
``<html lang>`` and ``<meta name="effective">`` give the language and effective date.
"""

from __future__ import annotations

from html.parser import HTMLParser
from pathlib import Path

from common.lang import detect_language
from knowledge.errors import DocumentError
from knowledge.types import Language, Passage, Source

_SKIP = {"script", "style", "nav", "footer", "header", "noscript", "template", "aside"}
_BLOCK = {"p", "li", "dd", "td", "blockquote"}


class _Parser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.lang = ""
        self.effective = ""
        self.page_title = ""
        self.title = ""
        self.section = ""
        self.sections: list[tuple[str, list[str]]] = []
        self._skip = 0
        self._capture: str | None = None
        self._buf: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "html":
            self.lang = (a.get("lang") or "")[:2].lower()
        elif tag == "meta" and a.get("name") == "effective":
            self.effective = a.get("content") or ""
        if tag in _SKIP:
            self._skip += 1
        elif not self._skip and tag in {"title", "h1", "h2", "h3", *_BLOCK}:
            self._flush()
            self._capture = tag

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIP:
            self._skip = max(0, self._skip - 1)
        elif tag == self._capture:
            self._flush()

    def handle_data(self, data: str) -> None:
        if self._capture and not self._skip:
            self._buf.append(data)

    def _flush(self) -> None:
        text = " ".join("".join(self._buf).split())
        tag, self._capture, self._buf = self._capture, None, []
        if not text or tag is None:
            return
        if tag == "title":
            self.page_title = text
        elif tag == "h1":
            self.title = text
        elif tag in ("h2", "h3"):
            self.section = text
            self.sections.append((text, []))
        else:
            if not self.sections:
                self.sections.append((self.section, []))
            self.sections[-1][1].append(text)


def parse_html(html: str, doc: str) -> list[Passage]:
    """Split an HTML page into one passage per section."""
    parser = _Parser()
    parser.feed(html)
    parser.close()
    parser._flush()
    title = parser.title or parser.page_title
    passages: list[Passage] = []
    for section, paragraphs in parser.sections:
        if not paragraphs:
            continue
        text = "\n".join(paragraphs)
        lang: Language = parser.lang if parser.lang in ("zh", "en") else detect_language(text)  # type: ignore[assignment]
        source = Source(doc=doc, title=title, section=section, effective=parser.effective)
        passages.append(Passage(f"{doc}#{len(passages)}", text, source, lang))
    if not passages:
        raise DocumentError(f"{doc}: no text found in the HTML body.")
    return passages


def load_html(path: Path, doc: str) -> list[Passage]:
    """Read and parse one HTML file."""
    try:
        return parse_html(path.read_text(encoding="utf-8"), doc)
    except (OSError, UnicodeDecodeError) as exc:
        raise DocumentError(f"{doc}: cannot be read as UTF-8 text ({exc}).") from exc
