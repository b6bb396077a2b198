"""The answer engine's settings (engine, batching, serving), read once from the environment.

Components never read the environment themselves: the process entry point calls
:meth:`Settings.from_env` once and passes the result down. Each field is read from one
``KEFU_*`` variable (:data:`FIELDS`); ``common/config.py`` declares every variable (type,
default, meaning) and README.md's configuration tables are generated from it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from common.config import SettingError, default, values, variable
from knowledge.errors import ConfigError

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_CACHE: Path = default("KEFU_CACHE")
DEVICES = variable("KEFU_DEVICE").choices
DTYPES = variable("KEFU_DTYPE").choices
#: per device: (questions per micro-batch, milliseconds a question waits for company)
BATCH_DEFAULTS = {"cpu": (16, 2.0), "cuda": (128, 4.0)}
BACKENDS = variable("KEFU_BATCH_BACKEND").choices  # in process, or on Ray Serve
INDEX_TYPES = variable("KEFU_INDEX_TYPE").choices

#: each field of :class:`Settings` and the variable it is read from
FIELDS: dict[str, str] = {
    "cache_dir": "KEFU_CACHE",
    "data_dir": "KEFU_DATA_DIR",
    "training_dir": "KEFU_TRAINING_DIR",
    "retriever_model": "KEFU_RETRIEVER_MODEL",
    "model_paths": "KEFU_MODEL_PATHS",
    "hub_download": "KEFU_HUB_DOWNLOAD",
    "device": "KEFU_DEVICE",
    "dtype": "KEFU_DTYPE",
    "torch_threads": "KEFU_TORCH_THREADS",
    "batch_max": "KEFU_BATCH_MAX",
    "batch_delay_ms": "KEFU_BATCH_DELAY_MS",
    "batch_queue": "KEFU_BATCH_QUEUE",
    "batch_backend": "KEFU_BATCH_BACKEND",
    "ray_address": "KEFU_RAY_ADDRESS",
    "serve_app": "KEFU_SERVE_APP",
    "serve_replicas": "KEFU_SERVE_REPLICAS",
    "serve_gpus": "KEFU_SERVE_GPUS",
    "top_k": "KEFU_TOP_K",
    "reader_model": "KEFU_READER_MODEL",
    "reranker_model": "KEFU_RERANKER_MODEL",
    "hybrid": "KEFU_HYBRID",
    "adapt": "KEFU_ADAPT",
    "index_type": "KEFU_INDEX_TYPE",
    "answer_threshold": "KEFU_ANSWER_THRESHOLD",
}


def resolve_device(device: str) -> str:
    """``auto`` -> ``cuda`` when torch sees a GPU, else ``cpu``; other names unchanged."""
    if device != "auto":
        return device
    import torch

    return "cuda" if torch.cuda.is_available() else "cpu"


@dataclass(frozen=True)
class Settings:
    """Every knob of the answer engine: its models and data, batching, serving.

    Construct directly in tests, from the environment in processes. The shop's settings
    (orders, recommendations, the generator) are ``shop.settings.ShopSettings``.
    """

    # Defaults: common/config.py (None: KEFU_DATA_DIR and KEFU_TRAINING_DIR are this
    # checkout's data/, the batch
    # sizes and delays follow the device, the threshold is fitted, torch uses every core).
    cache_dir: Path = DEFAULT_CACHE
    data_dir: Path = REPO_ROOT / "data"
    training_dir: Path = REPO_ROOT / "data"
    retriever_model: str = default("KEFU_RETRIEVER_MODEL")
    model_paths: Mapping[str, Path] = field(default_factory=dict)
    hub_download: bool = default("KEFU_HUB_DOWNLOAD")
    device: str = default("KEFU_DEVICE")
    dtype: str = default("KEFU_DTYPE")
    torch_threads: int | None = None
    batch_max: int | None = None
    batch_delay_ms: float | None = None
    batch_queue: int = default("KEFU_BATCH_QUEUE")
    batch_backend: str = default("KEFU_BATCH_BACKEND")
    ray_address: str = default("KEFU_RAY_ADDRESS")
    serve_app: str = default("KEFU_SERVE_APP")
    serve_replicas: Mapping[str, int] = field(
        default_factory=lambda: default("KEFU_SERVE_REPLICAS")
    )
    serve_gpus: float = default("KEFU_SERVE_GPUS")
    top_k: int = default("KEFU_TOP_K")
    reader_model: str = default("KEFU_READER_MODEL")
    reranker_model: str = default("KEFU_RERANKER_MODEL")
    hybrid: bool = default("KEFU_HYBRID")
    adapt: bool = default("KEFU_ADAPT")
    index_type: str = default("KEFU_INDEX_TYPE")
    answer_threshold: float | None = None

    def __post_init__(self) -> None:
        if self.device not in DEVICES:
            raise ConfigError(f"Invalid device {self.device!r}. Valid devices are {DEVICES}.")
        if self.dtype not in DTYPES:
            raise ConfigError(f"Invalid dtype {self.dtype!r}. Valid dtypes are {DTYPES}.")
        if self.batch_backend not in BACKENDS:
            raise ConfigError(
                f"Invalid batch backend {self.batch_backend!r}. Valid backends are {BACKENDS}."
            )
        object.__setattr__(self, "device", resolve_device(self.device))
        batch_max, delay = BATCH_DEFAULTS[self.device]
        if self.batch_max is None:
            object.__setattr__(self, "batch_max", batch_max)
        if self.batch_delay_ms is None:
            object.__setattr__(self, "batch_delay_ms", delay)
        if (self.batch_max or 0) < 1 or (self.batch_delay_ms or 0) < 0 or self.batch_queue < 1:
            raise ConfigError(
                "batch_max and batch_queue must be at least 1 and batch_delay_ms at least 0, got "
                f"{self.batch_max}, {self.batch_queue} and {self.batch_delay_ms}."
            )
        if self.top_k < 1:
            raise ConfigError(f"top_k must be at least 1, got {self.top_k}.")
        if self.index_type not in INDEX_TYPES:
            raise ConfigError(
                f"Invalid index type {self.index_type!r}. Valid index types are {INDEX_TYPES}."
            )

    @property
    def model_dtype(self) -> str:
        """The dtype models compute in: ``dtype`` on CUDA, ``float32`` on the CPU."""
        return self.dtype if self.device == "cuda" else "float32"

    @property
    def models_dir(self) -> Path:
        """Where offline-built models are cached."""
        return self.cache_dir / "models"

    @property
    def index_dir(self) -> Path:
        """Where passage indexes are cached."""
        return self.cache_dir / "index"

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        """Read each field's ``KEFU_*`` variable (:data:`FIELDS`; unset: the field's default).

        ``env`` defaults to ``os.environ``. Raises :class:`ConfigError` for a bad value.
        """
        try:
            return cls(**values(FIELDS, env))
        except SettingError as exc:
            raise ConfigError(str(exc)) from None
