"""Fakes and fixtures shared by the ``test_discord_*`` files (this module holds no tests).

The cogs under test are the real ones, wired into a real ``NewsBot`` whose HTTP and gateway are
dpytest's fakes, answering with the real ``AnswerService`` and model. Only the Interaction is a
small recording fake: discord.py has no offline constructor for one.
"""

from __future__ import annotations

import datetime as dt
import sys
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import discord
import discord.ext.test as dpytest
import pytest_asyncio

from bot.answer.service import AnswerService
from bot.discord_bot.client import NewsBot, minimal_intents
from bot.discord_bot.cogs.admin import AdminCog
from bot.discord_bot.cogs.ask import AskCog
from bot.discord_bot.reindex import ReindexManager
from bot.discord_bot.serve import make_feedback_store
from bot.runtime import make_answer_service
from bot.settings import Settings, load_settings
from index.builder import BuildConfig, build_index
from index.embedding import Embedder, SentenceTransformerEmbedder
from index.store import IndexStore

from .conftest import SAMPLE_DIR

MALI_QUESTION = "Quand l'ambassadeur de France a-t-il été expulsé du Mali ?"


class FakeResponse:
    def __init__(self, calls: list[tuple[str, dict[str, Any]]]) -> None:
        self._calls = calls
        self._done = False

    def is_done(self) -> bool:
        return self._done

    async def defer(self, *, ephemeral: bool = False, thinking: bool = False) -> None:
        self._calls.append(("response.defer", {"ephemeral": ephemeral, "thinking": thinking}))
        self._done = True

    async def send_message(self, content: str | None = None, **kwargs: Any) -> None:
        self._calls.append(("response.send_message", {"content": content, **kwargs}))
        self._done = True

    async def edit_message(self, **kwargs: Any) -> None:
        self._calls.append(("response.edit_message", kwargs))
        self._done = True


class FakeFollowup:
    def __init__(self, calls: list[tuple[str, dict[str, Any]]]) -> None:
        self._calls = calls

    async def send(self, content: str | None = None, **kwargs: Any) -> None:
        self._calls.append(("followup.send", {"content": content, **kwargs}))


class FakeInteraction:
    """Records every reply in ``calls`` as (name, kwargs), in order."""

    def __init__(
        self,
        client: discord.Client,
        user: discord.abc.User,
        *,
        guild: discord.Guild | None = None,
        channel: Any = None,
    ) -> None:
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.client = client
        self.user = user
        self.guild = guild
        self.channel = channel
        self.created_at = dt.datetime.now(dt.UTC)
        self.response = FakeResponse(self.calls)
        self.followup = FakeFollowup(self.calls)

    async def edit_original_response(self, **kwargs: Any) -> None:
        self.calls.append(("edit_original_response", kwargs))

    async def delete_original_response(self) -> None:
        self.calls.append(("delete_original_response", {}))

    @property
    def names(self) -> list[str]:
        return [name for name, _ in self.calls]

    def last(self, name: str) -> dict[str, Any]:
        return [kwargs for called, kwargs in self.calls if called == name][-1]

    def replies(self) -> list[dict[str, Any]]:
        """What the user was sent (not progress edits), in order."""
        wanted = ("response.send_message", "followup.send")
        return [kwargs for name, kwargs in self.calls if name in wanted]


@dataclass
class FakeAttachment:
    filename: str
    data: bytes

    @property
    def size(self) -> int:
        return len(self.data)

    async def read(self) -> bytes:
        return self.data


def article_file(
    path: Path, title: str, body: str, date: str = "2024-03", outlet: str = ""
) -> Path:
    """An article in the product's text format: header line, body, agency, SourceURL line."""
    source = f"\n\nSourceURL: {outlet}" if outlet else ""
    path.write_text(f" date {date} {title}\n\n{body}\n\nAPA{source}", "utf-8")
    return path


def build(index_dir: Path, paths: list[Path], embedder: Embedder) -> Path:
    build_index(IndexStore(index_dir), paths, embedder, BuildConfig())
    return index_dir


def settings_for(index_dir: Path, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "cooldown_seconds": 0,
        "corpus_paths": [SAMPLE_DIR],
        "feedback_key": "a-test-key",
    }
    values.update(overrides)
    return load_settings(index_dir=index_dir, **values)


def intents_for_dpytest() -> discord.Intents:
    """The production intents plus members: dpytest only knows members through that cache."""
    intents = minimal_intents()
    intents.members = True
    return intents


async def start_bot(
    settings: Settings, service: AnswerService, build_embedder: Embedder
) -> NewsBot:
    """A NewsBot on dpytest's fake backend, cogs loaded as ``setup_hook`` loads them."""
    reindexer = ReindexManager(
        IndexStore(settings.index_dir),
        build_embedder,
        BuildConfig(),
        service,
        [*settings.corpus_paths, settings.upload_dir],
    )
    bot = NewsBot(
        settings=settings,
        service=service,
        feedback=make_feedback_store(settings),
        reindexer=reindexer,
        progress_interval=0.02,
        intents=intents_for_dpytest(),
    )
    await bot._async_setup_hook()
    dpytest.configure(bot, members=["alice", "bob"])
    await bot.setup_hook()  # after configure: dpytest replaces the connection state
    return bot


@dataclass
class Harness:
    bot: NewsBot
    settings: Settings

    @property
    def ask(self) -> AskCog:
        cog = self.bot.get_cog("AskCog")
        assert isinstance(cog, AskCog)
        return cog

    @property
    def admin(self) -> AdminCog:
        cog = self.bot.get_cog("AdminCog")
        assert isinstance(cog, AdminCog)
        return cog

    @property
    def guild(self) -> discord.Guild:
        return dpytest.get_config().guilds[0]

    @property
    def channel(self) -> discord.TextChannel:
        channel = dpytest.get_config().channels[0]
        assert isinstance(channel, discord.TextChannel)
        return channel

    @property
    def alice(self) -> discord.Member:
        return dpytest.get_config().members[0]

    @property
    def bob(self) -> discord.Member:
        return dpytest.get_config().members[1]

    def interaction(self, user: discord.abc.User | None = None) -> FakeInteraction:
        return FakeInteraction(self.bot, user or self.alice, guild=self.guild, channel=self.channel)


HarnessFactory = Callable[..., Any]


@pytest_asyncio.fixture(name="make_harness")
async def make_harness_fixture(
    sample_index_dir: Path, real_embedder: SentenceTransformerEmbedder
) -> AsyncIterator[HarnessFactory]:
    """Start bots over the shared, read-only sample index, or a given one (to modify)."""

    async def factory(
        index_dir: Path | None = None, build_embedder: Embedder | None = None, **overrides: Any
    ) -> Harness:
        settings = settings_for(index_dir or sample_index_dir, **overrides)
        service = make_answer_service(settings, real_embedder)
        bot = await start_bot(settings, service, build_embedder or real_embedder)
        return Harness(bot, settings)

    yield factory
    await dpytest.empty_queue()  # bot.close() would touch dpytest's socket-less fake gateway


@pytest_asyncio.fixture(name="harness")
async def harness_fixture(make_harness: HarnessFactory) -> Harness:
    harness: Harness = await make_harness()
    return harness


def capture_payloads(bot: NewsBot) -> list[dict[str, Any]]:
    """Record the JSON payload of every message the bot posts through dpytest's fake HTTP."""
    payloads: list[dict[str, Any]] = []
    original = bot.http.send_message

    async def spy(channel_id: int, *, params: Any) -> Any:
        # dpytest finds the target channel in its caller's locals: keep a `channel` here.
        channel = sys._getframe(1).f_locals.get("channel")  # noqa: F841
        payloads.append(dict(params.payload or {}))
        return await original(channel_id, params=params)

    bot.http.send_message = spy  # type: ignore[method-assign]
    return payloads


def sent_messages() -> list[discord.Message]:
    messages = []
    while not dpytest.sent_queue.empty():
        messages.append(dpytest.get_message())
    return messages
