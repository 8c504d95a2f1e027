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


class HtmlTooDeep(ValueError):
    """A page nested past libxml2's limit: every parser here would drop its deeper part."""


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


def _owners(doc, nodes: set) -> dict:
    """Each element below a comment -> the innermost comment holding it (a comment element
    itself -> the comment around it, if any). One pass in document order: an element's
    owner is its parent when the parent is a comment, else its parent's owner."""
    owner: dict = {}
    for el in doc.iter():
        parent = el.getparent()
        if parent is not None:
            up = parent if parent in nodes else owner.get(parent)
            if up is not None:
                owner[el] = up
    return owner


def _role_tests(el) -> list[str]:
    if not isinstance(el.tag, str):
        return []
    classes, prop = _classes(el), el.get("itemprop")
    roles = []
    if classes & set(_WORDS_CLASSES) or prop in ("text", "commentText"):
        roles.append("words")
    if classes & set(_AUTHOR_CLASSES) or prop in ("author", "creator"):
        roles.append("author")
    if el.tag == "time" or prop in ("dateCreated", "datePublished"):
        roles.append("time")
    if classes & set(_DATE_CLASSES):
        roles.append("date")
    return roles


def _parts(found: list, owner: dict, doc) -> dict:
    """comment -> {role: its first element of that role not inside a nested reply}, in one
    pass over the page."""
    parts: dict = {node: {} for node in found}
    for el in doc.iter():
        node = owner.get(el)
        if node is None:
            continue
        for role in _role_tests(el):
            parts[node].setdefault(role, el)
    return parts


_BLOCKS = {"p", "li", "blockquote", "div", "br", "ul", "ol", "pre", "h1", "h2", "h3", "h4",
           "h5", "h6", "tr", "table", "section", "article"}


def _own_text(el, nodes: set, leave_out: tuple = ()) -> str:
    """The words of `el` without those of replies nested in it (each comment's words are
    read once, under its own byline) nor those of the elements `leave_out`, paragraphs kept
    apart; every element is visited once (an explicit stack: nesting depth costs no
    recursion)."""
    pieces: list[str] = []
    stack: list = [("open", el)]
    while stack:
        kind, item = stack.pop()
        if kind == "text":
            pieces.append(item)
            continue
        if kind == "break":
            pieces.append("\n\n")
            continue
        if item is not el and (item in nodes or any(item is x for x in leave_out)):
            continue  # a reply: its words are its own comment's; a byline: not words
        block = isinstance(item.tag, str) and item.tag in _BLOCKS
        if block:
            pieces.append("\n\n")
            stack.append(("break", None))
        # children pushed in reverse so they pop in page order, each followed by its tail
        for child in reversed(list(item)):
            if child.tail:
                stack.append(("text", child.tail))
            if isinstance(child.tag, str):
                stack.append(("open", child))
        if isinstance(item.tag, str) and item.text:
            pieces.append(item.text)
    paragraphs = (" ".join(p.split()) for p in "".join(pieces).split("\n\n"))
    return "\n\n".join(p for p in paragraphs if p)


def _iso(value: str) -> Optional[str]:
    value = value.strip()
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return date_in(value)
    return moment.isoformat() if ":" in value else moment.date().isoformat()


def _comment(node, parts: dict, nodes: set, threaded: set) -> Optional[MarkedComment]:
    words_el = parts.get("words")
    author_el = parts.get("author")
    if words_el is None and (author_el is None or node not in threaded):
        return None  # without a words element, only a byline inside a thread makes a comment
    date_el = parts.get("time", parts.get("date"))
    author = _own_text(author_el, nodes).replace("\n\n", " ") if author_el is not None else ""
    if author.lower().endswith("says:"):
        author = author[:-5].strip()
    if len(author) > 300:
        author = author[:299] + "…"
    date_text = _own_text(date_el, nodes).replace("\n\n", " ")[:200] \
        if date_el is not None else ""
    stamp = (date_el.get("datetime") or date_el.get("content") or "") if date_el is not None else ""
    when = _iso(stamp) if stamp else (date_in(date_text) if date_text else None)
    if words_el is not None:
        words = _own_text(words_el, nodes)
    else:  # a byline but no words element: the comment's words are the rest of it
        words = _own_text(node, nodes, tuple(e for e in (author_el, date_el) if e is not None))
    if not words.strip():
        return None
    return MarkedComment(author, date_text, when, clean_text(words))


def split_comments(html: str):
    """(the page without its marked-up comment thread, the comments in page order), or
    (None, []) when the page marks none up."""
    import lxml.html

    parser = lxml.html.HTMLParser()
    try:
        doc = lxml.html.fromstring(html, parser=parser)
    except (ValueError, Exception):  # lxml's ParserError and friends: no markup pass
        return None, []
    if any("Excessive depth" in e.message for e in parser.error_log):
        raise HtmlTooDeep("HTML nested deeper than 255 elements (the parser drops what "
                          "lies deeper, so the page is not read)")
    found = doc.xpath(_COMMENT_NODES)
    if not found or len(found) > MAX_COMMENTS:
        return None, []
    nodes = set(found)
    owner = _owners(doc, nodes)
    parts = _parts(found, owner, doc)
    bylined = any("words" not in parts[n] and "author" in parts[n] for n in found)
    threaded = _threaded(doc) if bylined else set()
    comments = [c for c in (_comment(n, parts[n], nodes, threaded) for n in found)
                if c is not None]
    if not comments:
        return None, []
    for node in _removable(found, owner):
        node.drop_tree()
    return lxml.html.tostring(doc, encoding="unicode"), comments


def _is_container(el) -> bool:
    return el.get("id") in _CONTAINERS or bool(_classes(el) & set(_CONTAINERS))


def _threaded(doc) -> set:
    """The elements inside a comment thread's container, in one pass over the page."""
    inside: set = set()
    for el in doc.iter():
        parent = el.getparent()
        if parent is not None and (parent in inside or _is_container(parent)):
            inside.add(el)
    return inside


def _removable(found: list, owner: dict) -> list:
    """The thread's container (#comments, .comment-list…) where there is one, else each
    top-level comment."""
    top = [n for n in found if n not in owner]
    containers: list = []
    for node in top:
        box = next((a for a in node.iterancestors() if _is_container(a)), None)
        box = next((a for a in (box.iterancestors() if box is not None else ())
                    if _is_container(a)), box)
        target = box if box is not None else node
        if all(target is not c for c in containers):
            containers.append(target)
    # a container inside another one goes with it
    chosen = set(containers)
    return [c for c in containers if not any(a in chosen for a in c.iterancestors())]


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
