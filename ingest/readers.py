"""Readers turn a file into article records: txt, md, html/htm, jsonl, pdf (ingest/pdf.py)
and docx (ingest/docx.py).

Every reader returns `ArticleDraft`s (id, title, cleaned text, url, source, and the author
and publication date where the source names them) or raises
`ReadError` with a one-line reason. Article ids are stable: a JSONL record's `_id`/`id`,
otherwise the file's path relative to the folder it was found in, extension kept
(`teamA/notes.md`; a file named directly: its name, `notes.txt`), so `good.md` and `good.html`
in one folder are two articles. Stores made before ids kept the extension hold the path
without it: each draft carries that old id (`legacy_id`) and the pipeline keeps using it for
the same file (see `Pipeline.resolve_legacy_id`).
`source` is a label, never a server path: the folder's name and the file's path inside it
(`teamA/notes.txt`), or for a file named directly its folder's name and its own.

Every reader is linear in its input (no regex that can backtrack over a whole line; size
limits are applied to the bytes before anything else), and every record is checked for what
would break a later step (lone surrogates, ids that are not labels, huge titles).
"""
from __future__ import annotations

import errno
import json
import os
import stat
from dataclasses import dataclass, field
from datetime import date, datetime
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Callable, Iterator

from citegraph.errors import CitegraphError
from citegraph.text.cleaning import clean_text, clean_text_marked, markdown_to_text
from citegraph.ingest.html_comments import (HtmlTooDeep, comment_byline, page_dates,
                                              split_comments)
from citegraph.text.comments import (Section, article_byline, assemble, author_without_dates,
                                      find_sections)

# the limits and the id rules live in ingest/limits.py and ingest/ids.py (the web layer
# uses them too); imported here under their old names
from citegraph.ingest.ids import (has_surrogate, id_problem, surrogate_at,  # noqa: F401
                                  without_controls)
from citegraph.ingest.limits import (MAX_ARTICLE_CHARS, MAX_FILE_BYTES,  # noqa: F401
                                     MAX_ID_CHARS, MAX_JSON_DEPTH, MAX_TITLE_CHARS,
                                     json_depth)

SUFFIXES = (".txt", ".md", ".markdown", ".html", ".htm", ".jsonl", ".pdf", ".docx")


class ReadError(CitegraphError):
    """A file or record that cannot be ingested; the message is the reason."""


@dataclass
class ArticleDraft:
    id: str
    title: str
    text: str  # cleaned
    url: str = ""
    source: str = ""
    legacy_id: str = ""  # the id earlier versions gave this file (path without extension)
    author: str = ""  # "" when the source names none
    published: str = ""  # ISO 8601 date or datetime (iso_date), "" when unknown
    # body and comment sections of `text` (citegraph/text/comments.py); empty: all body
    sections: list[Section] = field(default_factory=list)
    # a paged source (PDF): where each page starts in `text` (page n at pages[n - 1])
    pages: list[int] = field(default_factory=list)


# --- what every record must satisfy ----------------------------------------------------
def check_id(article_id: str) -> str:
    problem = id_problem(article_id)
    if problem:
        raise ReadError(f"article id {_show(article_id)} {problem}")
    return article_id


def _show(value: str, limit: int = 80) -> str:
    """A value quoted for a one-line message: escaped, and cut when long."""
    shown = repr(value[:limit]) if len(value) <= limit else repr(value[:limit]) + "…"
    return shown.encode("ascii", "backslashreplace").decode("ascii")


def limit_title(title: str) -> str:
    """One line of at most MAX_TITLE_CHARS characters (cut at a word where one is near)."""
    title = " ".join(without_controls(title).split())
    if len(title) <= MAX_TITLE_CHARS:
        return title
    cut = title[:MAX_TITLE_CHARS - 1]
    space = cut.rfind(" ", MAX_TITLE_CHARS - 100)
    return (cut[:space] if space > 0 else cut).rstrip() + "…"


def decode(data: bytes, name: str) -> str:
    """UTF-8 (with or without BOM) or UTF-16 with a BOM; binary data is refused."""
    if not data.strip():
        raise ReadError("empty file")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            text = data.decode("utf-16")
        except UnicodeDecodeError as exc:
            why = "odd number of bytes" if len(data) % 2 else exc.reason
            raise ReadError(f"not valid UTF-16 ({why}, at byte {exc.start:,})") from None
        if not text.strip("\ufeff \t\r\n"):
            raise ReadError("empty file")
    else:
        if b"\x00" in data[:8192]:
            raise ReadError("binary data, not text")
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            # Windows-1252 covers Latin-1 text; control bytes it leaves undefined mean binary
            try:
                text = data.decode("cp1252")
            except UnicodeDecodeError:
                raise ReadError("not UTF-8, UTF-16 or Windows-1252 text") from None
    controls = sum(1 for ch in text[:8192] if ord(ch) < 32 and ch not in "\n\r\t\f")
    if controls > 0.01 * min(len(text), 8192):
        raise ReadError("binary data, not text")
    return text


# --- author and publication date --------------------------------------------------------
MAX_AUTHOR_CHARS = 300


def iso_date(value) -> str:
    """A publication date as ISO 8601: `YYYY-MM-DD` when only the day is known, else the
    datetime as given (its offset kept); "" for a value that is no date. Takes ISO 8601
    (`2024-03-01`, `2024-03-01T10:00:00Z`, `2024-03-01 10:00`) and RFC 2822 (feeds,
    `Fri, 01 Mar 2024 10:00:00 GMT`)."""
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    if not isinstance(value, str):
        return ""
    text = value.strip().strip("\"'").strip()
    if not 8 <= len(text) <= 40:
        return ""
    try:
        if len(text) == 10:
            return date.fromisoformat(text).isoformat()
        moment = datetime.fromisoformat(text.replace(" ", "T", 1))
        return moment.isoformat() if ":" in text else moment.date().isoformat()
    except ValueError:
        pass
    try:
        return parsedate_to_datetime(text).isoformat()
    except (TypeError, ValueError, IndexError):
        return ""


def clean_author(value) -> str:
    """An author as one line: a string, or a list of names (or of {"name": ...}) joined by
    ", "; anything else is no author."""
    if isinstance(value, dict):
        value = value.get("name", "")
    if isinstance(value, list):
        value = ", ".join(filter(None, (clean_author(v) for v in value)))
    if not isinstance(value, str) or has_surrogate(value):
        return ""
    value = " ".join(without_controls(value).split())
    if len(value) > MAX_AUTHOR_CHARS:
        value = value[:MAX_AUTHOR_CHARS - 1].rstrip() + "…"
    return value


def _title_and_body(text: str, fallback: str) -> tuple[str, str]:
    first = next((line.strip() for line in text.split("\n", 50) if line.strip()), "")
    title = first if 0 < len(first) <= 300 else fallback
    return limit_title(title), text


def _require_text(text: str) -> str:
    if not text.strip():
        raise ReadError("no article text after cleaning")
    if len(text) > MAX_ARTICLE_CHARS:
        raise ReadError(f"article text is {len(text):,} characters, over the "
                        f"{MAX_ARTICLE_CHARS:,} limit")
    return text


def _require_size(text: str) -> str:
    """The article limit, checked on the decoded text before any cleaning runs (cleaning
    only removes, so a text over the limit now would be over it afterwards too, bar
    markup)."""
    if len(text) > 2 * MAX_ARTICLE_CHARS:
        raise ReadError(f"article text is {len(text):,} characters, over the "
                        f"{MAX_ARTICLE_CHARS:,} limit")
    return text


def cleaned_with_sections(raw: str) -> tuple[str, list[Section]]:
    """The cleaned text (refused when empty or over the limit) and its body and comment
    sections."""
    text, thread_starts = clean_text_marked(raw)
    text = _require_text(text)
    return text, find_sections(text, thread_starts)


def read_txt(data: bytes, article_id: str, source: str) -> list[ArticleDraft]:
    text, sections = cleaned_with_sections(_require_size(decode(data, source)))
    title, text = _title_and_body(text, article_id)
    author, published = article_byline(text, sections)
    return [ArticleDraft(article_id, title, text, source=source, author=clean_author(author),
                         published=published, sections=sections)]


def front_matter(raw: str) -> dict[str, str]:
    """The top-level `key: value` lines of a YAML front matter block (`---` lines at the
    top), read line by line; quotes around a value removed, the first of a key kept."""
    if not raw.startswith("---\n"):
        return {}
    end = raw.find("\n---\n", 3)
    if end < 0:
        return {}
    out: dict[str, str] = {}
    for line in raw[4:end + 1].split("\n"):
        key, colon, value = line.partition(":")
        if not colon or not key or key != key.strip() or key in out:
            continue
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
            value = value[1:-1]
        out[key] = value.strip()
    return out


def front_matter_title(raw: str) -> str | None:
    """`title:` of a YAML front matter block (`---` lines at the top), read line by line."""
    return front_matter(raw).get("title") or None


def _front_matter_author(front: dict[str, str]) -> str:
    value = front.get("author") or front.get("authors") or ""
    if value.startswith("[") and value.endswith("]"):  # a flow list: [A, B]
        value = ", ".join(v.strip().strip("\"'") for v in value[1:-1].split(","))
    return clean_author(value)


def read_markdown(data: bytes, article_id: str, source: str) -> list[ArticleDraft]:
    raw = _require_size(decode(data, source)).replace("\r\n", "\n")
    front = front_matter(raw)
    text, sections = cleaned_with_sections(markdown_to_text(raw))
    title, text = _title_and_body(text, article_id)
    if front.get("title"):
        title = limit_title(front["title"])
    published = iso_date(front.get("date") or front.get("published") or "")
    author = _front_matter_author(front)
    if not (author and published):  # the front matter wins; a byline line fills the gaps
        by, when = article_byline(text, sections)
        author, published = author or clean_author(by), published or when
    return [ArticleDraft(article_id, title, text, source=source,
                         author=author, published=published,
                         sections=sections)]


def read_html(data: bytes, article_id: str, source: str) -> list[ArticleDraft]:
    import trafilatura  # heavy import, only when HTML is read

    html = _require_size(decode(data, source))
    try:
        # a comment thread marked up in the page: its bylines read from the markup, the
        # rest of the page read by trafilatura as the body
        page, marked = split_comments(html)
        text = trafilatura.extract(page or html, include_comments=not marked,
                                   include_tables=True, include_formatting=False,
                                   favor_recall=True, deduplicate=False)
        # dates from the page's metadata, <time> elements and URL only: the extensive
        # search would take any date the text mentions for the publication date; read
        # without the marked-up comment thread, whose <time>s are the comments' dates
        meta = (trafilatura.extract_metadata(page or html, date_config=_HTML_DATE_CONFIG)
                if text and text.strip() else None)
    except RecursionError:
        raise ReadError("HTML nested too deeply to read") from None
    except HtmlTooDeep as exc:
        raise ReadError(str(exc)) from None
    if not text or not text.strip():
        raise ReadError("no article text found in the HTML")
    if marked:
        text, sections = assemble(clean_text(text), [
            (comment_byline(c), c.author, c.date, None, c.words) for c in marked])
        text = _require_text(text)
    else:
        text, sections = cleaned_with_sections(text)
    title = (meta.title if meta and meta.title else "") or _title_and_body(text, article_id)[0]
    url = (meta.url if meta and meta.url else "") or ""
    # trafilatura reads "By Dana Okafor, March 3, 2025" as two authors, "Dana Okafor; March 3"
    author = author_without_dates(clean_author(meta.author if meta else ""))
    published = iso_date(meta.date if meta else "")
    if published:
        own, comments_only = page_dates(page or html)
        if published[:10] in comments_only:  # a comment's <time>, not the article's date
            published = own[0] if own else ""
    if not (author and published):
        by, when = article_byline(text, sections)
        author, published = author or clean_author(by), published or when
    return [ArticleDraft(article_id, limit_title(title) or article_id, text,
                         url=url[:2000], source=source, author=author,
                         published=published, sections=sections)]


_HTML_DATE_CONFIG = {"original_date": True, "extensive_search": False}


def read_jsonl(data: bytes, article_id: str, source: str,
               on_error: Callable[[str, str], None] | None = None,
               where: str | None = None) -> list[ArticleDraft]:
    """One article per line; a bad line is reported through `on_error` (as `where:line`)
    and skipped, the other lines are read."""
    text = decode(data, source)
    where = where or source
    drafts: list[ArticleDraft] = []
    seen: set[str] = set()
    for number, line in enumerate(text.split("\n"), start=1):
        if not line.strip():
            continue
        try:
            drafts.append(_jsonl_record(line, seen))
        except ReadError as exc:
            if on_error is None:
                raise ReadError(f"line {number}: {exc}") from None
            on_error(f"{where}:{number}", str(exc))
    if not drafts:
        raise ReadError("no valid records")
    for d in drafts:
        d.source = source
    return drafts


def _jsonl_record(line: str, seen: set[str]) -> ArticleDraft:
    if json_depth(line) > MAX_JSON_DEPTH:
        raise ReadError(f"JSON nested deeper than {MAX_JSON_DEPTH} levels")
    try:
        record = json.loads(line)
    except json.JSONDecodeError as exc:
        raise ReadError(f"invalid JSON ({exc.msg})") from None
    except RecursionError:
        raise ReadError(f"JSON nested deeper than {MAX_JSON_DEPTH} levels") from None
    if not isinstance(record, dict):
        raise ReadError("a record must be a JSON object")
    rid = record.get("_id", record.get("id"))
    if rid is None or (isinstance(rid, str) and rid.strip() == ""):
        raise ReadError("missing field '_id' or 'id'")
    if not isinstance(rid, (str, int)) or isinstance(rid, bool):
        raise ReadError(f"field '_id'/'id' must be a string or a number, not "
                        f"{type(rid).__name__}")
    rid = check_id(str(rid).strip())
    if rid in seen:
        raise ReadError(f"duplicate id {rid!r} in this file")
    body = record.get("text")
    if body is not None and not isinstance(body, str):
        raise ReadError(f"field 'text' must be a string, not {type(body).__name__}")
    if body is None or not body.strip():
        raise ReadError("missing or empty field 'text'")
    for name in ("title", "url"):  # a number or list is refused, not silently dropped
        if record.get(name) is not None and not isinstance(record[name], str):
            raise ReadError(f"field {name!r} must be a string, not "
                            f"{type(record[name]).__name__}")
    title = (record.get("title") or "").strip()
    url = (record.get("url") or "").strip()
    for name, value in (("text", body), ("title", title), ("url", url)):
        if has_surrogate(value):
            at = surrogate_at(value)
            raise ReadError(f"field {name!r} holds a lone surrogate at character {at:,} "
                            "(not valid Unicode)")
    if len(url) > 2000:
        raise ReadError(f"field 'url' is {len(url):,} characters, over the 2,000 limit")
    cleaned, sections = cleaned_with_sections(_require_size(body))
    seen.add(rid)
    published = next((iso_date(record[name]) for name in ("date", "published")
                      if record.get(name)), "")
    author = clean_author(record.get("author"))
    if not (author and published):  # the record's fields win; a byline line fills the gaps
        by, when = article_byline(cleaned, sections)
        author, published = author or clean_author(by), published or when
    return ArticleDraft(rid, limit_title(title) or _title_and_body(cleaned, rid)[0], cleaned,
                        url=url, author=author, published=published, sections=sections)


def read_pdf(data: bytes, article_id: str, source: str) -> list[ArticleDraft]:
    """The pages' texts (ingest/pdf.py) one after the other, a blank line between two; each
    page a section of its own (no passage crosses a page break), `pages` where each starts."""
    from citegraph.ingest.pdf import PdfError, extract  # pypdf loads only for PDFs

    try:
        pdf = extract(data, MAX_ARTICLE_CHARS)
    except PdfError as exc:
        raise ReadError(str(exc)) from None
    parts: list[str] = []
    starts: list[int] = []
    sections: list[Section] = []
    offset = 0
    for text in pdf.pages:
        if parts and text:
            offset += 2  # the blank line between two pages
        starts.append(offset)  # a page without text starts where the next one does
        if text:
            parts.append(text)
            sections.append(Section("body", offset, offset + len(text)))
            offset += len(text)
    body = _require_text("\n\n".join(parts))
    title = ("" if has_surrogate(pdf.title) else limit_title(pdf.title)) or \
        _title_and_body(body, article_id)[0]
    return [ArticleDraft(article_id, title, body, source=source,
                         author=clean_author(pdf.author), sections=sections, pages=starts)]


def read_docx(data: bytes, article_id: str, source: str) -> list[ArticleDraft]:
    """A Word document's body (ingest/docx.py), cleaned like text."""
    from citegraph.ingest.docx import DocxError, extract  # python-docx loads only for .docx

    try:
        doc = extract(data)
    except DocxError as exc:
        raise ReadError(str(exc)) from None
    text, sections = cleaned_with_sections(_require_size(doc.text))
    title = limit_title(doc.title) or _title_and_body(text, article_id)[0]
    return [ArticleDraft(article_id, title, text, source=source,
                         author=clean_author(doc.author), sections=sections)]


READERS = {".txt": read_txt, ".md": read_markdown, ".markdown": read_markdown,
           ".html": read_html, ".htm": read_html, ".jsonl": read_jsonl, ".pdf": read_pdf,
           ".docx": read_docx}


def article_id_for(path: Path, root: Path | None) -> str:
    """The file's path relative to the folder it was found in, extension kept; a file named
    directly: its name."""
    rel = path.relative_to(root) if root is not None else Path(path.name)
    return rel.as_posix()


def legacy_article_id_for(path: Path, root: Path | None) -> str:
    """The id versions before ids kept the extension gave the file: its relative path
    without the extension (`teamA/notes`). Used only to find articles such versions stored."""
    rel = path.relative_to(root) if root is not None else Path(path.name)
    return rel.with_suffix("").as_posix()


def source_label(path: Path, root: Path | None, folder: str | None = None) -> str:
    """What `source` says of a file: the folder's name and the path inside it, or the
    named file's folder name and its own; never the server's path above that. `folder`,
    when given, stands for the folder's name (the pipeline gives a second folder of one name
    its own label, `team (2)`: see Pipeline.folder_label)."""
    if root is not None:
        base = Path(os.path.abspath(root)).name if folder is None else folder
        rel = path.relative_to(root).as_posix()
        return f"{base}/{rel}" if base else rel
    parent = Path(os.path.abspath(path)).parent.name if folder is None else folder
    return f"{parent}/{path.name}" if parent else path.name


class Skipped(ReadError):
    """A file found but deliberately not read (a symlink out of the folder)."""


class UnsupportedType(ReadError):
    """A file of a type no reader reads: named and skipped, not a failure of the batch."""


def discover(paths: list[str], follow_symlinks: bool = False
             ) -> Iterator[tuple[Path, Path | None]]:
    """(file, root folder or None) for every file named or found below a named folder, in
    a stable order. Unreadable folders and symlink loops surface as errors on read. Below a
    folder, a symlink whose target lies outside it is yielded as a `Skipped` error (not
    followed) unless `follow_symlinks`."""
    for name in paths:
        p = Path(name)
        if p.is_dir():
            seen_dirs: set = set()
            inside = None if follow_symlinks else os.path.realpath(p)
            for f in _walk(p, seen_dirs, inside):
                yield f, p
        else:
            yield p, None


def _outside(entry: Path, inside: str | None) -> bool:
    if inside is None or not entry.is_symlink():
        return False
    target = os.path.realpath(entry)
    return os.path.commonpath([inside, target]) != inside


def _walk(folder: Path, seen_dirs: set, inside: str | None) -> Iterator[Path]:
    try:
        key = folder.resolve()
        if key in seen_dirs:
            return  # a symlink loop
        seen_dirs.add(key)
        entries = sorted(folder.iterdir())
    except (OSError, RuntimeError):
        yield folder  # reported as unreadable by the reader step
        return
    for entry in entries:
        if entry.name.startswith("."):
            continue
        if _outside(entry, inside):
            yield _SkippedPath(entry)
        elif entry.is_dir():
            yield from _walk(entry, seen_dirs, inside)
        else:
            yield entry


class _SkippedPath(type(Path())):  # type: ignore[misc]  # the concrete Path class of this OS
    """A path found but not to be read; read_file reports it."""


def _too_big(size: int) -> ReadError:
    return ReadError(f"file is {size / 2**20:.0f} MB, over the "
                     f"{MAX_FILE_BYTES // 2**20} MB limit")


def _os_reason(exc: OSError) -> str:
    reason = exc.strerror or str(exc)
    if exc.errno == errno.ELOOP:
        reason += " (a symlink loop)"
    return f"cannot read: {reason}"


def _read_bytes(path: Path) -> bytes:
    """The bytes of a regular file within the size limit. Opened non-blocking and checked
    after opening: a FIFO would block the reader for ever and a device never ends."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    except OSError as exc:
        raise ReadError(_os_reason(exc)) from None
    with os.fdopen(fd, "rb") as f:
        try:
            info = os.fstat(fd)
            if not stat.S_ISREG(info.st_mode):
                raise ReadError("not a regular file")
            if info.st_size > MAX_FILE_BYTES:
                raise _too_big(info.st_size)
            data = f.read(MAX_FILE_BYTES + 1)  # the file may have grown since fstat
        except OSError as exc:
            raise ReadError(_os_reason(exc)) from None
    if len(data) > MAX_FILE_BYTES:
        raise _too_big(len(data))
    return data


def read_file(path: Path, root: Path | None,
              on_record_error: Callable[[str, str], None] | None = None,
              folder: str | None = None) -> list[ArticleDraft]:
    if isinstance(path, _SkippedPath):
        raise Skipped("symlink to outside the folder: not followed (--follow-symlinks "
                      "follows it)")
    suffix = path.suffix.lower()
    if not path.exists() and not path.is_symlink():  # a mistyped name, not a broken link
        raise ReadError("no such file or folder")
    if path.is_dir():
        raise ReadError("folder could not be read")
    reader = READERS.get(suffix)
    if reader is None:
        raise UnsupportedType(f"unsupported file type '{suffix or '(none)'}' "
                        f"(supported: {', '.join(SUFFIXES)})")
    data = _read_bytes(path)
    article_id = article_id_for(path, root)
    source = source_label(path, root, folder)
    if reader is read_jsonl:
        return read_jsonl(data, article_id, source, on_record_error, where=str(path))
    check_id(article_id)
    drafts = reader(data, article_id, source)
    legacy = legacy_article_id_for(path, root)
    for d in drafts:
        d.legacy_id = legacy if legacy != article_id and id_problem(legacy) is None else ""
    return drafts
