"""English questions over French news: the question words that do not look alike, translated.

Names, numbers and Latin roots already meet across the two languages (``coverage`` in
``bot.answer.extract`` counts near-cognates: "ambassador"/"ambassadeur"), but the words that
carry a question often share nothing: "boss"/"directeur", "hours"/"heures", "expelled"/
"expulsé", "German"/"allemand". ``index/data/lexicon_en_fr.tsv`` lists general news vocabulary
in both languages (no word of any evaluation question was looked at to write it). A question in
one language over a corpus in the other gets, for each listed word, a *term group*: its own
token and the other language's tokens, written ``"hour|heur"``. A group is one term: it weighs
once in coverage and is found when any member is. BM25 searches the members too.

Both directions read the same file: English→French as written, French→English reversed.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from functools import cache
from pathlib import Path

from index.stemming import stemmer
from index.text import fold

LEXICON_FILE = Path(__file__).with_name("data") / "lexicon_en_fr.tsv"
#: Joins the members of a term group; tokenizers split on word characters, so no token holds it.
GROUP_SEPARATOR = "|"

_WORD = re.compile(r"\w+")
Tokenize = Callable[[str], list[str]]


def members(term: str) -> list[str]:
    """The tokens a term stands for: itself, or each member of a group."""
    return term.split(GROUP_SEPARATOR)


def _stem(word: str, language: str) -> str:
    stem = stemmer(language)
    folded = fold(word)
    return str(stem.stemWord(folded)) if stem is not None else folded


@cache
def _entries(path: Path = LEXICON_FILE) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """(English word, French translations) from the lexicon file; '#' starts a comment."""
    entries = []
    for number, line in enumerate(path.read_text("utf-8").splitlines(), start=1):
        if not line.strip() or line.startswith("#"):
            continue
        key, sep, values = line.partition("\t")
        translations = tuple(v.strip() for v in values.split(",") if v.strip())
        if not sep or not key.strip() or not translations:
            raise ValueError(f"{path}:{number}: expected 'english<TAB>french, ...', got {line!r}")
        entries.append((key.strip(), translations))
    return tuple(entries)


@cache
def lexicon(source: str, target: str) -> Mapping[str, tuple[str, ...]]:
    """Stemmed, folded ``source``-language word → ``target``-language phrases (empty if the
    pair is not English/French)."""
    pair = (source.split("-")[0].lower(), target.split("-")[0].lower())
    table: dict[str, list[str]] = {}
    if pair == ("en", "fr"):
        for english, french in _entries():
            table.setdefault(_stem(english, "en"), []).extend(french)
    elif pair == ("fr", "en"):
        for english, french in _entries():
            for phrase in french:
                if " " not in phrase:
                    table.setdefault(_stem(phrase, "fr"), []).append(english)
    return {key: tuple(dict.fromkeys(values)) for key, values in table.items()}


def translations(word: str, language: str) -> tuple[str, ...]:
    """``word``'s listed translations, folded, in whichever of English/French it is not in."""
    base = language.split("-")[0].lower()
    other = {"en": "fr", "fr": "en"}.get(base)
    if other is None:
        return ()
    return tuple(fold(t) for t in lexicon(base, other).get(_stem(word.lower(), base), ()))


def term_groups(
    text: str, language: str, corpus_language: str, tokenize: Tokenize
) -> Iterator[tuple[str, list[str]]]:
    """(the word's own token, the corpus language's tokens for it) for each translated word.

    ``tokenize`` is the index's tokenizer (stems in the corpus language), so the translations
    come out as the tokens the index holds. Words the tokenizer drops (stopwords) are skipped.
    """
    table = lexicon(language, corpus_language)
    if not table:
        return
    for word in _WORD.findall(text):
        own = tokenize(word)
        translations = table.get(_stem(word.lower(), language))
        if len(own) != 1 or not translations:
            continue
        found = [t for phrase in translations for t in tokenize(phrase) if t != own[0]]
        if found:
            yield own[0], list(dict.fromkeys(found))


def grouped_terms(tokens: Sequence[str], groups: Mapping[str, Sequence[str]]) -> list[str]:
    """``tokens`` with each translated token replaced by its group ("hour|heur")."""
    out = []
    for token in tokens:
        extra = groups.get(token)
        out.append(GROUP_SEPARATOR.join([token, *extra]) if extra else token)
    return list(dict.fromkeys(out))
