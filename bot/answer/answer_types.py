"""What kind of answer a question wants, and where such answers sit in a sentence.

A question's *answer type* (date, number, person/organisation, place, named thing, reason) is read
from its question words, in English and French, wherever they sit: chat questions often put them
last ("Il s'est écrasé quel jour ?"). A sentence can only answer a "when" question if it holds a
date that the question does not already contain, so the reader prefers sentences holding a
*span* of the wanted type, and the reply leads with that span, verbatim.

Spans are found with small grammars, not a tagger: dates (the grammar of
``bot.answer.extract``), numbers with their unit ("six heures", "40 %", "3,5 millions de
dollars"), capitalised name sequences ("Xie Zhenhua", "Mura Technology"), places after a
preposition ("à Lagos", "in Makoko") and quoted names (« Optim Energy »).
"""

from __future__ import annotations

import re
from collections.abc import Container, Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal

from bot.answer.extract import SPELLING_VARIANT_MIN, by_first_letter, date_matches
from index.crosslingual import GROUP_SEPARATOR, members, translations
from index.text import fold

AnswerType = Literal["date", "number", "person", "place", "thing", "reason", "other"]
ANSWER_TYPES: tuple[AnswerType, ...] = (
    "date", "number", "person", "place", "thing", "reason", "other",
)  # fmt: skip
#: Types whose span is short enough to lead the reply with.
LEAD_TYPES: frozenset[AnswerType] = frozenset({"date", "number", "person", "place", "thing"})

_FLAGS = re.IGNORECASE
# Order matters: the first pattern that matches decides ("how many years" is a number,
# "which year" a date, "which city" a place, "which company" a named thing).
_DATE_Q = re.compile(
    r"\b(when|what (year|date|day|month|time)|which (year|date|day|month)|since when|"
    r"how long ago|in what year|on what (date|day)|"
    r"quand|depuis quand|(en|à|a|pour|depuis) quelle (ann[ée]e|date|[ée]poque|p[ée]riode|heure)|"
    r"quelle (ann[ée]e|date|heure)|quel (jour|mois)|(en|depuis) quel (mois|jour))\b",
    _FLAGS,
)
#: Nouns that name a measured quantity: asking for one asks for a number.
_QUANTITY_FR = (
    r"(budget|population|audience|superficie|surface|altitude|co[ûu]t|salaire|effectif|taux|"
    r"vitesse|poids|capacit[ée]|temp[ée]rature|dur[ée]e|distance|taille|hauteur|longueur|"
    r"profondeur|largeur|montant|prix|nombre|pourcentage|proportion|part|chiffre d'affaires|"
    r"densit[ée]|"
    r"diam[èe]tre|masse|volume|rayon|[âa]ge|score|revenu|dette|esp[ée]rance de vie|PIB)"
)
_QUANTITY_EN = (
    r"(budget|population|audience|area|altitude|elevation|cost|salary|rate|speed|weight|"
    r"capacity|temperature|duration|distance|size|height|length|depth|width|amount|price|"
    r"number|percentage|proportion|share|revenue|density|diameter|mass|volume|radius|age|score|"
    r"death toll|toll|debt|life expectancy|GDP)"
)
_ADJECTIVE = r"[^\W\d_]+"  # "le nouveau budget", "the total area"
_NUMBER_Q = re.compile(
    r"\b(how (many|much|old|long|far|big|large|tall|high)|what (percentage|proportion|share|"
    r"amount|number|sum|price|age|size)|combien|quel (âge|age|montant|nombre|pourcentage|prix|"
    r"chiffre|total|bilan|score)|quelle (somme|proportion|part|quantit[ée]|distance|dur[ée]e|"
    r"superficie|taille|hauteur|longueur|vitesse|altitude|profondeur|temp[ée]rature)|"
    r"[àa] quel (prix|point|âge|age)|"
    # "quelle est la population de…", "what was the budget…": a measured quantity is asked
    rf"(quel|quelle)s? (est|[ée]tait|sont|[ée]taient|a [ée]t[ée]|fut|sera|serait) "
    rf"(le |la |l'|l’|les )({_ADJECTIVE} )?{_QUANTITY_FR}|"
    rf"(what|which) (is|was|are|were|will be) (the )?({_ADJECTIVE} )?{_QUANTITY_EN})\b",
    _FLAGS,
)
_PLACE_Q = re.compile(
    r"\b(where|from where|d'o[uù]|o[uù]|(in|to|from|at) (which|what) (country|city|town|region|"
    r"province|place|state|village|area|district|capital|continent|island|slum|stadium|port)|"
    r"(which|what) (country|city|town|region|province|place|village|capital|continent|island)|"
    r"(dans|de|en|à|a|vers|par) (quel|quelle|quels|quelles) (pays|ville|r[ée]gion|province|"
    r"endroit|lieu|village|quartier|capitale|continent|[îi]le|bidonville|stade|port|[ée]tat|"
    r"localit[ée]|commune|district|zone|prison|h[ôo]pital)|"
    r"(quel|quelle) (pays|ville|r[ée]gion|province|endroit|lieu|village|capitale|continent))\b",
    _FLAGS,
)
_PERSON_Q = re.compile(
    r"\b(who|whom|whose|qui|quel(le)? (est|sont|[ée]tait) (le|la|les) nom|"
    r"(quel|quelle) (homme|femme|personne|joueur|joueuse|pr[ée]sident|pr[ée]sidente|ministre|"
    r"dirigeant|dirigeante|chef|entraîneur|entraineur|chanteur|chanteuse|artiste|acteur|"
    r"actrice|journaliste|patron|patronne|porte-parole|responsable|officiel|avocat|juge|roi|"
    r"reine|candidat|candidate|militant|militante|opposant|opposante|footballeur|athl[èe]te)|"
    r"(which|what) (man|woman|person|player|president|minister|leader|coach|singer|artist|"
    r"actor|actress|journalist|boss|spokesman|spokeswoman|spokesperson|official|lawyer|judge|"
    r"king|queen|candidate|activist|footballer|athlete))\b",
    _FLAGS,
)
_REASON_Q = re.compile(
    r"\b(why|for what reason|how come|how did|how does|how do|how was|how were|how is|how are|"
    r"pourquoi|pour quelle raison|comment (?!s'appel|s’appel|se nomm|nomme|appelle)|"
    r"que faire|que (?:doit-on|faut-il) faire|qu['’]est-ce qu['’](?:il faut|on doit) faire|"
    r"what (?:should|can|could|must) (?:i|we|you|one|people|they) do|what to do)",
    _FLAGS,
)
_THING_Q = re.compile(
    r"\b(which|what|quel|quelle|quels|quelles|lequel|laquelle|lesquels|lesquelles|"
    r"c'est quoi|c’est quoi|quoi|name of|nom d[eu]|comment s'appel|comment s’appel|"
    r"comment se nomm)",
    _FLAGS,
)


#: Question patterns, in the order that breaks a tie between two matching at the same place.
_QUESTION_TYPES: tuple[tuple[re.Pattern[str], AnswerType], ...] = (
    (_DATE_Q, "date"),
    (_NUMBER_Q, "number"),
    (_PLACE_Q, "place"),
    (_PERSON_Q, "person"),
    (_REASON_Q, "reason"),
    (_THING_Q, "thing"),
)


def classify(question: str) -> AnswerType:
    """The kind of answer ``question`` asks for (English or French), ``"other"`` if unclear.

    The interrogative that comes first decides: in "Qui dirigeait l'équipe quand il l'a
    rejointe ?" or "Quelle est la profession de celui qui…", the later "quand" and "qui" open
    clauses, they do not ask. Two patterns matching at one place go by ``_QUESTION_TYPES``'s
    order ("which year" is a date, not any named thing).
    """
    first: tuple[int, AnswerType] | None = None
    for pattern, kind in _QUESTION_TYPES:
        match = pattern.search(question)
        if match is not None and (first is None or match.start() < first[0]):
            first = (match.start(), kind)
    return first[1] if first is not None else "other"


@dataclass(frozen=True, slots=True)
class Span:
    """A candidate answer inside a sentence: ``sentence[start:end] == text``."""

    start: int
    end: int
    text: str
    kind: AnswerType


def date_spans(sentence: str) -> list[tuple[int, int]]:
    """(start, end) of each date expression (the grammar of ``bot.answer.extract``)."""
    out = []
    for match in date_matches(sentence):
        text = match.group()
        start = match.start() + len(text) - len(text.lstrip())
        out.append((start, start + len(text.strip())))
    return out


# --- numbers ----------------------------------------------------------------------------------

_NUMBER_WORDS = (
    "un|une|deux|trois|quatre|cinq|six|sept|huit|neuf|dix|onze|douze|treize|quatorze|quinze|"
    "seize|vingt|trente|quarante|cinquante|soixante|soixante-dix|quatre-vingts?|quatre-vingt-dix|"
    "cent|cents|mille|million|millions|milliard|milliards|centaine|centaines|dizaine|dizaines|"
    "douzaine|millier|milliers|"
    "one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|fifteen|twenty|thirty|"
    "forty|fifty|hundred|hundreds|thousand|thousands|million|millions|billion|billions|dozen"
)
_NUMERAL = r"\d+(?:[\s\u202f.,]\d{3})*(?:[.,]\d+)?"
_MULTIPLIER = r"(?:\s+(?:millions?|milliards?|mille|billions?|thousand|hundred|trillions?))?"
_UNIT = (
    r"(?:\s?(?:%|€|\$|£)|\s*(?:pour\s?cent|per\s?cent|percent|km|m|kg|t|ha|mw|gw)\b"
    r"|\s+(?:de\s+|d['’]\s*|of\s+)?[^\W\d_][\w'’-]*)?"
)
_NUMBER_WORDS_GROUPED = by_first_letter(_NUMBER_WORDS)  # the same words, tried twice as fast
_NUMBER = re.compile(  # its first character, said first, lets the engine skip (as _DATE)
    rf"(?=[\w$€£])(?:[$€£]\s?)?\b(?:{_NUMERAL}|(?:{_NUMBER_WORDS_GROUPED})\b(?:[\s-]+(?:(?:{_NUMBER_WORDS_GROUPED})\b|et\b))*)"
    rf"{_MULTIPLIER}{_UNIT}",
    _FLAGS,
)
_ARTICLE_WORDS = frozenset({"un", "une", "one"})  # "un homme" is rarely a count
_NUMBER_WORD = re.compile(f"(?:{_NUMBER_WORDS})", _FLAGS)


def number_spans(sentence: str) -> list[Span]:
    """Numbers with their unit or counted noun: "six heures", "40 %", "3,5 millions de dollars"."""
    out: list[Span] = []
    for match in _NUMBER.finditer(sentence):
        text = match.group().rstrip(" ,.")
        start = match.start()
        words = text.split()
        if words and fold(words[0]) in _ARTICLE_WORDS:
            if len(words) < 2 or not _NUMBER_WORD.fullmatch(fold(words[1])):
                continue
            cut = text.index(words[1], len(words[0]))  # "une centaine de fractures"
            text, start = text[cut:], start + cut
        if not any(ch.isdigit() for ch in text) and len(text.split()) < 2:
            continue  # a bare number word without a counted noun ("deux") says little
        out.append(Span(start, start + len(text), text, "number"))
    return out


#: "How many hours…", "combien de places…": the noun a count question counts.
_COUNTED = re.compile(r"\b(?:how\s+many|combien\s+(?:de|d['’])\s*)\s*([^\W\d_]{3,})", _FLAGS)
#: English counted nouns whose French word shares no prefix with them (news text is French).
_COUNTED_FR: dict[str, tuple[str, ...]] = {
    "hour": ("heure",), "day": ("jour",), "week": ("semaine",), "month": ("mois",),
    "year": ("an", "annee"), "time": ("fois",),
    "people": ("personne", "gens", "mort", "victime", "blesse", "habitant"),
    "person": ("personne", "mort", "victime", "blesse"), "death": ("mort", "deces", "victime"),
    "child": ("enfant",), "children": ("enfant",), "woman": ("femme",), "women": ("femme",),
    "man": ("homme",), "men": ("homme",), "country": ("pays",), "countries": ("pays",),
    "pound": ("livre",), "vote": ("voix", "vote"), "seat": ("siege",), "goal": ("but",),
    "book": ("livre",), "job": ("emploi",), "tree": ("arbre",), "house": ("maison",),
    "bird": ("oiseau",),
}  # fmt: skip


@lru_cache(maxsize=1024)  # asked once per sentence read, of the same question
def counted_noun(question: str) -> str | None:
    """The noun after "how many"/"combien de", folded and singular; None for other questions."""
    match = _COUNTED.search(question)
    return _singular(fold(match.group(1))) if match else None


#: "How much did Chelsea pay…", "combien le Royaume-Uni verse-t-il…": a sum of money is asked.
_MONEY_Q = re.compile(
    r"\b(?:how much|combien|quel(?:le)? (?:(?:est|[ée]tait|a [ée]t[ée]) (?:le|la|l['’]) ?)?"
    r"(?:montant|prix|somme|budget|salaire|co[uû]t|amende)|"
    r"what (?:is|was|are|were) the (?:price|cost|fee|salary|budget|fine|amount))\b",
    _FLAGS,
)
_MONEY_CUE = re.compile(
    r"\b(?:pay|paid|cost|co[uû]t|spen[dt]|earn|worth|fund|invest|raise|sold\b|sell|buy|bought|"
    r"charge|fine[ds]?|owe|borrow|lend|loan|price|prix|fee|salar|budget|compensat|donat|money|"
    r"pa[iy]e|payer|pay[ée]|vers[eé]|verser|d[ée]pens|gagn|va(?:ut|lait)|lev[ée]|vend|achet|"
    r"pr[êe]t|emprunt|amende|touch|re[cç]u|financ|d[ée]bours|montant|somme|argent)",
    _FLAGS,
)
#: Currencies, as symbols, codes and words (French and English), that make a number a sum.
_CURRENCY = re.compile(
    r"[€$£¥₦₹₽₺₩]|\b(?:euros?|dollars?|livres?|pounds?|sterling|francs?|f?cfa|centimes?|"
    r"nairas?|shillings?|rands?|yuans?|renminbi|cedis?|dinars?|dirhams?|r[iy]als?|roupies?|"
    r"rupees?|yens?|pesos?|r[ée]als?|reais|roubles?|rubles?|lires?|liras?|kwachas?|kwanzas?|"
    r"birrs?|leones?|ouguiyas?|ariary|dalasis?|meticals?|pulas?|nakfas?|shekels?|couronnes?|"
    r"kronor|kron[ae]|zlotys?|forints?|hryvnias?|bahts?|ringgits?|rupiahs?|wons?|dongs?|takas?|"
    r"usd|eur|gbp|xof|xaf|bitcoins?)\b",
    _FLAGS,
)


@lru_cache(maxsize=1024)
def money_asked(question: str) -> bool:
    """Whether ``question`` asks for a sum of money (not "how many X", which counts X)."""
    return (
        counted_noun(question) is None
        and _MONEY_Q.search(question) is not None
        and _MONEY_CUE.search(question) is not None
    )


def is_money(span: Span) -> bool:
    return _CURRENCY.search(span.text) is not None


#: "What share of the vote…", "quel pourcentage des voix…": a share, so a percentage answers.
_SHARE_Q = re.compile(
    r"\b(?:(?:what|which)\s+(?:share|percentage|proportion|percent)|how\s+many\s+per\s?cent|"
    r"quel(?:le)?\s+(?:(?:est|[ée]tait)\s+(?:le|la)\s+)?(?:part|pourcentage|proportion)|"
    r"combien\s+de\s+pour\s?cent)\b",
    _FLAGS,
)
_PERCENT = re.compile(r"%|\b(?:pour\s?cent|per\s?cent|percent)\b", _FLAGS)


@lru_cache(maxsize=1024)
def share_asked(question: str) -> bool:
    """Whether ``question`` asks for a share, which a percentage answers."""
    return _SHARE_Q.search(question) is not None


def is_share(span: Span) -> bool:
    return _PERCENT.search(span.text) is not None


#: Where a question names the kind of thing it asks for: "which *city*", "quel *stade*", "the
#: name of the *start-up*", "who is the *spokesman*", "qui est le *porte-parole*".
_ASKED = re.compile(
    r"\b(?:which|what(?:'s|’s|\s+(?:is|was|are|were))?(?:\s+(?:the|an?))?|"
    r"who(?:'s|’s|\s+is|\s+was)\s+the|"
    r"name\s+of\s+the|quel(?:le)?s?(?:\s+(?:est|était|etait|sont)\s+l[ea'’]s?)?|"
    r"qui\s+(?:est|était|etait)\s+l[ea'’]|nom\s+d[eu]\s+(?:la\s+|l['’])?|s['’]appel(?:le|ait)\s+l[ea'’])"
    r"\s*([^\W\d_][\w-]+)(?:\s+([^\W\d_][\w-]+))?",
    _FLAGS,
)
#: Characters between an asked noun and the span after it ("opération appelée Minusma").
NOUN_SPAN_CHARS = 40
#: What stands between a name and the noun in apposition after it: "Optim Energy, une start-up".
_APPOSITION = re.compile(r"\s*[,–-]\s*(?:(?:un|une|le|la|les|a|an|the)\s+|l['’])?", _FLAGS)
#: "Who heads / runs / chairs X" asks for the noun a sentence names X's head with.
_ROLE_OF_VERB = {
    "heads": "boss", "leads": "leader", "runs": "boss", "chairs": "chair", "directs": "boss",
    "founded": "founder", "dirige": "dirigeant", "preside": "president", "presidera": "president",
    "presider": "president", "fonde": "fondateur",
}  # fmt: skip
_ROLE_VERB = re.compile(
    r"\b(?:who|qui)\s+(?:(?:will|doit|va|devrait|a|avait|has|had)\s+)?"
    r"(heads|leads|runs|chairs|directs|founded|dirige|préside|présidera|présider|fondé)\b",
    _FLAGS,
)
NAMED_KINDS: frozenset[AnswerType] = frozenset({"person", "place", "thing"})
_WORD = re.compile(r"\w+")
_NOT_ASKED = frozenset(
    fold(w)
    for line in (
        "is are was were did does do has have had can could will would the and for from with",
        "est sont était sera ont avait fait peut doit des les une",
    )
    for w in line.split()
)


def asked_nouns(question: str, language: str = "") -> tuple[str, ...]:
    """The noun naming what a "which X / quel X" question asks for, folded, singular, with its
    lexicon translations ("city" also "ville"): a sentence that names its answer often says
    the noun next to it ("au stade Al Bayt", "une opération appelée Minusma"). An English
    noun may follow a capitalised adjective ("which Chinese city"): both are kept."""
    out: list[str] = []
    role = _ROLE_VERB.search(question)  # "who heads X" asks for X's head
    if role is not None:
        noun = _ROLE_OF_VERB[fold(role.group(1))]
        out.extend([noun, *(_singular(t) for t in translations(noun, language))])
    for match in _ASKED.finditer(question):
        first, second = match.groups()
        words = [first]
        if second is not None and first[0].isupper() and language.startswith("en"):
            words.append(second)
        for word in map(fold, words):
            if word not in _NOT_ASKED and len(word) >= 3:
                noun = _singular(word)
                out.extend([noun, *(_singular(t) for t in translations(noun, language))])
    return tuple(dict.fromkeys(out))


def noun_spans(sentence: str, kind: AnswerType, question: str, nouns: Sequence[str]) -> float:
    """1 when ``sentence`` holds a ``noun_span``, else 0 (the reader's feature)."""
    return float(noun_span(sentence, kind, question, nouns) is not None)


def noun_span(sentence: str, kind: AnswerType, question: str, nouns: Sequence[str]) -> Span | None:
    """The first new span that follows an asked noun in ``sentence`` within
    ``NOUN_SPAN_CHARS``, or stands in apposition just before it ("Steve Mahon, directeur
    général de Mura"): for the kinds that are names, any new capitalised name ("au stade [Al
    Bayt]" has no place preposition before the name), else a new span of ``kind``."""
    stems = tuple(n[:5] for n in nouns)
    spots = [m.span() for m in _WORD.finditer(sentence) if fold(m.group()).startswith(stems)]
    if not spots:
        return None
    found = new_spans(sentence, "thing" if kind in NAMED_KINDS else kind, question)
    if kind in ("person", "place"):  # "le président du Malawi, Lazarus Chakwera": the person
        wanted = {(s.start, s.end) for s in spans(sentence, kind)}
        found.sort(key=lambda s: (s.start, s.end) not in wanted)
    return next(
        (
            span
            for span in found
            if not _only_asked_nouns(span, stems)  # "Coach : Olivier Niyungeko": not "Coach"
            for start, end in spots
            if 0 <= span.start - end <= NOUN_SPAN_CHARS
            or (start >= span.end and _APPOSITION.fullmatch(sentence, span.end, start))
        ),
        None,
    )


def _only_asked_nouns(span: Span, stems: tuple[str, ...]) -> bool:
    return all(fold(w).startswith(stems) for w in _WORD.findall(span.text))


def nouns_near(sentence: str, span: Span, nouns: Sequence[str]) -> int:
    """How many of the asked nouns' stems the sentence says within ``NOUN_SPAN_CHARS`` of
    ``span``: "le ministre russe de la défense, Sergueï Choïgou" says two of "which Russian
    defence minister", "le ministre britannique de la défense, Ben Wallace" one."""
    window = fold(sentence[max(0, span.start - NOUN_SPAN_CHARS) : span.end + NOUN_SPAN_CHARS])
    said = {fold(w)[:5] for w in _WORD.findall(window)}
    return len({n[:5] for n in nouns} & said)


def noun_pattern(nouns: Sequence[str]) -> re.Pattern[str] | None:
    """A quick test on folded text: does it hold a word starting like an asked noun?"""
    if not nouns:
        return None
    return re.compile(r"\b(?:" + "|".join(sorted({re.escape(n[:5]) for n in nouns})) + ")")


def _singular(word: str) -> str:
    plural = len(word) > 3 and word.endswith(("s", "x")) and not word.endswith("ss")  # "boss"
    return word[:-1] if plural else word


def counts(span: Span, noun: str) -> bool:
    """Whether a number span counts ``noun`` ("six heures" counts "hours", "28 places" places)."""
    words = [_singular(w) for w in re.findall(r"[^\W\d_]+", fold(span.text))]
    wanted = {noun, *_COUNTED_FR.get(noun, ())}
    return any(w == x or (len(w) >= 4 and len(x) >= 4 and w[:4] == x[:4]) for w in words
               for x in wanted)  # fmt: skip


# --- names --------------------------------------------------------------------------------------

_UPPER = "A-ZÀ-ÖØ-ÞŒÆŸ"
_NAME_WORD = rf"(?:[{_UPPER}][\w’'.-]*|[{_UPPER}]{{2,}})"
_PARTICLE = r"(?:de|du|des|d['’]|la|le|van|von|der|den|al|el|ben|bin|ibn|da|dos|do|of|the|y)"
_NAME = re.compile(rf"{_NAME_WORD}(?:(?:\s+{_PARTICLE})?\s+{_NAME_WORD})*")
#: Capitalised words that start sentences or are titles, not names by themselves.
_NOT_NAMES = frozenset(
    fold(w)
    for w in [
        "Le",
        "La",
        "Les",
        "L",
        "Un",
        "Une",
        "Des",
        "Du",
        "De",
        "Ce",
        "Cette",
        "Ces",
        "Il",
        "Elle",
        "Ils",
        "Elles",
        "On",
        "Nous",
        "Vous",
        "Je",
        "Mais",
        "Et",
        "Ou",
        "En",
        "Au",
        "Aux",
        "Dans",
        "Pour",
        "Par",
        "Sur",
        "Avec",
        "Selon",
        "Depuis",
        "Lors",
        "Après",
        "Avant",
        "Alors",
        "Ainsi",
        "Pourtant",
        "Cependant",
        "Toutefois",
        "Puis",
        "Quand",
        "Si",
        "Son",
        "Sa",
        "Ses",
        "Leur",
        "Leurs",
        "Qui",
        "Que",
        "Quoi",
        "Comment",
        "Pourquoi",
        "Où",
        "M",
        "Mme",
        "Mlle",
        "Dr",
        "Pr",
        "Lire",
        "Regarder",
        "The",
        "A",
        "An",
        "This",
        "That",
        "These",
        "Those",
        "He",
        "She",
        "They",
        "It",
        "We",
        "You",
        "I",
        "But",
        "And",
        "Or",
        "In",
        "On",
        "At",
        "For",
        "By",
        "With",
        "According",
        "Since",
        "When",
        "While",
        "If",
        "His",
        "Her",
        "Their",
        "Its",
        "Who",
        "What",
        "Why",
        "How",
        "Where",
        "Mr",
        "Mrs",
        "Ms",
        "Monday",
        "Tuesday",
        "Wednesday",
        "Thursday",
        "Friday",
        "Saturday",
        "Sunday",
        "Lundi",
        "Mardi",
        "Mercredi",
        "Jeudi",
        "Vendredi",
        "Samedi",
        "Dimanche",
    ]
)
#: An article or a place preposition just before a name: a country, a body, a place, not a person.
_NOT_PERSON_BEFORE = re.compile(r"(?:\b(?:le|la|du|au|en|in|at|from|into)\s+|\bl['’])$", _FLAGS)
_DETERMINERS = frozenset({"le", "la", "du", "au", "l", "the"})
_QUOTED = re.compile(r"[«“\"]\s?([^«»“”\"]{2,60}?)\s?[»”\"]")
#: How far before a name its place preposition can start: "près des" and "les" with their
#: spaces fit many times over, unless the sentence has a run of ``_LONG_SPACE`` (then the
#: whole text before the name is searched). Searching only there, not from the sentence's
#: start for every name, finds the same prepositions.
_PREPOSITION_REACH = 64
_LONG_SPACE = re.compile(r"\s{16}")
_PLACE_PREPOSITION = re.compile(
    r"(?:\b(?:à|au|aux|en|dans|vers|depuis|près d[eu]s?|in|at|from|near|to|into|across)\s+"
    r"(?:l['’]|la\s+|le\s+|les\s+|the\s+)?)$",
    _FLAGS,
)


def name_spans(sentence: str) -> list[Span]:
    """Capitalised sequences ("Xie Zhenhua", "Banque mondiale" is missed; "BBC Afrique" kept).

    A name is a "person" candidate unless a singular article or a place preposition stands
    before it: people are not "la Russie", "du Burundi" or "au Royaume-Uni" (groups may be: "les
    Égyptiens"), so those are "thing" spans (places through ``place_spans``), which "who"
    questions do not want.
    """
    out: list[Span] = []
    for match in _NAME.finditer(sentence):
        words = match.group().split()
        dropped: list[str] = []
        while words and fold(words[0].strip(".")) in _NOT_NAMES:
            dropped.append(fold(words[0].strip(".")))
            words = words[1:]
        if not words:
            continue
        text = " ".join(words).rstrip(".,;:")
        start = sentence.find(text, match.start())
        if start < 0 or len(text) < 2:
            continue
        if len(words) == 1 and not text.isupper() and not sentence[:start].strip(" «“\"'(-"):
            continue  # a lone capitalised first word is just the sentence's start ("Fondée")
        before = sentence[max(0, start - 12) : start]
        not_a_person = any(w in _DETERMINERS for w in dropped) or bool(
            _NOT_PERSON_BEFORE.search(before)
        )
        out.append(Span(start, start + len(text), text, "thing" if not_a_person else "person"))
    for match in _QUOTED.finditer(sentence):
        inner = match.group(1).strip()
        if inner and len(inner.split()) <= 6:
            start = sentence.find(inner, match.start())
            out.append(Span(start, start + len(inner), inner, "thing"))
    return out


def place_spans(sentence: str) -> list[Span]:
    """Names that follow a place preposition ("à Lagos", "dans l'océan Indien", "in Makoko")."""
    out: list[Span] = []
    reach = _PREPOSITION_REACH if _LONG_SPACE.search(sentence) is None else len(sentence)
    for span in name_spans(sentence):
        # Any capitalised name ("person" or, after an article, "thing"); not a lower-case title.
        before = max(0, span.start - reach)
        if span.text[:1].isupper() and _PLACE_PREPOSITION.search(sentence, before, span.start):
            out.append(Span(span.start, span.end, span.text, "place"))
    # "l'océan Indien", "le port de Las Palmas", "les îles Canaries": a geographic noun first;
    # "les rizières de West Kiang, en Gambie": a name placed in a region or country after it.
    for match in _GEOGRAPHIC_NAME.finditer(sentence):
        out.append(_place(sentence, match.start(), match.end()))
    for match in _NAME_THEN_PLACE.finditer(sentence):
        out.append(_place(sentence, match.start(1), match.end(1)))
    return out


def _place(sentence: str, start: int, end: int) -> Span:
    text = sentence[start:end].rstrip(".,;:")
    return Span(start, start + len(text), text, "place")


_GEOGRAPHIC_NAME = re.compile(  # case-sensitive names after case-insensitive nouns
    # The nouns' first letters, said first, let the engine skip the other words (1.6x faster).
    r"(?=(?i:[ofmlgrpvqbdîiacs]))"
    r"\b(?i:oc[ée]an|mer|lac|fleuve|golfe|r[ée]gion|province|ville|village|quartier|"
    r"bidonville|d[ée]sert|mont|[îi]les?|archipel|port|district|commune|d[ée]partement|"
    r"ocean|sea|lake|river|gulf|region|city|islands?|county)\s+"
    rf"(?i:de\s+|du\s+|d['’]|of\s+)?{_NAME_WORD}(?:\s+{_NAME_WORD})*"
)
_NAME_THEN_PLACE = re.compile(
    rf"(?=[{_UPPER}])({_NAME_WORD}(?:\s+{_NAME_WORD})*),\s+(?:en|au|aux|dans\s+l[ae]s?|in)\s+"
    rf"{_NAME_WORD}"
)


def spans(sentence: str, kind: AnswerType) -> list[Span]:
    """Every candidate answer of ``kind`` in ``sentence`` (none for reason/other)."""
    return list(_spans(sentence, kind))


@lru_cache(maxsize=32_768)  # a sentence of an article read again for another question
def _spans(sentence: str, kind: AnswerType) -> tuple[Span, ...]:
    if kind == "date":
        return tuple(Span(s, e, sentence[s:e], "date") for s, e in date_spans(sentence))
    if kind == "number":
        dates = date_spans(sentence)
        return tuple(
            s for s in number_spans(sentence) if not any(ds <= s.start < de for ds, de in dates)
        )
    if kind == "person":
        return tuple(s for s in name_spans(sentence) if s.kind == "person")
    if kind == "place":
        return tuple(place_spans(sentence))
    if kind == "thing":
        return tuple(name_spans(sentence))
    return ()


@lru_cache(maxsize=8192)  # the question, and the spans every question reads again
def _words(text: str) -> frozenset[str]:
    return frozenset(w for w in re.findall(r"\w+", fold(text)) if len(w) > 1)


def new_spans(sentence: str, kind: AnswerType, question: str) -> list[Span]:
    """Spans of ``kind`` that say something the question does not already say."""
    asked = _words(question)
    out = []
    for span in spans(sentence, kind):
        words = _words(span.text)
        if words and not words <= asked and not _prefix_covered(words, asked):
            out.append(span)
    return out


def type_match(sentence: str, kind: AnswerType, question: str) -> float:
    """1 when the sentence holds a new span of the wanted kind; for "how many X", 1 only for
    a count of X and 0.5 for any other number ("20 %" does not answer "how many hours"); for
    "how much did they pay", 1 only for a sum of money."""
    if kind not in LEAD_TYPES:
        return 0.0
    found = new_spans(sentence, kind, question)
    if not found:
        return 0.0
    full = _full_matches(found, kind, question)
    return 1.0 if full is None or full else 0.5


def _full_matches(found: list[Span], kind: AnswerType, question: str) -> list[Span] | None:
    """The spans that fully answer a question that wants a particular number: counts of X
    for "how many X", sums for "how much did they pay". None when any span of ``kind`` does."""
    if kind != "number":
        return None
    noun = counted_noun(question)
    if noun is not None:
        return [s for s in found if counts(s, noun)]
    if money_asked(question):
        return [s for s in found if is_money(s)]
    if share_asked(question):
        return [s for s in found if is_share(s)]
    return None


def names_a_person(name: str) -> bool:
    """Whether a "person" span could be someone's name: "Covid-19", "G20" and lone acronyms
    ("US", "WTA") name things and groups, and would read as a wrong answer to "who"."""
    return not any(c.isdigit() for c in name) and not (name.isupper() and " " not in name)


def _prefix_covered(words: frozenset[str], asked: frozenset[str]) -> bool:
    """ "Zakharova" in the question covers "Zakharova" and "Zakharov" (one-letter variants)."""
    return all(any(w[:5] == a[:5] and len(w) >= 5 for a in asked) for w in words)


def best_span(
    sentence: str, kind: AnswerType, question: str, anchors: Iterable[str] = ()
) -> Span | None:
    """The span to lead with: of the wanted kind, new to the question, nearest its anchors."""
    if kind not in LEAD_TYPES:
        return None
    found = new_spans(sentence, kind, question)
    if kind == "person":  # "who" may be a team ("AFC") for the reader, not for the lead
        found = [s for s in found if names_a_person(s.text)]
    # "how many hours" leads with a count of hours, "how much" with a sum, "what share" with a
    # percentage, or not at all: "20 ans" is a wrong first word for "how many fractures"
    full = _full_matches(found, kind, question)
    if full is not None:
        found = full
    if not found:
        return None
    if len(found) == 1:
        return found[0]
    folded = fold(sentence)
    spots = [m.start() for a in anchors if len(a) > 2 for m in re.finditer(re.escape(a), folded)]
    if not spots:
        return found[0]
    return min(found, key=lambda s: min(min(abs(s.start - p), abs(s.end - p)) for p in spots))


# --- constraints --------------------------------------------------------------------------------

_YEAR = re.compile(r"\b(1[5-9]\d{2}|20\d{2})\b")
_FIGURE = re.compile(r"\b\d+(?:[.,]\d+)?\b")


@dataclass(frozen=True, slots=True)
class Constraints:
    """What a question pins down and an answer must not contradict: years, figures, names."""

    years: tuple[str, ...]
    figures: tuple[str, ...]
    #: Folded capitalised words (not the question's first word). A word the lexicon translates
    #: is a group, "brazilian|bresilien|bresilienne": an English question's "Brazilian" or
    #: "World Cup" is met by a French article's "brésilien" or "Coupe du monde".
    names: tuple[str, ...]


def constraints(question: str, language: str = "") -> Constraints:
    """The distinctive terms of ``question`` (see ``Constraints``); ``language`` is the
    question's, for the translations of its names."""
    years = tuple(dict.fromkeys(_YEAR.findall(question)))
    figures = tuple(
        dict.fromkeys(f for f in _FIGURE.findall(question) if f not in years and len(f) > 1)
    )
    names: list[str] = []
    for i, match in enumerate(re.finditer(rf"[{_UPPER}][\w’'-]+", question)):
        word = fold(match.group())
        if i == 0 and match.start() < 2:
            continue
        if word in _NOT_NAMES or len(word) < 3:
            continue
        for part in re.split(r"[’'-]", word):
            if len(part) >= 3:
                names.append(GROUP_SEPARATOR.join([part, *translations(part, language)]))
    return Constraints(years, figures, tuple(dict.fromkeys(names)))


def found_terms(terms: Iterable[str], folded_text: str) -> frozenset[str]:
    """The ``terms`` found in ``folded_text``.

    A name matches through its first five letters, so "Zakharova" meets "Zakharov" and
    "Ethiopia" meets "Ethiopie"; a group ("cup|coupe") when any member does.
    """
    return frozenset(t for t in terms if any(_found(m, folded_text) for m in members(t)))


def share_of(terms: Sequence[str], found: Container[str]) -> float:
    """Share of ``terms`` among ``found`` (1.0 when there is nothing to find)."""
    if not terms:
        return 1.0
    return sum(t in found for t in terms) / len(terms)


def spans_words(term: str) -> bool:
    """Whether a member of ``term`` has a space ("coupe du monde"): such a term can be found
    across two sentences joined, so a text of several sentences is searched as a whole."""
    return any(" " in m for m in members(term))


def _found(term: str, folded_text: str) -> bool:
    return _term_pattern(term).search(folded_text) is not None


@lru_cache(maxsize=4096)  # every sentence read checks the same few terms
def _term_pattern(term: str) -> re.Pattern[str]:
    if term.isdigit():
        return re.compile(rf"(?<!\d){re.escape(term)}(?!\d)")
    stem = term[:5] if len(term) >= 5 and " " not in term else term
    # "(?=first letter)" before "\b" changes no match and lets the search skip to that letter
    # (1.4x faster on news sentences), as in extract._DATE.
    first = f"(?={re.escape(term[0])})" if term else ""
    if len(term) < SPELLING_VARIANT_MIN or not term.isalpha():
        return re.compile(rf"{first}\b{re.escape(stem)}")
    # ... or the whole word with one letter after the first changed, added or dropped:
    # "Elizabeth" meets "Elisabeth", as sentence coverage already does (bot.answer.extract).
    # The first letter stays outside the alternation, so the search skips along as fast as
    # for the stem alone (a third of the time on BBC Afrique articles).
    rest = term[1:]
    variants = [rest[:i] + r"\w" + rest[i + 1 :] for i in range(len(rest))]
    variants += [rest[:i] + r"\w" + rest[i:] for i in range(len(rest) + 1)]
    variants += [rest[:i] + rest[i + 1 :] for i in range(len(rest))]
    return re.compile(rf"{first}\b{term[0]}(?:{stem[1:]}|(?:{'|'.join(variants)})\b)")
