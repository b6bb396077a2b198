from pathlib import Path

import pytest

from knowledge.errors import DocumentError
from knowledge.ingest import load_documents
from knowledge.ingest.markdown import parse_markdown
from tests.conftest import RETURNS_ZH


def test_sections_become_passages_with_their_source() -> None:
    passages = parse_markdown(RETURNS_ZH, "zh/returns.md")
    assert [p.source.section for p in passages] == ["七天无理由退货", "退款"]
    first = passages[0]
    assert first.text == "签收后 7 天内，商品未使用可以无理由退货。"
    assert first.source.title == "退货政策"
    assert first.source.effective == "2026-07-01"
    assert first.lang == "zh"
    assert first.id == "zh/returns.md#0"


def test_paragraphs_of_one_section_stay_together() -> None:
    text = "# T\n\n## A\none.\n\ntwo.\n\n## B\nthree.\n"
    passages = parse_markdown(text, "t.md")
    assert [p.text for p in passages] == ["one.\ntwo.", "three."]
    assert passages[0].lang == "en"


def test_unterminated_front_matter_is_an_error() -> None:
    with pytest.raises(DocumentError, match=r"bad\.md: front matter"):
        parse_markdown("---\ntitle: x\n# no end", "bad.md")


def test_bad_document_is_skipped_and_named(store: Path) -> None:
    (store / "docs" / "broken.md").write_bytes(b"\xff\xfe not utf-8 \x80")
    (store / "docs" / "empty.md").write_text("---\ntitle: x\n---\n", encoding="utf-8")
    result = load_documents(store / "docs")
    assert len(result.passages) == 4
    assert any("broken.md" in e for e in result.errors)
    assert any("empty.md" in e for e in result.errors)


def test_missing_folder_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(DocumentError, match="does not exist"):
        load_documents(tmp_path / "nope")
