"""The ingest pipeline: read → clean → split → embed (batched across articles) → link →
write, one article per transaction. Unchanged articles (same content hash) are skipped."""
from __future__ import annotations

import bisect
import hashlib
import os
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable, Iterable, Iterator, Optional, Protocol

from citegraph.graph.base import GraphStore, StoreError
from citegraph.graph.models import Article, Mention, Passage
from citegraph.ingest.ids import id_problem
from citegraph.ingest.readers import (ArticleDraft, ReadError, UnsupportedType, check_id,
                                      discover, has_surrogate, limit_title, read_file)
from citegraph.text.cleaning import clean_text_marked
from citegraph.text.comments import find_sections
from citegraph.text.splitter import SPLIT_REVISION, Splitter

EMBED_BATCH = 256  # passages embedded together, across article boundaries
# drafts read in full (a file's) whose stored heads (hash, source) are read in one store read:
# on Neo4j each read is a round trip, one an article was a tenth of a bulk ingest's store time
HEAD_BATCH = 256
WINDOW_CHARS = 4_000_000  # the most text read ahead of the ingest's writes
# store settings keeping which folder holds which `source` label (Pipeline.folder_label)
FOLDER_LABEL = "ingest.folder-label:"  # + digest of the folder's real path -> label
FOLDER_ORIGIN = "ingest.folder-origin:"  # + label -> digest


class Linker(Protocol):
    def link(self, passages: list[Passage]) -> list[Mention]:
        """Mentions of concepts in passages whose embeddings are set."""


@dataclass
class IngestReport:
    new: int = 0
    changed: int = 0
    unchanged: int = 0
    passages: int = 0
    mentions: int = 0
    failed: list[tuple[str, str]] = field(default_factory=list)  # (file or record, reason)
    skipped: list[tuple[str, str]] = field(default_factory=list)  # files of a type not read
    article_ids: list[str] = field(default_factory=list)

    @property
    def articles_read(self) -> int:
        return self.new + self.changed + self.unchanged

    def as_dict(self) -> dict:
        return {"new": self.new, "changed": self.changed, "unchanged": self.unchanged,
                "failed": len(self.failed), "skipped": len(self.skipped),
                "passages": self.passages,
                "mentions": self.mentions}


def content_hash(draft: ArticleDraft) -> str:
    h = hashlib.sha256()
    for part in (draft.title, draft.url, draft.text):
        h.update(part.encode("utf-8"))
        h.update(b"\x1f")
    if draft.author or draft.published:  # absent: the hash articles had before they had them
        for part in (draft.author, draft.published):
            h.update(part.encode("utf-8"))
            h.update(b"\x1e")
    # comments found: an article stored before comment threads were told apart is read
    # again (its passages change); an article without comments keeps the hash it had
    for s in draft.sections:
        if s.kind == "comment":
            h.update(f"{s.start}:{s.words_start}:{s.end}:{s.author}:{s.date}".encode("utf-8"))
            h.update(b"\x1d")
    # passages and sentences split by an older splitter are split again
    h.update(f"split {SPLIT_REVISION}".encode("ascii"))
    return h.hexdigest()


class WriteBusy(Exception):
    """A write turn (Pipeline.write_turn) not had in time: the batch it was for is not
    stored, each of its articles reported as failed, and the ingest goes on."""


@dataclass
class _Pending:
    article: Article
    passages: list[Passage]
    status: str  # new | changed


class Pipeline:
    def __init__(self, store: GraphStore, embedder, linker: Optional[Linker] = None,
                 splitter: Optional[Splitter] = None, title_context: bool = False,
                 ingest_wait: Optional[float] = None):
        self.store = store
        self.embedder = embedder
        self.linker = linker
        self.splitter = splitter or Splitter(token_count=embedder.token_count)
        # Reading each passage after its article's title helps dense retrieval where titles
        # carry the topic (StackFAQ dense nDCG@10 .926 -> .976) but costs SciFact hybrid
        # (.735 -> .729): off by default. Passages are the same either way.
        self.title_context = title_context
        self.ingest_wait = ingest_wait  # seconds to wait for another bulk ingest; None: no limit
        # Set by a caller whose reading is long (a crawl): each batch's store reads-then-
        # writes (check, link, upsert) run inside one turn of it, so that other writers
        # get theirs between batches; everything before (fetch, parse, split, embed) runs
        # outside it. None: the caller holds the store for the whole ingest.
        self.write_turn: Optional[Callable[[], AbstractContextManager]] = None

    # --- building blocks -------------------------------------------------------------
    def prepare(self, draft: ArticleDraft, report: IngestReport, replace: bool = True,
                heads: Optional[dict[str, Optional[Article]]] = None) -> Optional[_Pending]:
        """The article's passages, or None when it is stored unchanged. Unless `replace`,
        an id that holds an article from another source is refused (ReadError). `heads`:
        stored heads already read (an id there with None: not stored); else it is read."""
        for name in ("title", "url", "text", "source", "author", "published"):
            if has_surrogate(getattr(draft, name)):
                raise ReadError(f"{name} holds a lone surrogate (not valid Unicode)")
        draft.title = limit_title(draft.title) or draft.id
        digest = content_hash(draft)
        head = _stored_heads(self.store, [draft.id], heads)[draft.id]
        if head is not None and not replace and not same_source(head.source, draft.source):
            raise ReadError(
                f"article id {draft.id!r} already holds {head.source or 'another article'}"
                f" (not from {draft.source}); not replaced: --replace replaces it,"
                " --id-prefix keeps both")
        stored = head.content_hash if head is not None else None
        if head is not None and stored == digest and (head.source == draft.source
                                                      or not draft.source):
            report.unchanged += 1
            report.article_ids.append(draft.id)
            return None
        article = Article(id=draft.id, title=draft.title, text=draft.text, source=draft.source,
                          url=draft.url, content_hash=digest,
                          ingested_at=datetime.now(timezone.utc).isoformat(timespec="seconds"),
                          author=draft.author or None, published=draft.published or None)
        sections = draft.sections if sections_fit(draft.sections, len(draft.text)) \
            else find_sections(draft.text)
        passages = [Passage(Passage.make_id(draft.id, i), draft.id, i,
                            draft.text[s.start:s.end], s.start, s.end,
                            section=section.kind,
                            author=section.author or article.author,
                            date=section.date or article.published,
                            page=bisect.bisect_right(draft.pages, s.start) if draft.pages
                            else None)
                    for i, (s, section) in enumerate(
                        self.splitter.split_sections(draft.text, sections))]
        return _Pending(article, passages, "new" if stored is None else "changed")

    def flush(self, pending: list[_Pending], report: IngestReport) -> None:
        texts = [p.text for item in pending for p in item.passages]
        titles = ([item.article.title for item in pending for _ in item.passages]
                  if self.title_context else None)
        vectors, sentences = self.embedder.encode_passages(texts, titles)
        i = 0
        for item in pending:
            for p in item.passages:
                p.embedding, p.sentences = vectors[i], sentences[i]
                i += 1
        if self.write_turn is None:
            self._write(pending, report)
            return
        try:
            with self.write_turn():
                # what another writer did since prepare() read the heads (stored the same
                # page, deleted or changed it) decides new/changed/unchanged now
                self._write(self._still_to_write(pending, report), report)
        except WriteBusy as exc:
            for item in pending:
                report.failed.append((item.article.id, f"not stored: {exc}"))

    def _write(self, pending: list[_Pending], report: IngestReport) -> None:
        linked = [self.linker.link(item.passages) if self.linker else [] for item in pending]
        # one call for the batch: a backend may write it in fewer transactions (Neo4j)
        try:
            self.store.upsert_articles([(item.article, item.passages, mentions)
                                        for item, mentions in zip(pending, linked)])
        except StoreError:
            # the store failed part-way (a full disk): the articles before the failing one
            # are stored whole (upsert_articles writes in order, each whole or not at all),
            # and the report must count them
            done = self._stored_whole(pending)
            pending_linked = [(i, m) for i, m in zip(pending, linked) if i.article.id in done]
            self._count(pending_linked, report)
            raise
        self._count(list(zip(pending, linked)), report)

    def _still_to_write(self, pending: list[_Pending], report: IngestReport) -> list[_Pending]:
        """`pending` as the store now stands: an article stored meanwhile in this same
        version counts unchanged and is not written again; the others are new or changed
        by what is stored now."""
        heads = self.store.article_titles([item.article.id for item in pending])
        out = []
        for item in pending:
            head = heads.get(item.article.id)
            if head is not None and head.content_hash == item.article.content_hash and (
                    head.source == item.article.source or not item.article.source):
                report.unchanged += 1
                report.article_ids.append(item.article.id)
                continue
            item.status = "new" if head is None else "changed"
            out.append(item)
        return out

    def _stored_whole(self, pending: list[_Pending]) -> set[str]:
        """Which of `pending` the store now holds in this version (its content hash)."""
        try:
            heads = self.store.article_titles([item.article.id for item in pending])
        except StoreError:  # nor can it be read (a Neo4j gone): count none of them
            return set()
        return {item.article.id for item in pending
                if (head := heads.get(item.article.id)) is not None
                and head.content_hash == item.article.content_hash}

    @staticmethod
    def _count(written: list[tuple[_Pending, list]], report: IngestReport) -> None:
        for item, mentions in written:
            setattr(report, item.status, getattr(report, item.status) + 1)
            report.passages += len(item.passages)
            report.mentions += len(mentions)
            report.article_ids.append(item.article.id)

    def resolve_legacy_id(self, draft: ArticleDraft,
                          heads: Optional[dict[str, Optional[Article]]] = None) -> None:
        """Keep the id an earlier version gave this file. Ids once dropped the extension
        (`notes` for `notes.txt`); when the new id is not stored but the old one is, and the
        stored article's `source` names this same file, the draft takes the old id, so that
        re-ingesting an old store neither doubles its articles nor re-embeds unchanged ones.
        Another file's article under the old id (`notes.md` when this is `notes.txt`) is
        left alone: this file gets its own new id."""
        legacy = draft.legacy_id
        if not legacy or legacy == draft.id or not draft.source:
            return
        heads = _stored_heads(self.store, [draft.id, legacy], heads)
        old = heads[legacy]
        if heads[draft.id] is not None or old is None:
            return
        stored = old.source or ""
        if stored and same_source(stored, draft.source):
            draft.id = legacy

    # --- entry points --------------------------------------------------------------
    def ingest_drafts(self, drafts: Iterable[ArticleDraft], report: IngestReport,
                      seen: Optional[dict[str, str]] = None, where: str = "",
                      replace: bool = True, id_prefix: str = "") -> None:
        """Drafts embedded in batches and stored one article per transaction. A draft that
        cannot be stored (a bad id, a duplicate in this batch, an id held by another source
        when not `replace`) is reported in `report.failed` and the others go on."""
        self._ingest_windows(([(where, d) for d in window] for window in _windows(drafts)),
                             report, seen, replace, id_prefix)

    def _ingest_windows(self, windows: Iterable[list[tuple[str, ArticleDraft]]],
                        report: IngestReport, seen: Optional[dict[str, str]],
                        replace: bool, id_prefix: str) -> None:
        """ingest_drafts over windows of (where, draft): one embedding batch may hold
        several files' articles, each still stored in its own transaction."""
        seen = {} if seen is None else seen
        pending: list[_Pending] = []
        size = 0
        for window in windows:
            # the stored heads of the window's ids (and old ids) in one read, kept in step
            # with this ingest's own writes below; a draft read one at a time (a web page)
            # reads its own as it comes, as before
            wanted = [i for _w, d in window
                      for i in (id_prefix + d.id, id_prefix + d.legacy_id)
                      if i != id_prefix and id_problem(i) is None]  # bad ids: refused below
            found = self.store.article_titles(wanted)
            heads = {i: found.get(i) for i in wanted}
            for where, draft in window:
                place = where or draft.source or draft.id
                try:
                    if id_prefix:
                        draft.id = id_prefix + draft.id
                        if draft.legacy_id:
                            draft.legacy_id = id_prefix + draft.legacy_id
                    check_id(draft.id)
                    self.resolve_legacy_id(draft, heads)
                    origin = draft.source or place
                    if draft.id in seen:
                        raise ReadError(f"duplicate article id {draft.id!r} in this batch"
                                        f" (already read from {seen[draft.id]})")
                    seen[draft.id] = origin
                    item = self.prepare(draft, report, replace=replace, heads=heads)
                except ReadError as exc:
                    report.failed.append((place, str(exc)))
                    continue
                if item is None:
                    continue
                pending.append(item)
                size += len(item.passages)
                if size >= EMBED_BATCH:
                    self.flush(pending, report)
                    heads.update((done.article.id, done.article) for done in pending)
                    pending, size = [], 0
        if pending:
            self.flush(pending, report)

    def ingest_text(self, article_id: str, title: str, text: str, url: str = "",
                    source: str = "") -> IngestReport:
        """One article given as text (the API's write): cleaned, split, embedded, linked and
        stored like a file's. The report says new, changed or unchanged, or why it failed."""
        report = IngestReport()
        cleaned, thread_starts = clean_text_marked(text)
        if not cleaned.strip():
            report.failed.append((article_id, "text: no article text after cleaning"))
            return report
        draft = ArticleDraft(article_id, title.strip() or article_id, cleaned, url=url,
                             source=source, sections=find_sections(cleaned, thread_starts))
        self.ingest_drafts([draft], report)
        return report

    def ingest_paths(self, paths: list[str], progress: Callable | None = None, *,
                     replace: bool = False, id_prefix: str = "",
                     follow_symlinks: bool = False,
                     report: Optional[IngestReport] = None) -> IngestReport:
        """One bulk ingest at a time per store (see ingest/lock.py). A file whose id holds an
        article from another source is refused unless `replace`; `id_prefix` goes before
        every id read (`teamB/`); symlinks out of a named folder are followed only when
        `follow_symlinks`. Counts go into `report` (a new one unless given): when the store
        fails part-way (StoreError), it holds what was stored before."""
        prefix = normalise_prefix(id_prefix)
        # co-occurrence counts are updated in each article's own transaction, so an ingest
        # killed earlier (the lock's `interrupted`) left them equal to its committed mentions:
        # nothing to redo here
        with self.store.ingest_lock(self.ingest_wait):
            return self._ingest_paths(paths, progress, replace, prefix, follow_symlinks,
                                      report if report is not None else IngestReport())

    def folder_label(self, folder: Path) -> str:
        """The name `source` gives a folder: its own name, unless another folder of that name
        (elsewhere on disk) was ingested into this store first; then `team (2)`, `team (3)`...
        Which folder holds which label is kept in the store (by a digest of its real path,
        never the path), so the same folder gets the same label every time (its files update
        in place) while a second `team` folder's `notes.txt` is not taken for the first's
        (it is refused unless --replace) and its own files update in place in turn."""
        real = os.path.realpath(folder)
        name = Path(real).name
        if not name:
            return name
        origin = hashlib.sha256(real.encode("utf-8", "surrogateescape")).hexdigest()[:32]
        known = self.store.meta_value(FOLDER_LABEL + origin)
        if known is not None:
            return known
        for n in range(1, 10_000):
            label = name if n == 1 else f"{name} ({n})"
            if self.store.put_meta_value(FOLDER_ORIGIN + label, origin) == origin:
                return self.store.put_meta_value(FOLDER_LABEL + origin, label)
        raise ReadError(f"too many folders named {name!r} in this store")

    def _ingest_paths(self, paths: list[str], progress: Callable | None,
                      replace: bool = False, id_prefix: str = "",
                      follow_symlinks: bool = False,
                      report: Optional[IngestReport] = None) -> IngestReport:
        report = report if report is not None else IngestReport()
        files = list(discover(paths, follow_symlinks=follow_symlinks))
        iterator = progress(files) if progress else files
        labels: dict[Path, str] = {}

        def read() -> Iterator[tuple[str, list[ArticleDraft]]]:
            for path, root in iterator:
                name = str(path)
                try:
                    folder = root if root is not None else path.parent
                    if folder not in labels:
                        labels[folder] = self.folder_label(folder)
                    yield name, read_file(
                        path, root, on_record_error=lambda w, r: report.failed.append((w, r)),
                        folder=labels[folder])
                except UnsupportedType as exc:
                    report.skipped.append((name, str(exc)))
                except ReadError as exc:
                    report.failed.append((name, str(exc)))

        # files are read a window ahead, so that a folder of small files is embedded in
        # batches of EMBED_BATCH passages as one large file is, not a file at a time
        self._ingest_windows(_file_windows(read()), report, {}, replace, id_prefix)
        return report


def _windows(drafts: Iterable[ArticleDraft]) -> Iterator[list[ArticleDraft]]:
    """Drafts in windows of HEAD_BATCH when they are all read already (a list), else one at a
    time (a generator fetching web pages: nothing is fetched ahead)."""
    if isinstance(drafts, (list, tuple)):
        for start in range(0, len(drafts), HEAD_BATCH):
            yield list(drafts[start:start + HEAD_BATCH])
    else:
        for draft in drafts:
            yield [draft]


def _file_windows(files: Iterable[tuple[str, list[ArticleDraft]]]
                  ) -> Iterator[list[tuple[str, ArticleDraft]]]:
    """(where, draft) in windows of HEAD_BATCH drafts across files, or fewer once a window
    holds WINDOW_CHARS of text (files are read no further ahead than that)."""
    window: list[tuple[str, ArticleDraft]] = []
    chars = 0
    for where, drafts in files:
        for draft in drafts:
            window.append((where, draft))
            chars += len(draft.text)
            if len(window) >= HEAD_BATCH or chars >= WINDOW_CHARS:
                yield window
                window, chars = [], 0
    if window:
        yield window


def _stored_heads(store: GraphStore, ids: list[str],
                  heads: Optional[dict[str, Optional[Article]]]) -> dict[str, Optional[Article]]:
    """The stored head of each id (None: not stored): from `heads` where it was read, else
    from the store."""
    if heads is not None and all(i in heads for i in ids):
        return heads
    found = store.article_titles(ids)
    return {i: found.get(i) for i in ids}


def sections_fit(sections, length: int) -> bool:
    """Sections given with a draft that still fit its text: in order, inside it (a caller
    that changed the text after reading gets them found again)."""
    end = 0
    for s in sections:
        if not end <= s.start <= s.words_start <= s.end <= length:
            return False
        end = s.end
    return bool(sections)


def normalise_prefix(prefix: str) -> str:
    """`teamB` and `teamB/` both put ids under `teamB/`; a prefix that could not start an
    id is refused (ReadError)."""
    prefix = (prefix or "").strip()
    if not prefix:
        return ""
    prefix = prefix.rstrip("/") + "/"
    check_id(prefix + "x")
    if prefix.split("/")[0] in (".", ".."):
        raise ReadError(f"id prefix {prefix!r} starts with '.' or '..'")
    return prefix


def same_source(stored: str, new: str) -> bool:
    """Whether a stored article's `source` names the file now read as `new`. Stores written
    before sources became labels hold the path as it was given (absolute or relative to the
    working folder then): such a path ending in the label is the same file."""
    if not stored or not new or stored == new:
        return True
    legacy = stored.replace("\\", "/")
    return legacy.endswith("/" + new) and ("/" in new)
