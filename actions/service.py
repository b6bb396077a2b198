"""The one knowledge service of this action-server process, built on first use."""

from __future__ import annotations

import functools

from knowledge.pipeline import KnowledgeService
from knowledge.settings import Settings


@functools.cache
def get_service() -> KnowledgeService:
    """Build the service from the environment and warm it up (once per process)."""
    service = KnowledgeService(Settings.from_env())
    service.warm_up()
    return service
