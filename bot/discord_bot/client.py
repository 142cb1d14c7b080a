"""The ``commands.Bot`` subclass: services in through the constructor, cogs in ``setup_hook``.

No prefix commands: the Ask cog's listener answers mentions and DMs itself, which also means
no privileged message-content intent is needed (mentions and DMs carry their content).
"""

from __future__ import annotations

import asyncio
import gc
import logging
from typing import Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.answer.conversation import Conversations
from bot.discord_bot import i18n
from bot.discord_bot.cogs import admin, ask, info
from bot.discord_bot.feedback import FeedbackStore
from bot.discord_bot.i18n import NewsbotTranslator
from bot.discord_bot.reindex import ReindexManager
from bot.discord_bot.replies import NO_MENTIONS, report_error
from bot.discord_bot.service import AnswerBackend
from bot.discord_bot.views import DYNAMIC_ITEMS, RecentAnswers
from bot.discord_bot.workers import AnswerPool, DbPool
from bot.settings import Settings

log = logging.getLogger(__name__)


def minimal_intents() -> discord.Intents:
    """Guild and DM message events (for mentions and DMs); nothing privileged."""
    intents = discord.Intents.none()
    intents.guilds = True
    intents.guild_messages = True
    intents.dm_messages = True
    return intents


class NewsbotTree(app_commands.CommandTree[Any]):
    """Last line of defence: any error a command did not handle becomes an ephemeral reply."""

    async def on_error(
        self, interaction: discord.Interaction[Any], error: app_commands.AppCommandError
    ) -> None:
        await report_error(interaction, error)


class NewsBot(commands.Bot):
    def __init__(
        self,
        *,
        settings: Settings,
        service: AnswerBackend,
        feedback: FeedbackStore,
        reindexer: ReindexManager,
        progress_interval: float = 3.0,
        intents: discord.Intents | None = None,
    ) -> None:
        super().__init__(
            command_prefix=commands.when_mentioned,
            intents=intents or minimal_intents(),
            allowed_mentions=NO_MENTIONS,
            tree_cls=NewsbotTree,
            help_command=None,
        )
        self.settings = settings
        self.service = service
        self.feedback = feedback
        self.reindexer = reindexer
        self.progress_interval = progress_interval  # seconds between reindex progress edits
        # Answers get their own bounded pool (a reindex never takes one of its threads);
        # SQLite its own small one.
        self.answers = AnswerPool(settings.answer_workers, settings.answer_queue)
        self.db = DbPool()
        self.recent = RecentAnswers()
        self.conversations = Conversations(
            turns=settings.conversation_turns, ttl=settings.conversation_minutes * 60
        )

    async def setup_hook(self) -> None:
        # Each cog module's setup(), called directly: load_extension would re-import the
        # module for every bot, giving each its own copy of the cog classes.
        for cog_module in (ask, info, admin):
            await cog_module.setup(self)
        self.add_dynamic_items(*DYNAMIC_ITEMS)  # revives buttons on answers sent before a restart
        await self.tree.set_translator(NewsbotTranslator())
        # Slow first times, paid here rather than on the event loop when questions arrive: the
        # language identifier's load (2 s) and the pools' thread starts.
        await asyncio.to_thread(i18n.warm_up)
        await asyncio.to_thread(self.answers.prestart)
        await asyncio.to_thread(self.db.prestart)
        # The model, the index and discord.py are millions of long-lived objects: a full
        # garbage collection scanning them holds the GIL for a second on a busy host, and the
        # event loop with it. Freezing moves them out of the collector's sight.
        gc.collect()
        gc.freeze()

    async def close(self) -> None:
        await super().close()
        self.answers.shutdown()
        self.db.shutdown()

    async def sync_commands(self) -> None:
        """To the configured guilds (instant), or globally (Discord takes up to an hour)."""
        guild_ids = self.settings.discord_guild_ids
        if not guild_ids:
            synced = await self.tree.sync()
            log.info("synced %d commands globally", len(synced))
            return
        for guild_id in guild_ids:
            guild = discord.Object(id=guild_id)
            self.tree.copy_global_to(guild=guild)
            try:
                synced = await self.tree.sync(guild=guild)
            except discord.HTTPException as exc:
                log.warning(
                    "cannot sync commands to guild %s (is the bot in it, invited with the "
                    "applications.commands scope?): %s",
                    guild_id,
                    exc,
                )
                continue
            log.info("synced %d commands to guild %s", len(synced), guild_id)

    async def on_ready(self) -> None:
        user_id = self.user.id if self.user else "?"
        log.info("logged in as %s (%s) in %d guild(s)", self.user, user_id, len(self.guilds))

    async def on_message(self, message: discord.Message, /) -> None:
        """No prefix commands: the Ask cog's listener handles mentions and DMs."""
