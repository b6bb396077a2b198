"""Logging set-up for kefu's processes (called by entry points, never on import)."""

from __future__ import annotations

import logging
import os

from knowledge.privacy import Redactor


class RedactingFilter(logging.Filter):
    """Personal data (``KEFU_REDACT`` kinds) never reaches a log line."""

    def __init__(self, redactor: Redactor) -> None:
        super().__init__()
        self.redactor = redactor

    def filter(self, record: logging.LogRecord) -> bool:
        """Render the message, redact it, keep the record."""
        record.msg = self.redactor.text(record.getMessage())
        record.args = None
        return True


def setup_logging(level: int = logging.INFO) -> None:
    """Plain one-line logs without personal data; quiet the libraries chatty at INFO."""
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s")
    redacting = RedactingFilter(Redactor.from_env())
    for handler in logging.getLogger().handlers:
        handler.addFilter(redacting)
    # faiss logs every CPU-feature variant it does not find; transformers reports the
    # (unused) pooler it adds when loading an encoder without one.
    logging.getLogger("faiss.loader").setLevel(logging.WARNING)
    os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
    logging.getLogger("transformers").setLevel(logging.ERROR)
