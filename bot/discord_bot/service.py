"""What the Discord front end needs from the answering service, as a Protocol.

Typing against this (rather than the concrete ``AnswerService``) keeps the cogs testable with
the real service and keeps the import graph one-way: ``bot.answer`` never sees Discord.
"""

from __future__ import annotations

from typing import Protocol

from bot.answer.models import Answer
from index.models import SearchFilters
from index.store import LoadedIndex


class AnswerBackend(Protocol):
    """The answering service as the bot sees it (``bot.answer.service.AnswerService``)."""

    def answer(
        self, question: str, *, filters: SearchFilters | None = None, k: int | None = None
    ) -> Answer: ...

    def reload(self) -> None: ...

    def sources(self) -> list[str]: ...

    @property
    def loaded(self) -> LoadedIndex: ...
