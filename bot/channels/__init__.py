"""Rasa input channels of kefu (loaded by Rasa from credentials.yml; run with cwd bot/).

Every channel module imports ``common/`` (settings, identity) from the repository root, which
kefu's launchers put on ``PYTHONPATH`` (``kefu_pythonpath`` in scripts/lib.sh, the Makefile).
"""
