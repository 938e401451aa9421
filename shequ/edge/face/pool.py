"""Face pipelines in worker processes, one per core.

dlib computes on a single thread and holds the GIL while it does, so threads
would not help: each worker process loads the models once (about 30 MB) and
takes whole frames. Frames travel as JPEG bytes (the camera's own format, 20 to
60 kB) and are decoded in the worker.
"""

from __future__ import annotations

import asyncio
import importlib
import logging
import multiprocessing
import os
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path

from shequ.edge.face.pipeline import FacePipeline, FaceResult

logger = logging.getLogger(__name__)

# The worker's own pipeline. A module global is the way a process-pool worker keeps
# state between tasks; it exists only inside worker processes.
_worker_pipeline: FacePipeline | None = None


def _worker_init(models_dir: str | None, coarse_first: bool, liveness: str | None) -> None:
    global _worker_pipeline
    _worker_pipeline = FacePipeline(Path(models_dir) if models_dir else None, coarse_first=coarse_first,
                                    liveness=_load(liveness)() if liveness else None)


def _worker_process(frame: bytes, sensors: dict | None) -> FaceResult:
    assert _worker_pipeline is not None, "worker not initialised"
    return _worker_pipeline.process(frame, sensors)


def _worker_ready() -> int:
    return os.getpid() if _worker_pipeline is not None else 0


def _load(path: str):
    """``package.module:Name`` to the object (liveness checks are named, so workers can build them)."""
    module, _, name = path.partition(":")
    return getattr(importlib.import_module(module), name)


class EmbeddingPool:
    """``await pool.process(jpeg)`` -> :class:`FaceResult`, on one of ``workers`` processes.

    ``liveness`` names a :class:`LivenessCheck` class as ``module:Class``; each
    worker builds its own.
    """

    def __init__(self, workers: int = 2, *, models_dir: Path | None = None, coarse_first: bool = True,
                 liveness: str | None = None) -> None:
        self.workers = workers
        self._initargs = (str(models_dir) if models_dir else None, coarse_first, liveness)
        self._executor = self._start()

    def _start(self) -> ProcessPoolExecutor:
        # spawn, not fork: the parent runs an event loop and MQTT threads that a fork would copy mid-flight
        return ProcessPoolExecutor(max_workers=self.workers, mp_context=multiprocessing.get_context("spawn"),
                                   initializer=_worker_init, initargs=self._initargs)

    def warm_up(self, timeout: float = 60.0) -> set[int]:
        """Start every worker and load its models now, not at the first face; their process ids."""
        futures = [self._executor.submit(_worker_ready) for _ in range(self.workers * 2)]
        return {future.result(timeout=timeout) for future in futures}

    def process_sync(self, frame: bytes, sensors: dict | None = None, timeout: float = 10.0) -> FaceResult:
        return self._executor.submit(_worker_process, bytes(frame), sensors).result(timeout=timeout)

    async def process(self, frame: bytes, sensors: dict | None = None) -> FaceResult:
        loop = asyncio.get_running_loop()
        try:
            return await loop.run_in_executor(self._executor, _worker_process, bytes(frame), sensors)
        except BrokenProcessPool:
            # a worker died (killed, or crashed inside dlib): start fresh ones for the next face
            logger.exception("face worker died; restarting the pool")
            self._executor.shutdown(wait=False, cancel_futures=True)
            self._executor = self._start()
            raise RuntimeError("face worker died; try again") from None

    def close(self) -> None:
        self._executor.shutdown(wait=True, cancel_futures=True)

    def __enter__(self) -> EmbeddingPool:
        return self

    def __exit__(self, *exc) -> None:
        self.close()
