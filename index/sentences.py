"""Sentence boundaries as character spans, so an answer can quote exactly one sentence.

sentencex is fast and handles quotes and run-together paragraphs ("jeudi.Le gouvernement"), but
on French it cuts after titles, initials and abbreviations ("M. | Dupont", "S. | Lavrov",
"janv. | 2020", "3 km. | et"). A small merge pass repairs those cuts; it only ever joins pieces,
so it cannot lose text. Line breaks always end a sentence: a heading or a list item is not the
start of the next sentence.

sentencex also never cuts inside what it takes for a quotation, so one stray quote mark (a
closing ``"`` it saw as opening) swallows the rest of the paragraph: BBC Afrique bodies had
"sentences" of 2,000 characters. A piece over ``LONG_PIECE_CHARS`` is cut again wherever a
sentence visibly ends (".", "!" or "?" then a capital), before the merge pass.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import sentencex

#: Abbreviations that are never the last word of a sentence: they announce what follows
#: (a name, a date). Compared lower-cased, without the final dot.
ABBREVIATIONS_BEFORE_NAME: frozenset[str] = frozenset({
    "m", "mm", "mme", "mmes", "mlle", "mlles", "dr", "drs", "pr", "prof", "mgr", "ste", "st",
    "gén", "gal", "col", "cdt", "cne", "lt", "sgt", "capt",
    "mr", "mrs", "ms", "messrs", "gen", "gov", "sen", "rep", "pres", "rev",
    "av", "apr", "cf", "vs", "resp",
})  # fmt: skip

#: Abbreviations that may also end a sentence ("..., etc."): joined to what follows only when
#: that starts with a lower-case letter or a digit ("janv. 2020", "p. 12", "art. 49.3").
ABBREVIATIONS_ANYWHERE: frozenset[str] = frozenset({
    "etc", "janv", "jan", "févr", "fév", "fevr", "fev", "feb", "mar", "avr", "juil", "jul",
    "aug", "sept", "sep", "oct", "nov", "déc", "dec",
    "p", "pp", "n", "no", "nos", "num", "vol", "art", "chap", "fig", "éd", "ed", "t", "al",
    "ibid", "op", "env", "approx", "min", "max", "ex",
    "inc", "ltd", "co", "corp", "cie", "jr", "sr",
})  # fmt: skip

#: Bump when boundaries change: chunks are cut on sentences, so cached indexes must be rebuilt.
SENTENCES_VERSION = 2
#: Longer than almost any real sentence; a piece past this is a missed cut (see module doc).
LONG_PIECE_CHARS = 400
_VISIBLE_END = re.compile(r"(?<=[.!?…])[\"”»’]?\s+(?=[\"«“]?\s?[A-ZÀ-ÖØ-Þ])")

_LINE = re.compile(r"[^\r\n]+")
# The letters before a piece's final dot: "Mme." -> "Mme", "L'art." -> "art", "J.-C." -> "C".
_LAST_WORD = re.compile(r"([^\W\d_]+)\.$")
# A lone letter and a dot, as in "S. Lavrov", "J.-C.", "U.S.".
_INITIAL = re.compile(r"(?:^|[\s.\-'’(«\"])[^\W\d_]\.$")
_TAIL = 24  # characters of the previous piece worth looking at: longer than any abbreviation


def sentence_spans(text: str, language: str = "fr") -> list[tuple[int, int]]:
    """Return ``(start, end)`` of each sentence of ``text``, in order.

    The spans are trimmed of whitespace and together cover every non-whitespace character exactly
    once, so ``text[start:end]`` is a quotable sentence and nothing is lost between them.
    """
    spans: list[tuple[int, int]] = []
    for line in _LINE.finditer(text):
        spans.extend(_merge_pieces(text, _raw_pieces(line.group(), line.start(), language)))
    return spans


def _raw_pieces(line: str, offset: int, language: str) -> Iterator[tuple[int, int]]:
    """sentencex's cuts, turned into trimmed spans that leave no character out.

    Only the cut positions are used, and consecutive cuts delimit the pieces, so coverage holds
    whatever sentencex does with whitespace or paragraph markers.
    """
    start = 0
    cuts = [
        int(boundary["end_index"]) for boundary in sentencex.get_sentence_boundaries(language, line)
    ]
    for end in [*cuts, len(line)]:
        if end <= start:
            continue
        if end - start > LONG_PIECE_CHARS:
            for match in _VISIBLE_END.finditer(line, start, end):
                yield from _trimmed(line, start, match.start(), offset)
                start = match.start()
        yield from _trimmed(line, start, end, offset)
        start = end


def _trimmed(line: str, start: int, end: int, offset: int) -> Iterator[tuple[int, int]]:
    piece = line[start:end]
    stripped = piece.lstrip()
    if stripped:
        start += len(piece) - len(stripped)
        yield offset + start, offset + start + len(stripped.rstrip())


def _merge_pieces(text: str, pieces: Iterator[tuple[int, int]]) -> list[tuple[int, int]]:
    """Join each piece to the previous one when the cut between them is not a sentence end."""
    merged: list[tuple[int, int]] = []
    for start, end in pieces:
        if merged and _continues(_tail(text, *merged[-1]), text[start:end]):
            merged[-1] = (merged[-1][0], end)
        else:
            merged.append((start, end))
    return merged


def _tail(text: str, start: int, end: int) -> str:
    return text[max(start, end - _TAIL) : end]


def _continues(previous: str, piece: str) -> bool:
    """True when ``piece`` carries on the sentence ``previous`` seemed to end."""
    first = piece[0]
    if not any(ch.isalnum() for ch in piece):  # a stray '".' left by a cut: it ends the previous
        return True
    if first.islower():  # "3 km. | et puis", "Downing St. | hier"
        return True
    match = _LAST_WORD.search(previous)
    if match is None:
        return False
    word = match.group(1).lower()
    if word in ABBREVIATIONS_BEFORE_NAME or _INITIAL.search(previous):
        return True
    return first.isdigit() and word in ABBREVIATIONS_ANYWHERE
