"""Corpus files → ``Article`` objects, surviving whatever the files get wrong.

Formats: JSON Lines (plain or gzip), JSON (a list of objects, or one object), plain text and
Markdown, and the product's own text format (a ``date YYYY-MM Title`` first line, the body, an
agency sign-off, a ``SourceURL:`` last line). Real corpora are messy, so a bad record or file is
recorded in the ``LoadReport`` and skipped; only a path that cannot be read at all raises
``CorpusError``. Everything streams: a large ``.jsonl.gz`` is never held in memory.

Folders are walked by ``iter_corpus_files``, the one walk every caller shares (the eval cache key
hashes exactly the files the reader reads). Its rule for links: symbolic links are followed, to
folders as to files, because a corpus assembled from links to other folders is an ordinary
setup; each real folder and each real file is visited once, so a link loop ends and a file
reachable two ways is read once.
"""

from __future__ import annotations

import dataclasses
import gzip
import json
import re
import zlib
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any, BinaryIO
from urllib.parse import urlsplit

from index.errors import CorpusError
from index.models import Article, LoadReport, content_hash
from index.text import normalise_text, parse_date

__all__ = [
    "DEFAULT_MAX_ARTICLE_CHARS",
    "FIELD_CANDIDATES",
    "FIELD_TARGETS",
    "SUPPORTED_SUFFIXES",
    "iter_corpus_files",
    "read_corpus",
]

# Longest first: ".jsonl.gz" must win over a plain ".gz" check.
SUPPORTED_SUFFIXES = (".jsonl.gz", ".jsonl", ".json", ".txt", ".md")

#: Longest article text kept (NEWSBOT_MAX_ARTICLE_CHARS). Long-form news runs to ~50,000
#: characters; a text far above that is a whole dump or a book given by mistake, and would cost
#: minutes of embedding as one "article" no answer can usefully cite.
DEFAULT_MAX_ARTICLE_CHARS = 300_000

# Record field names tried, in order, for each Article attribute (case-insensitive).
FIELD_CANDIDATES: Mapping[str, tuple[str, ...]] = {
    "id": ("id", "_id", "guid", "uuid"),
    "title": ("title", "headline", "name"),
    "text": ("text", "article", "body", "content", "maintext", "description"),
    "date": ("date", "published", "published_at", "pubdate", "date_publish", "datetime", "time"),
    "url": ("url", "link", "href"),
    "source": ("source", "outlet", "publisher", "site", "domain"),
}
#: The Article attributes a record field can be mapped to (NEWSBOT_JSONL_FIELD_MAP targets).
FIELD_TARGETS: tuple[str, ...] = tuple(FIELD_CANDIDATES)

# Short texts ("Vidéo", "Lire la suite") may be shared by distinct articles: dedupe those on
# title and text together, longer ones on text alone (OrangeSum repeats stories under new titles).
_MIN_TEXT_FOR_TEXT_DEDUPE = 200

_HEADER = re.compile(r"date\s+(\d{4}(?:-\d{1,2}){0,2})(?:\s+(.*\S))?", re.IGNORECASE)
_SOURCE_LINE = re.compile(r"SourceURL\s*:\s*(.*)", re.IGNORECASE)
_SIGNOFF_MAX_CHARS = 40
_SIGNOFF_MAX_WORDS = 4
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def read_corpus(
    paths: Iterable[Path],
    *,
    field_map: Mapping[str, str] | None = None,
    report: LoadReport | None = None,
    max_article_chars: int = DEFAULT_MAX_ARTICLE_CHARS,
) -> Iterator[Article]:
    """Yield the articles of every file under ``paths``, deduplicated, in a stable order.

    ``field_map`` (target → record field, e.g. ``{"text": "corps"}``) replaces the automatic
    field names for JSON records. An article whose cleaned text is longer than
    ``max_article_chars`` is skipped. Skipped records, duplicates and counts go to ``report``.
    Raises CorpusError at once (not on first iteration) for a missing path, an explicit file
    of an unsupported type, or an unknown ``field_map`` target.
    """
    if max_article_chars < 1:
        raise CorpusError(f"max_article_chars={max_article_chars} must be at least 1")
    roots = [_checked(Path(path)) for path in paths]
    reader = _Reader(
        _field_names(field_map or {}),
        report if report is not None else LoadReport(),
        max_article_chars,
    )
    return reader.read(roots)


def iter_corpus_files(paths: Iterable[Path], *, report: LoadReport | None = None) -> Iterator[Path]:
    """Every file ``read_corpus`` reads under ``paths``, once each, in reading order.

    A path naming a file is taken as it is; a folder gives its supported files, recursively,
    sorted by name at each level, skipping names that start with a dot. Links are followed (see
    the module docstring). A folder that cannot be listed, or a broken link with a corpus
    suffix, goes to ``report``. Raises CorpusError at once for a missing path or an explicit
    file of an unsupported type.
    """
    roots = [_checked(Path(path)) for path in paths]
    walk = _walk(roots, report if report is not None else LoadReport())
    return (path for _, path, _ in walk)


def _walk(roots: list[Path], report: LoadReport) -> Iterator[tuple[Path, Path, Path]]:
    """``(root, file, resolved file)`` for every file to read, each real file once."""
    files_seen: set[Path] = set()
    folders_seen: set[Path] = set()
    for root in roots:
        found = _walk_dir(root, folders_seen, report) if root.is_dir() else iter([root])
        for path in found:
            resolved = path.resolve()
            if resolved not in files_seen:  # a file named twice, or inside a named folder
                files_seen.add(resolved)
                yield root, path, resolved


def _walk_dir(directory: Path, folders_seen: set[Path], report: LoadReport) -> Iterator[Path]:
    real = directory.resolve()
    if real in folders_seen:  # a link loop, or a folder reached a second way
        return
    folders_seen.add(real)
    try:
        entries = sorted(directory.iterdir(), key=lambda entry: entry.name)
    except OSError as exc:
        report.skip(str(directory), f"cannot list folder: {exc.strerror or exc}")
        return
    for entry in entries:
        if entry.name.startswith("."):
            continue
        if entry.is_dir():
            yield from _walk_dir(entry, folders_seen, report)
        elif _suffix(entry) is None:
            continue
        elif entry.is_file():
            yield entry
        elif entry.is_symlink() and not entry.exists():
            report.skip(str(entry), "broken symbolic link")


def _checked(path: Path) -> Path:
    if not path.exists():
        raise CorpusError(f"{path} does not exist; check the corpus path")
    if not path.is_dir() and _suffix(path) is None:
        kinds = ", ".join(SUPPORTED_SUFFIXES)
        raise CorpusError(f"{path} is not a supported corpus file; use one of {kinds}")
    return path


def _field_names(field_map: Mapping[str, str]) -> dict[str, tuple[str, ...]]:
    unknown = sorted(set(field_map) - set(FIELD_CANDIDATES))
    if unknown:
        targets = ", ".join(FIELD_CANDIDATES)
        raise CorpusError(f"field map target {unknown[0]!r} is unknown; use one of {targets}")
    names = dict(FIELD_CANDIDATES)
    for target, name in field_map.items():
        names[target] = (name.strip().lower(),)
    return names


def _suffix(path: Path) -> str | None:
    name = path.name.lower()
    return next((suffix for suffix in SUPPORTED_SUFFIXES if name.endswith(suffix)), None)


def _stem(path: Path) -> str:
    suffix = _suffix(path)
    return path.name[: -len(suffix)] if suffix else path.stem


class _Reader:
    """State of one read: what has been produced, so duplicates and id clashes are caught."""

    def __init__(
        self, fields: dict[str, tuple[str, ...]], report: LoadReport, max_chars: int
    ) -> None:
        self.fields = fields
        self.report = report
        self.max_chars = max_chars
        self.hashes_seen: set[str] = set()
        self.ids_taken: set[str] = set()
        self.next_suffix: dict[str, int] = {}
        self.text_stems: set[str] = set()

    def read(self, roots: list[Path]) -> Iterator[Article]:
        for root, path, resolved in _walk(roots, self.report):
            self.report.files += 1
            for article in self._read_file(path, root, str(resolved)):
                admitted = self._admit(article)
                if admitted is not None:
                    self.report.articles += 1
                    yield admitted

    # --- files ------------------------------------------------------------------------------

    def _read_file(self, path: Path, root: Path, origin: str) -> Iterator[Article]:
        suffix = _suffix(path)
        if suffix in (".jsonl", ".jsonl.gz"):
            yield from self._read_jsonl(path, origin)
        elif suffix == ".json":
            yield from self._read_json(path, origin)
        else:
            article = self._read_text(path, root, origin)
            if article is not None:
                yield article

    def _read_jsonl(self, path: Path, origin: str) -> Iterator[Article]:
        stem = _stem(path)
        for line_no, raw in self._lines(path, origin):
            where = f"{origin}:{line_no}"
            record = self._parse_line(raw, where)
            if record is not None:
                article = self._record_article(record, origin, f"{stem}-{line_no}", where)
                if article is not None:
                    yield article

    def _lines(self, path: Path, origin: str) -> Iterator[tuple[int, bytes]]:
        """Non-blank lines with 1-based numbers; read errors (a truncated gzip) end the file."""
        line_no, found = 0, False
        try:
            with _open_binary(path) as handle:
                for line_no, raw in enumerate(handle, start=1):
                    if not raw.isspace():
                        found = True
                        yield line_no, raw
        except (OSError, EOFError, zlib.error) as exc:
            self.report.skip(origin, _read_error(exc, line_no))
            return
        if not found:
            self.report.skip(origin, "empty file")

    def _parse_line(self, raw: bytes, where: str) -> dict[str, Any] | None:
        try:
            line = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            self.report.skip(where, _not_utf8(raw, exc))
            return None
        try:
            value = json.loads(line.lstrip("\ufeff"))
        except json.JSONDecodeError as exc:
            self.report.skip(where, f"invalid JSON: {exc.msg} (col {exc.colno})")
            return None
        except RecursionError:
            self.report.skip(where, "invalid JSON: nested too deeply")
            return None
        if not isinstance(value, dict):
            self.report.skip(where, f"not a JSON object (got {_json_kind(value)})")
            return None
        return value

    def _read_json(self, path: Path, origin: str) -> Iterator[Article]:
        content = self._read_whole(path, origin)
        if content is None:
            return
        try:
            value = json.loads(content)
        except json.JSONDecodeError as exc:
            self.report.skip(origin, f"invalid JSON: {exc.msg} (line {exc.lineno} col {exc.colno})")
            return
        except RecursionError:
            self.report.skip(origin, "invalid JSON: nested too deeply")
            return
        stem = _stem(path)
        for number, record in enumerate(value if isinstance(value, list) else [value], start=1):
            where = f"{origin}:{number}"  # the record's position in the file, 1-based
            if not isinstance(record, dict):
                self.report.skip(where, f"not a JSON object (got {_json_kind(record)})")
                continue
            article = self._record_article(record, origin, f"{stem}-{number}", where)
            if article is not None:
                yield article

    def _read_whole(self, path: Path, origin: str) -> str | None:
        try:
            data = path.read_bytes()
        except OSError as exc:
            self.report.skip(origin, f"cannot read: {exc.strerror or exc}")
            return None
        try:
            content = data.decode("utf-8").lstrip("\ufeff")
        except UnicodeDecodeError as exc:
            self.report.skip(origin, _not_utf8(data, exc))
            return None
        if not content.strip():
            self.report.skip(origin, "empty file")
            return None
        return content

    # --- records ----------------------------------------------------------------------------

    def _record_article(
        self, record: dict[str, Any], origin: str, fallback_id: str, where: str
    ) -> Article | None:
        values = {str(key).lower(): value for key, value in record.items()}
        text_name, text_value = self._field(values, "text")
        if text_name is None:
            self.report.skip(where, self._missing_text_reason(values))
            return None
        if not isinstance(text_value, str):
            kind = _json_kind(text_value)
            self.report.skip(where, f"text field {text_name!r} is not a string (got {kind})")
            return None
        text = normalise_text(_storable(text_value))
        if not text:
            self.report.skip(where, f"text field {text_name!r} is blank once cleaned")
            return None
        if not self._fits(text, where):
            return None
        url = _as_text(self._field(values, "url")[1])
        return Article(
            id=_as_text(self._field(values, "id")[1]) or fallback_id,
            title=_one_line(_as_text(self._field(values, "title")[1]) or ""),
            text=text,
            date=parse_date(self._field(values, "date")[1]),
            source=_source_name(self._field(values, "source")[1]) or _host(url),
            url=url,
            origin=origin,
        )

    def _field(self, values: dict[str, Any], target: str) -> tuple[str | None, Any]:
        """The first of the target's field names holding a non-empty value."""
        for name in self.fields[target]:
            value = values.get(name)
            if value is not None and not (isinstance(value, str) and not value.strip()):
                return name, value
        return None, None

    def _missing_text_reason(self, values: dict[str, Any]) -> str:
        names = self.fields["text"]
        present = next((name for name in names if name in values), None)
        if present is not None:
            return f"empty text field {present!r}"
        return f"missing text field (looked for: {', '.join(names)})"

    # --- text files -------------------------------------------------------------------------

    def _read_text(self, path: Path, root: Path, origin: str) -> Article | None:
        content = self._read_whole(path, origin)
        if content is None:
            return None
        lines = _trimmed(content.replace("\r\n", "\n").replace("\r", "\n").split("\n"))
        fields = _product_fields(lines) or _plain_fields(lines, markdown=_suffix(path) == ".md")
        text = normalise_text(fields.body) or normalise_text(fields.title)
        if not text:
            self.report.skip(origin, "no text after the date line")
            return None
        if not self._fits(text, origin):
            return None
        return Article(
            id=self._text_file_id(path, root),
            title=_one_line(fields.title),
            text=text,
            date=fields.date,
            source=fields.source,
            url=fields.url,
            origin=origin,
        )

    def _fits(self, text: str, where: str) -> bool:
        """Whether the text is within the size cap; if not, the skip is reported."""
        if len(text) <= self.max_chars:
            return True
        self.report.skip(
            where,
            f"article text is {len(text):,} characters, above "
            f"NEWSBOT_MAX_ARTICLE_CHARS={self.max_chars}",
        )
        return False

    def _text_file_id(self, path: Path, root: Path) -> str:
        """The file stem; a clashing stem gets the path below its root, so both survive."""
        stem = _stem(path)
        if stem not in self.text_stems:
            self.text_stems.add(stem)
            return stem
        base = root if root.is_dir() else root.parent
        return (path.relative_to(base).parent / stem).as_posix()

    # --- dedupe -----------------------------------------------------------------------------

    def _admit(self, article: Article) -> Article | None:
        """None for a duplicate; else the article, renamed if its id is already taken."""
        keys = [article.content_hash]
        if len(article.text) >= _MIN_TEXT_FOR_TEXT_DEDUPE:
            keys.append(content_hash(article.text))
        if any(key in self.hashes_seen for key in keys):
            self.report.duplicates += 1
            return None
        self.hashes_seen.update(keys)
        unique = self._unique_id(article.id)
        return article if unique == article.id else dataclasses.replace(article, id=unique)

    def _unique_id(self, article_id: str) -> str:
        """``article_id``, or ``article_id~2``, ``~3``... when another article holds it."""
        if article_id not in self.ids_taken:
            self.ids_taken.add(article_id)
            return article_id
        number = self.next_suffix.get(article_id, 2)
        while f"{article_id}~{number}" in self.ids_taken:
            number += 1
        self.next_suffix[article_id] = number + 1
        self.ids_taken.add(f"{article_id}~{number}")
        return f"{article_id}~{number}"


# --- text file layouts --------------------------------------------------------------------


@dataclasses.dataclass(frozen=True, slots=True)
class _TextFields:
    title: str
    body: str
    date: str | None = None
    source: str | None = None
    url: str | None = None


def _product_fields(lines: list[str]) -> _TextFields | None:
    """The product format: ``date 2023-02 Title`` / body / sign-off / ``SourceURL: x``."""
    header = _HEADER.fullmatch(lines[0].strip())
    if header is None:
        return None
    body = lines[1:]
    source_line = _SOURCE_LINE.fullmatch(body[-1].strip()) if body else None
    if source_line is not None:
        body = _trimmed(body[:-1])
    signoff = _signoff(body, strict=source_line is None)
    if signoff is not None:
        body = _trimmed(body[:-1])
    source, url = _source_and_url(source_line[1].strip() if source_line else "")
    return _TextFields(
        title=header[2] or "",
        body="\n".join(body),
        date=parse_date(header[1]),
        source=source or (signoff if source_line is None else None),
        url=url,
    )


def _plain_fields(lines: list[str], *, markdown: bool) -> _TextFields:
    title = lines[0].strip()
    if markdown:
        title = title.lstrip("#").strip()
    return _TextFields(title=title, body="\n".join(lines[1:]))


def _signoff(body: list[str], *, strict: bool) -> str | None:
    """The agency line closing a product-format body ("APA", "AFP", "Reuters"), if any.

    Without a SourceURL line after it, only an all-caps line counts: a short last paragraph
    is too likely to be real text.
    """
    if len(body) < 2:
        return None
    line = body[-1].strip()
    if not line or len(line) > _SIGNOFF_MAX_CHARS:
        return None
    if not any(char.islower() for char in line):
        return line
    short = len(line.split()) <= _SIGNOFF_MAX_WORDS and line[-1] not in '.!?:;…»"”)'
    return line if short and not strict else None


def _source_and_url(value: str) -> tuple[str | None, str | None]:
    if value.lower().startswith(("http://", "https://")):
        return _host(value), value
    return (value or None), None


def _trimmed(lines: list[str]) -> list[str]:
    """``lines`` without blank lines at either end."""
    start, end = 0, len(lines)
    while start < end and not lines[start].strip():
        start += 1
    while end > start and not lines[end - 1].strip():
        end -= 1
    return lines[start:end]


# --- small helpers ------------------------------------------------------------------------


def _open_binary(path: Path) -> gzip.GzipFile | BinaryIO:
    if path.name.lower().endswith(".gz"):
        return gzip.open(path, "rb")
    return path.open("rb")


def _read_error(exc: BaseException, line_no: int) -> str:
    where = f"after line {line_no}" if line_no else "at the start"
    if isinstance(exc, EOFError):
        return f"truncated gzip: stopped {where}"
    if isinstance(exc, gzip.BadGzipFile | zlib.error):
        return f"corrupt gzip ({exc}): stopped {where}"
    if isinstance(exc, OSError) and exc.strerror:
        return f"cannot read: {exc.strerror}"
    return f"cannot read: {exc}"


def _not_utf8(data: bytes, exc: UnicodeDecodeError) -> str:
    return f"not UTF-8 (byte 0x{data[exc.start]:02x} at offset {exc.start})"


def _json_kind(value: object) -> str:
    kinds: list[tuple[type | tuple[type, ...], str]] = [
        (bool, "boolean"),
        ((int, float), "number"),
        (str, "string"),
        (list, "array"),
        (dict, "object"),
    ]
    if value is None:
        return "null"
    return next((name for kind, name in kinds if isinstance(value, kind)), type(value).__name__)


def _storable(text: str) -> str:
    """``text`` with lone surrogates (valid in JSON escapes, not in UTF-8) replaced by U+FFFD."""
    return _LONE_SURROGATE.sub("\ufffd", text)


def _as_text(value: object) -> str | None:
    """A scalar field as stripped text (ids are often numbers); None for anything else."""
    if isinstance(value, str):
        return _storable(value).strip() or None
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    return None


def _one_line(text: str) -> str:
    return " ".join(normalise_text(text).split())


def _source_name(value: object) -> str | None:
    """A source given as text, or as an object with a name (``{"name": "AFP"}``)."""
    if isinstance(value, dict):
        value = next((item for key, item in value.items() if str(key).lower() == "name"), None)
    return _as_text(value)


def _host(url: str | None) -> str | None:
    if not url:
        return None
    try:
        host = urlsplit(url).hostname
    except ValueError:
        return None
    if not host:
        return None
    return host.removeprefix("www.")
