"""Asking: /ask, the "Ask newsbot" message menu, @mentions and DMs all share one path.

A question first takes a place in the answering pool (or the user hears at once that the bot is
busy), then the interaction is deferred (Discord allows 3 seconds), then the answer is computed
on an answering thread and sent as an embed with its buttons. In a thread or a DM, a question is
read in the context of the turns before it (``bot.answer.conversation``). An answer to a mention
opens its own thread at once where the bot may (``NEWSBOT_AUTO_THREADS``); elsewhere, and under
/ask, a button offers one.
"""

from __future__ import annotations

import logging
import re
import time
import uuid
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.answer.conversation import contextualise
from bot.answer.filters import parse_filters
from bot.answer.models import Answer
from bot.discord_bot.i18n import interaction_language, language_of, t
from bot.discord_bot.render import answer_embed, answer_text, index_footer, split_message
from bot.discord_bot.replies import (
    NO_MENTIONS,
    RefusedError,
    is_admin,
    reported,
    user_message,
)
from bot.discord_bot.views import answer_key, answer_view, channel_key, continue_in_thread
from bot.discord_bot.workers import BusyError
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

    def check(self, user_id: int, language: str = "en") -> None:
        """Record a question now, or raise a RefusedError saying how long to wait."""
        now = self.clock()
        last = self._last.get(user_id)
        if last is not None and now - last < self.seconds:
            left = self.seconds - (now - last)
            raise RefusedError(t(language, "cooldown", seconds=f"{left:.0f}"))
        self._last[user_id] = now
        if len(self._last) > 10_000:  # forget users whose cooldown has long expired
            self._last = {u: t for u, t in self._last.items() if now - t < self.seconds}


@dataclass(frozen=True)
class Reply:
    answer: Answer
    answer_id: str
    recorded: bool  # False when the feedback store failed: send the answer without 👍/👎


def can_thread(channel: object) -> bool:
    """Threads can start from messages in text and announcement channels (not in threads/DMs)."""
    return isinstance(channel, discord.TextChannel)


def may_open_threads(channel: object, me: discord.Member | None) -> bool:
    """Whether the bot itself may start a public thread here and talk in it (no button needed)."""
    if not isinstance(channel, discord.TextChannel) or me is None:
        return False
    allowed = channel.permissions_for(me)
    return allowed.create_public_threads and allowed.send_messages_in_threads


class AskCog(commands.Cog):
    def __init__(self, bot: NewsBot) -> None:
        self.bot = bot
        self.cooldown = Cooldown(bot.settings.cooldown_seconds)
        self.menu = app_commands.ContextMenu(name="Ask newsbot", callback=self.ask_message)
        self._noticed: dict[int, float] = {}  # user id → when they last got a refusal notice

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
        language = interaction_language(interaction, question)
        async with reported(interaction, language):
            self.check_channel(interaction.channel, language)
            filters = self.filters(since, until, source)
            await self._answer_interaction(
                interaction, question, filters, language, private=private
            )

    @ask.autocomplete("source")
    async def source_autocomplete(
        self, interaction: discord.Interaction[Any], current: str
    ) -> list[app_commands.Choice[str]]:
        needle = current.casefold()
        names = [s for s in self.bot.service.sources() if needle in s.casefold()]
        # Values are capped at 100 characters; bot.answer.filters accepts such a unique prefix.
        return [app_commands.Choice(name=s[:100], value=s[:100]) for s in names[:25]]

    async def ask_message(
        self, interaction: discord.Interaction[Any], message: discord.Message
    ) -> None:
        """Context menu: the message's text is the question."""
        language = interaction_language(interaction, message.content)
        async with reported(interaction, language):
            if not message.content.strip():
                raise RefusedError(t(language, "no_text"))
            self.check_channel(interaction.channel, language)
            await self._answer_interaction(
                interaction, message.content, None, language, private=False
            )

    def filters(self, since: str | None, until: str | None, source: str | None) -> SearchFilters:
        """The shared parser (bot.answer.filters); a FilterError is rendered by replies."""
        return parse_filters(since, until, [source or ""], self.bot.service.sources())

    async def _answer_interaction(
        self,
        interaction: discord.Interaction[Any],
        question: str,
        filters: SearchFilters | None,
        language: str,
        *,
        private: bool,
    ) -> None:
        question = self.checked_question(question, interaction.user.id, language)
        key = self.conversation_key(interaction.channel)
        with self.bot.answers.slot():  # BusyError here: told at once, nothing deferred
            await interaction.response.defer(thinking=True, ephemeral=private)
            reply = await self.answer(question, filters, key)
        view = self.view(reply, thread=not private and can_thread(interaction.channel))
        await interaction.followup.send(
            embed=answer_embed(reply.answer, self.footer(reply.answer.language)),
            view=view or discord.utils.MISSING,
            ephemeral=private,
            allowed_mentions=NO_MENTIONS,
        )

    # --- mentions and DMs -----------------------------------------------------------------

    @commands.Cog.listener()
    async def on_message(self, message: discord.Message) -> None:
        if message.author.bot or self.bot.user is None:
            return
        question = self.question_in(message, self.bot.user.id)
        if question is None or not self.channel_allowed(message.channel):
            return
        language = language_of(question)
        try:
            question = self.checked_question(question, message.author.id, language)
            with self.bot.answers.slot():
                await message.channel.typing()  # one indicator lasts 10 s: longer than an answer
                reply = await self.answer(question, None, self.conversation_key(message.channel))
            await self._reply(message, reply)
        except Exception as exc:
            settings = self.bot.settings
            admin = is_admin(message.author, settings.admin_user_ids, settings.admin_role_ids)
            transient = isinstance(exc, RefusedError | BusyError)
            if transient and not self._may_notice(message.author.id):
                return  # one refusal notice per cooldown window, not one per message
            await self._notice(
                message, user_message(exc, language, admin=admin), transient=transient
            )

    def _may_notice(self, user_id: int) -> bool:
        now = time.monotonic()
        window = max(self.bot.settings.cooldown_seconds, NOTICE_SECONDS)
        last = self._noticed.get(user_id)
        if last is not None and now - last < window:
            return False
        self._noticed[user_id] = now
        if len(self._noticed) > 10_000:
            self._noticed = {u: at for u, at in self._noticed.items() if now - at < window}
        return True

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

    async def _reply(self, message: discord.Message, reply: Reply) -> None:
        """Send the answer; where the bot may, its thread opens at once instead of a button."""
        me = message.guild.me if message.guild is not None else None
        auto = self.bot.settings.auto_threads and may_open_threads(message.channel, me)
        view = self.view(reply, thread=can_thread(message.channel) and not auto)
        footer = self.footer(reply.answer.language)
        sent: discord.Message | None = None  # the message a thread would start from
        if self._can_embed(message):
            embed = answer_embed(reply.answer, footer)
            sent = await message.reply(
                embed=embed, view=view or discord.utils.MISSING, allowed_mentions=NO_MENTIONS
            )
        else:
            parts = split_message(answer_text(reply.answer, footer))
            for number, part in enumerate(parts, start=1):
                last = number == len(parts) and view is not None
                shown = view if last and view is not None else discord.utils.MISSING
                if number == 1:
                    sent = await message.reply(part, view=shown, allowed_mentions=NO_MENTIONS)
                else:
                    await message.channel.send(part, view=shown, allowed_mentions=NO_MENTIONS)
        if auto and sent is not None:
            await self._open_thread(sent, reply)

    async def _open_thread(self, answer: discord.Message, reply: Reply) -> None:
        """The button's path (``continue_in_thread``); a refusal leaves the answer as it is."""
        try:
            await continue_in_thread(self.bot, answer, reply.answer_id, reply.answer.language)
        except discord.HTTPException:
            log.warning(
                "cannot open a thread on answer %s in channel %s; the answer stays without one",
                reply.answer_id,
                answer.channel.id,
                exc_info=True,
            )

    @staticmethod
    def _can_embed(message: discord.Message) -> bool:
        """Threads included: they are not GuildChannels but carry their parent's permissions."""
        channel = message.channel
        if message.guild is None:
            return True
        if isinstance(channel, discord.abc.GuildChannel | discord.Thread):
            return channel.permissions_for(message.guild.me).embed_links
        return True

    # --- shared -----------------------------------------------------------------------------

    def channel_allowed(self, channel: object) -> bool:
        """NEWSBOT_CHANNELS: empty allows every channel; a thread counts as its parent; DMs pass."""
        allowed = self.bot.settings.channels
        if not allowed or isinstance(channel, discord.DMChannel | discord.GroupChannel):
            return True
        if isinstance(channel, discord.Thread):
            return channel.parent_id in allowed or channel.id in allowed
        return getattr(channel, "id", None) in allowed

    def check_channel(self, channel: object, language: str) -> None:
        if channel is not None and not self.channel_allowed(channel):
            listed = ", ".join(f"<#{channel_id}>" for channel_id in self.bot.settings.channels)
            raise RefusedError(t(language, "channel", channels=listed))

    @staticmethod
    def conversation_key(channel: object) -> Hashable | None:
        """Threads and DMs hold a conversation; a plain channel's questions stand alone."""
        if isinstance(channel, discord.Thread | discord.DMChannel):
            return channel_key(channel.id)
        return None

    def checked_question(self, question: str, user_id: int, language: str = "en") -> str:
        """Reject empty or over-long questions, then apply the cooldown (in that order)."""
        text = " ".join(question.split())
        limit = self.bot.settings.max_question_chars
        if not text:
            raise RefusedError(t(language, "empty_question"))
        if len(text) > limit:
            raise RefusedError(t(language, "too_long", length=len(text), limit=limit))
        self.cooldown.check(user_id, language)
        return text

    async def answer(
        self, question: str, filters: SearchFilters | None, key: Hashable | None = None
    ) -> Reply:
        """Answer on an answering thread (inside ``answers.slot()``), remember it, record it.

        In a conversation (``key``), a follow-up carries the earlier turn's names and filters.
        A failing feedback store costs the 👍/👎 buttons, never the answer.
        """
        conversations = self.bot.conversations
        history = conversations.history(key) if key is not None else []
        follow_up = contextualise(question, filters, history)
        answer = await self.bot.answers.run(
            self.bot.service.answer, follow_up.question, filters=follow_up.filters
        )
        answer_id = uuid.uuid4().hex[:16]
        self.bot.recent.add(answer_id, answer)
        conversations.record(answer_key(answer_id), follow_up)
        if key is not None:
            conversations.record(key, follow_up)
        cited = [c.article_id for c in answer.citations]
        try:
            await self.bot.db.run(
                self.bot.feedback.record_answer,
                answer.question,
                answer.text,
                cited,
                abstained=answer.abstained,
                answer_id=answer_id,
            )
        except Exception:
            log.warning("feedback store failed; sending the answer without votes", exc_info=True)
            return Reply(answer, answer_id, recorded=False)
        return Reply(answer, answer_id, recorded=True)

    @staticmethod
    def view(reply: Reply, *, thread: bool) -> discord.ui.View | None:
        return answer_view(
            reply.answer_id,
            reply.answer.language,
            feedback=reply.recorded,
            more=bool(reply.answer.more),
            thread=thread,
        )

    def footer(self, language: str = "en") -> str:
        manifest = self.bot.service.loaded.manifest
        return index_footer(manifest.articles, manifest.built_at, language)


async def setup(bot: NewsBot) -> None:
    await bot.add_cog(AskCog(bot))
