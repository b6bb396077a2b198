"""Code both Python environments import (Rasa's 3.10 and the app's 3.11).

Standard library only, plus PyJWT, which both lock files pin (``identity``): ``privacy``
(personal data found and redacted), ``lang`` (a message's language), ``logs`` (the redacting log
filter), ``identity`` (shoppers' tokens -> sender ids), ``config`` (every ``KEFU_*`` variable,
declared once, and the accessor that reads them). Both environments find it on the
repository root, which kefu's launch scripts put on ``PYTHONPATH``; Python 3.10 and 3.11.
"""
