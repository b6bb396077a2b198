"""Debian's headless Chromium, driven by Playwright: what the browser tests and benches use.

``scripts/browser.sh`` installs it (with fonts for Chinese text and emoji); no tool downloads
a browser.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

CHROMIUM_FLAGS = [  # what Debian's chromium needs here (see the environment notes)
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


class NoBrowser(RuntimeError):
    """Chromium is not installed."""


@contextmanager
def chromium() -> Iterator[Any]:
    """A headless Chromium (a Playwright ``Browser``), closed on exit."""
    from playwright.sync_api import sync_playwright

    path = shutil.which("chromium") or "/usr/bin/chromium"
    if not os.path.exists(path):
        raise NoBrowser("Chromium is needed: apt-get install chromium (scripts/browser.sh)")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=path, args=CHROMIUM_FLAGS, headless=True)
        try:
            yield browser
        finally:
            browser.close()
