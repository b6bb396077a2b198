from pathlib import Path

import pytest

from knowledge.__main__ import main


def test_check_without_index_says_what_to_run(
    empty_cache_env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["check"]) == 1
    err = capsys.readouterr().err
    assert "kefu: No passage index" in err and "make index" in err


def test_unknown_model_is_one_sentence_not_a_traceback(
    empty_cache_env: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("KEFU_RETRIEVER_MODEL", "nobody/no-such-model")
    assert main(["models"]) == 1
    err = capsys.readouterr().err
    assert "nobody/no-such-model" in err and "Traceback" not in err


def test_bad_setting_is_reported(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("KEFU_TOP_K", "lots")
    assert main(["check"]) == 1
    assert "KEFU_TOP_K must be a number" in capsys.readouterr().err


def test_a_trained_model_missing_stops_start_up_and_builds_nothing(
    empty_cache_env: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("KEFU_RETRIEVER_MODEL", "kefu/retriever-multilingual-e5-small")
    assert main(["check"]) == 1
    err = capsys.readouterr().err
    assert "kefu/retriever-multilingual-e5-small" in err and "make models" in err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err
    assert not (empty_cache_env / "models").exists(), "checking must not start a training run"
