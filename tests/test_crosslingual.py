"""English questions meet French text through the bilingual news lexicon (index/crosslingual.py).

The lexicon is checked as data (every entry yields French index tokens), and its effect is
checked where a user sees it: the words of an English question that share no letters with the
French sentence that answers ("hours"/"heures", "outage"/"panne") now count for that sentence.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bot.answer.extract import (
    COGNATE_PREFIX,
    SPELLING_VARIANT_MIN,
    TermMatches,
    Vocabulary,
    _one_edit_apart,
    coverage,
)
from index.crosslingual import GROUP_SEPARATOR, _entries, lexicon, members, term_groups
from index.lexical import Tokenizer
from tests.support import shared_path

FRENCH = Tokenizer("fr")


def test_every_lexicon_entry_gives_french_index_tokens() -> None:
    entries = _entries()
    assert len(entries) > 500
    keys = [english for english, _ in entries]
    assert len(keys) == len(set(keys)), "a key is listed twice"
    for english, french in entries:
        assert english == english.lower() and " " not in english, english
        assert any(FRENCH(phrase) for phrase in french), f"{english}: {french} are all stopwords"


def test_a_broken_lexicon_line_is_named(tmp_path: Path) -> None:
    broken = tmp_path / "lexicon.tsv"
    broken.write_text("# comment\nhour\theure\nexpel expulser\n", "utf-8")
    with pytest.raises(ValueError, match=r"lexicon.tsv:3: expected"):
        _entries(broken)


def test_english_words_are_grouped_with_their_french_tokens() -> None:
    groups = dict(term_groups("How many hours did the outage last?", "en", "fr", FRENCH))
    assert "heur" in groups["hour"]
    assert "pann" in groups["outag"]
    assert not dict(term_groups("Combien d'heures ?", "fr", "fr", FRENCH)), "same language"
    # The other direction reads the same file: a French question over English text.
    assert "hour" in lexicon("fr", "en")["heur"]


def test_a_term_group_counts_once_and_is_found_by_any_member() -> None:
    terms = {f"hour{GROUP_SEPARATOR}heur": 2.0, f"outag{GROUP_SEPARATOR}pann": 3.0, "whatsapp": 5.0}
    answering = FRENCH("La panne de WhatsApp a duré six heures.")
    topical = FRENCH("Les services de WhatsApp étaient inaccessibles lundi.")
    assert coverage(terms, answering) == pytest.approx(1.0)
    assert coverage(terms, topical) == pytest.approx(0.5)
    matches = TermMatches(terms, set(answering) | set(topical))
    assert matches.share(set(answering)) == pytest.approx(1.0)
    assert members("a|b") == ["a", "b"] and members("a") == ["a"]


def test_cognates_and_spelling_variants_still_match_without_the_lexicon() -> None:
    terms = {"ambassador": 1.0, "sergei": 1.0}
    assert coverage(terms, FRENCH("L'ambassadeur a rencontré Serguei Lavrov.")) == 1.0


def test_an_article_vocabulary_finds_every_variant_a_word_by_word_search_finds() -> None:
    """The vocabulary files words by their first and last letters so a question compares only
    a few; a variant filed nowhere would be a term the sentence seems to lack."""
    lines = shared_path("corpus", "masakhanews-fra.jsonl").read_text("utf-8").splitlines()
    articles = [json.loads(line)["text"] for line in lines[:40]]
    terms = sorted({t for text in articles[20:] for t in FRENCH(text)})

    def variants(term: str, words: frozenset[str]) -> set[str]:
        shortest = {w: min(len(w), len(term)) for w in words}
        return {
            w for w in words
            if w == term
            or (shortest[w] >= COGNATE_PREFIX and w[:COGNATE_PREFIX] == term[:COGNATE_PREFIX])
            or (shortest[w] >= SPELLING_VARIANT_MIN and _one_edit_apart(term, w))
        }  # fmt: skip

    spelled = 0
    for text in articles[:20]:
        vocabulary = Vocabulary(FRENCH(text))
        for term in terms:
            expected = variants(term, vocabulary.words)
            assert set(vocabulary.matching(term)) == expected, term
            spelled += any(w[:COGNATE_PREFIX] != term[:COGNATE_PREFIX] for w in expected - {term})
    assert spelled > 20  # variants the shared prefix does not give were looked for and found
