"""Domain errors. Every failure the knowledge engine reports is a ``KnowledgeError``."""

from __future__ import annotations


class KnowledgeError(Exception):
    """Base class: something the knowledge engine cannot do, with a sentence saying why."""


class ConfigError(KnowledgeError):
    """A setting has an invalid value."""


class ModelNotFoundError(KnowledgeError):
    """A model name resolves to no local folder and no offline source."""


class ModelNotBuiltError(ModelNotFoundError):
    """A model kefu trains itself is not built for the store's current data (``make models``)."""


class ModelBuildError(KnowledgeError):
    """An offline model source exists but building the model from it failed."""


class IndexMissingError(KnowledgeError):
    """The passage index has not been built (or was deleted)."""


class IndexStaleError(KnowledgeError):
    """The passage index was built from other documents or another model."""


class DocumentError(KnowledgeError):
    """A document could not be parsed; it is skipped and named."""


class NotReadyError(KnowledgeError):
    """A component was used before ``warm_up()``."""


class OverloadedError(KnowledgeError):
    """Too many questions are already waiting: the caller should answer "busy, try again"."""


class BatcherClosedError(KnowledgeError):
    """A micro-batcher was stopped (or never started) while a question needed it."""


class NotConnectedError(KnowledgeError):
    """The store has not connected this part of kefu (catalog, orders, shipping network)."""
