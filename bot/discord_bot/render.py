"""Pure rendering: Answer → embed or plain text within Discord's limits.

Limits are met by trimming quotes (then the answer text, then dropping the last sources), never
by failing: Discord rejects an over-long message outright, which would leave the user with
nothing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import discord

from bot.answer.models import Answer, Citation
from bot.discord_bot.i18n import t
from bot.progress import UNITS
from index.builder import BuildProgress

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


def describe_progress(progress: BuildProgress | None, started_seconds: float) -> str:
    """One line for the ephemeral reindex message: phase, percent, rate, ETA."""
    if progress is None:
        return f"Starting… ({started_seconds:.0f} s)"
    unit = UNITS.get(progress.phase, "items")
    if not progress.total:
        return f"{progress.phase.capitalize()}… ({started_seconds:.0f} s elapsed)"
    percent = 100 * progress.done / progress.total
    eta = f"ETA {_duration(progress.eta)}" if progress.eta is not None else "ETA unknown"
    return (
        f"{progress.phase.capitalize()}: {percent:.0f}% ({progress.done:,}/{progress.total:,} "
        f"{unit}) · {progress.rate:.1f} {unit}/s · {eta} · {started_seconds:.0f} s elapsed"
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
