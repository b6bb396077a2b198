from pathlib import Path

import pytest

from knowledge.errors import ModelNotBuiltError, ModelNotFoundError
from knowledge.models import ModelResolver
from knowledge.models.offline import DEFAULT_SOURCES, TRAINED, OfflineSource, TrainedSource
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
    first = source.ensure(Settings(cache_dir=tmp_path))
    second = source.ensure(Settings(cache_dir=tmp_path))
    assert first == second and len(built) == 1 and (first / ".ok").exists()


def test_failed_build_leaves_nothing_behind(tmp_path: Path) -> None:
    def build(target: Path) -> None:
        raise RuntimeError("disk full")

    source = OfflineSource("t/model", "pytest", "1", build=build)
    with pytest.raises(Exception, match="disk full"):
        source.ensure(Settings(cache_dir=tmp_path))
    assert not any(p.is_dir() for p in (tmp_path / "models").iterdir())


def test_missing_source_package_says_what_to_run(tmp_path: Path) -> None:
    source = OfflineSource("t/model", "no-such-package-kefu", "1", build=lambda t: None)
    with pytest.raises(ModelNotFoundError, match="make setup"):
        source.ensure(Settings(cache_dir=tmp_path))


def test_offline_sources_are_registered() -> None:
    assert set(DEFAULT_SOURCES) == {
        "intfloat/multilingual-e5-small",
        "sentence-transformers/all-MiniLM-L6-v2",
        "google/gemma-3-270m",
        "kefu/reader-multilingual-e5-small",
        "kefu/retriever-multilingual-e5-small",
        "kefu/reranker-multilingual-e5-small",
    }


def test_trained_source_retrains_only_when_its_data_changes(tmp_path: Path) -> None:
    data = tmp_path / "data"
    (data / "qa").mkdir(parents=True)
    (data / "qa" / "a.yaml").write_text("one")
    (data / "other").mkdir()
    store = tmp_path / "store"
    settings = Settings(cache_dir=tmp_path / "cache", data_dir=store, training_dir=data)
    runs: list[Path] = []
    source = TrainedSource("t/trained", "1", ("qa",), lambda target, s: runs.append(target))
    first = source.ensure(settings)
    (data / "other" / "b.txt").write_text("not an input")
    assert source.ensure(settings) == first and len(runs) == 1
    # kefu's models travel: another store's data (its folder) trains nothing new
    other = Settings(cache_dir=tmp_path / "cache", data_dir=tmp_path / "pets", training_dir=data)
    assert source.ensure(other) == first and len(runs) == 1
    (data / "qa" / "a.yaml").write_text("two")
    assert source.ensure(settings) != first and len(runs) == 2


def test_a_trained_model_is_found_never_trained_by_default(tmp_path: Path) -> None:
    settings = Settings(cache_dir=tmp_path / "cache", data_dir=tmp_path / "data")
    name = "kefu/reader-multilingual-e5-small"
    assert all(s.build is None for s in TRAINED.values()), "no trainer without the build command"
    with pytest.raises(ModelNotBuiltError, match="make models") as err:
        ModelResolver(settings).resolve(name)
    assert name in str(err.value) and not (tmp_path / "cache" / "models").exists()
    built = TRAINED[name].folder(settings)
    built.mkdir(parents=True)
    (built / ".ok").touch()
    assert ModelResolver(settings).resolve(name) == built


def test_the_builder_trains_what_is_missing_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from knowledge.train import build

    settings = Settings(cache_dir=tmp_path / "cache", data_dir=tmp_path / "data")
    name = "kefu/reranker-multilingual-e5-small"
    runs: list[Path] = []
    monkeypatch.setitem(build.TRAINERS, name, lambda target, s: runs.append(target))
    first = build.builder(settings).resolve(name)
    assert build.builder(settings).resolve(name) == first and runs == [first]
    assert ModelResolver(settings).resolve(name) == first, "services find what was built"
