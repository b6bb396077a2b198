from pathlib import Path

import pytest

import actions.service
from actions.server import main


def test_action_server_refuses_to_start_without_an_index(
    empty_cache_env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    actions.service.get_service.cache_clear()
    try:
        assert main(["--port", "0"]) == 2
    finally:
        actions.service.get_service.cache_clear()
    err = capsys.readouterr().err
    assert "cannot start" in err and "make index" in err
