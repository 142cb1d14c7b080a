"""Text clean-up shared by the loader, the lexical index and answer matching.

Everything here is pure and regex-based so it can run over tens of thousands of articles at load
time. ``normalise_text`` fixes what the corpora get wrong (invisible characters, stray spacing,
OrangeSum's run-together paragraphs); ``fold`` makes accent- and case-insensitive matching possible;
``parse_date`` turns the many date spellings of news feeds into partial ISO strings.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
import unicodedata
from collections.abc import Callable

__all__ = ["fold", "normalise_text", "parse_date"]

# --- normalise_text -------------------------------------------------------------------------

_INVISIBLE = re.compile(  # BOM, zero-width characters, soft hyphen, control characters
    "[\x00-\x08\x0e-\x1f\x7f-\x84\x86-\x9f\u00ad\u200b-\u200d\u2060\ufeff]"
)
_LINE_BREAK = re.compile("\r\n?|[\x0b\x0c\x85\u2028]")
_BLANKS = "\t\u00a0\u1680\u2000-\u200a\u202f\u205f\u3000"  # tab and exotic spaces
_SPACE_RUN = re.compile(f"[{_BLANKS}][ {_BLANKS}]*| [ {_BLANKS}]+")
_NEWLINES = re.compile(r" ?\n(?: ?(\n))?[ \n]*")

# A sentence end glued to the next sentence: punctuation, optional closing marks, an optional
# opening mark, then an uppercase letter. The callback decides whether it is really a sentence end.
_RUN_TOGETHER = re.compile(r"([.!?]+)([)\]»”\"]*)([«“(] ?)?(?=[A-ZÀ-ÖØ-ÞŒÆŸ])")
_ALWAYS_CLOSING = ")]»”"
_AMOUNT_SIGNS = "%€$£"
# Words that end with a dot without ending a sentence, even when glued to a capitalised name.
_TITLES = frozenset(
    {"M", "MM", "Mme", "Mmes", "Mlle", "Mlles", "Me", "Mgr", "Dr", "Pr", "St", "Ste", "Cie", "Jr"}
)
_ABBREVIATIONS = frozenset(
    {"av", "apr", "cf", "ex", "vs", "env", "fig", "chap", "éd", "coll", "op", "pp", "réf", "tél"}
)
# A domain's last label may end a sentence ("sur plaintecovid.fr.Ces plaintes").
_TOP_LEVEL_DOMAINS = frozenset({"fr", "com", "org", "net", "info", "eu", "be", "ch", "ca", "io"})


def normalise_text(text: str) -> str:
    """Return ``text`` in the one shape the index relies on.

    NFC, no invisible or control characters, ``\\n`` line breaks, single spaces, paragraphs
    separated by exactly one blank line, and run-together paragraphs ("jeudi.Le gouvernement")
    split apart, so chunking and quoting see real sentence and paragraph boundaries.
    """
    text = _INVISIBLE.sub("", unicodedata.normalize("NFC", text))
    text = _LINE_BREAK.sub("\n", text).replace("\u2029", "\n\n")
    text = _SPACE_RUN.sub(" ", text)
    if "\n" in text:
        text = _NEWLINES.sub(_one_or_two_newlines, text)
    # Last: the breaks it inserts sit between two non-space characters, so need no clean-up.
    return _RUN_TOGETHER.sub(_split_if_sentence_end, text.strip())


def _one_or_two_newlines(match: re.Match[str]) -> str:
    return "\n\n" if match.group(1) else "\n"


def _split_if_sentence_end(match: re.Match[str]) -> str:
    text = match.string
    punct, trailing, opener = match.group(1), match.group(2), match.group(3) or ""
    at = match.start()
    if at == 0 or not (_ends_sentence(text, at) and _starts_sentence(text, match.end())):
        return match.group(0)
    closers, openers = _split_quotes(text, at, trailing)
    return f"{punct}{closers}\n\n{openers}{opener}"


def _ends_sentence(text: str, at: int) -> bool:
    """Whether what precedes the punctuation at ``at`` can end a sentence (not an initial,
    an abbreviation, a decimal or a URL)."""
    before = text[at - 1]
    if before in _ALWAYS_CLOSING or before == '"' or before in _AMOUNT_SIGNS:
        return True
    if before.isdigit():
        start = _run_start(text, at, str.isdigit)
        return start == 0 or text[start - 1] not in ".,:/"
    if not before.isalpha():
        return False
    start = _run_start(text, at, str.isalpha)
    return _word_ends_sentence(text, start, at)


def _word_ends_sentence(text: str, start: int, at: int) -> bool:
    word = text[start:at]
    before = text[start - 1] if start else " "
    if word in _TITLES or word in _ABBREVIATIONS:
        return False
    if before == ".":
        return word in _TOP_LEVEL_DOMAINS  # "medrxiv.org.La" yes, "S.A.Le" no
    if before in "@:\\" or _looks_like_url(text, at):
        return False
    if word.isupper():
        return len(word) >= 2  # an acronym ("l'AFP.Le"), not an initial ("M.Dupont", "U.S.A")
    after_number = before.isdigit() or (before == " " and text[start - 2 : start - 1].isdigit())
    if len(word) == 1:  # "250 km/h.La", "à 17h.Dans", "10e.Le", "Christie's.Un"; not "M.Dupont"
        return word.islower() and (before in "/'’" or after_number)
    if len(word) == 2 and word[0].isupper():  # "670 Nm.Les", "d'Or.Cette"; not "Ph.D", "Ho.Il"
        return after_number or before in "'’"
    return word[-1].islower()  # "jeudi.Le", "kWh.La"


def _starts_sentence(text: str, at: int) -> bool:
    """Whether the capital at ``at`` starts a word (not "J.-C." nor a domain like "Site.com")."""
    follower = text[at + 1 : at + 2]
    if not (follower.isalpha() or follower in ("'", "’", " ")):
        return False
    end = at + 1
    while end < len(text) and text[end].isalnum():
        end += 1
    return not (text[end : end + 1] in (".", "/") and text[end + 1 : end + 2].isalnum())


def _looks_like_url(text: str, at: int) -> bool:
    start = text.rfind(" ", 0, at) + 1
    start = max(start, text.rfind("\n", 0, at) + 1)
    token = text[start:at].lower()
    return token.startswith(("www", "http")) or "://" in token or "@" in token


def _run_start(text: str, end: int, kind: Callable[[str], bool]) -> int:
    """Index where the run of characters ending at ``end`` and passing ``kind`` begins."""
    start = end
    while start > 0 and kind(text[start - 1]):
        start -= 1
    return start


def _split_quotes(text: str, punct_at: int, trailing: str) -> tuple[str, str]:
    """Split the marks after a sentence end into those closing it and those opening the next.

    A straight quote is ambiguous; it closes a quotation only when one is open in the paragraph.
    """
    if '"' not in trailing:
        return trailing, ""
    paragraph_start = text.rfind("\n", 0, punct_at) + 1
    just_closed = text[punct_at - 1] == '"'  # 'des revendications"."Le': closes, then opens
    quote_open = not just_closed and text.count('"', paragraph_start, punct_at) % 2 == 1
    for index, mark in enumerate(trailing):
        if mark == '"':
            if not quote_open:
                return trailing[:index], trailing[index:]
            quote_open = False
    return trailing, ""


# --- fold -----------------------------------------------------------------------------------

#: Replaced one by one: ``str.replace`` scans at memchr speed, ``str.translate`` with a table
#: looks every character up (it was 60% of folding an article).
_FOLD_PAIRS = (("œ", "oe"), ("æ", "ae"), ("’", "'"), ("‘", "'"), ("ʼ", "'"), ("´", "'"))
_COMBINING = re.compile("[\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f]")


def fold(text: str) -> str:
    """Lowercase without accents, ligatures or curly apostrophes: "Étrangères" → "etrangeres".

    For matching only (lexical search, answer checks): the result's length may differ from the
    input's, so never use it to compute offsets.
    """
    if text.isascii():
        return text.lower()
    text = text.casefold()
    for char, replacement in _FOLD_PAIRS:
        if char in text:
            text = text.replace(char, replacement)
    text = unicodedata.normalize("NFKD", text)
    return _COMBINING.sub("", text.lower())  # lower again: NFKD turns "𝑨" (no case) into "A"


# --- parse_date -----------------------------------------------------------------------------

#: Month names by month number, written as in French and English news: (French name, English
#: name, French abbreviations written with a dot in prose ("janv."), other short forms of
#: datelines and feeds ("Feb", "fev")). The one list of month names: date parsing here and the
#: date expressions that answer "when" questions (``bot.answer.extract``) both derive from it.
MONTH_NAMES: tuple[tuple[str, str, tuple[str, ...], tuple[str, ...]], ...] = (
    ("janvier", "january", ("janv",), ("jan",)),
    ("février", "february", ("févr",), ("fev", "feb")),
    ("mars", "march", (), ("mar",)),
    ("avril", "april", ("avr",), ("apr",)),
    ("mai", "may", (), ()),
    ("juin", "june", (), ("jun",)),
    ("juillet", "july", ("juil",), ("jul",)),
    ("août", "august", (), ("aug",)),
    ("septembre", "september", ("sept",), ("sep",)),
    ("octobre", "october", ("oct",), ()),
    ("novembre", "november", ("nov",), ()),
    ("décembre", "december", ("déc",), ("dec",)),
)

_MONTHS = {
    fold(name): number
    for number, (french, english, dotted, short) in enumerate(MONTH_NAMES, start=1)
    for name in (french, english, *dotted, *short)
}
_ISO = re.compile(r"(\d{4})(?:[-/.](\d{1,2})(?:[-/.](\d{1,2}))?)?(?:[t ].*)?")
_COMPACT = re.compile(r"(\d{4})(\d{2})(\d{2})")
_DAY_FIRST = re.compile(r"(\d{1,2})[-/.](\d{1,2})[-/.](\d{4})(?:[t ].*)?")
_MONTH_YEAR = re.compile(r"(\d{1,2})[-/.](\d{4})")
_MONTH_NAME = "|".join(sorted(_MONTHS, key=len, reverse=True))
# "6 février 2023", "1er fevr. 2023", "Mon, 06 Feb 2023 10:00 GMT", "February 6, 2023".
_WORDY = re.compile(
    rf"(?:\b(\d{{1,2}})(?:er|st|nd|rd|th)?\s+)?\b({_MONTH_NAME})\b\.?,?\s+"
    rf"(?:(\d{{1,2}})(?:st|nd|rd|th)?,?\s+)?(\d{{4}})\b"
)
_EPOCH_SECONDS = (1e8, 4.2e9)  # 1973 to 2103: a bare number this big is a Unix timestamp


def parse_date(value: object) -> str | None:
    """Normalise a date to partial ISO ("2023", "2023-02", "2023-02-06"), or None.

    Keeps the precision the source gave, reads day-first numeric dates the French way and
    month names in French or English; rejects impossible months and days.
    """
    if isinstance(value, dt.date):
        return value.isoformat()[:10]
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return _from_number(value)
    if isinstance(value, str):
        return _from_text(fold(value).strip())
    return None


def _from_number(value: float) -> str | None:
    if isinstance(value, int) and 1000 <= value <= 2999:
        return str(value)
    if not _EPOCH_SECONDS[0] <= value <= _EPOCH_SECONDS[1] * 1000:  # also NaN, ±inf, 10**400
        return None  # (checked before dividing: a huge int overflows a float division)
    seconds = value / 1000 if value > _EPOCH_SECONDS[1] else value
    if _EPOCH_SECONDS[0] <= seconds <= _EPOCH_SECONDS[1]:
        return dt.datetime.fromtimestamp(seconds, tz=dt.UTC).date().isoformat()
    return None


def _from_text(text: str) -> str | None:
    if match := _ISO.fullmatch(text):
        return _partial(match.group(1), match.group(2), match.group(3))
    if match := _COMPACT.fullmatch(text):
        return _partial(match.group(1), match.group(2), match.group(3))
    if match := _DAY_FIRST.fullmatch(text):
        return _partial(match.group(3), match.group(2), match.group(1))
    if match := _MONTH_YEAR.fullmatch(text):
        return _partial(match.group(2), match.group(1), None)
    if match := _WORDY.search(text):
        day = match.group(1) or match.group(3)
        return _partial(match.group(4), str(_MONTHS[match.group(2)]), day)
    return None


def _partial(year: str, month: str | None, day: str | None) -> str | None:
    """Format the parts that are present, or None if they do not make a real date."""
    y = int(year)
    if not 1000 <= y <= 2999:
        return None
    if month is None:
        return f"{y:04d}"
    m = int(month)
    if not 1 <= m <= 12:
        return None
    if day is None:
        return f"{y:04d}-{m:02d}"
    d = int(day)
    if not 1 <= d <= calendar.monthrange(y, m)[1]:
        return None
    return f"{y:04d}-{m:02d}-{d:02d}"
