"""Asking: /ask, the "Ask newsbot" message menu, @mentions and DMs all share one path.

Interactions are deferred before any blocking work (Discord allows 3 seconds); the answer is
computed in a worker thread and sent as an embed with feedback buttons.
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.answer.filters import parse_filters
from bot.answer.models import Answer
from bot.discord_bot.render import answer_embed, answer_text, index_footer, split_message
from bot.discord_bot.replies import NO_MENTIONS, RefusedError, reported, user_message
from bot.discord_bot.views import feedback_view
from index.models import SearchFilters

if TYPE_CHECKING:
    from bot.discord_bot.client import NewsBot

log = logging.getLogger(__name__)

NOTICE_SECONDS = 20  # refusals in channels delete themselves: they only matter to the asker


class Cooldown:
    """Per-user minimum interval between questions, shared by every way of asking."""

    def __init__(self, seconds: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.seconds = seconds
        self.clock = clock
        self._last: dict[int, float] = {}

    def check(self, user_id: int) -> None:
        """Record a question now, or raise a RefusedError saying how long to wait."""
        now = self.clock()
        last = self._last.get(user_id)
        if last is not None and now - last < self.seconds:
            left = self.seconds - (now - last)
            raise RefusedError(f"Please wait {left:.0f} s before asking again (cooldown).")
        self._last[user_id] = now
        if len(self._last) > 10_000:  # forget users whose cooldown has long expired
            self._last = {u: t for u, t in self._last.items() if now - t < self.seconds}


class AskCog(commands.Cog):
    def __init__(self, bot: NewsBot) -> None:
        self.bot = bot
        self.cooldown = Cooldown(bot.settings.cooldown_seconds)
        self.menu = app_commands.ContextMenu(name="Ask newsbot", callback=self.ask_message)

    async def cog_load(self) -> None:
        self.bot.tree.add_command(self.menu)

    async def cog_unload(self) -> None:
        self.bot.tree.remove_command(self.menu.name, type=self.menu.type)

    # --- slash command and context menu ---------------------------------------------------

    @app_commands.command(name="ask")
    @app_commands.describe(
        question="Your question, in French or English",
        since="Only articles from this date on (2023, 2023-02 or 2023-02-06)",
        until="Only articles up to this date",
        source="Only this outlet",
        private="Only you see the answer",
    )
    async def ask(
        self,
        interaction: discord.Interaction[Any],
        question: str,
        since: str | None = None,
        until: str | None = None,
        source: str | None = None,
        private: bool = False,
    ) -> None:
        """Ask about the indexed news; the answer quotes and cites its sources."""
        async with reported(interaction):
            filters = self.filters(since, until, source)
            await self._answer_interaction(interaction, question, filters, private=private)

    @ask.autocomplete("source")
    async def source_autocomplete(
        self, interaction: discord.Interaction[Any], current: str
    ) -> list[app_commands.Choice[str]]:
        needle = current.casefold()
        names = [s for s in self.bot.service.sources() if needle in s.casefold()]
        return [app_commands.Choice(name=s[:100], value=s[:100]) for s in names[:25]]

    async def ask_message(
        self, interaction: discord.Interaction[Any], message: discord.Message
    ) -> None:
        """Context menu: the message's text is the question."""
        async with reported(interaction):
            if not message.content.strip():
                raise RefusedError("That message has no text to ask about.")
            await self._answer_interaction(interaction, message.content, None, private=False)

    def filters(self, since: str | None, until: str | None, source: str | None) -> SearchFilters:
        """The shared parser (bot.answer.filters); a FilterError is rendered by replies."""
        return parse_filters(since, until, [source or ""], self.bot.service.sources())

    async def _answer_interaction(
        self,
        interaction: discord.Interaction[Any],
        question: str,
        filters: SearchFilters | None,
        *,
        private: bool,
    ) -> None:
        question = self.checked_question(question, interaction.user.id)
        await interaction.response.defer(thinking=True, ephemeral=private)
        answer, answer_id = await self.answer(question, filters)
        await interaction.followup.send(
            embed=answer_embed(answer, self.footer()),
            view=feedback_view(answer_id),
            ephemeral=private,
            allowed_mentions=NO_MENTIONS,
        )

    # --- mentions and DMs -----------------------------------------------------------------

    @commands.Cog.listener()
    async def on_message(self, message: discord.Message) -> None:
        if message.author.bot or self.bot.user is None:
            return
        question = self.question_in(message, self.bot.user.id)
        if question is None:
            return
        try:
            question = self.checked_question(question, message.author.id)
            await message.channel.typing()  # one indicator lasts 10 s: longer than an answer
            answer, answer_id = await self.answer(question, None)
            await self._reply(message, answer, answer_id)
        except Exception as exc:
            await self._notice(message, user_message(exc), transient=isinstance(exc, RefusedError))

    @staticmethod
    async def _notice(message: discord.Message, text: str, *, transient: bool) -> None:
        """Messages cannot be ephemeral: in channels, refusals delete themselves instead."""
        try:
            if transient and message.guild is not None:
                await message.reply(text, allowed_mentions=NO_MENTIONS, delete_after=NOTICE_SECONDS)
            else:
                await message.reply(text, allowed_mentions=NO_MENTIONS)
        except discord.HTTPException:
            log.warning("could not reply in channel %s", message.channel.id, exc_info=True)

    @staticmethod
    def question_in(message: discord.Message, bot_id: int) -> str | None:
        """The question a message asks us: any DM, or a channel message that mentions us."""
        if message.guild is not None and not any(u.id == bot_id for u in message.mentions):
            return None
        return re.sub(rf"<@!?{bot_id}>", " ", message.content).strip()

    async def _reply(self, message: discord.Message, answer: Answer, answer_id: str) -> None:
        view = feedback_view(answer_id)
        footer = self.footer()
        if self._can_embed(message):
            embed = answer_embed(answer, footer)
            await message.reply(embed=embed, view=view, allowed_mentions=NO_MENTIONS)
            return
        parts = split_message(answer_text(answer, footer))
        for number, part in enumerate(parts, start=1):
            last = number == len(parts)
            if number == 1:
                await message.reply(
                    part, view=view if last else discord.utils.MISSING, allowed_mentions=NO_MENTIONS
                )
            else:
                await message.channel.send(
                    part, view=view if last else discord.utils.MISSING, allowed_mentions=NO_MENTIONS
                )

    @staticmethod
    def _can_embed(message: discord.Message) -> bool:
        if message.guild is None or not isinstance(message.channel, discord.abc.GuildChannel):
            return True
        return message.channel.permissions_for(message.guild.me).embed_links

    # --- shared -----------------------------------------------------------------------------

    def checked_question(self, question: str, user_id: int) -> str:
        """Reject empty or over-long questions, then apply the cooldown (in that order)."""
        text = " ".join(question.split())
        limit = self.bot.settings.max_question_chars
        if not text:
            raise RefusedError(
                "Ask me a question, e.g. “Quand l'ambassadeur de France a-t-il été expulsé ?”"
            )
        if len(text) > limit:
            raise RefusedError(
                f"Your question is {len(text)} characters long; the limit is {limit}. "
                "Shorten it and ask again."
            )
        self.cooldown.check(user_id)
        return text

    async def answer(self, question: str, filters: SearchFilters | None) -> tuple[Answer, str]:
        """Answer off the event loop and record it for feedback; returns (answer, answer id)."""
        answer = await asyncio.to_thread(self.bot.service.answer, question, filters=filters)
        cited = [c.article_id for c in answer.citations]
        answer_id = await asyncio.to_thread(
            self.bot.feedback.record_answer,
            answer.question,
            answer.text,
            cited,
            abstained=answer.abstained,
        )
        return answer, answer_id

    def footer(self) -> str:
        manifest = self.bot.service.loaded.manifest
        return index_footer(manifest.articles, manifest.built_at)


async def setup(bot: NewsBot) -> None:
    await bot.add_cog(AskCog(bot))
