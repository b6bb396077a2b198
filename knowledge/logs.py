"""Logging set-up for kefu's processes (called by entry points, never on import)."""

from __future__ import annotations

import logging
import os


def setup_logging(level: int = logging.INFO) -> None:
    """Plain one-line logs; quiet the libraries that are chatty at INFO."""
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s")
    # faiss logs every CPU-feature variant it does not find; transformers reports the
    # (unused) pooler it adds when loading an encoder without one.
    logging.getLogger("faiss.loader").setLevel(logging.WARNING)
    os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
    logging.getLogger("transformers").setLevel(logging.ERROR)
