"""/newsbot-admin: reindex, add-article, status.

Two locks on the door: Discord's ``default_permissions(manage_guild=True)`` hides the group
from ordinary members, and every command re-checks the configured admin user/role ids on our
side, because a server admin can grant the commands to anyone through integration overrides.
"""

from __future__ import annotations

import asyncio
import logging
import shutil
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import discord
from discord import app_commands
from discord.ext import commands

from bot.discord_bot.i18n import interaction_language, t
from bot.discord_bot.reindex import JobKind, ReindexBusyError, ReindexJob
from bot.discord_bot.render import code_block, describe_report, describe_status
from bot.discord_bot.replies import (
    NO_MENTIONS,
    RefusedError,
    is_admin,
    reported,
    send_private,
    user_message,
)
from bot.discord_bot.uploads import UploadError, check_content, supported, upload_name
from index.corpus import SUPPORTED_SUFFIXES, read_corpus
from index.metadb import DB_FILE, MetaDB
from index.models import LoadReport
from index.stats import read_stats
from index.store import IndexStore

if TYPE_CHECKING:
    from bot.discord_bot.client import NewsBot

log = logging.getLogger(__name__)


def read_articles(path: Path, field_map: dict[str, str]) -> tuple[list[str], LoadReport]:
    """Article ids a file yields (and why records were skipped); runs in a worker thread."""
    report = LoadReport()
    ids = [article.id for article in read_corpus([path], field_map=field_map, report=report)]
    return ids, report


def indexed_ids(store: IndexStore, ids: list[str]) -> list[str]:
    """Which of ``ids`` the live index already holds (from the corpus or an earlier upload)."""
    directory = store.current()
    if directory is None:
        return []
    db = MetaDB(directory / DB_FILE, readonly=True)
    try:
        return sorted(db.articles(ids))
    finally:
        db.close()


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

    async def interaction_check(self, interaction: discord.Interaction[Any], /) -> bool:
        """Discord hides the group in DMs; this refuses a DM call that gets through anyway."""
        if interaction.guild is None:
            raise app_commands.NoPrivateMessage()
        return True

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
        language = interaction_language(interaction)
        text = t(language, "admin_only")
        if not (settings.admin_user_ids or settings.admin_role_ids):
            text += " " + t(language, "no_admins")
        await send_private(interaction, text)
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
        language = interaction_language(interaction)
        async with reported(interaction, language):
            if await self._refused(interaction, "reindex"):
                return
            kind: JobKind = "full" if mode == "full" else "update"
            job = self._start(kind, None, language)
            await interaction.response.defer(ephemeral=True, thinking=True)
            await self._follow(interaction, job, language, lambda text: text)

    def _start(
        self,
        kind: JobKind,
        paths: list[Path] | None,
        language: str,
        prepare: Callable[[], None] | None = None,
    ) -> ReindexJob:
        try:
            return self.bot.reindexer.start(kind, paths, prepare=prepare)
        except ReindexBusyError as busy:
            progress = busy.job.describe(language)
            raise RefusedError(t(language, "reindex_busy", progress=progress)) from None
        except ValueError:  # the manager's one ValueError: no corpus path exists
            raise RefusedError(t(language, "no_corpus")) from None

    async def _follow(
        self,
        interaction: discord.Interaction[Any],
        job: ReindexJob,
        language: str,
        summarise: Callable[[str], str],
    ) -> None:
        """Edit the ephemeral message with progress until the job ends, then summarise."""
        assert job.task is not None
        editable = True
        while not job.task.done():
            await asyncio.wait({job.task}, timeout=self.bot.progress_interval)
            if not job.task.done() and editable:
                editable = await self._edit(interaction, job.describe(language))
        try:
            report = job.task.result()
        except Exception as exc:  # the caller is a configured admin: the cause is theirs to see
            reason = user_message(exc, language, admin=True)
            text = t(language, "reindex_failed", reason=reason)
        else:
            text = summarise(describe_report(report, language))
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
    @app_commands.describe(
        file="An article file: " + ", ".join(SUPPORTED_SUFFIXES),
        replace="Overwrite an earlier upload or indexed article with the same name or id",
    )
    async def add_article(
        self,
        interaction: discord.Interaction[Any],
        file: discord.Attachment,
        replace: bool = False,
    ) -> None:
        """Add the articles of an attached file to the index, without a full rebuild."""
        language = interaction_language(interaction)
        async with reported(interaction, language):
            if await self._refused(interaction, "add-article"):
                return
            settings = self.bot.settings
            if not supported(file.filename):
                kinds = ", ".join(SUPPORTED_SUFFIXES)
                raise RefusedError(
                    t(language, "upload_unsupported", filename=file.filename, kinds=kinds)
                )
            if file.size > settings.max_upload_bytes:
                raise RefusedError(
                    t(
                        language,
                        "upload_too_big",
                        filename=file.filename,
                        size=f"{file.size:,}",
                        limit=f"{settings.max_upload_bytes:,}",
                    )
                )
            busy = self.bot.reindexer.running
            if busy is not None:
                raise RefusedError(t(language, "upload_busy", progress=busy.describe(language)))
            await interaction.response.defer(ephemeral=True, thinking=True)
            name = upload_name(file.filename)
            target = settings.upload_dir / name
            if target.exists() and not replace:
                raise RefusedError(t(language, "upload_exists", name=name))
            staged = await self._stage(file, name, language)
            try:
                ids = await self._validated(staged, file.filename, language, replace=replace)
                job = self._start("add", [target], language, lambda: _move(staged, target))
            except Exception:
                await asyncio.to_thread(shutil.rmtree, staged.parent, True)
                raise
            await self._follow(interaction, job, language, lambda text: _added(ids, text, language))

    async def _stage(self, file: discord.Attachment, name: str, language: str) -> Path:
        """Download into a hidden staging folder (which full reindexes skip) until validated."""
        data = await file.read()
        settings = self.bot.settings
        if len(data) > settings.max_upload_bytes:
            raise RefusedError(t(language, "upload_over_limit", filename=file.filename))
        staged = settings.upload_dir / ".incoming" / uuid.uuid4().hex / name

        def check_and_write() -> None:
            try:
                check_content(
                    name,
                    data,
                    max_expanded_bytes=settings.max_upload_expanded_bytes,
                    max_line_chars=settings.max_upload_line_chars,
                )
            except UploadError as exc:
                raise RefusedError(exc.message(language)) from None
            staged.parent.mkdir(parents=True, exist_ok=True)
            staged.write_bytes(data)

        await asyncio.to_thread(check_and_write)
        return staged

    async def _validated(
        self, staged: Path, filename: str, language: str, *, replace: bool
    ) -> list[str]:
        """The article ids the file yields; refuses an empty file or ids already indexed."""
        field_map = dict(self.bot.settings.jsonl_field_map)
        ids, load = await asyncio.to_thread(read_articles, staged, field_map)
        if not ids:
            reasons = "; ".join(str(s) for s in load.skipped[:5])
            reasons = reasons or t(language, "upload_no_article")
            raise RefusedError(t(language, "upload_nothing", filename=filename, reasons=reasons))
        if not replace:
            taken = await self.bot.db.run(indexed_ids, self.bot.reindexer.store, ids)
            if taken:
                shown = ", ".join(taken[:5]) + (" …" if len(taken) > 5 else "")
                raise RefusedError(t(language, "upload_taken", ids=shown))
        return ids

    # --- status -------------------------------------------------------------------------------

    @app_commands.command(name="status")
    async def status(self, interaction: discord.Interaction[Any]) -> None:
        """Articles, outlets, dates, model, index size, last build and feedback totals."""
        language = interaction_language(interaction)
        async with reported(interaction, language):
            if await self._refused(interaction, "status"):
                return
            await interaction.response.defer(ephemeral=True, thinking=True)  # SQLite next
            stats = await self.bot.db.run(read_stats, self.bot.reindexer.store.root)
            totals = await self.bot.db.run(self.bot.feedback.totals)
            running = self.bot.reindexer.running
            progress = running.describe(language) if running else None
            text = describe_status(stats, totals, progress, language)
            await send_private(interaction, code_block(text))


def _move(staged: Path, target: Path) -> None:
    """Runs when the job starts: the upload joins the folder full rebuilds read."""
    target.parent.mkdir(parents=True, exist_ok=True)
    staged.replace(target)
    shutil.rmtree(staged.parent, ignore_errors=True)


def _added(ids: list[str], summary: str, language: str) -> str:
    shown = ", ".join(ids[:20])
    if len(ids) > 20:
        shown += t(language, "upload_added_more", count=len(ids) - 20)
    return t(language, "upload_added", count=len(ids), ids=shown) + "\n" + summary


async def setup(bot: NewsBot) -> None:
    await bot.add_cog(AdminCog(bot))
