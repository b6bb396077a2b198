"""The answer graph's model stages as Ray Serve deployments: the scaled mode's batching.

Each model stage of the answer graph (:mod:`knowledge.graph`: encode, search, rerank, read)
runs as one Ray Serve application whose ``@serve.batch`` method pools the items of
*every* action-server replica into one model call, with the stage's own ``prepare`` /
``forward`` / ``finish``. The action servers run the same graph:
:func:`knowledge.remote.remote_lanes` gives them :class:`~knowledge.graph.Lanes` whose lanes
are :class:`~knowledge.remote.RemoteStage` objects calling the deployments.
``KEFU_BATCH_BACKEND=ray`` selects it; the in-process micro-batcher stays the default.

Deploy (a Ray cluster must be running, e.g. ``ray start --head``)::

    python -m knowledge.serving deploy      # KEFU_SERVE_REPLICAS="2" or "read=2,encode=1"

Ray is imported only here and in :mod:`knowledge.remote`, and only when used.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from knowledge.errors import KnowledgeError
from knowledge.graph import STAGES, batch_size, enabled_stages
from knowledge.remote import NAMESPACE, ServingError, app_name
from knowledge.settings import Settings

if TYPE_CHECKING:
    from knowledge.service import KnowledgeService

log = logging.getLogger(__name__)


def build_stage(service: KnowledgeService, stage: str) -> Any:
    """Load what ``stage`` needs of ``service`` and return its stage object."""
    if stage not in STAGES:
        raise ServingError(f"Unknown stage {stage!r}; valid stages are {STAGES}.")
    if stage == "rerank" and service.reranker is None:
        raise ServingError("The rerank stage needs KEFU_RERANKER_MODEL.")
    if stage == "read" and service.reader is None:
        raise ServingError(f"The {stage} stage needs KEFU_READER_MODEL.")
    if stage == "encode":
        service.encoder.warm_up()
    elif stage == "search":
        service.retriever.warm_up(service.open_index())
    elif stage == "rerank" and service.reranker is not None:
        service.reranker.warm_up()
    elif stage == "read" and service.reader is not None:
        service.reader.warm_up()
    return service.stages()[stage]


class StageServer:
    """One replica of one stage: the model loads once, ``__call__`` is batched by Ray Serve.

    Ray Serve's ``@serve.batch`` gathers concurrent calls (from every action server) into one
    list; the stage's three steps run on a worker thread so the replica keeps accepting calls.
    """

    def __init__(self, stage: str, settings: Settings) -> None:
        from knowledge.logs import setup_logging
        from knowledge.service import KnowledgeService

        setup_logging()
        if settings.torch_threads:
            import torch

            torch.set_num_threads(settings.torch_threads)
        start = time.perf_counter()
        self.stage = build_stage(KnowledgeService(settings), stage)
        self.pool = ThreadPoolExecutor(1, thread_name_prefix=f"kefu-serve-{stage}")
        log.info("serve stage %s ready in %.1f s", stage, time.perf_counter() - start)

    def run_batch(self, items: Sequence[Any]) -> list[Any]:
        """Prepare -> forward -> finish for one batch."""
        raw = self.stage.forward(self.stage.prepare(items))
        return list(self.stage.finish(items, raw))

    async def __call__(self, items: list[Any]) -> list[Any]:
        """The batched entry point (wrapped by ``serve.batch`` in :func:`deployment`)."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self.pool, self.run_batch, items)


def deployment(stage: str, settings: Settings) -> Any:
    """The Ray Serve application of ``stage`` (replicas, batching and GPUs from ``settings``)."""
    from ray import serve

    batch = batch_size(settings, stage)
    wait_s = (settings.batch_delay_ms or 0.0) / 1000

    class Stage(StageServer):
        @serve.batch(max_batch_size=batch, batch_wait_timeout_s=wait_s)
        async def handle(self, items: list[Any]) -> list[Any]:
            return await StageServer.__call__(self, items)

        async def __call__(self, item: Any) -> Any:  # type: ignore[override]
            return await self.handle(item)

    Stage.__name__ = Stage.__qualname__ = f"Kefu{stage.title()}Stage"
    replicas = settings.serve_replicas.get(stage, settings.serve_replicas.get("*", 1))
    gpus = 0.0 if stage == "search" else settings.serve_gpus  # FAISS search stays on the CPU
    deployed: Any = serve.deployment(
        Stage,
        name=stage,
        num_replicas=replicas,
        max_ongoing_requests=batch * 4,
        max_queued_requests=settings.batch_queue,
        ray_actor_options={"num_cpus": 0, "num_gpus": gpus},
    )
    return deployed.bind(stage, replace(settings, batch_backend="local"))


def deploy(settings: Settings, address: str | None = None) -> list[str]:
    """Deploy every enabled stage on the running Ray cluster; returns the application names."""
    import ray
    from ray import serve

    ray.init(address=address or settings.ray_address, namespace=NAMESPACE, log_to_driver=False)
    serve.start(proxy_location="Disabled")
    names = []
    for stage in enabled_stages(settings):
        name = app_name(settings, stage)
        serve.run(deployment(stage, settings), name=name, route_prefix=None, blocking=False)
        names.append(name)
    deadline = time.monotonic() + 600
    while True:
        status = serve.status().applications
        states = {n: str(status[n].status) if n in status else "MISSING" for n in names}
        if all(s.endswith("RUNNING") for s in states.values()):
            return names
        if any(s.endswith("DEPLOY_FAILED") for s in states.values()) or time.monotonic() > deadline:
            details = {n: status[n].message for n in names if n in status}
            raise ServingError(f"Ray Serve deployment failed: {states} {details}")
        time.sleep(1)


def main(argv: list[str] | None = None) -> int:
    """``python -m knowledge.serving deploy``: deploy the stages on the running cluster."""
    from knowledge.logs import setup_logging

    parser = argparse.ArgumentParser(prog="python -m knowledge.serving")
    parser.add_argument("command", choices=["deploy"])
    parser.add_argument("--address", default=None, help="Ray cluster (default KEFU_RAY_ADDRESS)")
    args = parser.parse_args(argv)
    setup_logging()
    settings = Settings.from_env()
    try:
        names = deploy(settings, args.address)
    except KnowledgeError as exc:
        print(f"kefu serving: {exc}", file=sys.stderr)
        return 2
    print("deployed: " + ", ".join(names))
    return 0


if __name__ == "__main__":
    sys.exit(main())
