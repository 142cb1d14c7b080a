"""Domain errors. They carry a message meant for the user; front ends print it as one line."""

from __future__ import annotations


class NewsbotError(Exception):
    """Base class: anything raised on purpose, with a message that says what to do next."""


class CorpusError(NewsbotError):
    """A corpus path cannot be read at all. Bad records inside a file are skipped, not raised."""


class IndexNotFoundError(NewsbotError):
    """No index has been built in the directory yet."""


class IndexMismatchError(NewsbotError):
    """The index on disk was built with another model, dimension or format."""


class IndexBusyError(NewsbotError):
    """Another build holds the index directory's lock."""


class EmbeddingModelError(NewsbotError):
    """The configured embedding model cannot be loaded."""


class SettingsError(NewsbotError):
    """A setting has a bad value; the message names the environment variable."""
