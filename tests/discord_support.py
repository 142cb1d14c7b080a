"""Fakes and fixtures shared by the ``test_discord_*`` files (this module holds no tests).

The cogs under test are the real ones, wired into a real ``NewsBot`` whose HTTP and gateway are
dpytest's fakes, answering with the real ``AnswerService`` and model. Only the Interaction is a
small recording fake: discord.py has no offline constructor for one.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import itertools
import json
import sys
import threading
import time
from collections import defaultdict
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import discord
import discord.ext.test as dpytest
import numpy as np
import pytest
import pytest_asyncio
from discord.webhook.async_ import AsyncWebhookAdapter, async_context
from numpy.typing import NDArray

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
        locale: discord.Locale = discord.Locale.american_english,
    ) -> None:
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.client = client
        self.user = user
        self.guild = guild
        self.channel = channel
        self.locale = locale
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


class GatedEmbedder:
    """The real model, except that a build's first batch waits until the test opens the gate."""

    def __init__(self, inner: SentenceTransformerEmbedder) -> None:
        self.inner = inner
        self.entered = threading.Event()
        self.gate = threading.Event()

    @property
    def model_id(self) -> str:
        return self.inner.model_id

    @property
    def dimension(self) -> int:
        return self.inner.dimension

    @property
    def max_tokens(self) -> int | None:
        return self.inner.max_tokens

    @property
    def precision(self) -> str:
        return self.inner.precision

    def count_tokens(self, texts: Sequence[str]) -> list[int]:
        return self.inner.count_tokens(texts)

    def encode(self, texts: Sequence[str], *, batch_size: int = 32) -> NDArray[np.float32]:
        self.entered.set()
        assert self.gate.wait(timeout=60), "the test never opened the gate"
        return self.inner.encode(texts, batch_size=batch_size)


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

    def interaction(
        self,
        user: discord.abc.User | None = None,
        locale: discord.Locale = discord.Locale.american_english,
    ) -> FakeInteraction:
        return FakeInteraction(
            self.bot, user or self.alice, guild=self.guild, channel=self.channel, locale=locale
        )


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


# --- driving the real CommandTree with interaction payloads ------------------------------------
#
# As discord.py's own tests/test_app_commands_invoke.py does: an interaction payload (the JSON
# Discord sends over the gateway) goes through ConnectionState.parse_interaction_create, so the
# real tree converts options, runs checks and calls its error handler. Replies go to Discord's
# webhook endpoints; a recording adapter answers them locally (no network).


@dataclass
class Sent:
    """One reply to an interaction: ``kind`` is defer, message, update, followup, edit, delete."""

    kind: str
    body: dict[str, Any]
    at: float

    @property
    def ephemeral(self) -> bool:
        return bool(int(self.body.get("flags") or 0) & 64)

    @property
    def content(self) -> str:
        return str(self.body.get("content") or "")

    @property
    def embeds(self) -> list[dict[str, Any]]:
        return list(self.body.get("embeds") or [])

    def custom_ids(self) -> list[str]:
        return [
            str(button["custom_id"])
            for row in self.body.get("components") or []
            for button in row.get("components", [])
            if "custom_id" in button
        ]


CALLBACK_KINDS = {4: "message", 5: "defer", 6: "defer_update", 7: "update", 8: "autocomplete"}


class RecordingAdapter(AsyncWebhookAdapter):
    """Discord's interaction endpoints answered in-process; replies recorded per token."""

    def __init__(self, channel_id: int, bot_user: dict[str, Any]) -> None:
        super().__init__()
        self.channel_id = channel_id
        self.bot_user = bot_user
        self.by_token: dict[str, list[Sent]] = defaultdict(list)
        self.messages: dict[str, dict[str, Any]] = {}  # custom_id → the message carrying it
        self._ids = itertools.count(1_300_000_000_000_000_000)

    async def request(self, route: Any, session: Any = None, **kwargs: Any) -> Any:  # type: ignore[override]
        payload = kwargs.get("payload")
        multipart = kwargs.get("multipart")
        body: dict[str, Any] = dict(payload or {})
        if multipart:
            body = json.loads(multipart[0]["value"])
        token = str(route.webhook_token)
        now = time.perf_counter()
        if route.path.endswith("/callback"):
            kind = CALLBACK_KINDS.get(int(body["type"]), str(body["type"]))
            self.by_token[token].append(Sent(kind, dict(body.get("data") or {}), now))
            return {"interaction": {"id": str(route.webhook_id), "type": 2}}
        if route.method == "DELETE":
            self.by_token[token].append(Sent("delete", {}, now))
            return None
        if route.method == "GET":
            return self.message({})
        kind = "followup" if route.method == "POST" else "edit"
        self.by_token[token].append(Sent(kind, body, now))
        message = self.message(body)
        for row in body.get("components") or []:
            for component in row.get("components", []):
                if "custom_id" in component:
                    self.messages[str(component["custom_id"])] = message
        return message

    def message(self, body: dict[str, Any]) -> dict[str, Any]:
        return {
            "id": str(next(self._ids)),
            "channel_id": str(self.channel_id),
            "type": 0,
            "content": body.get("content") or "",
            "embeds": body.get("embeds") or [],
            "attachments": [],
            "mentions": [],
            "mention_roles": [],
            "mention_everyone": False,
            "pinned": False,
            "tts": False,
            "timestamp": dt.datetime.now(dt.UTC).isoformat(),
            "edited_timestamp": None,
            "flags": int(body.get("flags") or 0),
            "author": self.bot_user,
            "components": body.get("components") or [],
        }


OPTION_TYPES = {str: 3, int: 4, bool: 5, float: 10}


def user_payload(user: discord.abc.User) -> dict[str, Any]:
    return {
        "id": str(user.id),
        "username": user.name,
        "discriminator": "0000",
        "avatar": None,
        "global_name": None,
        "bot": user.bot,
    }


class TreeDriver:
    """Builds interaction payloads and dispatches them as the gateway would."""

    def __init__(self, harness: Harness, adapter: RecordingAdapter) -> None:
        self.harness = harness
        self.adapter = adapter
        self._ids = itertools.count(1_200_000_000_000_000_000)

    def _base(
        self,
        kind: int,
        data: dict[str, Any],
        *,
        user: discord.abc.User | None,
        locale: str,
        channel: Any,
        dm: bool,
        message: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        harness = self.harness
        user = user or harness.alice
        number = next(self._ids)
        payload: dict[str, Any] = {
            "id": str(number),
            "application_id": str(harness.bot.application_id or 1),
            "type": kind,
            "token": f"token-{number}",
            "version": 1,
            "locale": locale,
            "attachment_size_limit": 25 << 20,
            "app_permissions": str(discord.Permissions.all().value),
            "entitlements": [],
            "data": data,
        }
        if message is not None:
            payload["message"] = message
        if dm:
            dm_id = 900_000_000_000_000_000 + user.id % 1_000_000
            payload |= {
                "user": user_payload(user),
                "context": 1,
                "channel_id": str(dm_id),
                "channel": {"id": str(dm_id), "type": 1, "recipients": [user_payload(user)]},
            }
            return payload
        channel = channel or harness.channel
        assert isinstance(user, discord.Member)
        payload |= {
            "guild_id": str(harness.guild.id),
            "guild_locale": "en-US",
            "context": 0,
            "channel_id": str(channel.id),
            "channel": {"id": str(channel.id), "type": channel.type.value},
            "member": {
                "user": user_payload(user),
                "roles": [str(role.id) for role in user.roles if not role.is_default()],
                "joined_at": dt.datetime.now(dt.UTC).isoformat(),
                "deaf": False,
                "mute": False,
                "flags": 0,
                "permissions": str(user.guild_permissions.value),
            },
        }
        return payload

    def command(
        self,
        name: str,
        *,
        group: str | None = None,
        options: dict[str, Any] | None = None,
        attachments: dict[str, tuple[str, int]] | None = None,
        user: discord.abc.User | None = None,
        locale: str = "en-US",
        channel: Any = None,
        dm: bool = False,
    ) -> dict[str, Any]:
        """A slash command payload; ``attachments`` maps option → (filename, size)."""
        listed: list[dict[str, Any]] = [
            {"name": key, "type": OPTION_TYPES[type(value)], "value": value}
            for key, value in (options or {}).items()
        ]
        resolved: dict[str, Any] = {}
        for key, (filename, size) in (attachments or {}).items():
            attachment_id = str(next(self._ids))
            listed.append({"name": key, "type": 11, "value": attachment_id})
            resolved.setdefault("attachments", {})[attachment_id] = {
                "id": attachment_id,
                "filename": filename,
                "size": size,
                "url": f"https://cdn.example/{attachment_id}",
                "proxy_url": f"https://cdn.example/{attachment_id}",
            }
        data: dict[str, Any] = {"id": str(next(self._ids)), "name": name, "type": 1}
        if group is not None:
            data = {
                **data,
                "name": group,
                "options": [{"name": name, "type": 1, "options": listed}],
            }
        else:
            data["options"] = listed
        if resolved:
            data["resolved"] = resolved
        return self._base(2, data, user=user, locale=locale, channel=channel, dm=dm)

    def click(
        self,
        custom_id: str,
        *,
        user: discord.abc.User | None = None,
        locale: str = "en-US",
        channel: Any = None,
        dm: bool = False,
    ) -> dict[str, Any]:
        """A press on a button the bot sent (its message, components included, comes along)."""
        channel = channel or self.harness.channel
        message = dict(self.adapter.messages[custom_id])
        message["channel_id"] = str(channel.id)
        data = {"custom_id": custom_id, "component_type": 2}
        return self._base(
            3, data, user=user, locale=locale, channel=channel, dm=dm, message=message
        )

    def start(self, payload: dict[str, Any]) -> list[Sent]:
        """Hand the payload to discord.py (tasks start); the list fills as replies are made."""
        self.harness.bot._connection.parse_interaction_create(payload)  # type: ignore[arg-type]
        return self.adapter.by_token[payload["token"]]

    async def dispatch(self, payload: dict[str, Any]) -> list[Sent]:
        replies = self.start(payload)
        await settle()
        return replies


async def settle(timeout: float = 120.0) -> None:
    """Wait for every interaction task discord.py started (commands, buttons)."""
    deadline = time.monotonic() + timeout
    current = asyncio.current_task()
    while True:
        pending = [
            task
            for task in asyncio.all_tasks()
            if task is not current
            and not task.done()
            and task.get_name().startswith(("CommandTree-invoker", "discord-ui-"))
        ]
        if not pending:
            return
        left = deadline - time.monotonic()
        assert left > 0, f"{len(pending)} interaction tasks still running"
        await asyncio.wait(pending, timeout=left)


@pytest_asyncio.fixture(name="driver")
async def driver_fixture(harness: Harness) -> AsyncIterator[TreeDriver]:
    yield await make_driver(harness)


async def make_driver(harness: Harness) -> TreeDriver:
    """A driver for ``harness``; the adapter is installed for the rest of the test."""
    user = harness.bot.user
    bot_user = user_payload(user) if user is not None else {"id": "1", "username": "newsbot"}
    adapter = RecordingAdapter(harness.channel.id, bot_user)
    async_context.set(adapter)
    # dpytest swaps in its own connection state after the tree was made: reattach the tree.
    harness.bot._connection._command_tree = harness.bot.tree
    return TreeDriver(harness, adapter)


class Uploader:
    """An admin attaching files to /newsbot-admin add-article through the real tree."""

    def __init__(
        self, driver: TreeDriver, admin: discord.Member, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        self.harness = driver.harness
        self.driver = driver
        self.admin = admin
        self.files: dict[str, bytes] = {}
        files = self.files

        async def read(attachment: discord.Attachment, **_: Any) -> bytes:
            return files[attachment.filename]  # the CDN download

        monkeypatch.setattr(discord.Attachment, "read", read)

    def payload(
        self, filename: str, data: bytes, *, locale: str = "en-US", **options: Any
    ) -> dict[str, Any]:
        self.files[filename] = data
        return self.driver.command(
            "add-article",
            group="newsbot-admin",
            options=options,
            attachments={"file": (filename, len(data))},
            user=self.admin,
            locale=locale,
        )

    async def __call__(
        self, filename: str, data: bytes, *, locale: str = "en-US", **options: Any
    ) -> list[Sent]:
        return await self.driver.dispatch(self.payload(filename, data, locale=locale, **options))


def mention(harness: Harness, text: str) -> str:
    """A message that mentions the bot, as a user types it."""
    assert harness.bot.user is not None
    return f"<@{harness.bot.user.id}> {text}"
