"""Framing text in the question's language (English or French); quotes stay in the source's."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Messages:
    """Every user-facing string the answer and its renderers need, for one language."""

    language: str
    no_answer: str
    closest: str
    sources: str
    empty_index: str
    empty_question: str
    open_quote: str
    close_quote: str
    date_lead: str  # "{date}" then the quote

    def quote(self, text: str) -> str:
        return f"{self.open_quote}{text}{self.close_quote}"


ENGLISH = Messages(
    language="en",
    no_answer="The indexed news does not answer this question.",
    closest="Closest matches",
    sources="Sources",
    empty_index="The index holds no articles that match these filters.",
    empty_question="Ask a question about the news.",
    open_quote="“",
    close_quote="”",
    date_lead="{date}: ",
)

FRENCH = Messages(
    language="fr",
    no_answer="Les actualités indexées ne répondent pas à cette question.",
    closest="Résultats les plus proches",
    sources="Sources",
    empty_index="L’index ne contient aucun article correspondant à ces filtres.",
    empty_question="Posez une question sur l’actualité.",
    open_quote="« ",
    close_quote=" »",
    date_lead="{date} : ",
)


def messages_for(language: str) -> Messages:
    """French framing for French questions, English for every other language."""
    return FRENCH if language.lower().startswith("fr") else ENGLISH
