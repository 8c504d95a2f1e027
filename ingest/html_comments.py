"""Comment threads that a page marks up (WordPress and similar themes: `li.comment` or
`#comment-N` holding `.comment-author .fn`, a `<time datetime>` and `.comment-content`;
schema.org `Comment` items). trafilatura keeps comments' words but drops their bylines (the
author's `<cite>`), so the reader takes the thread out of the page itself, lets trafilatura
read the rest as the body, and sets each comment after it under its own byline."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Optional

from citegraph.text.cleaning import clean_text
from citegraph.text.comments import date_in, reads_as_byline

MAX_COMMENTS = 100_000  # a page claiming more is read as text (no markup pass)

_COMMENT_NODES = (
    "//*[contains(concat(' ', normalize-space(@class), ' '), ' comment ')"
    " or (starts-with(@id, 'comment-')"
    "     and translate(substring-after(@id, 'comment-'), '0123456789', '') = ''"
    "     and string-length(@id) > 8)"
    " or contains(@itemtype, 'schema.org/Comment')]")
_AUTHOR_CLASSES = ("fn", "comment-author", "comment-author-name", "author")
_DATE_CLASSES = ("comment-metadata", "comment-date", "comment-time", "comment-meta")
_WORDS_CLASSES = ("comment-content", "comment-text", "comment-body-text", "comment-entry")
_CONTAINERS = ("comments", "comments-area", "comment-list", "commentlist", "comments-list")


@dataclass
class MarkedComment:
    author: str
    date_text: str
    date: Optional[str]
    words: str


def _classes(el) -> set[str]:
    return set((el.get("class") or "").split())


def _text(el) -> str:
    return " ".join(el.text_content().split())


def _owned(el, node, nodes: set) -> bool:
    """`el` belongs to comment `node`, not to a reply nested in it."""
    parent = el.getparent()
    while parent is not None and parent is not node:
        if parent in nodes:
            return False
        parent = parent.getparent()
    return parent is node


def _first(node, nodes: set, test) -> Optional[Any]:
    for el in node.iterdescendants():
        if not isinstance(el.tag, str):
            continue
        if test(el) and _owned(el, node, nodes):
            return el
    return None


def _iso(value: str) -> Optional[str]:
    value = value.strip()
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return date_in(value)
    return moment.isoformat() if ":" in value else moment.date().isoformat()


def _paragraphs(el) -> str:
    blocks = [" ".join(p.text_content().split()) for p in el.iter("p", "li", "blockquote")]
    blocks = [b for b in blocks if b]
    return "\n\n".join(blocks) if blocks else _text(el)


def _comment(node, nodes: set) -> Optional[MarkedComment]:
    words_el = _first(node, nodes, lambda e: bool(_classes(e) & set(_WORDS_CLASSES))
                      or e.get("itemprop") in ("text", "commentText"))
    if words_el is None:
        return None
    author_el = _first(node, nodes, lambda e: bool(_classes(e) & set(_AUTHOR_CLASSES))
                       or e.get("itemprop") in ("author", "creator"))
    author = _text(author_el) if author_el is not None else ""
    if author.lower().endswith("says:"):
        author = author[:-5].strip()
    if len(author) > 300:
        author = author[:299] + "…"
    time_el = _first(node, nodes, lambda e: e.tag == "time" or e.get("itemprop") in (
        "dateCreated", "datePublished"))
    date_el = time_el if time_el is not None else _first(
        node, nodes, lambda e: bool(_classes(e) & set(_DATE_CLASSES)))
    date_text = _text(date_el)[:200] if date_el is not None else ""
    stamp = (date_el.get("datetime") or date_el.get("content") or "") if date_el is not None else ""
    when = _iso(stamp) if stamp else (date_in(date_text) if date_text else None)
    return MarkedComment(author, date_text, when, clean_text(_paragraphs(words_el)))


def split_comments(html: str):
    """(the page without its marked-up comment thread, the comments in page order), or
    (None, []) when the page marks none up."""
    import lxml.html

    try:
        doc = lxml.html.fromstring(html)
    except (ValueError, Exception):  # lxml's ParserError and friends: no markup pass
        return None, []
    found = doc.xpath(_COMMENT_NODES)
    if not found or len(found) > MAX_COMMENTS:
        return None, []
    nodes = set(found)
    comments = [c for c in (_comment(n, nodes) for n in found) if c is not None]
    if not comments:
        return None, []
    for node in _removable(found, nodes):
        node.drop_tree()
    return lxml.html.tostring(doc, encoding="unicode"), comments


def _removable(found: list, nodes: set) -> list:
    """The thread's container (#comments, .comment-list…) where there is one, else each
    top-level comment."""
    top = [n for n in found if not any(a in nodes for a in n.iterancestors())]
    containers: list = []
    for node in top:
        box = next((a for a in node.iterancestors()
                    if a.get("id") in _CONTAINERS or _classes(a) & set(_CONTAINERS)), None)
        box = next((a for a in (box.iterancestors() if box is not None else ())
                    if a.get("id") in _CONTAINERS or _classes(a) & set(_CONTAINERS)), box)
        target = box if box is not None else node
        if all(target is not c for c in containers):
            containers.append(target)
    # a container inside another one goes with it
    return [c for c in containers if not any(a in containers for a in c.iterancestors())]


def comment_byline(comment: MarkedComment) -> str:
    """The byline set in the text over a comment, as WordPress shows it ("Name says:" over
    the date as the page gives it); a date the text cannot read as one stays metadata only,
    so that the byline still reads as one (citegraph/text/comments.py)."""
    lines = [f"{comment.author} says:"] if comment.author else []
    if comment.date_text and date_in(comment.date_text):
        lines.append(comment.date_text)
    byline = "\n".join(lines)
    return byline if byline and reads_as_byline(byline) else ""


def page_dates(html: str) -> tuple[list[str], set[str]]:
    """(days of the `<time>` elements before the page's first paragraph of prose, where an
    article's own byline stands, in page order; days (YYYY-MM-DD) that only `<time>`
    elements after that paragraph carry, never a `<meta>` tag or a `<time>` before it): the
    second are a reader's comments' dates, in a thread the page does not mark up as one. An
    article whose date is one of those has no date of its own but the first of the first."""
    import lxml.html

    try:
        doc = lxml.html.fromstring(html)
    except (ValueError, Exception):  # lxml's ParserError and friends: nothing known
        return [], set()
    early: list[str] = []
    meta: set[str] = set()
    late: set[str] = set()
    prose_seen = False
    for el in doc.iter():
        if not isinstance(el.tag, str):
            continue
        if el.tag == "meta":
            meta.update(_days(el.get("content") or ""))
        elif el.tag == "p" and not prose_seen and len(el.text_content().split()) >= 8:
            prose_seen = True
        elif el.tag == "time":
            days = _days(el.get("datetime") or "") | _days(_text(el)[:200])
            if prose_seen:
                late.update(days)
            else:
                early.extend(sorted(days - set(early)))
    return early, late - meta - set(early)


def _days(value: str) -> set[str]:
    value = value.strip()
    if not value:
        return set()
    when = _iso(value) if len(value) <= 60 else None
    return {when[:10]} if when else set()
