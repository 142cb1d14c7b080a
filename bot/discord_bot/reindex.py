"""Background (re)indexing for the admin commands: one build at a time, off the event loop.

The build runs ``build_index`` in a worker thread; the live service keeps answering from the
generation it has open. Only when the new generation is published does ``service.reload()``
swap it in, so a question never sees a half-built index.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from bot.discord_bot.i18n import t
from bot.discord_bot.render import describe_progress
from bot.discord_bot.service import AnswerBackend
from index.builder import BuildConfig, BuildProgress, BuildReport, build_index
from index.embedding import Embedder
from index.errors import NewsbotError
from index.store import IndexStore

log = logging.getLogger(__name__)

JobKind = Literal["full", "update", "add"]


@dataclass
class ReindexJob:
    """A build in progress or finished; ``progress`` is written by the build thread."""

    kind: JobKind
    paths: list[Path]
    started: float = field(default_factory=time.monotonic)
    progress: BuildProgress | None = None
    task: asyncio.Task[BuildReport] | None = None

    def update(self, progress: BuildProgress) -> None:
        self.progress = progress  # a single reference assignment: safe across threads

    @property
    def running(self) -> bool:
        return self.task is not None and not self.task.done()

    def describe(self, language: str = "en") -> str:
        """The progress line, in the language of the admin who reads it."""
        progress = describe_progress(self.progress, time.monotonic() - self.started, language)
        return t(language, "job_line", job=t(language, "job_" + self.kind), progress=progress)


class ReindexBusyError(RuntimeError):
    """A job is already running; carries it so the caller can show its progress."""

    def __init__(self, job: ReindexJob) -> None:
        super().__init__("a reindex is already running")
        self.job = job


class ReindexManager:
    """Starts builds, exposes the running one, and reloads the service after success."""

    def __init__(
        self,
        store: IndexStore,
        embedder: Embedder,
        config: BuildConfig,
        service: AnswerBackend,
        corpus_paths: Sequence[Path],
    ) -> None:
        self.store = store
        self.embedder = embedder
        self.config = config
        self.service = service
        self.corpus_paths = list(corpus_paths)
        self.current: ReindexJob | None = None
        self.last_report: BuildReport | None = None

    @property
    def running(self) -> ReindexJob | None:
        job = self.current
        return job if job is not None and job.running else None

    def start(
        self,
        kind: JobKind,
        paths: Sequence[Path] | None = None,
        *,
        prepare: Callable[[], None] | None = None,
    ) -> ReindexJob:
        """Launch a job on the running loop; ``ReindexBusyError`` if one is still running.

        ``full`` rebuilds exactly the corpus paths, ``update`` adds/changes/prunes from them,
        ``add`` adds ``paths`` to the live index without touching anything else. ``prepare``
        runs in the job's thread before the build (an upload moves into place only then, so a
        refused job leaves nothing behind).
        """
        busy = self.running
        if busy is not None:
            raise ReindexBusyError(busy)
        chosen = list(paths) if paths is not None else self.existing_corpus_paths()
        if not chosen:
            raise ValueError("no corpus paths to index; set NEWSBOT_CORPUS_PATHS")
        job = ReindexJob(kind, chosen)
        job.task = asyncio.get_running_loop().create_task(
            self._run(job, prepare), name=f"newsbot-reindex-{kind}"
        )
        self.current = job
        return job

    def existing_corpus_paths(self) -> list[Path]:
        return [path for path in self.corpus_paths if path.exists()]

    async def _run(self, job: ReindexJob, prepare: Callable[[], None] | None) -> BuildReport:
        log.info("reindex %s started on %s", job.kind, ", ".join(map(str, job.paths)))
        if prepare is not None:
            await asyncio.to_thread(prepare)
        report = await asyncio.to_thread(
            build_index,
            self.store,
            job.paths,
            self.embedder,
            self.config,
            mode="build" if job.kind == "full" else "update",
            prune=job.kind == "update",
            progress=job.update,
        )
        self.last_report = report  # the new generation is live on disk from here on
        try:
            await asyncio.to_thread(self.service.reload)
        except Exception as exc:
            log.exception("reindex built %s but the bot could not load it", self.store.root)
            raise NewsbotError(
                f"the new index was built but could not be loaded ({exc}); restart the bot"
            ) from exc
        log.info(
            "reindex %s done: %d articles, +%d ~%d -%d, %d skipped, %.1f s",
            job.kind,
            report.articles,
            report.added,
            report.updated,
            report.removed,
            len(report.skipped),
            report.seconds,
        )
        return report
