"""Thread pools that keep the event loop free and a crowd from piling up.

Answering gets its own bounded pool, so a reindex (which runs in asyncio's default pool for
minutes) never takes a worker from it, and a queue cap: past it, the asker is told at once that
the bot is busy instead of waiting behind a hundred others. SQLite (feedback, stats) has its own
small pool so a vote is never stuck behind answers.
"""

from __future__ import annotations

import asyncio
import functools
import os
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from typing import ParamSpec, TypeVar

P = ParamSpec("P")
T = TypeVar("T")

DB_WORKERS = 2


class BusyError(Exception):
    """Every answering worker is busy and the queue is full; the user should retry shortly."""


class AnswerPool:
    """``workers`` threads, at most ``queue`` more questions waiting; counted on the event loop."""

    def __init__(self, workers: int = 0, queue: int = 32) -> None:
        self.workers = workers or os.cpu_count() or 1
        self.capacity = self.workers + queue
        self.pending = 0  # only touched from the event loop: no lock needed
        self._executor = ThreadPoolExecutor(self.workers, thread_name_prefix="newsbot-answer")

    @contextmanager
    def slot(self) -> Iterator[None]:
        """Hold a place for one question, or raise BusyError at once (before any deferral)."""
        if self.pending >= self.capacity:
            raise BusyError(f"{self.pending} questions in progress")
        self.pending += 1
        try:
            yield
        finally:
            self.pending -= 1

    async def run(self, func: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs) -> T:
        """Run ``func`` on an answering thread (call inside ``slot()``)."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, functools.partial(func, *args, **kwargs))

    def prestart(self) -> None:
        """Start every thread now (blocking; run it off the loop at start-up).

        Otherwise the pool starts a thread on the submit that needs it, on the event loop,
        and on a loaded host a thread start can take a second: the whole bot stalls with it.
        """
        _prestart(self._executor, self.workers)

    def shutdown(self) -> None:
        self._executor.shutdown(wait=False, cancel_futures=True)


def _prestart(executor: ThreadPoolExecutor, workers: int) -> None:
    barrier = threading.Barrier(workers)
    futures = [executor.submit(barrier.wait, 60.0) for _ in range(workers)]
    for future in futures:
        future.result()


class DbPool:
    """A small pool for SQLite calls (feedback votes, index stats)."""

    def __init__(self, workers: int = DB_WORKERS) -> None:
        self.workers = workers
        self._executor = ThreadPoolExecutor(workers, thread_name_prefix="newsbot-sqlite")

    def prestart(self) -> None:
        _prestart(self._executor, self.workers)

    async def run(self, func: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs) -> T:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, functools.partial(func, *args, **kwargs))

    def shutdown(self) -> None:
        self._executor.shutdown(wait=False, cancel_futures=True)
