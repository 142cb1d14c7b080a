"""/newsbot-admin add-article through the real CommandTree: names, collisions, bombs, busy."""

from __future__ import annotations

import asyncio
import gzip
import shutil
from pathlib import Path

import discord
import pytest
from discord.ext.test import backend

from index.embedding import SentenceTransformerEmbedder

from .discord_support import (  # noqa: F401  (fixtures)
    GatedEmbedder,
    Harness,
    HarnessFactory,
    Sent,
    Uploader,
    article_file,
    make_driver,
    make_harness_fixture,
)
from .support import SAMPLE_DIR

ADMIN_ID = 4242


def admin(harness: Harness) -> discord.Member:
    return backend.make_member(backend.make_user("owner", "0001", id_num=ADMIN_ID), harness.guild)


def outcome(replies: list[Sent]) -> str:
    """What the admin finally reads: the last edit of the progress message, or the reply."""
    return replies[-1].content


def article(title: str, body: str) -> bytes:
    return f" date 2024-03 {title}\n\n{body}\n\nAPA".encode()


def stored(upload_dir: Path) -> list[str]:
    return sorted(p.name for p in upload_dir.rglob("*") if p.is_file())


@pytest.fixture
async def uploads(
    make_harness: HarnessFactory,
    sample_index_dir: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> Uploader:
    index_dir = tmp_path / "index"
    shutil.copytree(sample_index_dir, index_dir)
    harness: Harness = await make_harness(index_dir=index_dir, admin_user_ids=[ADMIN_ID])
    return Uploader(await make_driver(harness), admin(harness), monkeypatch)


async def test_unicode_names_keep_their_suffix_and_stay_distinct(uploads: Uploader) -> None:
    upload_dir = uploads.harness.settings.upload_dir
    japan = await uploads("日本.txt", article("日本の記事", "東京で会議が開かれた。"))
    assert japan[0].kind == "defer"
    assert "Indexed 1 article(s): 日本" in outcome(japan)
    for name in ("été.txt", "ôté.txt"):  # reduced to ASCII, both used to become "t.txt"
        done = await uploads(name, article(f"Titre {name}", "Un article court."))
        assert f"Indexed 1 article(s): {name.removesuffix('.txt')}" in outcome(done)
    assert stored(upload_dir) == sorted(["été.txt", "ôté.txt", "日本.txt"])


async def test_a_second_upload_with_the_same_name_needs_replace(uploads: Uploader) -> None:
    upload_dir = uploads.harness.settings.upload_dir
    await uploads("été.txt", article("Premier", "La première version."))
    again = await uploads("été.txt", article("Second", "La seconde version."))
    assert "été.txt was uploaded before" in outcome(again) and "replace: True" in outcome(again)
    assert b"premi" in (upload_dir / "été.txt").read_bytes().lower()  # untouched
    replaced = await uploads("été.txt", article("Second", "La seconde version."), replace=True)
    assert "Indexed 1 article(s): été" in outcome(replaced)
    assert b"seconde" in (upload_dir / "été.txt").read_bytes()


async def test_an_upload_cannot_silently_replace_a_corpus_article(uploads: Uploader) -> None:
    [corpus_file] = sorted(SAMPLE_DIR.iterdir())
    clash = await uploads(corpus_file.name, article("Autre chose", "Un autre texte."))
    assert "The index already holds article(s)" in outcome(clash)
    assert stored(uploads.harness.settings.upload_dir) == []


async def test_a_gzip_bomb_and_a_huge_line_are_refused_without_a_trace(
    uploads: Uploader,
) -> None:
    bomb = gzip.compress((b"0" * 99 + b"\n") * 600_000)
    # 60 MB of short lines in a few hundred kB
    assert len(bomb) < uploads.harness.settings.max_upload_bytes
    refused = await uploads("feed.jsonl.gz", bomb)
    assert "decompresses to more than 50,000,000 bytes" in outcome(refused)
    line = b'{"id": "x", "text": "' + b"a" * 1_200_000 + b'"}\n'
    long_line = await uploads("feed.jsonl", line)
    assert "line longer than 1,000,000 characters" in outcome(long_line)
    assert stored(uploads.harness.settings.upload_dir) == []


async def test_an_upload_refused_while_a_reindex_runs_leaves_nothing(
    make_harness: HarnessFactory,
    sample_index_dir: Path,
    real_embedder: SentenceTransformerEmbedder,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    index_dir = tmp_path / "index"
    shutil.copytree(sample_index_dir, index_dir)
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    article_file(corpus / "kita.txt", "Mali : la centrale de Kita", "Akuo Energy construit.")
    gated = GatedEmbedder(real_embedder)
    harness: Harness = await make_harness(
        index_dir=index_dir,
        build_embedder=gated,
        admin_user_ids=[ADMIN_ID],
        corpus_paths=[SAMPLE_DIR, corpus],
    )
    upload = Uploader(await make_driver(harness), admin(harness), monkeypatch)
    job = harness.bot.reindexer.start("full")
    assert await asyncio.to_thread(gated.entered.wait, 60)
    try:
        refused = await upload("été.txt", article("Titre", "Texte."))
        assert "A reindex is running" in outcome(refused)
        assert stored(harness.settings.upload_dir) == []
    finally:
        gated.gate.set()
        assert job.task is not None
        await job.task
