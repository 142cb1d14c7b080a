"""Terminal rendering of build progress and reports (tqdm on stderr)."""

from __future__ import annotations

from types import TracebackType
from typing import Never

from tqdm import tqdm

from index.builder import BuildProgress, BuildReport

UNITS = {"reading": "files", "chunking": "articles", "embedding": "chunks", "writing": "steps"}


class TerminalProgress:
    """One tqdm bar per phase: rate and ETA come from tqdm itself."""

    def __init__(self, disable: bool | None = None) -> None:
        self._bar: tqdm[Never] | None = None
        self._phase = ""
        self._disable = disable

    def __enter__(self) -> TerminalProgress:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._close()

    def __call__(self, update: BuildProgress) -> None:
        if update.phase != self._phase:
            self._close()
            self._phase = update.phase
            if update.total:
                self._bar = tqdm(
                    total=update.total,
                    desc=update.phase,
                    unit=f" {UNITS.get(update.phase, 'items')}",
                    leave=False,
                    disable=self._disable,
                    dynamic_ncols=True,
                )
        if self._bar is not None:
            self._bar.n = update.done
            self._bar.refresh()

    def _close(self) -> None:
        if self._bar is not None:
            self._bar.close()
            self._bar = None


def describe_report(report: BuildReport) -> str:
    """The summary users see after a build or update (console and Discord)."""
    lines = [
        f"{report.mode}: {report.articles} articles, {report.chunks} chunks in {report.index_dir}",
        f"  added {report.added}, updated {report.updated}, unchanged {report.unchanged}, "
        f"removed {report.removed}, duplicates skipped {report.duplicates}",
        f"  embedded {report.embedded_chunks} chunks (reused {report.reused_chunks}) in "
        f"{report.seconds:.1f} s: {report.articles_per_second:.1f} articles/s, "
        f"{report.chunks_per_second:.1f} chunks/s"
        + (f" ({report.embed_processes} processes)" if report.embed_processes > 1 else ""),
    ]
    if report.skipped:
        lines.append(f"  skipped {len(report.skipped)} input(s):")
        lines += [f"    {item}" for item in report.skipped[:50]]
        if len(report.skipped) > 50:
            lines.append(f"    … and {len(report.skipped) - 50} more")
    return "\n".join(lines)
