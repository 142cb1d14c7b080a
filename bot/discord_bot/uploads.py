"""Checking an uploaded article file before it may enter the upload folder.

Names keep their letters in any script and their suffix (``日本.txt`` stays ``日本.txt``, so the
next rebuild still reads it, and ``été.txt`` and ``ôté.txt`` stay two files). Content is read
within caps: a ``.jsonl.gz`` is decompressed as a stream and refused past a decompressed size,
and no line may exceed a length, so a small bomb cannot fill memory or the disk.
"""

from __future__ import annotations

import codecs
import io
import re
import unicodedata
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bot.discord_bot.i18n import t
from index.corpus import SUPPORTED_SUFFIXES

NAME_LIMIT = 120  # characters; file systems allow 255 bytes, and a UTF-8 letter may take 4
READ_CHUNK = 1 << 20
_UNSAFE = re.compile(r'[\\/:*?"<>|\s]+')


class UploadError(Exception):
    """Why an upload is refused: a sentence of ``i18n.STRINGS``, shown in the admin's language.

    ``str()`` is the English sentence (for logs).
    """

    def __init__(self, key: str, **params: Any) -> None:
        super().__init__(t("en", key, **params))
        self.key = key
        self.params = params

    def message(self, language: str) -> str:
        return t(language, self.key, **self.params)


def supported(filename: str) -> bool:
    return filename.lower().endswith(SUPPORTED_SUFFIXES)


def suffix_of(filename: str) -> str:
    """The supported suffix ``filename`` ends with (``.jsonl.gz`` before ``.gz``), or ""."""
    lower = filename.lower()
    for suffix in sorted(SUPPORTED_SUFFIXES, key=len, reverse=True):
        if lower.endswith(suffix):
            return filename[-len(suffix) :]
    return ""


def upload_name(filename: str) -> str:
    """A file name safe on any file system that keeps Unicode letters and the suffix.

    Path separators, reserved characters, whitespace and control characters become ``_``;
    leading dots go (no hidden files). NFC keeps "é" typed two ways as one name.
    """
    name = unicodedata.normalize("NFC", filename.replace("\\", "/").rsplit("/", 1)[-1])
    name = "".join("_" if unicodedata.category(ch).startswith("C") else ch for ch in name)
    name = _UNSAFE.sub("_", name).lstrip("._-")
    suffix = suffix_of(name)
    stem = name[: len(name) - len(suffix)] if suffix else name
    stem = stem.rstrip("._-")[: NAME_LIMIT - len(suffix)] or "article"
    return stem + suffix


@dataclass(frozen=True)
class ContentCheck:
    expanded_bytes: int
    longest_line: int  # characters


def check_content(
    name: str, data: bytes, *, max_expanded_bytes: int, max_line_chars: int
) -> ContentCheck:
    """UTF-8 text within the caps; a ``.gz`` is decompressed as a stream, never whole.

    Raises UploadError naming the cap that was passed.
    """
    decoder = codecs.getincrementaldecoder("utf-8")()
    expanded = 0
    longest = 0
    current = 0  # characters since the last newline
    for chunk in _chunks(name, data, max_expanded_bytes):
        expanded += len(chunk)
        if expanded > max_expanded_bytes:
            raise UploadError("upload_expanded", name=name, limit=f"{max_expanded_bytes:,}")
        try:
            text = decoder.decode(chunk)
        except UnicodeDecodeError:
            raise UploadError("upload_not_utf8", name=name) from None
        lines = text.split("\n")
        current += len(lines[0])  # the first piece continues the line before the chunk
        if len(lines) > 1:
            longest = max(longest, current, *(len(line) for line in lines[1:-1]))
            current = len(lines[-1])
        if max(longest, current) > max_line_chars:
            raise UploadError("upload_long_line", name=name, limit=f"{max_line_chars:,}")
    try:
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        raise UploadError("upload_not_utf8", name=name) from None
    return ContentCheck(expanded, max(longest, current))


def _chunks(name: str, data: bytes, limit: int) -> Iterator[bytes]:
    if name.lower().endswith(".gz"):
        yield from _gunzip(name, data, limit)
        return
    for start in range(0, len(data), READ_CHUNK):
        yield data[start : start + READ_CHUNK]


def _gunzip(name: str, data: bytes, limit: int) -> Iterator[bytes]:
    """Decompressed chunks of at most READ_CHUNK bytes; stops once past ``limit``."""
    source = io.BytesIO(data)
    produced = 0
    while True:  # the members of a multi-member gzip, one after another
        inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
        pending = b""
        while not inflater.eof:
            if not pending:
                pending = source.read(READ_CHUNK)
                if not pending:
                    raise UploadError("upload_gzip_truncated", name=name)
            try:
                out = inflater.decompress(pending, READ_CHUNK)
            except zlib.error:
                raise UploadError("upload_gzip_invalid", name=name) from None
            pending = inflater.unconsumed_tail
            produced += len(out)
            yield out
            if produced > limit:
                return
        rest = inflater.unused_data + source.read()
        if not rest.strip(b"\0"):
            return
        source = io.BytesIO(rest)


def staged_path(staging: Path, token: str, name: str) -> Path:
    """Where an upload waits while it is checked: its own folder, so names never collide."""
    return staging / token / name
