"""👍/👎 buttons that keep working after a restart.

A ``DynamicItem`` matches any button whose ``custom_id`` fits the template, whichever process
sent it, so registering the class once in ``setup_hook`` revives the buttons under every answer
already posted (discord.py's ``examples/views/dynamic_counter.py``).
"""

from __future__ import annotations

import asyncio
import logging
import re
from typing import Any, Protocol, cast

import discord

from bot.discord_bot.feedback import FeedbackStore, UnknownAnswerError, Vote
from bot.discord_bot.replies import reported, send_private

log = logging.getLogger(__name__)

CUSTOM_ID = "newsbot:feedback:{answer_id}:{vote}"
TEMPLATE = r"newsbot:feedback:(?P<answer_id>[0-9a-f]{16}):(?P<vote>up|down)"
EMOJI: dict[Vote, str] = {"up": "👍", "down": "👎"}


class _HasFeedback(Protocol):
    feedback: FeedbackStore


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
        store = cast(_HasFeedback, interaction.client).feedback
        async with reported(interaction):
            try:
                await asyncio.to_thread(store.vote, self.answer_id, interaction.user.id, self.vote)
            except UnknownAnswerError:
                await send_private(interaction, "That answer is no longer on record, sorry.")
                return
            log.info("feedback %s on answer %s", self.vote, self.answer_id)
            await send_private(interaction, f"Thanks for the feedback {EMOJI[self.vote]}")


def feedback_view(answer_id: str) -> discord.ui.View:
    view = discord.ui.View(timeout=None)
    view.add_item(FeedbackButton(answer_id, "up"))
    view.add_item(FeedbackButton(answer_id, "down"))
    return view
