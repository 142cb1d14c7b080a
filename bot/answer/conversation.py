"""Follow-up questions: "and when did he leave?" after "Who invited Sergueï Lavrov to Mali?".

A conversation is the last few turns under a key (a Discord thread or DM, the console's chat
session), kept in memory with a cap and an expiry. A question that names nobody (or opens with
"and", "et", "what about"…) is a follow-up: it carries the names of the earlier turn and, unless
it sets its own, the earlier date and outlet filters. Retrieval is lexical and dense, so adding
the carried names to the searched text is what makes "he" find Lavrov's articles.
"""

from __future__ import annotations

import re
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass

from index.models import SearchFilters

MAX_CARRIED = 3  # names carried into a follow-up; more would drown the question's own words
MAX_CONVERSATIONS = 10_000  # least recently used conversations are forgotten past this

# Capitalised words that are not names: question words, articles, auxiliaries (EN, FR).
_NOT_NAMES_TEXT = """
    a an and are as at but by can could did do does for from had has have he her his how i if in
    is it its may might of on or our she should since so that the their them then there these
    they this those to until was we were what when where which while who whom whose why will
    with would you your also after before during about according tell give show list
    à au aux avec ce ces cet cette comment d dans de depuis des du elle elles en est et était
    il ils je l la le les leur leurs lors lorsque mais ne nous on ou où par pendant pour
    pourquoi qu quand que quel quelle quelles quels qui quoi sa sans se selon ses son sont sur
    ta tes ton tu un une vous y combien après avant donne dis cite liste
"""
_NOT_NAMES = frozenset(_NOT_NAMES_TEXT.split())
_WORD = re.compile(r"[^\W\d_][\w-]*", re.UNICODE)
_ELISION = re.compile(r"\b[dlnjmtscq]u?['’]", re.IGNORECASE)
_PRONOUN = re.compile(
    r"(?<![-\w])(he|she|him|his|her|hers|they|them|their|il|elle|ils|elles|lui|eux|leur)\b",
    re.IGNORECASE,
)
_CONNECTOR = re.compile(
    r"^\s*(and|et|also|aussi|what about|how about|and then|puis|ensuite|mais|but|"
    r"et (?:lui|elle|eux)|and (?:him|her|them))\b",
    re.IGNORECASE,
)


def names_in(text: str) -> tuple[str, ...]:
    """Runs of capitalised words that are not question words: "Sergueï Lavrov", "Mali"."""
    plain = _ELISION.sub(lambda m: " " * len(m.group()), text)  # same offsets as ``text``
    names: list[str] = []
    run: list[str] = []
    previous_end = -1

    def close() -> None:
        while run and run[-1].casefold() in _NOT_NAMES:  # "Le" of "Le Drian", not of "Le Mali"
            run.pop()
        if run:
            names.append(" ".join(run))
        run.clear()

    for match in _WORD.finditer(plain):
        word = match.group()
        adjacent = plain[previous_end : match.start()] == " "
        previous_end = match.end()
        if word[0].isupper() and (run or word.casefold() not in _NOT_NAMES):
            if run and not adjacent:
                close()
            if run or word.casefold() not in _NOT_NAMES:
                run.append(word)
        else:
            close()
    close()
    return tuple(dict.fromkeys(names))


@dataclass(frozen=True)
class Turn:
    """One question answered, as a later follow-up needs it."""

    question: str  # as the user asked it
    names: tuple[str, ...]  # named people, places, organisations the turn was about
    filters: SearchFilters | None
    at: float


@dataclass(frozen=True)
class FollowUp:
    """What to search for: the question with the carried names, and the filters to apply."""

    question: str  # the text to search and answer
    asked: str  # the text the user typed
    names: tuple[str, ...]
    filters: SearchFilters | None
    carried: tuple[str, ...]  # names taken from earlier turns (empty: a fresh question)

    def turn(self, at: float) -> Turn:
        return Turn(self.asked, self.names, self.filters, at)


def is_follow_up(question: str) -> bool:
    """Names nobody, opens like a continuation ("and", "what about"), or says "he"/"she".

    French inversion ("Où Lavrov se rendra-t-il ?") is not a pronoun for someone earlier.
    """
    return (
        not names_in(question)
        or bool(_CONNECTOR.match(question))
        or bool(_PRONOUN.search(question))
    )


def contextualise(question: str, filters: SearchFilters | None, history: list[Turn]) -> FollowUp:
    """The question as it should be searched, given the turns before it (oldest first)."""
    asked = " ".join(question.split())
    own = names_in(asked)
    if not history or not is_follow_up(asked):
        return FollowUp(asked, asked, own, filters, ())
    earlier = history[-1]
    known = {name.casefold() for name in own}
    carried = tuple(n for n in earlier.names if n.casefold() not in known)[:MAX_CARRIED]
    searched = f"{asked} ({', '.join(carried)})" if carried else asked
    chosen = filters if filters is not None and filters.active else earlier.filters
    return FollowUp(searched, asked, (*own, *carried)[:MAX_CARRIED], chosen, carried)


class Conversations:
    """The last ``turns`` turns per key, forgotten after ``ttl`` seconds of silence. Thread-safe."""

    def __init__(
        self,
        *,
        turns: int = 4,
        ttl: float = 1800.0,
        max_conversations: int = MAX_CONVERSATIONS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.turns = turns
        self.ttl = ttl
        self.max_conversations = max_conversations
        self.clock = clock
        self._lock = threading.Lock()
        self._by_key: OrderedDict[Hashable, list[Turn]] = OrderedDict()

    def history(self, key: Hashable) -> list[Turn]:
        """The remembered turns, oldest first; empty once the conversation has expired."""
        now = self.clock()
        with self._lock:
            turns = self._by_key.get(key)
            if turns is None:
                return []
            if now - turns[-1].at > self.ttl:
                del self._by_key[key]
                return []
            return list(turns)

    def ask(self, key: Hashable, question: str, filters: SearchFilters | None) -> FollowUp:
        """Contextualise ``question`` against this conversation (does not record it)."""
        return contextualise(question, filters, self.history(key))

    def record(self, key: Hashable, follow_up: FollowUp) -> None:
        self.add(key, follow_up.turn(self.clock()))

    def add(self, key: Hashable, turn: Turn) -> None:
        with self._lock:
            turns = self._by_key.pop(key, [])
            turns = [*turns, turn][-self.turns :]
            self._by_key[key] = turns
            while len(self._by_key) > self.max_conversations:
                self._by_key.popitem(last=False)

    def copy(self, source: Hashable, target: Hashable) -> bool:
        """Start ``target`` (a new thread) with ``source``'s turns (the answer it continues)."""
        turns = self.history(source)
        if not turns:
            return False
        for turn in turns:
            self.add(target, turn)
        return True

    def __len__(self) -> int:
        with self._lock:
            return len(self._by_key)
