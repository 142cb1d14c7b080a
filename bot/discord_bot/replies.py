"""Turning problems into one short sentence for the user, and tracebacks into the log.

Every path that talks to Discord ends here on failure, so nothing is ever silent and no
traceback ever reaches a channel. Unexpected errors get an id that the user sees and the log
line carries, so a report from a user can be matched to its traceback.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress
from typing import Any

import discord
from discord import app_commands

from bot.answer.filters import FilterError
from index.errors import IndexBusyError, NewsbotError

log = logging.getLogger(__name__)

NO_MENTIONS = discord.AllowedMentions.none()


class RefusedError(Exception):
    """Bad input or a request we decline; the message is meant for the user as is."""


def user_message(error: BaseException) -> str:
    """The sentence a user sees for ``error``; unexpected errors are logged with an id."""
    if isinstance(error, app_commands.CommandInvokeError):
        error = error.original
    if isinstance(error, RefusedError):
        return str(error)
    if isinstance(error, FilterError):
        return f"`{error.field}`: {error}."
    if isinstance(error, IndexBusyError):
        return "The index is being rebuilt by another process; try again in a few minutes."
    if isinstance(error, NewsbotError):
        return str(error)
    if isinstance(error, app_commands.NoPrivateMessage):
        return "This command only works in a server."
    if isinstance(error, app_commands.CheckFailure):
        return "You are not allowed to use this command."
    error_id = uuid.uuid4().hex[:8]
    log.error("unexpected error %s", error_id, exc_info=error)
    return f"Something went wrong on my side (error id `{error_id}`); please try again later."


async def send_private(interaction: discord.Interaction[Any], content: str) -> None:
    """An ephemeral reply, whether or not the interaction was already answered or deferred."""
    if not interaction.response.is_done():
        await interaction.response.send_message(
            content, ephemeral=True, allowed_mentions=NO_MENTIONS
        )
        return
    await interaction.followup.send(content, ephemeral=True, allowed_mentions=NO_MENTIONS)


async def report_error(interaction: discord.Interaction[Any], error: BaseException) -> None:
    """Tell the user (ephemerally) what went wrong; never raise from here."""
    text = user_message(error)
    try:
        if interaction.response.is_done():
            # A public "thinking…" placeholder would turn the error public: remove it first.
            with suppress(discord.HTTPException):
                await interaction.delete_original_response()
        await send_private(interaction, text)
    except discord.HTTPException:
        log.warning("could not deliver an error message to the user", exc_info=True)


@asynccontextmanager
async def reported(interaction: discord.Interaction[Any]) -> AsyncIterator[None]:
    """Run a command body; any exception becomes an ephemeral reply (and a log line)."""
    try:
        yield
    except Exception as exc:
        await report_error(interaction, exc)
