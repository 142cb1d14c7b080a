"""/newsbot-admin: reindex, add-article, status.

Two locks on the door: Discord's ``default_permissions(manage_guild=True)`` hides the group
from ordinary members, and every command re-checks the configured admin user/role ids on our
side, because a server admin can grant the commands to anyone through integration overrides.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import discord
from discord import app_commands
from discord.ext import commands

from bot.discord_bot.reindex import JobKind, ReindexBusyError, ReindexJob
from bot.discord_bot.render import code_block
from bot.discord_bot.replies import NO_MENTIONS, RefusedError, reported, send_private, user_message
from bot.progress import describe_report
from index.corpus import SUPPORTED_SUFFIXES, read_corpus
from index.models import LoadReport
from index.stats import read_stats

if TYPE_CHECKING:
    from bot.discord_bot.client import NewsBot

log = logging.getLogger(__name__)


def is_admin(user: discord.abc.User, user_ids: list[int], role_ids: list[int]) -> bool:
    """Configured ids only: Discord permissions (even Manage Server) are not enough."""
    if user.id in user_ids:
        return True
    roles = user.roles if isinstance(user, discord.Member) else []
    return any(role.id in role_ids for role in roles)


def upload_name(filename: str) -> str:
    """A safe, visible file name that keeps a supported suffix (``.jsonl.gz`` included)."""
    name = re.sub(r"[^A-Za-z0-9._-]+", "_", Path(filename).name).lstrip("._-")
    return name or "article.txt"


def supported(filename: str) -> bool:
    return filename.lower().endswith(SUPPORTED_SUFFIXES)


def read_articles(path: Path, field_map: dict[str, str]) -> tuple[list[str], LoadReport]:
    """Article ids a file yields (and why records were skipped); runs in a worker thread."""
    report = LoadReport()
    ids = [article.id for article in read_corpus([path], field_map=field_map, report=report)]
    return ids, report


@app_commands.default_permissions(manage_guild=True)
@app_commands.guild_only()
class AdminCog(
    commands.GroupCog,
    group_name="newsbot-admin",
    group_description="Manage newsbot's index (configured admins only)",
):
    def __init__(self, bot: NewsBot) -> None:
        self.bot = bot
        super().__init__()

    async def _refused(self, interaction: discord.Interaction[Any], command: str) -> bool:
        settings = self.bot.settings
        if is_admin(interaction.user, settings.admin_user_ids, settings.admin_role_ids):
            return False
        log.warning(
            "refused /newsbot-admin %s for user %s in guild %s: not a configured admin",
            command,
            interaction.user.id,
            interaction.guild.id if interaction.guild else None,
        )
        hint = (
            ""
            if settings.admin_user_ids or settings.admin_role_ids
            else (
                " No admins are configured yet: set NEWSBOT_ADMIN_USER_IDS"
                " or NEWSBOT_ADMIN_ROLE_IDS."
            )
        )
        await send_private(interaction, "Only newsbot's configured admins can do that." + hint)
        return True

    # --- reindex ----------------------------------------------------------------------------

    @app_commands.command(name="reindex")
    @app_commands.describe(
        mode="update: add new or changed articles, drop vanished files; full: rebuild from scratch"
    )
    async def reindex(
        self, interaction: discord.Interaction[Any], mode: Literal["update", "full"] = "update"
    ) -> None:
        """Rebuild or update the index from the configured corpus paths, in the background."""
        async with reported(interaction):
            if await self._refused(interaction, "reindex"):
                return
            kind: JobKind = "full" if mode == "full" else "update"
            job = self._start(kind, None)
            await interaction.response.defer(ephemeral=True, thinking=True)
            await self._follow(interaction, job, lambda text: text)

    def _start(self, kind: JobKind, paths: list[Path] | None) -> ReindexJob:
        try:
            return self.bot.reindexer.start(kind, paths)
        except ReindexBusyError as busy:
            raise RefusedError(
                f"A reindex is already running; try again when it is done.\n{busy.job.describe()}"
            ) from None
        except ValueError as exc:
            raise RefusedError(str(exc)) from None

    async def _follow(
        self,
        interaction: discord.Interaction[Any],
        job: ReindexJob,
        summarise: Callable[[str], str],
    ) -> None:
        """Edit the ephemeral message with progress until the job ends, then summarise."""
        assert job.task is not None
        editable = True
        while not job.task.done():
            await asyncio.wait({job.task}, timeout=self.bot.progress_interval)
            if not job.task.done() and editable:
                editable = await self._edit(interaction, job.describe())
        try:
            report = job.task.result()
        except Exception as exc:
            text = f"Reindex failed: {user_message(exc)}"
        else:
            text = summarise(describe_report(report))
        if not await self._edit(interaction, code_block(text) if "\n" in text else text):
            await self._dm_fallback(interaction, text)

    async def _edit(self, interaction: discord.Interaction[Any], content: str) -> bool:
        """False once the interaction token has expired (15 minutes) or the edit fails."""
        try:
            await interaction.edit_original_response(content=content, allowed_mentions=NO_MENTIONS)
        except discord.HTTPException:
            log.info("cannot edit the reindex message any more", exc_info=True)
            return False
        return True

    async def _dm_fallback(self, interaction: discord.Interaction[Any], text: str) -> None:
        try:
            await interaction.user.send(code_block(text), allowed_mentions=NO_MENTIONS)
        except discord.HTTPException:
            log.warning("reindex finished but its summary could not be delivered:\n%s", text)

    # --- add-article ------------------------------------------------------------------------

    @app_commands.command(name="add-article")
    @app_commands.describe(file="An article file: " + ", ".join(SUPPORTED_SUFFIXES))
    async def add_article(
        self, interaction: discord.Interaction[Any], file: discord.Attachment
    ) -> None:
        """Add the articles of an attached file to the index, without a full rebuild."""
        async with reported(interaction):
            if await self._refused(interaction, "add-article"):
                return
            settings = self.bot.settings
            if not supported(file.filename):
                kinds = ", ".join(SUPPORTED_SUFFIXES)
                raise RefusedError(f"{file.filename} is not a file newsbot reads ({kinds}).")
            if file.size > settings.max_upload_bytes:
                raise RefusedError(
                    f"{file.filename} is {file.size:,} bytes; the limit is "
                    f"{settings.max_upload_bytes:,} (NEWSBOT_MAX_UPLOAD_BYTES)."
                )
            busy = self.bot.reindexer.running
            if busy is not None:
                raise RefusedError(
                    f"A reindex is running; add the file when it is done.\n{busy.describe()}"
                )
            await interaction.response.defer(ephemeral=True, thinking=True)
            incoming = await self._save(file)
            field_map = dict(settings.jsonl_field_map)
            ids, load = await asyncio.to_thread(read_articles, incoming, field_map)
            if not ids:
                incoming.unlink(missing_ok=True)
                reasons = "; ".join(str(s) for s in load.skipped[:5]) or "no article found"
                raise RefusedError(f"Nothing to index in {file.filename}: {reasons}")
            path = settings.upload_dir / incoming.name
            incoming.replace(path)
            job = self._start("add", [path])
            await self._follow(interaction, job, lambda text: _added(ids, text))

    async def _save(self, file: discord.Attachment) -> Path:
        """Download into a hidden staging folder (which full reindexes skip) until validated."""
        data = await file.read()
        if len(data) > self.bot.settings.max_upload_bytes:
            raise RefusedError(f"{file.filename} is larger than the upload limit.")
        name = upload_name(file.filename)
        if not name.lower().endswith(".gz"):
            try:
                data.decode("utf-8")
            except UnicodeDecodeError:
                raise RefusedError(f"{file.filename} is not UTF-8 text.") from None
        staging = self.bot.settings.upload_dir / ".incoming"

        def write() -> Path:
            staging.mkdir(parents=True, exist_ok=True)
            path = staging / name
            path.write_bytes(data)
            return path

        return await asyncio.to_thread(write)

    # --- status -------------------------------------------------------------------------------

    @app_commands.command(name="status")
    async def status(self, interaction: discord.Interaction[Any]) -> None:
        """Articles, outlets, dates, model, index size, last build and feedback totals."""
        async with reported(interaction):
            if await self._refused(interaction, "status"):
                return
            stats = await asyncio.to_thread(read_stats, self.bot.reindexer.store.root)
            totals = await asyncio.to_thread(self.bot.feedback.totals)
            lines = [stats.describe(), f"feedback   {totals.describe()}"]
            running = self.bot.reindexer.running
            lines.append(f"reindex    {running.describe() if running else 'idle'}")
            await send_private(interaction, code_block("\n".join(lines)))


def _added(ids: list[str], summary: str) -> str:
    shown = ", ".join(ids[:20]) + (f" and {len(ids) - 20} more" if len(ids) > 20 else "")
    return f"Indexed {len(ids)} article(s): {shown}\n{summary}"


async def setup(bot: NewsBot) -> None:
    await bot.add_cog(AdminCog(bot))
