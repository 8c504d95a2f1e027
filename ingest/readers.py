"""Readers turn a file into article records: txt, md, html/htm, and jsonl.

Every reader returns `ArticleDraft`s (id, title, cleaned text, url, source) or raises
`ReadError` with a one-line reason. Article ids are stable: a JSONL record's `_id`/`id`,
otherwise the file's path relative to the folder it was found in, without its extension.
"""
from __future__ import annotations

import errno
import json
import os
import re
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterator

from citegraph.errors import CitegraphError
from citegraph.text.cleaning import clean_text, markdown_to_text

MAX_FILE_BYTES = 20 * 1024 * 1024  # larger files are refused, not truncated
MAX_ARTICLE_CHARS = 2_000_000
SUFFIXES = (".txt", ".md", ".markdown", ".html", ".htm", ".jsonl")


class ReadError(CitegraphError):
    """A file or record that cannot be ingested; the message is the reason."""


@dataclass
class ArticleDraft:
    id: str
    title: str
    text: str  # cleaned
    url: str = ""
    source: str = ""


def decode(data: bytes, name: str) -> str:
    """UTF-8 (with or without BOM) or UTF-16 with a BOM; binary data is refused."""
    if not data.strip():
        raise ReadError("empty file")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        text = data.decode("utf-16")
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


def _title_and_body(text: str, fallback: str) -> tuple[str, str]:
    first = next((line.strip() for line in text.split("\n") if line.strip()), "")
    title = first if 0 < len(first) <= 300 else fallback
    return title, text


def _require_text(text: str) -> str:
    if not text.strip():
        raise ReadError("no article text after cleaning")
    if len(text) > MAX_ARTICLE_CHARS:
        raise ReadError(f"article text is {len(text):,} characters, over the "
                        f"{MAX_ARTICLE_CHARS:,} limit")
    return text


def read_txt(data: bytes, article_id: str, source: str) -> list[ArticleDraft]:
    text = _require_text(clean_text(decode(data, source)))
    title, text = _title_and_body(text, article_id)
    return [ArticleDraft(article_id, title, text, source=source)]


_FRONT_TITLE = re.compile(r"^---\n(?:.*\n)*?title:\s*[\"']?(.+?)[\"']?\s*\n(?:.*\n)*?---\n")


def read_markdown(data: bytes, article_id: str, source: str) -> list[ArticleDraft]:
    raw = decode(data, source).replace("\r\n", "\n")
    front = _FRONT_TITLE.match(raw)
    text = _require_text(clean_text(markdown_to_text(raw)))
    title, text = _title_and_body(text, article_id)
    if front:
        title = front.group(1).strip()
    return [ArticleDraft(article_id, title, text, source=source)]


def read_html(data: bytes, article_id: str, source: str) -> list[ArticleDraft]:
    import trafilatura  # heavy import, only when HTML is read

    html = decode(data, source)
    text = trafilatura.extract(html, include_comments=True, include_tables=True,
                               include_formatting=False, favor_recall=True, deduplicate=False)
    if not text or not text.strip():
        raise ReadError("no article text found in the HTML")
    meta = trafilatura.extract_metadata(html)
    text = _require_text(clean_text(text))
    title = (meta.title if meta and meta.title else "") or _title_and_body(text, article_id)[0]
    url = (meta.url if meta and meta.url else "") or ""
    return [ArticleDraft(article_id, title.strip(), text, url=url, source=source)]


def read_jsonl(data: bytes, article_id: str, source: str,
               on_error: Callable[[str, str], None] | None = None) -> list[ArticleDraft]:
    """One article per line; a bad line is reported through `on_error` and skipped."""
    text = decode(data, source)
    drafts: list[ArticleDraft] = []
    seen: set[str] = set()
    for number, line in enumerate(text.split("\n"), start=1):
        if not line.strip():
            continue
        where = f"{source}:{number}"
        try:
            drafts.append(_jsonl_record(line, seen))
        except ReadError as exc:
            if on_error is None:
                raise ReadError(f"line {number}: {exc}") from None
            on_error(where, str(exc))
    if not drafts:
        raise ReadError("no valid records")
    for d in drafts:
        d.source = source
    return drafts


def _jsonl_record(line: str, seen: set[str]) -> ArticleDraft:
    try:
        record = json.loads(line)
    except json.JSONDecodeError as exc:
        raise ReadError(f"invalid JSON ({exc.msg})") from None
    if not isinstance(record, dict):
        raise ReadError("a record must be a JSON object")
    rid = record.get("_id", record.get("id"))
    if rid is None or str(rid).strip() == "":
        raise ReadError("missing field '_id' or 'id'")
    rid = str(rid).strip()
    if rid in seen:
        raise ReadError(f"duplicate id {rid!r} in this file")
    body = record.get("text")
    if body is not None and not isinstance(body, str):
        raise ReadError(f"field 'text' must be a string, not {type(body).__name__}")
    if body is None or not body.strip():
        raise ReadError("missing or empty field 'text'")
    title = record.get("title")
    title = title.strip() if isinstance(title, str) else ""
    url = record.get("url")
    url = url.strip() if isinstance(url, str) else ""
    cleaned = _require_text(clean_text(body))
    seen.add(rid)
    return ArticleDraft(rid, title or _title_and_body(cleaned, rid)[0], cleaned, url=url)


READERS = {".txt": read_txt, ".md": read_markdown, ".markdown": read_markdown,
           ".html": read_html, ".htm": read_html, ".jsonl": read_jsonl}


def article_id_for(path: Path, root: Path | None) -> str:
    """The file's path relative to the folder it was found in, without extension."""
    rel = path.relative_to(root) if root is not None else Path(path.name)
    return rel.with_suffix("").as_posix()


def discover(paths: list[str]) -> Iterator[tuple[Path, Path | None]]:
    """(file, root folder or None) for every file named or found below a named folder, in
    a stable order. Unreadable folders and symlink loops surface as errors on read."""
    for name in paths:
        p = Path(name)
        if p.is_dir():
            seen_dirs: set = set()
            for f in _walk(p, seen_dirs):
                yield f, p
        else:
            yield p, None


def _walk(folder: Path, seen_dirs: set) -> Iterator[Path]:
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
        if entry.is_dir():
            yield from _walk(entry, seen_dirs)
        else:
            yield entry


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
              on_record_error: Callable[[str, str], None] | None = None) -> list[ArticleDraft]:
    suffix = path.suffix.lower()
    if path.is_dir():
        raise ReadError("folder could not be read")
    reader = READERS.get(suffix)
    if reader is None:
        raise ReadError(f"unsupported file type '{suffix or '(none)'}' "
                        f"(supported: {', '.join(SUFFIXES)})")
    data = _read_bytes(path)
    article_id = article_id_for(path, root)
    if reader is read_jsonl:
        return read_jsonl(data, article_id, str(path), on_record_error)
    return reader(data, article_id, str(path))
