from pathlib import Path

import pytest

from knowledge.errors import DocumentError
from knowledge.ingest import load_documents
from knowledge.ingest.faq import load_faq_csv, load_faq_jsonl
from knowledge.ingest.html import parse_html

HTML = """<!doctype html><html lang="zh-CN"><head><title>帮助中心</title>
<meta name="effective" content="2026-07-01"></head><body>
<nav><a href="/">首页</a><a href="/help">帮助</a></nav>
<script>var tracking = "不要读我";</script>
<h1>帮助中心</h1>
<h2>联系客服</h2><p>人工客服每天 9:00-21:00 在线。</p><p>智能助手 24 小时在线。</p>
<h2>查询物流</h2><ul><li>打开“我的订单”。</li><li>点击“查看物流”。</li></ul>
<footer>© 2026 示例商城</footer></body></html>"""


def test_html_sections_skip_navigation_scripts_and_footer() -> None:
    passages = parse_html(HTML, "zh/help-center.html")
    assert [p.source.section for p in passages] == ["联系客服", "查询物流"]
    assert passages[0].text == "人工客服每天 9:00-21:00 在线。\n智能助手 24 小时在线。"
    assert passages[1].text == "打开“我的订单”。\n点击“查看物流”。"
    assert all(p.lang == "zh" and p.source.effective == "2026-07-01" for p in passages)
    assert passages[0].source.title == "帮助中心"
    joined = " ".join(p.text for p in passages)
    assert "不要读我" not in joined and "首页" not in joined and "©" not in joined


def test_faq_csv_rows_become_passages(tmp_path: Path) -> None:
    path = tmp_path / "faq.csv"
    path.write_text(
        'id,lang,question,answer,topic\nfaq-1,zh,满多少包邮？,"订单满 99 元免运费。",shipping\n'
        'faq-2,en,"Do you ship to PO boxes?","No, we don\'t deliver to PO boxes.",shipping\n',
        encoding="utf-8",
    )
    first, second = load_faq_csv(path, "faq.csv")
    assert (first.id, first.text, first.source.section, first.source.title, first.lang) == (
        "faq.csv#faq-1",
        "订单满 99 元免运费。",
        "满多少包邮？",
        "常见问题",
        "zh",
    )
    assert second.lang == "en" and second.source.title == "FAQ"


def test_faq_jsonl_and_its_errors(tmp_path: Path) -> None:
    good = tmp_path / "faq.jsonl"
    good.write_text('{"question": "How long is the warranty?", "answer": "One year."}\n\n')
    (passage,) = load_faq_jsonl(good, "faq.jsonl")
    assert passage.lang == "en" and passage.text == "One year."
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"question": "x", "answer": "y"}\n{not json}\n')
    with pytest.raises(DocumentError, match="line 2 is not JSON"):
        load_faq_jsonl(bad, "bad.jsonl")
    empty_answer = tmp_path / "e.jsonl"
    empty_answer.write_text('{"question": "x", "answer": " "}\n')
    with pytest.raises(DocumentError, match="row 1 has no answer"):
        load_faq_jsonl(empty_answer, "e.jsonl")


def test_all_formats_load_together_and_a_bad_file_is_skipped(store: Path) -> None:
    (store / "docs" / "zh" / "help.html").write_text(HTML, encoding="utf-8")
    faq = store / "faq"
    faq.mkdir()
    (faq / "faq.jsonl").write_text('{"question": "q?", "answer": "a."}\n')
    (faq / "broken.csv").write_text("question,answer\n,\n")
    result = load_documents(store / "docs", faq)
    docs = {p.source.doc for p in result.passages}
    assert docs == {"zh/returns.md", "en/shipping.md", "zh/help.html", "faq.jsonl"}
    assert result.errors == ["broken.csv: row 1 has no question or answer."]
