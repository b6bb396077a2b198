"""Code both Python environments import (Rasa's 3.10 and the app's 3.11).

Standard library only, plus PyJWT, which both lock files pin (``identity``).
"""
