"""kefu's custom Rasa components (on the Python path when Rasa runs from bot/)."""

import sys
from pathlib import Path

# common/ (settings) sits at the repository root.
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
