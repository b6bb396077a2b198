"""Language of a shopper's message: Chinese or English, by the dominant script.

Standard library only: the action server, the knowledge engine and the Rasa process's
channels all count languages the same way.
"""

from __future__ import annotations

import re
from typing import Literal

Language = Literal["zh", "en"]

_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_LATIN_WORD = re.compile(r"[A-Za-z]+")


def detect_language(text: str) -> Language:
    """Return ``"zh"`` or ``"en"``: the script that dominates the message.

    Each Chinese character counts as one unit and each Latin word as one, so
    "请问 refund 多久到账?" is Chinese and "Can I pay with 支付宝?" is English.
    Text with neither (emoji, digits) defaults to English.

    >>> detect_language("退货政策是什么？"), detect_language("How long is delivery?")
    ('zh', 'en')
    """
    cjk = len(_CJK.findall(text))
    latin = len(_LATIN_WORD.findall(text))
    return "zh" if cjk > latin else "en"
