"""What every model-backed component shares: a name, a resolver, a device, a lazy load."""

from __future__ import annotations

import logging
import time
from pathlib import Path
from typing import Any

from knowledge.errors import NotReadyError
from knowledge.models import ModelResolver

log = logging.getLogger(__name__)


class ModelComponent:
    """Cheap to construct; ``warm_up()`` resolves the model by name and loads it once.

    Subclasses implement ``_load(folder)`` and use ``self.model`` (which raises
    ``NotReadyError`` before ``warm_up()``). A ``dtype`` other than ``float32`` casts the
    loaded model (``bfloat16`` / ``float16``: for CUDA).
    """

    kind = "model"

    def __init__(
        self, model: str, resolver: ModelResolver, device: str = "cpu", dtype: str = "float32"
    ) -> None:
        self.model_name = model
        self.resolver = resolver
        self.device = device
        self.dtype = dtype
        self.folder: Path | None = None
        self.load_seconds = 0.0
        self._model: Any = None

    def resolve(self) -> Path:
        """The model's local folder (resolved once; built offline if needed)."""
        if self.folder is None:
            self.folder = self.resolver.resolve(self.model_name)
        return self.folder

    def warm_up(self) -> None:
        """Load the model once."""
        if self._model is not None:
            return
        start = time.perf_counter()
        folder = self.resolve()
        model = self._load(folder)
        if self.dtype != "float32":
            import torch

            model = model.to(getattr(torch, self.dtype))
        self._model = model
        self.load_seconds = time.perf_counter() - start
        log.info(
            "loaded %s %s from %s in %.1f s", self.kind, self.model_name, folder, self.load_seconds
        )

    def _load(self, folder: Path) -> Any:
        raise NotImplementedError

    def on_device(self, features: dict[str, Any]) -> dict[str, Any]:
        """Model inputs with their tensors moved to this component's device."""
        import torch

        return {
            k: v.to(self.device) if isinstance(v, torch.Tensor) else v for k, v in features.items()
        }

    @property
    def model(self) -> Any:
        """The loaded model; raises if ``warm_up()`` was not called."""
        if self._model is None:
            raise NotReadyError(f"{type(self).__name__} used before warm_up().")
        return self._model
