"""kefu's knowledge engine: grounded answers from the store's own documents.

The public face: build a :class:`KnowledgeService` from one :class:`Settings` object, call
``warm_up()`` once per process, then ``answer()`` / ``answer_batch()`` / ``answer_async()``;
each gives an :class:`Answer` (a quoted sentence and its source, or an abstention). The
answer path is one graph (``knowledge/graph.py``). Nothing heavy happens on import: the names
load their modules on first use.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from knowledge.service import KnowledgeService
    from knowledge.settings import Settings
    from knowledge.types import Answer

__all__ = ["Answer", "KnowledgeService", "Settings", "__version__"]
__version__ = "0.1.0"

_HOMES = {
    "Answer": "knowledge.types",
    "KnowledgeService": "knowledge.service",
    "Settings": "knowledge.settings",
}


def __getattr__(name: str) -> Any:
    if name in _HOMES:
        return getattr(importlib.import_module(_HOMES[name]), name)
    raise AttributeError(f"module 'knowledge' has no attribute {name!r}")
