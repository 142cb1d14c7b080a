"""Pure rendering: Answer → embed or plain text within Discord's limits; admin reports.

Limits are met by trimming quotes (then the answer text, then dropping the last sources), never
by failing: Discord rejects an over-long message outright, which would leave the user with
nothing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import discord

from bot.answer.models import Answer, Citation
from bot.discord_bot.feedback import FeedbackTotals
from bot.discord_bot.i18n import STRINGS, t
from bot.progress import UNITS
from index.builder import BuildProgress, BuildReport
from index.stats import IndexStats, human_bytes

TITLE_LIMIT = 256
DESCRIPTION_LIMIT = 4096
FIELD_NAME_LIMIT = 256
FIELD_VALUE_LIMIT = 1024
FIELD_COUNT_LIMIT = 25
FOOTER_LIMIT = 2048
EMBED_TOTAL_LIMIT = 6000
MESSAGE_LIMIT = 2000
MIN_QUOTE = 40  # below this a quote says nothing; trim the answer text instead
URL_LIMIT = 512  # a longer link would be cut by the field limit and break: show the title only

ANSWER_COLOUR = discord.Colour.blurple()
ABSTAIN_COLOUR = discord.Colour.light_grey()

_SENTENCE_END = re.compile(r"(?<=[.!?…»])\s+")
_MARKDOWN = re.compile(r"([\\*_~|`\[\]])")


def shorten(text: str, limit: int) -> str:
    """Cut at a word boundary and mark the cut with an ellipsis; ``limit`` is a hard maximum."""
    if len(text) <= limit:
        return text
    if limit <= 1:
        return "…"[:limit]
    cut = text[: limit - 1]
    space = cut.rfind(" ")
    if space > limit // 2:
        cut = cut[:space]
    return cut.rstrip() + "…"


def escape(text: str) -> str:
    """Corpus text is shown literally: no bold, no masked links smuggled in by an article."""
    return _MARKDOWN.sub(r"\\\1", text)


def escape_answer(text: str) -> str:
    """The answer text is corpus text too; only its [n] markers keep their brackets."""
    return re.sub(r"\\\[(\d+)\\\]", r"[\1]", escape(text))


def is_link(url: str | None) -> bool:
    """An http(s) URL short enough to survive Discord's limits intact."""
    return bool(url) and str(url).startswith(("http://", "https://")) and len(str(url)) <= URL_LIMIT


def _link(title: str, url: str | None) -> str:
    text = escape(title)
    if url is None or not is_link(url):
        return f"**{text}**"
    return f"[{text}]({url.replace(')', '%29').replace(' ', '%20')})"


def _field_name(citation: Citation, language: str = "en") -> str:
    date = citation.date or t(language, "undated")
    source = citation.source or t(language, "unknown_outlet")
    return shorten(f"[{citation.n}] {source} · {date}", FIELD_NAME_LIMIT)


def _field_value(citation: Citation, quote_limit: int) -> str:
    head = _link(shorten(citation.title or citation.article_id, 200), citation.url)
    room = max(0, min(quote_limit, FIELD_VALUE_LIMIT - len(head) - 3))
    quote = escape(shorten(" ".join(citation.quote.split()), room))
    return shorten(f"{head}\n> {quote}" if quote else head, FIELD_VALUE_LIMIT)


@dataclass(frozen=True)
class _Parts:
    title: str
    description: str
    footer: str
    fields: list[tuple[str, str]]

    @property
    def size(self) -> int:
        return (
            len(self.title)
            + len(self.description)
            + len(self.footer)
            + sum(len(n) + len(v) for n, v in self.fields)
        )


def _parts(answer: Answer, footer: str, quote_limit: int, description_limit: int) -> _Parts:
    citations = answer.citations[:FIELD_COUNT_LIMIT]
    return _Parts(
        title=shorten(answer.question, TITLE_LIMIT),
        description=shorten(escape_answer(answer.text), description_limit),
        footer=shorten(footer, FOOTER_LIMIT),
        fields=[(_field_name(c, answer.language), _field_value(c, quote_limit)) for c in citations],
    )


def _fit(answer: Answer, footer: str) -> _Parts:
    """Shrink quotes first, then the answer text, then drop trailing sources until it fits."""
    longest = max((len(c.quote) for c in answer.citations), default=0)
    quote_limit = FIELD_VALUE_LIMIT
    parts = _parts(answer, footer, quote_limit, DESCRIPTION_LIMIT)
    while parts.size > EMBED_TOTAL_LIMIT and min(quote_limit, longest) > MIN_QUOTE:
        quote_limit = max(MIN_QUOTE, int(min(quote_limit, longest) * 0.8))
        parts = _parts(answer, footer, quote_limit, DESCRIPTION_LIMIT)
    if parts.size > EMBED_TOTAL_LIMIT:
        room = len(parts.description) - (parts.size - EMBED_TOTAL_LIMIT)
        parts = _parts(answer, footer, quote_limit, max(200, room))
    fields = list(parts.fields)
    while fields and parts.size > EMBED_TOTAL_LIMIT:
        fields.pop()
        parts = _Parts(parts.title, parts.description, parts.footer, fields)
    return parts


def answer_embed(answer: Answer, footer: str) -> discord.Embed:
    """The embed for /ask, mentions and DMs: text with [n] markers, one field per source."""
    parts = _fit(answer, footer)
    embed = discord.Embed(
        title=parts.title,
        description=parts.description,
        colour=ABSTAIN_COLOUR if answer.abstained else ANSWER_COLOUR,
    )
    for name, value in parts.fields:
        embed.add_field(name=name, value=value, inline=False)
    if parts.footer:
        embed.set_footer(text=parts.footer)
    return embed


def index_footer(articles: int, built_at: str, language: str = "en") -> str:
    when = built_at.replace("T", " ").removesuffix("Z")[:16]
    return t(language, "footer", articles=articles, when=when)


def _citation_lines(citations: list[Citation]) -> list[str]:
    lines = []
    for c in citations:
        meta = escape(" · ".join(part for part in (c.source, c.date) if part))
        url = f" <{c.url}>" if c.url and is_link(c.url) else ""
        title = escape(shorten(c.title or c.article_id, 200))
        lines.append(f"[{c.n}] {title}" + (f" ({meta})" if meta else "") + url)
        if c.quote:
            lines.append(f"> {escape(shorten(' '.join(c.quote.split()), 400))}")
    return lines


def answer_text(answer: Answer, footer: str = "") -> str:
    """Plain-text form for channels where the bot may not embed links; split it before sending."""
    heading = t(answer.language, "closest_heading" if answer.abstained else "sources_heading")
    text = escape_answer(answer.text)
    lines = [text, "", heading] if answer.citations else [text]
    lines += _citation_lines(answer.citations)
    if footer:
        lines += ["", f"-# {footer}"]
    return "\n".join(lines)


def more_text(answer: Answer, limit: int = MESSAGE_LIMIT) -> str:
    """The "more sources" reply: the next ranked articles, each with its best sentence."""
    if not answer.more:
        return t(answer.language, "more_none")
    heading = t(answer.language, "more_heading", question=escape(shorten(answer.question, 200)))
    text = heading
    for citation in answer.more:  # whole entries only, as many as fit in one message
        entry = "\n".join(_citation_lines([citation]))
        if len(text) + 1 + len(entry) > limit:
            break
        text += "\n" + entry
    return text


def split_message(text: str, limit: int = MESSAGE_LIMIT) -> list[str]:
    """Split into messages of at most ``limit`` characters: on paragraphs, then sentences.

    A single sentence longer than the limit is cut at a space (or anywhere, as a last resort).
    """
    if len(text) <= limit:
        return [text] if text.strip() else []
    pieces: list[tuple[str, str]] = []  # (separator before it, text)
    for paragraph in text.split("\n\n"):
        if len(paragraph) <= limit:
            pieces.append(("\n\n", paragraph))
            continue
        for number, sentence in enumerate(_SENTENCE_END.split(paragraph)):
            for part, chunk in enumerate(_hard_split(sentence, limit)):
                pieces.append(("\n\n" if number == part == 0 else " ", chunk))
    return _pack(pieces, limit)


def _hard_split(text: str, limit: int) -> list[str]:
    out: list[str] = []
    while len(text) > limit:
        cut = text.rfind(" ", 0, limit + 1)
        cut = cut if cut > 0 else limit
        out.append(text[:cut])
        text = text[cut:].lstrip(" ")
    out.append(text)
    return out


def _pack(pieces: list[tuple[str, str]], limit: int) -> list[str]:
    """Greedily join pieces back with their original separator while they fit."""
    messages: list[str] = []
    current = ""
    for separator, piece in pieces:
        if not piece.strip():
            continue
        if current and len(current) + len(separator) + len(piece) <= limit:
            current += separator + piece
        else:
            if current:
                messages.append(current)
            current = piece
    if current:
        messages.append(current)
    return messages


def describe_progress(
    progress: BuildProgress | None, started_seconds: float, language: str = "en"
) -> str:
    """One line for the ephemeral reindex message: phase, percent, rate, ETA."""
    if progress is None:
        return t(language, "progress_starting", seconds=f"{started_seconds:.0f}")
    phase = _phase(progress.phase, language)
    if not progress.total:
        return t(language, "progress_phase", phase=phase, seconds=f"{started_seconds:.0f}")
    unit = t(language, "unit_" + UNITS.get(progress.phase, "items"))
    eta = (
        t(language, "eta", duration=_duration(progress.eta))
        if progress.eta is not None
        else t(language, "eta_unknown")
    )
    return t(
        language,
        "progress_line",
        phase=phase,
        percent=f"{100 * progress.done / progress.total:.0f}",
        done=f"{progress.done:,}",
        total=f"{progress.total:,}",
        unit=unit,
        rate=f"{progress.rate:.1f}",
        eta=eta,
        seconds=f"{started_seconds:.0f}",
    )


def _phase(phase: str, language: str) -> str:
    """A build phase's name; one the tables do not know yet is shown as the builder names it."""
    key = "phase_" + phase
    return t(language, key) if key in STRINGS else phase.capitalize()


def describe_report(report: BuildReport, language: str = "en") -> str:
    """The summary after a reindex; in English it reads as ``bot.progress.describe_report``."""
    lines = [
        t(
            language,
            "report_head",
            mode=t(language, "mode_" + report.mode),
            articles=report.articles,
            chunks=report.chunks,
            index_dir=report.index_dir,
        ),
        t(
            language,
            "report_changes",
            added=report.added,
            updated=report.updated,
            unchanged=report.unchanged,
            removed=report.removed,
            duplicates=report.duplicates,
        ),
        t(
            language,
            "report_speed",
            embedded=report.embedded_chunks,
            reused=report.reused_chunks,
            seconds=f"{report.seconds:.1f}",
            articles_rate=f"{report.articles_per_second:.1f}",
            chunks_rate=f"{report.chunks_per_second:.1f}",
        ),
    ]
    if report.skipped:
        lines.append(t(language, "report_skipped", count=len(report.skipped)))
        lines += [f"    {item}" for item in report.skipped[:50]]
        if len(report.skipped) > 50:
            lines.append(t(language, "report_more_skipped", count=len(report.skipped) - 50))
    return "\n".join(lines)


def describe_status(
    stats: IndexStats,
    feedback: FeedbackTotals,
    reindex: str | None,
    language: str = "en",
    max_outlets: int = 10,
) -> str:
    """/newsbot-admin status: in English, ``newsbot index stats`` plus feedback and reindex.

    ``reindex`` is the running job's progress line, None when idle. Labels form one column.
    """
    outlets = ", ".join(f"{s} ({n})" for s, n in stats.outlets[:max_outlets])
    if len(stats.outlets) > max_outlets:
        outlets += t(language, "status_more_outlets", count=len(stats.outlets) - max_outlets)
    dates = f"{stats.date_min} … {stats.date_max}" if stats.date_min else ""
    backend = stats.backend
    if stats.collection:
        backend += t(
            language, "status_collection", collection=stats.collection, server=stats.server
        )
    rows = [
        ("status_index", f"{stats.index_dir} ({stats.generation})"),
        ("status_articles", str(stats.articles)),
        ("status_chunks", str(stats.chunks)),
        (
            "status_model",
            t(language, "status_model_value", model=stats.model, dimension=stats.dimension),
        ),
        ("status_size", human_bytes(stats.size_bytes)),
        (
            "status_built",
            t(
                language,
                "status_built_value",
                when=stats.built_at,
                seconds=f"{stats.build_seconds:.1f}",
            ),
        ),
        ("status_dates", dates or t(language, "status_no_dates")),
        ("status_languages", ", ".join(f"{k} {v}" for k, v in stats.languages.items())),
        ("status_outlets", outlets or t(language, "status_no_outlets")),
        ("status_backend", backend),
        ("status_cleaned", _cleaning(stats.cleaning, language)),
        (
            "status_feedback",
            t(
                language,
                "status_feedback_value",
                answers=feedback.answers,
                up=feedback.up,
                down=feedback.down,
            ),
        ),
        ("status_reindex", reindex or t(language, "status_idle")),
    ]
    labels = [t(language, key) for key, _ in rows]
    width = max(map(len, labels)) + 2
    return "\n".join(
        f"{label.ljust(width)}{value}" for label, (_, value) in zip(labels, rows, strict=True)
    )


def _cleaning(report: dict[str, Any], language: str) -> str:
    """What the build's cleaning removed, as ``index.stats`` words it for the console."""
    if not report:
        return t(language, "status_cleaned_unknown")
    before = int(report.get("chars_before") or 0)
    removed = int(report.get("chars_removed") or 0)
    return t(
        language,
        "status_cleaned_value",
        removed=f"{removed:,}",
        changed=report.get("articles_changed", 0),
        articles=report.get("articles", 0),
        share=f" ({100 * removed / before:.1f}%)" if before else "",
    )


def _duration(seconds: float | None) -> str:
    if seconds is None:
        return "unknown"
    if seconds < 90:
        return f"{seconds:.0f} s"
    return f"{seconds / 60:.0f} min"


def code_block(text: str, limit: int = MESSAGE_LIMIT) -> str:
    """Monospace block trimmed to fit one message."""
    body = text.replace("```", "'''")
    room = limit - len("```\n\n```")
    if len(body) > room:
        body = body[: room - 2].rstrip() + "\n…"
    return f"```\n{body}\n```"
