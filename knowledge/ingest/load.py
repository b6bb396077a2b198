"""Load every document under the store's document folder, skipping (and naming) bad ones."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path

from knowledge.errors import DocumentError
from knowledge.ingest.markdown import load_markdown
from knowledge.types import Passage

log = logging.getLogger(__name__)

LOADERS = {".md": load_markdown}


@dataclass
class LoadResult:
    """Passages from every readable document, and one message per skipped document."""

    passages: list[Passage] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


def load_documents(docs_dir: Path) -> LoadResult:
    """Parse all supported files under ``docs_dir`` in a stable (sorted) order."""
    result = LoadResult()
    if not docs_dir.is_dir():
        raise DocumentError(f"The document folder {docs_dir} does not exist.")
    for path in sorted(p for p in docs_dir.rglob("*") if p.is_file()):
        loader = LOADERS.get(path.suffix.lower())
        if loader is None:
            continue
        doc = path.relative_to(docs_dir).as_posix()
        try:
            result.passages.extend(loader(path, doc))
        except DocumentError as exc:
            log.warning("skipped document: %s", exc)
            result.errors.append(str(exc))
    return result
