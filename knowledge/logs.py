"""Logging set-up for kefu's processes (called by entry points, never on import)."""

from __future__ import annotations

import logging
import os

from common.logs import RedactingFilter
from common.privacy import Redactor


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
