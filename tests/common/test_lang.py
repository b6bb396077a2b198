import pytest

from common.lang import detect_language


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        ("退货政策是什么？", "zh"),
        ("How long does delivery take?", "en"),
        ("请问 refund 多久到账?", "zh"),
        ("Can I pay with 支付宝?", "en"),
        ("满99包邮吗", "zh"),
        ("😀😀", "en"),
        ("", "en"),
    ],
)
def test_detect_language(text: str, lang: str) -> None:
    assert detect_language(text) == lang
