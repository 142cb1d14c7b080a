"""Turning problems into one short sentence for the user, and tracebacks into the log.

Every path that talks to Discord ends here on failure, so nothing is ever silent and no
traceback ever reaches a channel. Unexpected errors get an id that the user sees and the log
line carries, so a report from a user can be matched to its traceback.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager, suppress
from typing import Any

import discord
from discord import app_commands

from bot.answer.filters import FilterError
from bot.discord_bot.i18n import filter_message, interaction_language, t
from bot.discord_bot.workers import BusyError
from index.errors import IndexBusyError, NewsbotError

log = logging.getLogger(__name__)

NO_MENTIONS = discord.AllowedMentions.none()
REPLY_LIMIT = 2000


class RefusedError(Exception):
    """Bad input or a request we decline; the message is meant for the user as is."""


def is_admin(user: discord.abc.User, user_ids: Sequence[int], role_ids: Sequence[int]) -> bool:
    """Configured ids only: Discord permissions (even Manage Server) are not enough."""
    if user.id in user_ids:
        return True
    roles = user.roles if isinstance(user, discord.Member) else []
    return any(role.id in role_ids for role in roles)


def trim(text: str, limit: int = REPLY_LIMIT) -> str:
    """Discord refuses a message over 2,000 characters: cut rather than lose the reply."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def user_message(error: BaseException, language: str = "en", *, admin: bool = False) -> str:
    """The sentence a user sees for ``error``, in their language.

    Unexpected errors are logged with an id the user sees. A domain error's own text can name
    server paths, so only admins see it; others get the generic sentence and the id.
    """
    if isinstance(error, app_commands.CommandInvokeError):
        error = error.original
    if isinstance(error, RefusedError):
        return trim(str(error))
    if isinstance(error, BusyError):
        return t(language, "busy")
    if isinstance(error, FilterError):
        return trim(filter_message(language, error))
    if isinstance(error, IndexBusyError):
        return t(language, "index_busy")
    if isinstance(error, app_commands.NoPrivateMessage):
        return t(language, "server_only")
    if isinstance(error, app_commands.CheckFailure):
        return t(language, "not_allowed")
    error_id = uuid.uuid4().hex[:8]
    if isinstance(error, NewsbotError):
        log.warning("error %s: %s", error_id, error)
        if admin:
            return trim(t(language, "admin_error", error=error, error_id=error_id))
        return t(language, "error", error_id=error_id)
    log.error("unexpected error %s", error_id, exc_info=error)
    return t(language, "error", error_id=error_id)


def _is_admin_interaction(interaction: discord.Interaction[Any]) -> bool:
    settings = getattr(interaction.client, "settings", None)
    if settings is None:
        return False
    return is_admin(interaction.user, settings.admin_user_ids, settings.admin_role_ids)


async def send_private(interaction: discord.Interaction[Any], content: str) -> None:
    """An ephemeral reply, whether or not the interaction was already answered or deferred."""
    content = trim(content)
    if not interaction.response.is_done():
        await interaction.response.send_message(
            content, ephemeral=True, allowed_mentions=NO_MENTIONS
        )
        return
    await interaction.followup.send(content, ephemeral=True, allowed_mentions=NO_MENTIONS)


async def report_error(
    interaction: discord.Interaction[Any], error: BaseException, language: str | None = None
) -> None:
    """Tell the user (ephemerally) what went wrong, in their language; never raise from here.

    ``language`` is the question's when there is one, else the user's Discord locale decides.
    """
    language = language or interaction_language(interaction)
    text = user_message(error, language, admin=_is_admin_interaction(interaction))
    try:
        if interaction.response.is_done():
            # A public "thinking…" placeholder would turn the error public: remove it first.
            with suppress(discord.HTTPException):
                await interaction.delete_original_response()
        await send_private(interaction, text)
    except discord.HTTPException:
        log.warning("could not deliver an error message to the user", exc_info=True)


@asynccontextmanager
async def reported(
    interaction: discord.Interaction[Any], language: str | None = None
) -> AsyncIterator[None]:
    """Run a command body; any exception becomes an ephemeral reply (and a log line)."""
    try:
        yield
    except Exception as exc:
        await report_error(interaction, exc, language)
