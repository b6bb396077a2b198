from pathlib import Path

import pytest

import actions.service
from actions.server import main


def test_action_server_refuses_to_start_without_an_index(
    store: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("KEFU_CACHE", str(tmp_path / "cache"))
    monkeypatch.setenv("KEFU_DATA_DIR", str(store))
    monkeypatch.setenv("KEFU_RETRIEVER_MODEL", "sentence-transformers/all-MiniLM-L6-v2")
    actions.service.get_service.cache_clear()
    try:
        assert main(["--port", "0"]) == 2
    finally:
        actions.service.get_service.cache_clear()
    err = capsys.readouterr().err
    assert "cannot start" in err and "make index" in err
