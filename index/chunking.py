"""Cut an article into passages the embedding model can read whole.

Chunks are made of whole sentences so a retrieved passage never starts or ends mid-thought. Only
a sentence longer than a whole chunk is cut, at word boundaries. Consecutive chunks may repeat a
sentence or two (``overlap_words``); by default they do not, since the reader reads whole
articles, not chunks, so a fact straddling a cut is still read in one piece. Overlap made news
builds 1.08x slower (7% more tokens) for the same recall@5 on the three dev sets
(benchmarks/README.md, "Chunk overlap dropped"). With a token counter, every chunk (title
included, as the model sees it) is also kept within the model's limit, since text beyond it
would be silently truncated and never searchable.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

from index.models import Article, Chunk, chunk_id
from index.sentences import sentence_spans

logger = logging.getLogger(__name__)

_WORD = re.compile(r"\S+")
# Subword tokenizers emit at most one token per UTF-8 byte (byte fallback), plus a few special
# tokens: text shorter than this in bytes cannot exceed the limit, so it is not worth counting.
_SPECIAL_TOKENS = 8

#: Tokens in each text as the model reads it, special tokens included (``Embedder.count_tokens``).
TokenCounter = Callable[[Sequence[str]], list[int]]


#: Which way of cutting articles an index's chunks come from (its manifest records it). Bump it
#: when a change to sentence splitting, packing or language detection changes an article's
#: chunks: an update then chunks every article again instead of keeping the chunks it stored.
CHUNKER_VERSION = 1


@dataclass(frozen=True)
class ChunkingConfig:
    """How big chunks are. ``max_tokens`` is the model's limit, special tokens included."""

    max_words: int = 100  # setting NEWSBOT_CHUNK_SIZE
    overlap_words: int = 0  # setting NEWSBOT_CHUNK_OVERLAP
    max_tokens: int | None = None

    def __post_init__(self) -> None:
        if self.max_words < 1:
            raise ValueError(f"max_words={self.max_words} must be at least 1 (NEWSBOT_CHUNK_SIZE)")
        if not 0 <= self.overlap_words < self.max_words:
            raise ValueError(
                f"overlap_words={self.overlap_words} must be between 0 and max_words - 1 "
                f"= {self.max_words - 1} (NEWSBOT_CHUNK_OVERLAP < NEWSBOT_CHUNK_SIZE)"
            )
        if self.max_tokens is not None and self.max_tokens < 1:
            raise ValueError(f"max_tokens={self.max_tokens} must be at least 1")

    def record(self) -> dict[str, int | None]:
        """What an index's manifest keeps of how its chunks were cut: an article stored under an
        equal record, with the same text and title, would be cut into the same chunks again."""
        return {
            "max_words": self.max_words,
            "overlap_words": self.overlap_words,
            "max_tokens": self.max_tokens,
            "version": CHUNKER_VERSION,
        }


@dataclass(frozen=True, slots=True)
class _Unit:
    """A sentence, or a piece of one too long for a chunk: what chunks are packed from."""

    start: int
    end: int
    words: int


def chunk_article(
    article: Article,
    config: ChunkingConfig,
    *,
    language: str = "fr",
    count_tokens: TokenCounter | None = None,
) -> list[Chunk]:
    """Split ``article.text`` into chunks of whole sentences, in article order.

    Each chunk holds at most ``config.max_words`` words and starts with the last sentences of the
    previous one (at most ``config.overlap_words`` words). When ``count_tokens`` and
    ``config.max_tokens`` are both given, every chunk's ``embedding_text()`` is at most
    ``max_tokens`` tokens long, unless a single word with the title already exceeds it.
    """
    units = _units(article.text, language, config.max_words)
    fits: Callable[[int, int], bool] = _always_fits
    if count_tokens is not None and config.max_tokens is not None:
        fits = _token_check(article, count_tokens, config.max_tokens)
    return [
        Chunk(
            id=chunk_id(article.content_hash, start, end),
            article_id=article.id,
            text=article.text[start:end],
            start=start,
            end=end,
            title=article.title,
        )
        for start, end in _pack(article, units, config, fits)
    ]


def chunk_articles(
    articles: Sequence[tuple[Article, str]],
    config: ChunkingConfig,
    *,
    count_tokens: TokenCounter | None = None,
) -> list[list[Chunk]]:
    """``chunk_article`` of each (article, language), with one tokenizer call for them all.

    Packed by words alone, nearly every chunk is already within the model's limit (100-word
    chunks average 165-186 tokens of 256). So every article is packed by words, all the chunks are
    counted in one call (half the time of one call per chunk: the tokenizer's per-call cost is
    paid once, and a fast tokenizer uses every core), and only an article with a chunk over the
    limit is packed again, counting as it goes. The chunks are the same as ``chunk_article``'s.
    """
    by_words = [chunk_article(article, config, language=language) for article, language in articles]
    if count_tokens is None or config.max_tokens is None:
        return by_words
    limit = config.max_tokens
    texts, owners = [], []
    for owner, chunks in enumerate(by_words):
        for chunk in chunks:
            text = chunk.embedding_text()
            if not _surely_fits(text, limit):
                texts.append(text)
                owners.append(owner)
    counts = count_tokens(texts) if texts else []
    for owner in sorted({owner for owner, n in zip(owners, counts, strict=True) if n > limit}):
        article, language = articles[owner]
        by_words[owner] = chunk_article(
            article, config, language=language, count_tokens=count_tokens
        )
    return by_words


def _always_fits(start: int, end: int) -> bool:
    return True


def _surely_fits(text: str, max_tokens: int) -> bool:
    """True when ``text`` is too short in bytes to exceed ``max_tokens``: no need to count."""
    return len(text.encode()) + _SPECIAL_TOKENS <= max_tokens


def _token_check(
    article: Article, count_tokens: TokenCounter, max_tokens: int
) -> Callable[[int, int], bool]:
    """Whether the span, as the model will see it (with the title), is within ``max_tokens``."""

    def fits(start: int, end: int) -> bool:
        chunk = Chunk(0, article.id, article.text[start:end], start, end, article.title)
        seen = chunk.embedding_text()
        return _surely_fits(seen, max_tokens) or count_tokens([seen])[0] <= max_tokens

    return fits


def _units(text: str, language: str, max_words: int) -> list[_Unit]:
    """Sentences with their word counts; a sentence over ``max_words`` becomes several units."""
    units: list[_Unit] = []
    for start, end in sentence_spans(text, language):
        words = [(match.start(), match.end()) for match in _WORD.finditer(text, start, end)]
        units.extend(_word_pieces(words, max_words))
    return units


def _word_pieces(words: list[tuple[int, int]], max_words: int) -> Iterator[_Unit]:
    """Cut a run of words into the fewest pieces of at most ``max_words``, of near-equal size."""
    pieces = -(-len(words) // max_words)
    for index in range(pieces):
        lo = index * len(words) // pieces
        hi = (index + 1) * len(words) // pieces
        yield _Unit(words[lo][0], words[hi - 1][1], hi - lo)


def _pack(
    article: Article, units: list[_Unit], config: ChunkingConfig, fits: Callable[[int, int], bool]
) -> Iterator[tuple[int, int]]:
    """Greedily fill chunks with units, stepping back by the overlap after each one.

    ``first`` is the first unit the previous chunk did not hold: every chunk includes it, which
    guarantees progress and that no chunk is contained in the one before. ``units`` may grow when
    a unit alone is over the token limit and gets halved.
    """
    start, first = 0, 0
    while first < len(units):
        end = _fill(units, start, first, config.max_words)
        while not fits(units[start].start, units[end - 1].end):
            if end - 1 > first:  # drop a new unit from the tail...
                end -= 1
            elif start < first:  # ...then the overlap from the head...
                start += 1
            elif not _halve(article.text, units, first):  # ...then cut the last unit in two
                logger.warning("article %s: a single word exceeds the token limit", article.id)
                break
            else:
                end = first + 1
        yield units[start].start, units[end - 1].end
        start, first = _overlap_start(units, start, end, config), end


def _fill(units: list[_Unit], start: int, first: int, max_words: int) -> int:
    """End (exclusive) of the longest run from ``start`` within ``max_words``, past ``first``."""
    words = sum(unit.words for unit in units[start:first])
    end = first
    while end < len(units) and (end == first or words + units[end].words <= max_words):
        words += units[end].words
        end += 1
    return end


def _overlap_start(units: list[_Unit], start: int, end: int, config: ChunkingConfig) -> int:
    """First unit of the next chunk: the trailing units of this one that fit in the overlap.

    The overlap stops short of ``start`` and leaves room in the next chunk for the unit after it.
    """
    if end >= len(units):
        return end
    budget = min(config.overlap_words, config.max_words - units[end].words)
    back, words = end, 0
    while back - 1 > start and words + units[back - 1].words <= budget:
        back -= 1
        words += units[back].words
    return back


def _halve(text: str, units: list[_Unit], index: int) -> bool:
    """Replace ``units[index]`` by its two halves at a word boundary; False if it is one word."""
    unit = units[index]
    if unit.words < 2:
        return False
    words = [(match.start(), match.end()) for match in _WORD.finditer(text, unit.start, unit.end)]
    units[index : index + 1] = _word_pieces(words, -(-len(words) // 2))
    return True
