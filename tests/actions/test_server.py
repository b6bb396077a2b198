from pathlib import Path

import pytest

import actions.service
from actions.server import main


def test_action_server_refuses_to_start_without_its_token(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("KEFU_ACTION_TOKEN", raising=False)
    assert main(["--port", "0"]) == 2
    assert "KEFU_ACTION_TOKEN must be set" in capsys.readouterr().err


def test_action_server_refuses_to_start_without_an_index(
    empty_cache_env: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KEFU_ACTION_TOKEN", "action-token-for-tests")
    actions.service.get_service.cache_clear()
    try:
        assert main(["--port", "0"]) == 2
    finally:
        actions.service.get_service.cache_clear()
    err = capsys.readouterr().err
    assert "cannot start" in err and "make index" in err


def test_rasa_sdk_registers_every_action_the_domain_names() -> None:
    import yaml
    from rasa_sdk.executor import ActionExecutor

    from knowledge.settings import REPO_ROOT

    executor = ActionExecutor()
    executor.register_package("actions")  # what `python -m actions.server` does
    domain = yaml.safe_load((REPO_ROOT / "bot" / "domain.yml").read_text(encoding="utf-8"))
    assert set(domain["actions"]) <= set(executor.actions)
