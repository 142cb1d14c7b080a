"""`newsbot serve`: check the cheap things first, then load the model and run the bot.

A missing token or index fails in well under a second with one line and exit code 1, before
torch or discord.py are imported. The token is revealed only to ``login`` and is scrubbed from
every log record and error message, in case a library ever echoes it.
"""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path
from typing import TYPE_CHECKING

import click

from bot.cli_common import CommandError, command_settings, handle_errors, index_dir_option
from bot.settings import Settings
from index.errors import NewsbotError

if TYPE_CHECKING:
    from bot.discord_bot.client import NewsBot
    from bot.discord_bot.feedback import FeedbackStore

log = logging.getLogger(__name__)


def redact(text: str, token: str | None) -> str:
    return text.replace(token, "[token]") if token else text


class RedactToken(logging.Filter):
    """Replaces the token in any log record (message, arguments and traceback text)."""

    def __init__(self, token: str) -> None:
        super().__init__()
        self.token = token

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if self.token in message:
            record.msg, record.args = redact(message, self.token), None
        if record.exc_info and self.token in logging.Formatter().formatException(record.exc_info):
            text = logging.Formatter().formatException(record.exc_info)
            record.exc_info, record.exc_text = None, redact(text, self.token)
        return True


def preflight(settings: Settings) -> str:
    """The token, once the token and the index are known to exist; else CommandError at once."""
    from index.store import IndexStore

    token = settings.token()
    if not token or not token.strip():
        raise CommandError(
            "DISCORD_TOKEN is not set; put the bot token in .env (see docs/discord.md)"
        )
    if IndexStore(settings.index_dir).current() is None:
        raise CommandError(
            f"no index in {settings.index_dir}; build one first: "
            f"newsbot index build --index-dir {settings.index_dir} PATHS"
        )
    return token.strip()


def setup_logging(level: str, token: str) -> None:
    import discord

    discord.utils.setup_logging(level=logging.getLevelName(level), root=True)
    for handler in logging.getLogger().handlers:
        handler.addFilter(RedactToken(token))


def build_bot(settings: Settings) -> NewsBot:
    """The composition root for Discord: model, answer service, feedback, reindex manager."""
    from bot.discord_bot.client import NewsBot
    from bot.discord_bot.reindex import ReindexManager
    from bot.runtime import make_answer_service, make_build_config, make_embedder, make_store

    embedder = make_embedder(settings)
    service = make_answer_service(settings, embedder)
    reindexer = ReindexManager(
        make_store(settings),
        embedder,
        make_build_config(settings),
        service,
        [*settings.corpus_paths, settings.upload_dir],
    )
    return NewsBot(
        settings=settings,
        service=service,
        feedback=make_feedback_store(settings),
        reindexer=reindexer,
    )


def make_feedback_store(settings: Settings) -> FeedbackStore:
    """The votes database, keyed by NEWSBOT_FEEDBACK_KEY (unset: a new key for this run)."""
    from bot.discord_bot.feedback import FeedbackStore

    key = settings.feedback_key.get_secret_value().encode() if settings.feedback_key else None
    if key is None:
        log.warning(
            "NEWSBOT_FEEDBACK_KEY is not set: voters are hashed with a key for this run only"
        )
    return FeedbackStore(
        settings.feedback_db, key=key, retention_days=settings.feedback_retention_days
    )


async def run(bot: NewsBot, token: str) -> None:
    """Log in, sync commands (setup_hook has loaded the cogs by then), then connect."""
    async with bot:
        await bot.login(token)
        await bot.sync_commands()
        await bot.connect()


@click.command("serve")
@index_dir_option
@handle_errors
def serve(index_dir: Path | None) -> None:
    """Run the Discord bot (needs DISCORD_TOKEN and a built index).

    \b
    Example:
      newsbot index build data/sample && newsbot serve
    """
    settings = command_settings(index_dir)
    token = preflight(settings)
    setup_logging(settings.log_level, token)
    try:
        bot = build_bot(settings)
        log.info("index loaded; connecting to Discord")
        asyncio.run(run(bot, token))
    except KeyboardInterrupt:
        click.echo("stopped", err=True)
    except NewsbotError as exc:
        raise CommandError(redact(str(exc), token)) from None
    except Exception as exc:  # login and network failures: one line, never a traceback
        raise CommandError(redact(login_problem(exc), token)) from None


def login_problem(exc: Exception) -> str:
    import discord

    if isinstance(exc, discord.LoginFailure):
        return "Discord rejected DISCORD_TOKEN; reset the token in the developer portal"
    if isinstance(exc, discord.PrivilegedIntentsRequired):
        return "Discord refused the requested intents; newsbot needs no privileged intent"
    if isinstance(exc, OSError | discord.GatewayNotFound | discord.ConnectionClosed):
        return f"cannot reach Discord ({type(exc).__name__}: {exc}); check the network"
    log.exception("the bot stopped")
    return f"the bot stopped: {type(exc).__name__}: {exc}"
