import pytest

from knowledge.ingest.split import sentence_around, sentence_spans


def sentences(text: str) -> list[str]:
    return [text[s:e] for s, e in sentence_spans(text)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "满 99 元免运费。不满 99 元运费 8 元！对吗？",
            ["满 99 元免运费。", "不满 99 元运费 8 元！", "对吗？"],
        ),
        (
            "Ships at 16:00. Costs ¥2.5 extra! Really?",
            ["Ships at 16:00.", "Costs ¥2.5 extra!", "Really?"],
        ),
        ("Use e.g. Alipay. Done", ["Use e.g. Alipay.", "Done"]),
        ("第一句；第二句", ["第一句；", "第二句"]),
        ("line one\nline two", ["line one", "line two"]),
        ("他说：“好的。”然后走了。", ["他说：“好的。”", "然后走了。"]),
        ("   ", []),
    ],
)
def test_sentence_spans(text: str, expected: list[str]) -> None:
    assert sentences(text) == expected


def test_sentence_around_a_span() -> None:
    text = "订单满 99 元免运费；不满 99 元的订单，运费为 8 元。次日达 20 元。"
    start = text.index("8 元")
    s, e = sentence_around(text, start, start + 3)
    assert text[s:e] == "不满 99 元的订单，运费为 8 元。"
