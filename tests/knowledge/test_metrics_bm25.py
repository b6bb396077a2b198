from knowledge.bm25 import BM25, rrf, tokenize
from knowledge.evaluate.metrics import abstention, answer_correct, exact_match, f1, hit_at, mrr


def test_metrics_handle_chinese_and_english() -> None:
    assert exact_match("3个工作日内", "3 个工作日内")
    assert f1("within 3 business days", "3 business days") == 2 * 1 * 0.75 / 1.75
    assert answer_correct("", True, None) and not answer_correct("x", False, None)
    assert answer_correct("满 99 元免运费", False, "满 99 元免运费") and not answer_correct(
        "", True, "8 元"
    )
    # a short span inside the right sentence: the shopper sees the whole answer
    assert answer_correct("8", False, "运费为 8 元", "不满 99 元的订单，运费为 8 元。")
    assert not answer_correct("8", False, "运费为 8 元", "次日达 20 元。")
    assert hit_at([0, 2, None], 3) == 2 / 3 and mrr([0, 1, None]) == (1 + 0.5) / 3
    assert abstention([True, True, False], [True, False, True]) == {"precision": 0.5, "recall": 0.5}


def test_bm25_and_fusion() -> None:
    assert "退款" in tokenize("请问退款多久到账") and "refund" in tokenize("Refund time?")
    index = BM25(["退款 3 个工作日内到账", "满 99 元免运费", "Refunds take 3 business days"])
    assert index.search("退款多久", 3)[0][0] == 0
    assert index.search("refunds", 3)[0][0] == 2
    assert rrf([[1, 2, 3], [3, 1]])[0][0] == 1
