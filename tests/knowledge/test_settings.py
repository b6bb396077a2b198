from pathlib import Path

import pytest

from knowledge.errors import ConfigError
from knowledge.settings import Settings


def test_from_env_reads_every_variable(tmp_path: Path) -> None:
    s = Settings.from_env(
        {
            "KEFU_CACHE": str(tmp_path),
            "KEFU_RETRIEVER_MODEL": "sentence-transformers/all-MiniLM-L6-v2",
            "KEFU_MODEL_PATHS": "a/b=/models/ab; c/d = /models/cd",
            "KEFU_TOP_K": "7",
            "KEFU_MIN_SCORE": "0.5",
            "KEFU_TORCH_THREADS": "2",
            "KEFU_HUB_DOWNLOAD": "1",
        }
    )
    assert s.cache_dir == tmp_path
    assert s.retriever_model == "sentence-transformers/all-MiniLM-L6-v2"
    assert s.model_paths == {"a/b": Path("/models/ab"), "c/d": Path("/models/cd")}
    assert (s.top_k, s.min_score, s.torch_threads, s.hub_download) == (7, 0.5, 2, True)


def test_defaults_when_environment_is_empty() -> None:
    s = Settings.from_env({})
    assert s.retriever_model == "kefu/retriever-multilingual-e5-small"
    assert s.device == "cpu" and s.torch_threads is None and not s.hub_download


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"KEFU_TOP_K": "many"}, "KEFU_TOP_K must be a number"),
        ({"KEFU_MODEL_PATHS": "no-equals-sign"}, "not of the form"),
        ({"KEFU_DEVICE": "tpu"}, "Valid devices are"),
        ({"KEFU_TOP_K": "0"}, "top_k must be at least 1"),
    ],
)
def test_invalid_values_say_what_is_valid(env: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        Settings.from_env(env)
