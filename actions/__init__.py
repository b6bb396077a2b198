"""kefu's Rasa custom actions: thin adapters from the tracker to ``knowledge``.

rasa-sdk imports every module of this package at start-up, so no module here does any work
at import time; the knowledge service comes from :func:`actions.service.get_service`.
"""
