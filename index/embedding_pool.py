"""Embedding a build's chunks in several processes at once (NEWSBOT_BUILD_PROCESSES).

On a CPU, the small matrices of all-MiniLM-L6-v2 keep a second PyTorch thread half idle: here two
processes of one thread each embed 1.3-1.4x faster than one process of two threads. The price is
a copy of the model and of PyTorch's buffers in each extra process (about 1 GB of memory), so the
setting is opt-in. This process embeds too, so N processes means N - 1 workers.

Workers start on the first call that has work for them (PyTorch takes seconds to import) and stop
with the pool; meanwhile, and whenever a worker fails, this process embeds their share: a worker
that cannot start costs speed, never vectors.
"""

from __future__ import annotations

import logging
import multiprocessing
import threading
from collections.abc import Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager, nullcontext
from typing import TYPE_CHECKING

import numpy as np

from index.embedding import Embedder, ModelRecipe, SentenceTransformerEmbedder, torch_threads

if TYPE_CHECKING:
    from numpy.typing import NDArray

log = logging.getLogger(__name__)

# The worker's model: set once by the pool's initializer in each worker process, never here.
_worker_embedder: SentenceTransformerEmbedder | None = None


def _load_worker_model(recipe: ModelRecipe) -> None:
    global _worker_embedder
    _worker_embedder = recipe.load(threads=1)


def _encode_in_worker(texts: list[str], batch_size: int) -> NDArray[np.float32]:
    assert _worker_embedder is not None, "the pool's initializer loads the model"
    return _worker_embedder.encode(texts, batch_size=batch_size)


def _peak_rss_in_worker() -> tuple[int, int]:
    """The worker's process id and peak resident memory in KiB, so the benchmark can count it."""
    import os
    import resource

    return os.getpid(), resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


class EncodingPool:
    """``encode`` shares each call's model batches between this process and its workers."""

    def __init__(
        self, embedder: Embedder, processes: int, recipe: ModelRecipe | None = None
    ) -> None:
        self.embedder = embedder
        if recipe is None and isinstance(embedder, SentenceTransformerEmbedder):
            recipe = embedder.recipe
        if processes > 1 and (recipe is None or recipe.device != "cpu"):
            log.info("one process embeds: NEWSBOT_BUILD_PROCESSES needs the torch model on CPU")
            processes = 1
        self.recipe = recipe
        self.workers = processes - 1
        self.worker_batches = 0  # batches the workers embedded: the pool did its job
        self.worker_peak_rss_kib: dict[int, int] = {}  # by process id
        self._executor: ProcessPoolExecutor | None = None
        self._broken = False

    def encode(self, texts: Sequence[str], *, batch_size: int = 32) -> NDArray[np.float32]:
        batches = [list(texts[i : i + batch_size]) for i in range(0, len(texts), batch_size)]
        if self.workers == 0 or self._broken or len(batches) < 2:
            return self.embedder.encode(texts, batch_size=batch_size)
        executor = self._start()
        results: list[NDArray[np.float32] | None] = [None] * len(batches)
        order = iter(range(len(batches)))
        lock = threading.Lock()

        def next_batch() -> int | None:
            with lock:
                return next(order, None)

        def feed_worker() -> None:
            while not self._broken and (number := next_batch()) is not None:
                try:
                    results[number] = executor.submit(
                        _encode_in_worker, batches[number], batch_size
                    ).result()
                except Exception as exc:  # a dead worker: this process takes its batches over
                    self._broken = True
                    log.warning("build worker failed, embedding in this process: %s", exc)
                    return
                with lock:
                    self.worker_batches += 1

        feeders = [threading.Thread(target=feed_worker) for _ in range(self.workers)]
        one_thread = isinstance(self.embedder, SentenceTransformerEmbedder)
        with torch_threads(1) if one_thread else nullcontext():
            for feeder in feeders:
                feeder.start()
            while (number := next_batch()) is not None:
                results[number] = self.embedder.encode(batches[number], batch_size=batch_size)
            for feeder in feeders:
                feeder.join()
            for number, done in enumerate(results):  # what a failed worker left
                if done is None:
                    results[number] = self.embedder.encode(batches[number], batch_size=batch_size)
        return np.concatenate([r for r in results if r is not None]).astype(np.float32, copy=False)

    def _start(self) -> ProcessPoolExecutor:
        if self._executor is None:
            assert self.recipe is not None, "workers exist only with a recipe"
            # spawn, not fork: a forked PyTorch (threads, OpenMP) can deadlock in the child
            self._executor = ProcessPoolExecutor(
                self.workers,
                mp_context=multiprocessing.get_context("spawn"),
                initializer=_load_worker_model,
                initargs=(self.recipe,),
            )
        return self._executor

    def close(self) -> None:
        if self._executor is None:
            return
        if not self._broken:
            try:
                futures = [self._executor.submit(_peak_rss_in_worker) for _ in range(self.workers)]
                self.worker_peak_rss_kib = dict(f.result(timeout=30) for f in futures)
            except Exception:  # memory figures are a nicety; shutting down is not
                pass
        self._executor.shutdown(wait=True, cancel_futures=True)
        self._executor = None


@contextmanager
def encoding_pool(
    embedder: Embedder, processes: int, recipe: ModelRecipe | None = None
) -> Iterator[EncodingPool]:
    """A pool for one build: its workers exit with the block, freeing their memory."""
    pool = EncodingPool(embedder, processes, recipe)
    try:
        yield pool
    finally:
        pool.close()
