"""The buttons under an answer: 👍/👎, "More sources", "Continue in a thread".

Each is a ``DynamicItem``: it matches any button whose ``custom_id`` fits its template, whichever
process sent it, so registering the classes once in ``setup_hook`` revives the buttons under every
answer already posted (discord.py's ``examples/views/dynamic_counter.py``). Votes survive a
restart (SQLite); "more sources" and thread context live in memory and say so when gone.
``continue_in_thread`` is the thread path, shared with the threads opened after a mention.
Every callback acknowledges the interaction before any thread or HTTP work (Discord allows 3 s).
"""

from __future__ import annotations

import logging
import re
import threading
import time
from collections import OrderedDict
from collections.abc import Hashable
from dataclasses import dataclass
from typing import Any, Protocol, cast

import discord

from bot.answer.conversation import Conversations
from bot.answer.models import Answer
from bot.discord_bot.feedback import FeedbackStore, UnknownAnswerError, Vote
from bot.discord_bot.i18n import interaction_language, t
from bot.discord_bot.render import more_text, shorten
from bot.discord_bot.replies import NO_MENTIONS, reported, send_private
from bot.discord_bot.workers import DbPool

log = logging.getLogger(__name__)

CUSTOM_ID = "newsbot:feedback:{answer_id}:{vote}"
TEMPLATE = r"newsbot:feedback:(?P<answer_id>[0-9a-f]{16}):(?P<vote>up|down)"
MORE_TEMPLATE = r"newsbot:more:(?P<answer_id>[0-9a-f]{16})"
THREAD_TEMPLATE = r"newsbot:thread:(?P<answer_id>[0-9a-f]{16})"
EMOJI: dict[Vote, str] = {"up": "👍", "down": "👎"}
RECENT_ANSWERS = 2_000
THREAD_NAME_LIMIT = 100


def answer_key(answer_id: str) -> Hashable:
    """The conversation key an answer's turn is kept under until a thread continues it."""
    return ("answer", answer_id)


def channel_key(channel_id: int) -> Hashable:
    return ("channel", channel_id)


@dataclass(frozen=True)
class Recent:
    answer: Answer
    at: float


class RecentAnswers:
    """The last answers sent, for "more sources": memory only, newest kept. Thread-safe."""

    def __init__(self, size: int = RECENT_ANSWERS, ttl: float = 24 * 3600.0) -> None:
        self.size = size
        self.ttl = ttl
        self._lock = threading.Lock()
        self._items: OrderedDict[str, Recent] = OrderedDict()

    def add(self, answer_id: str, answer: Answer) -> None:
        with self._lock:
            self._items[answer_id] = Recent(answer, time.monotonic())
            while len(self._items) > self.size:
                self._items.popitem(last=False)

    def get(self, answer_id: str) -> Answer | None:
        with self._lock:
            found = self._items.get(answer_id)
        if found is None or time.monotonic() - found.at > self.ttl:
            return None
        return found.answer


class _Bot(Protocol):
    feedback: FeedbackStore
    db: DbPool
    recent: RecentAnswers
    conversations: Conversations


def _bot(interaction: discord.Interaction[Any]) -> _Bot:
    return cast(_Bot, interaction.client)


class FeedbackButton(discord.ui.DynamicItem[discord.ui.Button[Any]], template=TEMPLATE):
    def __init__(self, answer_id: str, vote: Vote) -> None:
        super().__init__(
            discord.ui.Button(
                style=discord.ButtonStyle.secondary,
                emoji=EMOJI[vote],
                custom_id=CUSTOM_ID.format(answer_id=answer_id, vote=vote),
            )
        )
        self.answer_id = answer_id
        self.vote: Vote = vote

    @classmethod
    async def from_custom_id(
        cls,
        interaction: discord.Interaction[Any],
        item: discord.ui.Item[Any],
        match: re.Match[str],
        /,
    ) -> FeedbackButton:
        vote: Vote = "up" if match["vote"] == "up" else "down"
        return cls(match["answer_id"], vote)

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        bot = _bot(interaction)
        language = interaction_language(interaction)
        async with reported(interaction, language):
            await interaction.response.defer(ephemeral=True, thinking=True)  # SQLite may wait
            try:
                await bot.db.run(bot.feedback.vote, self.answer_id, interaction.user.id, self.vote)
            except UnknownAnswerError:
                await send_private(interaction, t(language, "feedback_gone"))
                return
            log.info("feedback %s on answer %s", self.vote, self.answer_id)
            await send_private(interaction, t(language, "feedback_thanks", emoji=EMOJI[self.vote]))


def _answer_button(kind: str, label: str, emoji: str, answer_id: str) -> discord.ui.Button[Any]:
    """A button whose custom id (``newsbot:<kind>:<answer id>``) survives restarts."""
    return discord.ui.Button(
        style=discord.ButtonStyle.secondary,
        label=label,
        emoji=emoji,
        custom_id=f"newsbot:{kind}:{answer_id}",
    )


class MoreButton(discord.ui.DynamicItem[discord.ui.Button[Any]], template=MORE_TEMPLATE):
    def __init__(self, answer_id: str, language: str = "en") -> None:
        super().__init__(_answer_button("more", t(language, "more_button"), "📚", answer_id))
        self.answer_id = answer_id

    @classmethod
    async def from_custom_id(
        cls,
        interaction: discord.Interaction[Any],
        item: discord.ui.Item[Any],
        match: re.Match[str],
        /,
    ) -> MoreButton:
        return cls(match["answer_id"])

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        """The next ranked articles, ephemeral: computed with the answer, nothing to wait for."""
        language = interaction_language(interaction)
        async with reported(interaction, language):
            answer = _bot(interaction).recent.get(self.answer_id)
            text = more_text(answer) if answer is not None else t(language, "more_gone")
            await send_private(interaction, text)


class ThreadButton(discord.ui.DynamicItem[discord.ui.Button[Any]], template=THREAD_TEMPLATE):
    def __init__(self, answer_id: str, language: str = "en") -> None:
        super().__init__(_answer_button("thread", t(language, "thread_button"), "🧵", answer_id))
        self.answer_id = answer_id

    @classmethod
    async def from_custom_id(
        cls,
        interaction: discord.Interaction[Any],
        item: discord.ui.Item[Any],
        match: re.Match[str],
        /,
    ) -> ThreadButton:
        return cls(match["answer_id"])

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        """Open a thread on the answer and seed its conversation with the answer's turn."""
        bot = _bot(interaction)
        language = interaction_language(interaction)
        async with reported(interaction, language):
            await interaction.response.defer(ephemeral=True, thinking=True)
            message = interaction.message
            if message is None:
                await send_private(interaction, t(language, "thread_failed"))
                return
            try:
                thread = await continue_in_thread(bot, message, self.answer_id, language)
            except discord.HTTPException:
                log.info("cannot create a thread in channel %s", interaction.channel_id)
                await send_private(interaction, t(language, "thread_failed"))
                return
            await send_private(interaction, t(language, "thread_started", thread=thread.mention))


async def continue_in_thread(
    bot: _Bot, message: discord.Message, answer_id: str, language: str
) -> discord.Thread:
    """The thread on an answer (opened now if it has none), holding the answer's conversation.

    The one way a thread continues an answer, whether asked by the button or opened at once
    after a mention: its name is the question, its first message says how to follow up, and a
    follow-up there is read with the answer's names and filters. Raises ``discord.HTTPException``
    when Discord refuses the thread; a failed introduction costs only the introduction.
    """
    if message.thread is not None:
        bot.conversations.copy(answer_key(answer_id), channel_key(message.thread.id))
        return message.thread
    answer = bot.recent.get(answer_id)
    question = answer.question if answer is not None else answer_id
    name = shorten(t(language, "thread_name", question=question), THREAD_NAME_LIMIT)
    thread = await message.create_thread(name=name)
    bot.conversations.copy(answer_key(answer_id), channel_key(thread.id))
    try:
        await thread.send(t(language, "thread_intro"), allowed_mentions=NO_MENTIONS)
    except discord.HTTPException:
        log.warning("cannot post in the new thread %s", thread.id, exc_info=True)
    return thread


def answer_view(
    answer_id: str,
    language: str,
    *,
    feedback: bool = True,
    more: bool = True,
    thread: bool = False,
) -> discord.ui.View | None:
    """The buttons for one answer; None when there are none (a failed feedback store, say)."""
    view = discord.ui.View(timeout=None)
    if feedback:
        view.add_item(FeedbackButton(answer_id, "up"))
        view.add_item(FeedbackButton(answer_id, "down"))
    if more:
        view.add_item(MoreButton(answer_id, language))
    if thread:
        view.add_item(ThreadButton(answer_id, language))
    return view if view.children else None


def feedback_view(answer_id: str) -> discord.ui.View:
    """👍/👎 only (kept for callers that show no other button)."""
    view = answer_view(answer_id, "en", more=False)
    assert view is not None
    return view


DYNAMIC_ITEMS = (FeedbackButton, MoreButton, ThreadButton)
