"""kefu's custom Rasa components (on the Python path when Rasa runs from bot/).

They import ``common/`` (settings) from the repository root, which kefu's launchers put on
``PYTHONPATH`` (``kefu_pythonpath`` in scripts/lib.sh, the Makefile).
"""
