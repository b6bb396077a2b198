from pathlib import Path

import pytest

from knowledge.errors import ModelNotFoundError
from knowledge.models import ModelResolver
from knowledge.models.offline import OFFLINE_SOURCES, OfflineSource
from knowledge.settings import Settings


def test_a_folder_resolves_to_itself(tmp_path: Path) -> None:
    assert ModelResolver(Settings(cache_dir=tmp_path)).resolve(str(tmp_path)) == tmp_path


def test_explicit_path_wins_over_offline_source(tmp_path: Path) -> None:
    folder = tmp_path / "my-e5"
    folder.mkdir()
    settings = Settings(cache_dir=tmp_path, model_paths={"intfloat/multilingual-e5-small": folder})
    assert ModelResolver(settings).resolve("intfloat/multilingual-e5-small") == folder


def test_explicit_path_that_is_not_a_folder_is_reported(tmp_path: Path) -> None:
    settings = Settings(cache_dir=tmp_path, model_paths={"x/y": tmp_path / "missing"})
    with pytest.raises(ModelNotFoundError, match="not a folder"):
        ModelResolver(settings).resolve("x/y")


def test_unknown_model_error_names_the_ways_out(tmp_path: Path) -> None:
    with pytest.raises(ModelNotFoundError) as err:
        ModelResolver(Settings(cache_dir=tmp_path)).resolve("nobody/no-such-model")
    message = str(err.value)
    assert "KEFU_MODEL_PATHS" in message and "intfloat/multilingual-e5-small" in message


def test_offline_source_builds_once_and_is_reused(tmp_path: Path) -> None:
    built: list[Path] = []

    def build(target: Path) -> None:
        built.append(target)
        (target / "config.json").write_text("{}")

    source = OfflineSource("t/model", "pytest", "1", build=build)
    first = source.ensure(tmp_path)
    second = source.ensure(tmp_path)
    assert first == second and len(built) == 1 and (first / ".ok").exists()


def test_failed_build_leaves_nothing_behind(tmp_path: Path) -> None:
    def build(target: Path) -> None:
        raise RuntimeError("disk full")

    source = OfflineSource("t/model", "pytest", "1", build=build)
    with pytest.raises(Exception, match="disk full"):
        source.ensure(tmp_path)
    assert not any(p.is_dir() for p in tmp_path.iterdir())


def test_missing_source_package_says_what_to_run(tmp_path: Path) -> None:
    source = OfflineSource("t/model", "no-such-package-kefu", "1", build=lambda t: None)
    with pytest.raises(ModelNotFoundError, match="make setup"):
        source.ensure(tmp_path)


def test_both_offline_sources_are_registered() -> None:
    assert set(OFFLINE_SOURCES) == {
        "intfloat/multilingual-e5-small",
        "sentence-transformers/all-MiniLM-L6-v2",
    }
