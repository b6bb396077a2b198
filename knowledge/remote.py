"""The answer graph's lanes on Ray Serve: what an action server needs to use the stages.

:func:`remote_lanes` joins the cluster and gives :class:`~knowledge.graph.Lanes` whose lanes
are :class:`RemoteStage` objects, each calling one stage's deployment (deployed by
``python -m knowledge.serving deploy``, :mod:`knowledge.serving`). Ray is imported only when
used.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from typing import Any

from knowledge.errors import KnowledgeError, OverloadedError
from knowledge.graph import Lanes, enabled_stages, submit_each
from knowledge.settings import Settings

NAMESPACE = "kefu"
_CONNECTING = threading.Lock()  # one ray.init per process, however many first questions


class ServingError(KnowledgeError):
    """The Ray Serve backend cannot be reached or a stage failed there."""


def app_name(settings: Settings, stage: str) -> str:
    """The Ray Serve application of one stage (``kefu-read``)."""
    return f"{settings.serve_app}-{stage}"


class RemoteStage:
    """A :class:`~knowledge.graph.Lane` on a Ray Serve stage."""

    def __init__(self, name: str, handle: Any) -> None:
        self.name = name
        self.handle = handle
        self.items = 0
        self.failed = 0

    async def map(self, items: Sequence[Any]) -> list[Any]:
        """One result per item, each batched with every other caller's on the server."""
        return await submit_each(self.submit, items)

    async def submit(self, item: Any) -> Any:
        """The stage's result for ``item``."""
        from ray.serve.exceptions import BackPressureError

        self.items += 1
        try:
            return await self.handle.remote(item)
        except BackPressureError as exc:
            self.failed += 1
            raise OverloadedError(f"The {self.name} stage has too many questions waiting.") from exc
        except KnowledgeError:
            self.failed += 1
            raise
        except Exception as exc:  # a replica died, the cluster is gone, the stage raised
            self.failed += 1
            raise ServingError(f"The {self.name} stage failed on Ray Serve: {exc}") from exc

    def stats(self) -> dict[str, Any]:
        """Calls made from this process."""
        return {"items": self.items, "failed": self.failed}


def remote_lanes(settings: Settings) -> Lanes:
    """Join the Ray cluster (once per process); the answer graph's lanes on its stages."""
    import ray
    from ray import serve

    try:
        with _CONNECTING:
            if not ray.is_initialized():
                ray.init(
                    address=settings.ray_address,
                    namespace=NAMESPACE,
                    log_to_driver=False,
                    logging_level=logging.WARNING,
                )
        stages = {
            stage: RemoteStage(stage, serve.get_app_handle(app_name(settings, stage)))
            for stage in enabled_stages(settings)
        }
    except Exception as exc:
        raise ServingError(
            f"Cannot reach the Ray Serve stages at {settings.ray_address!r} ({exc}); "
            "start them with `python -m knowledge.serving deploy` (make run-scaled does)."
        ) from exc
    return Lanes(**stages)
