"""Log redaction: personal data (``KEFU_REDACT`` kinds) never reaches a log line.

Standard library only (``logging`` and ``common.privacy``), so any of kefu's processes can put
it on its handlers; ``knowledge.logs.setup_logging`` does for the action and web servers.
"""

from __future__ import annotations

import logging

from common.privacy import Redactor


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
