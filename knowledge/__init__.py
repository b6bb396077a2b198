"""kefu's knowledge engine: grounded answers from the store's own documents.

Nothing heavy happens on import. Build a service from one :class:`Settings` object and call
``warm_up()`` once per process; see ``knowledge.pipeline``.
"""

from __future__ import annotations

__all__ = ["__version__"]
__version__ = "0.1.0"
