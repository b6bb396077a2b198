"""One settings object for the whole knowledge engine, read once from the environment.

Components never read the environment themselves: the process entry point calls
:meth:`Settings.from_env` once and passes the result down.

Environment variables (all optional):

============================  ==================================================================
``KEFU_CACHE``                cache root for environments, models and indexes (``~/.cache/kefu``)
``KEFU_DATA_DIR``             the store's documents (``data/`` of this checkout)
``KEFU_RETRIEVER_MODEL``      bi-encoder: a Hugging Face id or a local folder
``KEFU_MODEL_PATHS``          explicit folders, ``id=path`` pairs separated by ``;``
``KEFU_HUB_DOWNLOAD``         ``1`` lets the resolver download from the hub (off by default)
``KEFU_DEVICE``               ``cpu``, ``cuda`` or ``auto`` (CUDA when available; default: ``cpu``)
``KEFU_DTYPE``                model weights on CUDA: ``bfloat16`` (default), ``float16`` or
                              ``float32``; the CPU always computes in ``float32``
``KEFU_TORCH_THREADS``        torch intra-op threads (default: number of cores)
``KEFU_BATCH_MAX``            questions per micro-batch of each model stage (default: 16 on the
                              CPU, 128 on CUDA)
``KEFU_BATCH_DELAY_MS``       how long a question waits for others to share its batch (default:
                              2 ms on the CPU, 4 ms on CUDA)
``KEFU_BATCH_QUEUE``          questions allowed to wait per stage; more are answered "busy"
                              (default 256)
``KEFU_BATCH_BACKEND``        ``local`` (the in-process micro-batcher, default) or ``ray``: the
                              model stages run as Ray Serve deployments (``knowledge.serving``)
                              that batch the questions of every action-server replica together
``KEFU_RAY_ADDRESS``          the Ray cluster of the ``ray`` backend (default ``auto``: local)
``KEFU_SERVE_APP``            prefix of the Ray Serve applications (default ``kefu``)
``KEFU_SERVE_REPLICAS``       replicas per stage: ``2`` for every stage, or ``read=2,encode=1``
``KEFU_SERVE_GPUS``           GPUs per replica of each model stage on Ray Serve (default 0)
``KEFU_TOP_K``                passages retrieved per question (default 5)
``KEFU_READ_K``               best passages the reader reads per question (default 3)
``KEFU_MIN_SCORE``            without a reader: abstain below this retrieval score (0.80)
``KEFU_READER_MODEL``         extractive QA model: hub id or folder; ``none`` turns it off
``KEFU_RERANKER_MODEL``       cross-encoder: hub id or folder; ``none`` (default) turns it off
``KEFU_HYBRID``               ``1`` fuses BM25 with dense retrieval (default off)
``KEFU_INDEX_TYPE``           ``flat`` (exact, default), ``ivf`` or ``hnsw`` (large stores)
``KEFU_ANSWER_THRESHOLD``     abstain below this answer score (default: fitted on dev)
``KEFU_ORDERS_URL``           order store, any SQLAlchemy URL (default: a SQLite file in the
                              cache, created and seeded with ``data/orders/demo.yaml``)
``KEFU_RECOMMEND_MODEL``      encoder for product recommendations: hub id or folder (default:
                              the retriever's, shared in memory)
``KEFU_GENERATOR_MODEL``      causal LM for pitches and descriptions: hub id or folder (default:
                              see ``Settings.generator_model``); ``none``: templates only
``KEFU_GENERATOR_URL``        an OpenAI-compatible server (``http://host:8000/v1``, vLLM,
                              llama.cpp) instead of the in-process model; the model name goes
                              in ``KEFU_GENERATOR_MODEL``, a key in ``KEFU_GENERATOR_API_KEY``
``KEFU_GENERATOR_PROMPT``     ``chat`` (instruction-tuned models), ``completion`` (few-shot, base
                              models) or ``auto`` (by the model's name; default)
``KEFU_GENERATOR_TOKENS``     token budget per generated text (default 100)
``KEFU_GENERATOR_TIMEOUT``    time budget per generated text in seconds (default 8)
``KEFU_GENERATOR_RETRIES``    times a text the guard rejects is generated again (sampled) while
                              the time budget lasts (default 2)
``KEFU_GENERATOR_INT8``       ``0`` keeps the local generator in float on CPU (default ``1``:
                              int8 dynamic quantisation of its linear layers, ~2x tokens/s)
============================  ==================================================================
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from knowledge.errors import ConfigError

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_CACHE = Path("~/.cache/kefu").expanduser()
DEVICES = ("cpu", "cuda", "auto")
DTYPES = ("bfloat16", "float16", "float32")
#: per device: (questions per micro-batch, milliseconds a question waits for company)
BATCH_DEFAULTS = {"cpu": (16, 2.0), "cuda": (128, 4.0)}
BACKENDS = ("local", "ray")  # where the model stages batch: in process, or on Ray Serve
INDEX_TYPES = ("flat", "ivf", "hnsw")
#: the offline default generator (built from a PyPI package, see knowledge/models/offline.py)
DEFAULT_GENERATOR = "google/gemma-3-270m"


def _parse_model_paths(raw: str) -> dict[str, Path]:
    paths: dict[str, Path] = {}
    for pair in filter(None, (p.strip() for p in raw.split(";"))):
        name, sep, path = pair.partition("=")
        if not sep or not name.strip() or not path.strip():
            raise ConfigError(
                f"KEFU_MODEL_PATHS entry {pair!r} is not of the form 'hub-id=/local/folder'."
            )
        paths[name.strip()] = Path(path.strip()).expanduser()
    return paths


def _parse_replicas(raw: str) -> dict[str, int]:
    """``"2"`` (every stage) or ``"read=2,encode=1"`` -> replicas per stage (``*``: the rest)."""
    replicas = {"*": 1}
    for part in filter(None, (p.strip() for p in raw.split(","))):
        stage, _, count = part.rpartition("=")
        try:
            replicas[stage.strip() or "*"] = int(count)
        except ValueError:
            raise ConfigError(
                f"Invalid KEFU_SERVE_REPLICAS part {part!r}: expected N or STAGE=N."
            ) from None
    if min(replicas.values()) < 1:
        raise ConfigError(f"KEFU_SERVE_REPLICAS must be at least 1 per stage, got {raw!r}.")
    return replicas


def _number(env: Mapping[str, str], key: str, default: float) -> float:
    raw = env.get(key)
    if raw is None or raw == "":
        return default
    try:
        return float(raw)
    except ValueError:
        raise ConfigError(f"{key} must be a number, got {raw!r}.") from None


def resolve_device(device: str) -> str:
    """``auto`` -> ``cuda`` when torch sees a GPU, else ``cpu``; other names unchanged."""
    if device != "auto":
        return device
    import torch

    return "cuda" if torch.cuda.is_available() else "cpu"


def _model(env: Mapping[str, str], key: str, default: str) -> str:
    value = env.get(key)
    if value is None or value == "":
        return default
    return "" if value.lower() == "none" else value


@dataclass(frozen=True)
class Settings:
    """Every knob of the knowledge engine. Construct directly in tests, from env in processes."""

    cache_dir: Path = DEFAULT_CACHE
    data_dir: Path = REPO_ROOT / "data"
    retriever_model: str = "kefu/retriever-multilingual-e5-small"
    model_paths: Mapping[str, Path] = field(default_factory=dict)
    hub_download: bool = False
    device: str = "cpu"
    dtype: str = "bfloat16"
    torch_threads: int | None = None
    batch_max: int | None = None
    batch_delay_ms: float | None = None
    batch_queue: int = 256
    batch_backend: str = "local"
    ray_address: str = "auto"
    serve_app: str = "kefu"
    serve_replicas: Mapping[str, int] = field(default_factory=lambda: {"*": 1})
    serve_gpus: float = 0.0
    top_k: int = 5
    read_k: int = 3
    min_score: float = 0.80
    reader_model: str = "kefu/reader-multilingual-e5-small"
    reranker_model: str = ""
    hybrid: bool = False
    index_type: str = "flat"
    answer_threshold: float | None = None
    orders_url: str = ""
    recommend_model: str = ""
    generator_model: str = DEFAULT_GENERATOR
    generator_url: str = ""
    generator_api_key: str = ""
    generator_prompt: str = "auto"
    generator_tokens: int = 100
    generator_timeout: float = 8.0
    generator_int8: bool = True
    generator_retries: int = 2  # 1: 87.5 % of texts passed the guard, 2: 93.1 % (same guard)

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
        if not 1 <= self.read_k <= self.top_k:
            raise ConfigError(
                f"read_k must be between 1 and top_k ({self.top_k}), got {self.read_k}."
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

    @property
    def catalog_file(self) -> Path:
        """The product catalog."""
        return self.data_dir / "catalog" / "products.csv"

    @property
    def logistics_dir(self) -> Path:
        """The shipping network (cities, warehouses, carriers, lanes, stock)."""
        return self.data_dir / "logistics"

    @property
    def orders_db_url(self) -> str:
        """The order store's URL: ``orders_url``, else the demo SQLite file.

        One file per seed data, catalog and schema, so a change to any of them starts afresh.
        """
        if self.orders_url:
            return self.orders_url
        import hashlib

        digest_of = hashlib.sha256()
        schema = REPO_ROOT / "shop" / "orders" / "models.py"  # the order store's tables
        for path in (self.data_dir / "orders" / "demo.yaml", self.catalog_file, schema):
            digest_of.update(path.read_bytes() if path.exists() else b"")
        digest = digest_of.hexdigest()[:12]
        return f"sqlite:///{self.cache_dir / 'orders' / f'demo-{digest}.db'}"

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        """Read the ``KEFU_*`` variables (see the module docstring)."""
        env = os.environ if env is None else env
        defaults = cls()
        threads = env.get("KEFU_TORCH_THREADS")
        return cls(
            cache_dir=Path(env.get("KEFU_CACHE") or defaults.cache_dir).expanduser(),
            data_dir=Path(env.get("KEFU_DATA_DIR") or defaults.data_dir).expanduser(),
            retriever_model=env.get("KEFU_RETRIEVER_MODEL") or defaults.retriever_model,
            model_paths=_parse_model_paths(env.get("KEFU_MODEL_PATHS", "")),
            hub_download=env.get("KEFU_HUB_DOWNLOAD", "") == "1",
            device=env.get("KEFU_DEVICE") or defaults.device,
            dtype=env.get("KEFU_DTYPE") or defaults.dtype,
            torch_threads=int(_number(env, "KEFU_TORCH_THREADS", 0)) or None if threads else None,
            batch_max=int(_number(env, "KEFU_BATCH_MAX", 0)) or None,
            batch_delay_ms=(
                _number(env, "KEFU_BATCH_DELAY_MS", 0.0) if env.get("KEFU_BATCH_DELAY_MS") else None
            ),
            batch_queue=int(_number(env, "KEFU_BATCH_QUEUE", defaults.batch_queue)),
            batch_backend=env.get("KEFU_BATCH_BACKEND") or defaults.batch_backend,
            ray_address=env.get("KEFU_RAY_ADDRESS") or defaults.ray_address,
            serve_app=env.get("KEFU_SERVE_APP") or defaults.serve_app,
            serve_replicas=_parse_replicas(env.get("KEFU_SERVE_REPLICAS", "")),
            serve_gpus=_number(env, "KEFU_SERVE_GPUS", defaults.serve_gpus),
            top_k=int(_number(env, "KEFU_TOP_K", defaults.top_k)),
            read_k=int(_number(env, "KEFU_READ_K", defaults.read_k)),
            min_score=_number(env, "KEFU_MIN_SCORE", defaults.min_score),
            reader_model=_model(env, "KEFU_READER_MODEL", defaults.reader_model),
            reranker_model=_model(env, "KEFU_RERANKER_MODEL", defaults.reranker_model),
            hybrid=env.get("KEFU_HYBRID", "") == "1",
            index_type=env.get("KEFU_INDEX_TYPE") or defaults.index_type,
            answer_threshold=(
                _number(env, "KEFU_ANSWER_THRESHOLD", 0.0)
                if env.get("KEFU_ANSWER_THRESHOLD")
                else None
            ),
            orders_url=env.get("KEFU_ORDERS_URL", ""),
            recommend_model=env.get("KEFU_RECOMMEND_MODEL", ""),
            generator_model=_model(env, "KEFU_GENERATOR_MODEL", defaults.generator_model),
            generator_url=env.get("KEFU_GENERATOR_URL", ""),
            generator_api_key=env.get("KEFU_GENERATOR_API_KEY", ""),
            generator_prompt=env.get("KEFU_GENERATOR_PROMPT") or defaults.generator_prompt,
            generator_tokens=int(_number(env, "KEFU_GENERATOR_TOKENS", defaults.generator_tokens)),
            generator_timeout=_number(env, "KEFU_GENERATOR_TIMEOUT", defaults.generator_timeout),
            generator_int8=env.get("KEFU_GENERATOR_INT8", "1") != "0",
            generator_retries=int(
                _number(env, "KEFU_GENERATOR_RETRIES", defaults.generator_retries)
            ),
        )
