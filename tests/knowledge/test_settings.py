from pathlib import Path

import pytest

from common.config import default
from knowledge.errors import ConfigError
from knowledge.settings import FIELDS, Settings


def test_from_env_reads_every_variable(tmp_path: Path) -> None:
    s = Settings.from_env(
        {
            "KEFU_CACHE": str(tmp_path),
            "KEFU_RETRIEVER_MODEL": "sentence-transformers/all-MiniLM-L6-v2",
            "KEFU_MODEL_PATHS": "a/b=/models/ab; c/d = /models/cd",
            "KEFU_TOP_K": "7",
            "KEFU_ANSWER_THRESHOLD": "0.5",
            "KEFU_TORCH_THREADS": "2",
            "KEFU_HUB_DOWNLOAD": "1",
        }
    )
    assert s.cache_dir == tmp_path
    assert s.retriever_model == "sentence-transformers/all-MiniLM-L6-v2"
    assert s.model_paths == {"a/b": Path("/models/ab"), "c/d": Path("/models/cd")}
    assert (s.top_k, s.answer_threshold, s.torch_threads, s.hub_download) == (7, 0.5, 2, True)


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
        ({"KEFU_TOP_K": "0"}, "KEFU_TOP_K must be at least 1"),
        ({"KEFU_BATCH_QUEUE": "0"}, "KEFU_BATCH_QUEUE must be at least 1"),
        ({"KEFU_BATCH_BACKEND": "celery"}, "Valid backends are"),
        ({"KEFU_SERVE_REPLICAS": "read=two"}, "not of the form N or STAGE=N"),
        ({"KEFU_SERVE_REPLICAS": "read=0"}, "at least 1 per entry"),
        ({"KEFU_HYBRID": "maybe"}, "KEFU_HYBRID must be 1 or 0"),
        ({"KEFU_INDEX_TYPE": "lsh"}, "Valid index types are"),
    ],
)
def test_invalid_values_say_what_is_valid(env: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        Settings.from_env(env)


def test_device_dtype_and_batching() -> None:
    s = Settings.from_env(
        {"KEFU_BATCH_MAX": "8", "KEFU_BATCH_DELAY_MS": "0", "KEFU_DTYPE": "float16"}
    )
    assert (s.batch_max, s.batch_delay_ms, s.batch_queue) == (8, 0.0, 256)
    assert s.model_dtype == "float32", "the CPU always computes in float32"
    cuda = Settings(device="cuda")
    assert (cuda.batch_max, cuda.batch_delay_ms, cuda.model_dtype) == (128, 4.0, "bfloat16")
    assert Settings(device="auto").device in ("cpu", "cuda")


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"KEFU_DTYPE": "int4"}, "Valid dtypes are"),
        ({"KEFU_BATCH_QUEUE": "0"}, "KEFU_BATCH_QUEUE must be at least 1"),
    ],
)
def test_invalid_batching_values_say_what_is_valid(env: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        Settings.from_env(env)


def test_ray_serve_backend_settings() -> None:
    s = Settings.from_env(
        {
            "KEFU_BATCH_BACKEND": "ray",
            "KEFU_RAY_ADDRESS": "127.0.0.1:6380",
            "KEFU_SERVE_REPLICAS": "read=2, encode=1",
            "KEFU_SERVE_GPUS": "0.5",
        }
    )
    assert (s.batch_backend, s.ray_address, s.serve_gpus) == ("ray", "127.0.0.1:6380", 0.5)
    assert s.serve_replicas == {"*": 1, "read": 2, "encode": 1}
    assert Settings.from_env({"KEFU_SERVE_REPLICAS": "3"}).serve_replicas == {"*": 3}
    assert Settings.from_env({}).batch_backend == "local"


def test_every_field_is_read_from_one_declared_variable_with_its_default() -> None:
    assert set(FIELDS) == set(Settings.__dataclass_fields__), "a field without its variable"
    assert len(set(FIELDS.values())) == len(FIELDS)
    plain = Settings()
    for name, var in FIELDS.items():
        declared = default(var)  # None: the field's own default decides (device, data/...)
        if declared is not None:
            assert getattr(plain, name) == declared, name
    assert Settings.from_env({}) == plain
