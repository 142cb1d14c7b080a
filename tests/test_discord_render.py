"""Pure rendering: embeds within Discord's limits, text split on paragraphs then sentences."""

from __future__ import annotations

from pathlib import Path

from bot.answer.models import Answer, Citation
from bot.discord_bot.render import (
    EMBED_TOTAL_LIMIT,
    MESSAGE_LIMIT,
    answer_embed,
    answer_text,
    code_block,
    describe_progress,
    describe_report,
    shorten,
    split_message,
)
from bot.progress import describe_report as console_report
from index.builder import BuildProgress, BuildReport
from index.models import SkippedInput


def citation(n: int, quote: str = "Une phrase citée.", url: str | None = None) -> Citation:
    return Citation(n, f"id-{n}", f"Titre [{n}] *gras*", "2023-02", "Outlet", url, quote)


def test_short_answer_keeps_everything_and_links_only_real_urls() -> None:
    answer = Answer(
        "Q ?",
        "fr",
        "Réponse [1] [2].",
        [citation(1, url="https://a.fr/x y"), citation(2, url="journaldebangui")],
        False,
    )
    embed = answer_embed(answer, "footer")
    assert embed.description == "Réponse [1] [2]."
    linked, plain = (f.value or "" for f in embed.fields)
    assert linked.startswith("[Titre \\[1\\] \\*gras\\*](https://a.fr/x%20y)")
    assert plain.startswith("**Titre") and "journaldebangui" not in plain
    assert linked.endswith("> Une phrase citée.")


def test_quotes_are_trimmed_before_the_answer_text() -> None:
    long_quote = "mot " * 400
    answer = Answer(
        "Q ?", "fr", "Réponse. " * 300, [citation(n, long_quote) for n in range(1, 8)], False
    )
    embed = answer_embed(answer, "footer")
    assert len(embed) <= EMBED_TOTAL_LIMIT
    assert embed.description == answer.text  # 2700 chars of answer kept whole
    assert len(embed.fields) == 7 and all("…" in (f.value or "") for f in embed.fields)


def test_shorten_is_a_hard_limit() -> None:
    assert shorten("abc", 3) == "abc"
    assert len(shorten("un deux trois quatre", 10)) <= 10
    assert shorten("un deux trois", 10).endswith("…")
    assert len(shorten("x" * 50, 10)) == 10


def test_split_prefers_paragraphs_then_sentences() -> None:
    paragraph = "Phrase courte. " * 60  # ~900 chars
    text = "\n\n".join([paragraph.strip()] * 5)
    parts = split_message(text)
    assert all(len(p) <= MESSAGE_LIMIT for p in parts)
    assert all(p.startswith("Phrase courte.") and p.endswith("Phrase courte.") for p in parts)
    assert "\n\n".join(parts) == text  # split on paragraph boundaries only

    huge = "Une phrase assez longue pour remplir. " * 120  # one 4500-char paragraph
    parts = split_message(huge.strip())
    assert len(parts) == 3 and all(len(p) <= MESSAGE_LIMIT for p in parts)
    assert all(p.endswith("remplir.") for p in parts)  # cut between sentences
    assert " ".join(parts) == huge.strip()

    unbroken = "x" * 4500
    assert [len(p) for p in split_message(unbroken)] == [2000, 2000, 500]
    assert split_message("") == [] and split_message("court") == ["court"]


def test_corpus_markdown_is_shown_literally() -> None:
    sneaky = "Cliquez [ici](https://evil.example) pour *gagner*."
    answer = Answer("Q ?", "fr", f"« {sneaky} » [1] [12].", [citation(1, quote=sneaky)], False)
    embed = answer_embed(answer, "")
    escaped = "\\[ici\\](https://evil.example) pour \\*gagner\\*."
    assert escaped in (embed.fields[0].value or "")
    assert embed.description == f"« Cliquez {escaped} » [1] [12]."
    assert escaped in answer_text(answer)


def test_plain_text_lists_sources_without_link_previews() -> None:
    answer = Answer("Q ?", "fr", "Réponse [1].", [citation(1, url="https://a.fr/1")], False)
    text = answer_text(answer, "12 articles indexed")
    assert "[1] Titre \\[1\\] \\*gras\\* (Outlet · 2023-02) <https://a.fr/1>" in text
    assert "> Une phrase citée." in text and text.endswith("-# 12 articles indexed")


def test_progress_line_has_percent_rate_and_eta() -> None:
    line = describe_progress(BuildProgress("embedding", 50, 200, 10.0), 12.0)
    assert line == ("Embedding: 25% (50/200 chunks) · 5.0 chunks/s · ETA 30 s · 12 s elapsed")
    assert describe_progress(None, 1.0).startswith("Starting")
    assert "articles/s" in describe_progress(BuildProgress("chunking", 10, 20, 2.0), 3.0)


def test_progress_line_in_french_keeps_the_numbers() -> None:
    line = describe_progress(BuildProgress("embedding", 1500, 2000, 10.0), 12.0, "fr")
    assert line == (
        "Vectorisation : 75 % (1,500/2,000 passages) · 150.0 passages/s · fin prévue dans 3 s "
        "· 12 s écoulées"
    )
    assert describe_progress(None, 1.0, "fr") == "Démarrage… (1 s)"
    assert describe_progress(BuildProgress("reading", 0, 0, 1.0), 2.0, "fr") == (
        "Lecture… (2 s écoulées)"
    )


def test_reindex_summary_reads_as_the_console_in_english_and_is_translated_in_french() -> None:
    skipped = [SkippedInput(f"feed.jsonl:{n}", "no text") for n in range(52)]
    report = BuildReport(
        "update", Path("/srv/index"), articles=3, chunks=9, added=1, unchanged=2,
        embedded_chunks=3, reused_chunks=6, seconds=1.5, skipped=skipped,
    )  # fmt: skip
    assert describe_report(report, "en") == console_report(report)
    french = describe_report(report, "fr").splitlines()
    assert french[:4] == [
        "mise à jour : 3 articles, 9 passages dans /srv/index",
        "  ajoutés 1, modifiés 0, inchangés 2, supprimés 0, doublons ignorés 0",
        "  3 passages vectorisés (6 réutilisés) en 1.5 s : 0.7 articles/s, 2.0 passages/s",
        "  52 entrée(s) ignorée(s) :",
    ]
    assert french[4] == "    feed.jsonl:0: no text" and french[-1] == "    … et 2 de plus"


def test_code_block_fits_one_message() -> None:
    block = code_block("ligne\n" * 1000)
    assert len(block) <= MESSAGE_LIMIT and block.startswith("```\n") and block.endswith("\n```")
