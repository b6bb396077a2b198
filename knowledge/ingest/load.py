"""Load every document under the store's document folder, skipping (and naming) bad ones."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path

from knowledge.errors import DocumentError
from knowledge.ingest.faq import load_faq_csv, load_faq_jsonl
from knowledge.ingest.html import load_html
from knowledge.ingest.markdown import load_markdown
from knowledge.types import Passage

log = logging.getLogger(__name__)

LOADERS = {
    ".md": load_markdown,
    ".markdown": load_markdown,
    ".csv": load_faq_csv,
    ".jsonl": load_faq_jsonl,
    ".html": load_html,
    ".htm": load_html,
}


@dataclass
class LoadResult:
    """Passages from every readable document, and one message per skipped document."""

    passages: list[Passage] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


def load_documents(docs_dir: Path, *more: Path) -> LoadResult:
    """Parse all supported files under each folder, in a stable (sorted) order.

    A document is named by its path relative to its folder (``zh/returns.md``).
    """
    result = LoadResult()
    for root in (docs_dir, *more):
        if not root.is_dir():
            raise DocumentError(f"The document folder {root} does not exist.")
    files = [(root, p) for root in (docs_dir, *more) for p in sorted(root.rglob("*"))]
    for root, path in files:
        loader = LOADERS.get(path.suffix.lower())
        if loader is None or not path.is_file():
            continue
        doc = path.relative_to(root).as_posix()
        try:
            result.passages.extend(loader(path, doc))
        except DocumentError as exc:
            log.warning("skipped document: %s", exc)
            result.errors.append(str(exc))
    return result
