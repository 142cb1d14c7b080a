"""Article bodies without navigation, promotion, bylines and credits, so none is ever quoted.

News pages carry text that is not news: "Lire aussi : …", "A ne pas manquer sur BBC Afrique :",
"Articles recommandés :", "Regarder :", photo credits, bylines. Scraped corpora often glue it to
the next sentence (MasakhaNEWS has no line breaks at all), so the reader would quote
"A ne pas manquer sur BBC Afrique : Une fois que…" as news. Two detectors remove it:

1. **Repetition, per source** (generic): counted over the articles of one build, a line, a whole
   sentence, or a sentence prefix ending in a colon that occurs in at least
   ``REPEAT_MIN_ARTICLES`` articles (and ``REPEAT_MIN_SHARE`` of the source's articles) is page
   furniture. Prefixes are removed up to the colon; lines and sentences entirely.
2. **Known cues** (``CUES``, French and English): the same furniture in sources too small to
   show repetition, plus photo credits and bylines.

Removal only deletes text, then tidies the spaces it leaves; what remains is unchanged, so a
quote is still verbatim from the source.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace

from index.models import Article, content_hash
from index.text import fold

#: Bumped whenever cleaning changes what is stored, so cached evaluation indexes are rebuilt.
CLEANING_VERSION = 3
#: A repeated line, sentence or prefix is furniture from this many articles of one source...
REPEAT_MIN_ARTICLES = 8
#: ...and this share of them (so a 36,000-article source needs 72).
REPEAT_MIN_SHARE = 0.002
#: Longest repeated prefix considered, in words (up to and including its colon).
PREFIX_MAX_WORDS = 9
#: Repeated sentences shorter than this (in words) are left alone ("Il a ajouté.").
SENTENCE_MIN_WORDS = 4

#: Known navigation and promotion cues, French and English; each ends with a colon.
NAVIGATION_CUES: tuple[str, ...] = (
    # "Lire aussi :", "A lire aussi sur BBC Afrique :", "A ne pas manquer sur BBC Afrique :"
    r"(?:[AÀ] )?(?:lire|voir|regarder|[ée]couter)(?: aussi| [ée]galement| plus| encore)?"
    r"(?: sur [\w .]{2,30}?)?",
    r"(?:[AÀ] )?(?:ne pas |surtout |ne pas surtout )+(?:manquer|lire|rater)(?: sur [\w .]{2,30}?)?",
    r"Articles? (?:recommand[ée]s?|li[ée]s?|connexes?)",
    r"Sur le m[êe]me sujet|Autres articles[^.:]{0,40}|Vous (?:pourriez|pouvez)[^.:]{0,40}"
    r"int[ée]ress[ée]e?s? par",
    r"Read more|Read also|Also read|See also|Watch|Related(?: articles| topics)?|"
    r"More on this story|You may also be interested in|Listen",
)
#: Photo credits, captions and bylines: deleted wherever they appear.
CREDIT_CUES: tuple[str, ...] = (
    r"(?:Cr[ée]dits? (?:photo|image)s?|Photo credit|Image (?:source|caption)|Source de l'image|"
    r"L[ée]gende (?:de l')?(?:image|photo)|Copyright)\s?[:,]\s?[^.\n:]{0,40}?"
    r"(?:Getty Images|AFP|Reuters|EPA|BBC|[\w-]+)(?=[\s.]|$)",
    r"\((?:[Pp]hoto|[Ii]mage|[Cc]r[ée]dit)s?\s?:[^)]{0,60}\)",
    r"©\s?[\w .&/-]{2,40}?(?=[.\n]|$)",
    r"\bGetty Images\b",
    # bylines on a line of their own
    r"^(?:Par|By)\s+[A-ZÀ-Þ][\w'’-]+(?:\s+[A-ZÀ-Þ][\w'’-]+){0,3}(?:,\s?[^\n]{0,60})?$",
)
# Cues end at a colon: only the text just before each colon is searched (fast on big corpora).
_NAVIGATION = re.compile(
    r"(?:^|(?<=[\s.!?»”\"]))(?:" + "|".join(NAVIGATION_CUES) + r")\s?:$", re.IGNORECASE
)
_NAVIGATION_WINDOW = 60
#: "Lire aussi" with no colon, opening a sentence: "… la semaine dernière. Lire aussi Alerte au
#: faux vaccin au Niger Le Noma, tueur silencieux…" (case kept: a capital starts the cue).
_BARE_CUE_HINTS = ("ire aussi ", "oir aussi ", "galement ")  # a cheap test before the regex
_BARE_CUE = re.compile(
    r"(?:^|(?<=[.!?»”\"]\s))(?:[AÀ] [Ll]ire|Lire|[AÀ] [Vv]oir|Voir) (?:aussi|[ée]galement)"
    r"(?: sur BBC [A-Z][a-z]+)?[ \t]+(?=[\"«“'A-ZÀ-Þ])"
)
_CREDITS = re.compile("|".join(f"(?:{c})" for c in CREDIT_CUES), re.MULTILINE)
_CREDIT_HINTS = ("dit", "image", "gende", "copyright", "getty", "©", "photo", "\nPar ", "\nBy ")
# A sentence start: text start, a line start, or after end punctuation and a space.
_SENTENCE_START = r"(?:^|(?<=\n)|(?<=[.!?»”\"]\s))"
_PREFIX = re.compile(
    _SENTENCE_START + rf"((?:[^\s:.!?]+\s+){{0,{PREFIX_MAX_WORDS - 1}}}?[^\s:.!?]+\s?:)",
    re.MULTILINE,
)
_SENTENCE = re.compile(r"[^.!?\n]+[.!?]+[»”\"]?|[^.!?\n]+$", re.MULTILINE)
#: Words that open a sentence after glued headlines (see ``_headlines_after``).
SENTENCE_OPENERS: tuple[str, ...] = (
    "Le", "La", "Les", "L'", "L’", "Un", "Une", "Des", "Il", "Elle", "Ils", "Elles", "Ce", "Cet",
    "Cette", "Ces", "Selon", "En", "Au", "Aux", "Dans", "Pour", "Mais", "Depuis", "Après",
    "Avant", "Lors", "Alors", "Si", "Sur", "Par", "Pendant", "Malgré", "Leur", "Leurs", "Son",
    "Sa", "Ses", "On", "Nous", "Je", "C'est", "C’est", "Cela", "D'après", "D’après", "Parmi",
    "Plusieurs", "Certains", "The", "A", "An", "In", "He", "She", "They", "It", "This",
    "These", "But", "According", "After", "Before", "Since", "During", "When", "While", "We",
    "There", "Its", "Their", "His", "Her", "At", "For", "From", "Many", "Some",
)  # fmt: skip
#: A shorter run before an opener is more likely a sentence's own start than a headline.
HEADLINE_MIN_WORDS = 3
_OPENER = "|".join(re.escape(word) for word in SENTENCE_OPENERS)
_HEADLINE_BOUNDARY = re.compile(rf"(?<=[^\W_])[ \t]+(?=(?:{_OPENER})(?:[ \t]|(?<=['’])))")
#: Words a headline does not end with: an opener after one of them is a name ("que La Poste").
_GLUE_WORDS = frozenset({
    "a", "au", "aux", "avec", "contre", "dans", "de", "des", "du", "en", "et", "le", "la", "les",
    "l", "par", "pour", "que", "qu", "sur", "ou", "selon", "chez", "vers", "sans", "sous",
    "entre", "apres", "avant", "depuis", "quand", "lorsque", "mais", "comme", "dont", "si", "est",
    "sont", "ete", "and", "at", "by", "for", "from", "in", "of", "on", "or", "that", "the", "to",
    "with", "after", "before", "since", "when", "while", "as", "but", "than", "is", "was", "are",
    "were",
})  # fmt: skip
_SENTENCE_END = re.compile(r"[.!?](?:\s|$)")
_SPACES = re.compile(r"[ \t]{2,}")
_BLANK_LINES = re.compile(r"\n{3,}")


@dataclass
class CleaningReport:
    """What cleaning removed, for ``newsbot index stats`` (stored in the manifest)."""

    articles: int = 0
    articles_changed: int = 0
    chars_before: int = 0
    chars_removed: int = 0
    repeated: list[str] = field(default_factory=list)  # detected furniture, most common first

    def to_json(self) -> dict[str, object]:
        return {
            "articles": self.articles,
            "articles_changed": self.articles_changed,
            "chars_before": self.chars_before,
            "chars_removed": self.chars_removed,
            "repeated": self.repeated[:20],
        }


@dataclass(frozen=True)
class Furniture:
    """Repeated text of one source: whole lines/sentences and colon-ended prefixes (folded)."""

    lines: frozenset[str]
    prefixes: frozenset[str]


def _key(text: str) -> str:
    return " ".join(fold(text).split())


def detect(texts: Sequence[str]) -> Furniture:
    """Lines, sentences and colon prefixes repeated across ``texts`` (one source's articles)."""
    needed = max(REPEAT_MIN_ARTICLES, int(REPEAT_MIN_SHARE * len(texts) + 0.999))
    if len(texts) < needed:
        return Furniture(frozenset(), frozenset())
    lines: Counter[str] = Counter()
    prefixes: Counter[str] = Counter()
    for text in texts:
        seen_lines = {_key(line) for line in text.split("\n") if line.strip()}
        seen_lines |= {
            _key(m.group())
            for m in _SENTENCE.finditer(text)
            if len(m.group().split()) >= SENTENCE_MIN_WORDS
        }
        lines.update(seen_lines)
        prefixes.update({_key(m.group(1)) for m in _PREFIX.finditer(text)})
    return Furniture(
        frozenset(k for k, n in lines.items() if n >= needed),
        frozenset(k for k, n in prefixes.items() if n >= needed),
    )


def clean_text(text: str, furniture: Furniture | None = None) -> str:
    """``text`` without known cues and without ``furniture`` (see module docstring)."""
    text = _remove_navigation(text)  # first: a repeated cue hides the headlines after it
    if furniture is not None and (furniture.lines or furniture.prefixes):
        text = _remove_repeated(text, furniture)
    if text.startswith(("Par ", "By ")) or any(hint in text for hint in _CREDIT_HINTS):
        text = _CREDITS.sub("", text)
    return _tidy(text)


def _remove_navigation(text: str) -> str:
    """Delete each known cue (ending at a colon, or a bare "Lire aussi") and the linked
    headlines after it."""
    text = _cut(text, _colon_cues(text))
    if any(hint in text for hint in _BARE_CUE_HINTS):
        text = _cut(text, (cue.span() for cue in _BARE_CUE.finditer(text)))
    return text


def _colon_cues(text: str) -> Iterator[tuple[int, int]]:
    """(start, end) of each ``NAVIGATION_CUES`` cue; only the text before a colon is searched."""
    for colon in re.finditer(":", text):
        low = max(0, colon.start() - _NAVIGATION_WINDOW)
        found = _NAVIGATION.search(text, low, colon.end())
        if found is not None:
            yield found.start(), colon.end()


def _cut(text: str, cues: Iterable[tuple[int, int]]) -> str:
    """``text`` without the cues and the headlines after each (cues inside those are skipped)."""
    parts: list[str] = []
    last = 0
    for start, end in cues:
        if start >= last:
            parts.append(text[last:start])
            last = end + _headlines_after(text, end)
    parts.append(text[last:])
    return "".join(parts)


def _headlines_after(text: str, start: int) -> int:
    """Length of the run of linked headlines that follows a cue at ``start`` (0 if none).

    Without line breaks, "Lire aussi : Kenya : des fonctionnaires convoqués à la police La
    justice kényane enquête…" glues headlines (no final stop) to the next sentence. Up to the
    first full stop, the last place where a word is followed by a capitalised sentence opener
    ("La", "Selon", "The"…) starts the real sentence; what precedes it is headlines, if it is a
    few words without a comma. When unsure, nothing is removed.
    """
    end = _SENTENCE_END.search(text, start)
    stop = end.start() if end else len(text)
    boundaries = list(_HEADLINE_BOUNDARY.finditer(text, start, stop))
    if not boundaries:
        return 0
    last = boundaries[-1]
    run = text[start : last.start()]
    words = run.split()
    if "," in run or "\n" in run or len(words) < HEADLINE_MIN_WORDS:
        return 0
    if fold(words[-1]) in _GLUE_WORDS:
        return 0  # "rapporte que La Poste…": the opener is a name inside the sentence
    return last.end() - start


def _remove_repeated(text: str, furniture: Furniture) -> str:
    if furniture.lines:
        kept = [line for line in text.split("\n") if _key(line) not in furniture.lines]
        text = "\n".join(kept)
        text = _SENTENCE.sub(
            lambda m: "" if _key(m.group()) in furniture.lines else m.group(), text
        )
    if furniture.prefixes:
        text = _PREFIX.sub(
            lambda m: "" if _key(m.group(1)) in furniture.prefixes else m.group(), text
        )
    return text


def _tidy(text: str) -> str:
    text = _SPACES.sub(" ", text)
    text = "\n".join(line.strip() for line in text.split("\n"))
    return _BLANK_LINES.sub("\n\n", text).strip()


def clean_articles(
    articles: Iterable[Article], report: CleaningReport | None = None
) -> list[Article]:
    """Every article with a cleaned body; repetition is counted per source over all of them.

    An article whose body would become empty keeps its original text (better furniture than
    nothing: the title still makes it findable), and so does one that cleaning would make
    identical to another article (the loader deduplicated them as distinct; the index keys
    chunks by content).
    """
    items = list(articles)
    report = report if report is not None else CleaningReport()
    by_source: dict[str, list[int]] = {}
    for i, article in enumerate(items):
        by_source.setdefault(fold(article.source or ""), []).append(i)
    furniture = {
        source: detect([items[i].text for i in rows]) for source, rows in by_source.items()
    }
    repeated: Counter[str] = Counter()
    for found in furniture.values():
        repeated.update(found.prefixes)
        repeated.update(found.lines)
    report.repeated = [k for k, _ in repeated.most_common()]
    out: list[Article] = []
    taken = {article.content_hash for article in items}
    for article in items:
        report.articles += 1
        report.chars_before += len(article.text)
        cleaned = clean_text(article.text, furniture[fold(article.source or "")])
        if cleaned and cleaned != article.text:
            digest = content_hash(article.title, cleaned)
            if digest in taken:
                out.append(article)
                continue
            taken.add(digest)
            report.articles_changed += 1
            report.chars_removed += len(article.text) - len(cleaned)
            article = replace(article, text=cleaned)
        out.append(article)
    return out
