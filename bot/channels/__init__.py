"""Rasa input channels of kefu (loaded by Rasa from credentials.yml; run with cwd bot/)."""

import sys
from pathlib import Path

# common/ (settings, identity) sits at the repository root; every channel module imports it.
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
