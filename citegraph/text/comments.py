"""Comment threads in cleaned article text: which spans are the author's body and which are
readers' comments, each with the commenter's name and date where its byline gives them.

A thread starts at its heading ("3 thoughts on “Title”", whose place clean_text_marked
keeps) or, without one, at a strong byline: a list mark or bullet, then a name, then a full
date with a time ("2. Mitch Lieberman October 24, 2011 at 7:31 am", the name and the date
possibly on two lines) or a "says:" form ("Priya Raman says:"), followed by the comment's
words. A numbered line of the author's own list ("1. Something 2011") is never a byline: it
has no day and time. Inside a thread every byline opens a comment (replies too: "• rotkapchen"
over a date line); after a heading, the first words before any byline are a comment without
one, and so is a top-level "N." line numbering the next comment in a thread without bylines.

Bylines are metadata: each comment's `text_start` lies after its byline, and passages are cut
from there (citegraph/text/splitter.py). Everything is line by line; a line longer than
BYLINE_CHARS is never a byline, so each regex runs over a bounded line: linear in the text.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from typing import Optional, Sequence

BYLINE_CHARS = 160  # a byline line is short; longer lines are never read as one
NAME_WORDS = 6

_MONTHS = {m: i for i, m in enumerate(
    ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"), 1)}
_MONTH = r"(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]{0,6}\.?"
# a date: "October 24, 2011", "24 October 2011", "2011-10-24"; then maybe a time
_DATE = (rf"(?:(?P<m1>{_MONTH})\s(?P<d1>\d{{1,2}})(?:st|nd|rd|th)?,?\s(?P<y1>\d{{4}})"
         rf"|(?P<d2>\d{{1,2}})(?:st|nd|rd|th)?\s(?P<m2>{_MONTH}),?\s(?P<y2>\d{{4}})"
         r"|(?P<y3>\d{4})-(?P<m3>\d{2})-(?P<d3>\d{2}))")
_TIME = (r"(?:,?\s?(?:at|@|-|–|—|\||T)?\s?(?P<h>\d{1,2}):(?P<min>\d{2})(?::\d{2})?"
         r"\s?(?P<ampm>[ap]\.?\s?m\b\.?)?)")
_SAYS = r"(?:says|said|wrote)\s?:"
# the end of a byline: [on] date [time] [says:]
_DATELINE = re.compile(rf"(?:^|\s)(?:on\s)?{_DATE}{_TIME}?\s?(?:{_SAYS})?$", re.IGNORECASE)
_MARKER = re.compile(r"^(?:(?P<n>\d{1,6})\.|\d{1,6}\)|[•·*–—\-▪◦])\s")
_SAYS_END = re.compile(rf"\s?{_SAYS}$", re.IGNORECASE)
_NAME = re.compile(r"^[^\W\d_][\w.'’@&\- ]*$")
_SEPARATOR = " \t,|-–—:"


@dataclass(frozen=True)
class Section:
    kind: str  # "body" or "comment"
    start: int  # offsets into the cleaned text; a comment's span includes its byline
    end: int
    author: Optional[str] = None  # the byline's name; None where it names none
    date: Optional[str] = None  # ISO 8601 (date, or date and time); None where unknown
    text_start: int = -1  # where the section's own words begin (after a byline)

    @property
    def words_start(self) -> int:
        return self.start if self.text_start < 0 else self.text_start


@dataclass
class _Line:
    start: int
    end: int
    number: Optional[int]  # "3." mark
    marked: bool  # a list mark or bullet
    indent: int
    kind: str  # "blank" | "datetime" | "name_date" | "says" | "name" | "text"
    name: Optional[str] = None
    when: Optional[str] = None  # ISO
    timed: bool = False
    says: bool = False


def _iso(m: re.Match) -> Optional[str]:
    try:
        if m.group("y3"):
            year, month, day = int(m.group("y3")), int(m.group("m3")), int(m.group("d3"))
        else:
            word = (m.group("m1") or m.group("m2")).lower().rstrip(".")
            known = _MONTHS.get(word[:3])
            if known is None or not _full_month(word):
                return None
            month = known
            day = int(m.group("d1") or m.group("d2"))
            year = int(m.group("y1") or m.group("y2"))
        if m.group("h") is None:
            return date(year, month, day).isoformat()
        hour, minute = int(m.group("h")), int(m.group("min"))
        ampm = (m.group("ampm") or "").lower().replace(".", "").replace(" ", "")
        if ampm:
            if not 1 <= hour <= 12:
                return None
            hour = hour % 12 + (12 if ampm == "pm" else 0)
        return datetime(year, month, day, hour, minute).isoformat()
    except ValueError:
        return None


_MONTH_NAMES = ("january", "february", "march", "april", "may", "june", "july", "august",
                "september", "october", "november", "december", "sept")


def _full_month(word: str) -> bool:
    """'oct', 'october', 'sept' are months; 'mayor' and 'decide' are not."""
    return any(name.startswith(word) for name in _MONTH_NAMES) and len(word) >= 3


def _name(text: str) -> Optional[str]:
    text = text.strip(_SEPARATOR)
    if not text or len(text) > 60 or len(text.split()) > NAME_WORDS:
        return None
    return text if _NAME.match(text) else None


def _read_line(text: str, start: int, end: int) -> _Line:
    raw = text[start:end]
    stripped = raw.strip()
    indent = len(raw) - len(raw.lstrip())
    if not stripped:
        return _Line(start, end, None, False, indent, "blank")
    if len(stripped) > BYLINE_CHARS:
        return _Line(start, end, None, False, indent, "text")
    marker = _MARKER.match(stripped)
    number = int(marker.group("n")) if marker and marker.group("n") else None
    rest = stripped[marker.end():].strip() if marker else stripped
    line = _Line(start, end, number, marker is not None, indent, "text")
    found = _DATELINE.search(rest)
    if found:
        when = _iso(found)
        head = rest[:found.start()]
        says = bool(_SAYS_END.search(found.group(0)))
        head_says = _SAYS_END.search(head.strip())
        if head_says:
            head, says = head.strip()[:-len(head_says.group(0).strip())], True
        if when is not None:
            line.when, line.timed, line.says = when, found.group("h") is not None, says
            if not head.strip(_SEPARATOR):
                line.kind = "datetime"
            elif _name(head):
                line.kind, line.name = "name_date", _name(head)
        return line
    said = _SAYS_END.search(rest)
    if said and _name(rest[:said.start()]):
        line.kind, line.name, line.says = "says", _name(rest[:said.start()]), True
    elif _name(rest) and not rest.endswith((".", "!", "?", ":", ";")):
        line.kind, line.name = "name", _name(rest)
    return line


def _lines(text: str) -> list[_Line]:
    out, pos = [], 0
    while pos <= len(text):
        nl = text.find("\n", pos)
        end = len(text) if nl < 0 else nl
        out.append(_read_line(text, pos, end))
        if nl < 0:
            break
        pos = nl + 1
    return out


@dataclass
class _Byline:
    first: int  # line indices, inclusive
    last: int
    name: Optional[str]
    when: Optional[str]
    strong: bool  # starts a thread without a heading


def _byline_at(lines: list[_Line], i: int) -> Optional[_Byline]:
    line = lines[i]
    if line.kind in ("datetime", "name_date"):
        strong = line.marked and (line.timed or line.says) or (line.says and line.name)
        return _Byline(i, i, line.name, line.when, bool(strong))
    if line.kind in ("name", "says") and i + 1 < len(lines):
        below = lines[i + 1]
        if below.kind == "datetime" and not below.marked:
            strong = (line.marked or line.says) and (below.timed or line.says)
            return _Byline(i, i + 1, line.name, below.when, bool(strong))
    if line.kind == "says":
        return _Byline(i, i, line.name, None, True)
    return None


def _has_words_after(lines: list[_Line], byline: _Byline) -> bool:
    """The byline is followed by the comment's own words before any other byline."""
    for j in range(byline.last + 1, len(lines)):
        if lines[j].kind == "blank":
            continue
        return _byline_at(lines, j) is None
    return False


def _opens_paragraph(lines: list[_Line], i: int) -> bool:
    """Preceded by a blank line (or nothing) and not by another dated line: a list of dated
    items ("1. Kickoff October 24, 2011 at 9:00 am" over "2. Review …") is no thread."""
    if i == 0:
        return True
    if lines[i - 1].kind != "blank":
        return False
    for j in range(i - 1, -1, -1):
        if lines[j].kind != "blank":
            return lines[j].when is None
    return True


# a thread heading that cleaning keeps ("3 Comments", "Comments (2)", "Responses"): it opens
# a thread only when a byline comes right under it
_COUNT_HEADING = re.compile(r"^(?:(?:one|\d{1,6}) )?(?:comments?|responses?|replies|reactions?)"
                            r"(?: \(\d{1,6}\))?:?$", re.IGNORECASE)


def _count_heading(text: str, line: _Line) -> bool:
    stripped = text[line.start:line.end].strip()
    return len(stripped) <= 40 and bool(_COUNT_HEADING.match(stripped))


def _next_content(lines: list[_Line], i: int) -> Optional[int]:
    while i < len(lines) and lines[i].kind == "blank":
        i += 1
    return i if i < len(lines) else None


def find_sections(text: str, thread_starts: Sequence[int] = ()) -> list[Section]:
    """The body and comment sections of a cleaned text, in order, covering it; one body
    section when it has no comment thread. `thread_starts`: where headings of comment
    threads stood (clean_text_marked)."""
    lines = _lines(text)
    heading_at = min(thread_starts) if thread_starts else None
    first = None  # index of the thread's first line
    if heading_at is not None:
        first = next((i for i, ln in enumerate(lines) if ln.start >= heading_at), len(lines))
    else:
        for i in range(len(lines)):
            byline = _byline_at(lines, i) if lines[i].kind != "text" else None
            if (byline and byline.strong and _opens_paragraph(lines, i)
                    and _has_words_after(lines, byline) and i > 0):
                first = i
                break
            if lines[i].kind in ("name", "text") and _count_heading(text, lines[i]):
                below = _next_content(lines, i + 1)
                byline = _byline_at(lines, below) if below is not None else None
                if byline is not None and _has_words_after(lines, byline):
                    first = below  # "3 Comments" over a byline: the heading stays body
                    break
    if first is None:
        return [Section("body", 0, len(text), text_start=0)] if text.strip() else []
    thread_start = lines[first].start if first < len(lines) else len(text)
    sections: list[Section] = []
    if text[:thread_start].strip():
        sections.append(Section("body", 0, thread_start, text_start=0))
    # comments: (first line index, words' first line index, name, date)
    starts: list[tuple[int, int, Optional[str], Optional[str]]] = []
    any_byline = False
    numbered = 0  # the last comment number seen
    i = first
    while i < len(lines):
        line = lines[i]
        if line.kind == "blank":
            i += 1
            continue
        byline = _byline_at(lines, i) if line.kind != "text" else None
        if byline is not None:
            starts.append((i, byline.last + 1, byline.name, byline.when))
            any_byline = True
            if line.number is not None:
                numbered = line.number
            i = byline.last + 1
            continue
        opens = (not starts or (not any_byline and line.number == numbered + 1
                                and line.indent <= 3 and i > 0 and lines[i - 1].kind == "blank"))
        if opens:
            starts.append((i, i, None, None))
            if line.number is not None:
                numbered = line.number
        i += 1
    for n, (head, words, name, when) in enumerate(starts):
        end_line = starts[n + 1][0] if n + 1 < len(starts) else len(lines)
        start = lines[head].start
        end = lines[end_line].start if end_line < len(lines) else len(text)
        words_start = lines[words].start if words < len(lines) else end
        words_start = min(words_start, end)
        sections.append(Section("comment", start, end, name, when, words_start))
    return _trimmed(text, sections)


def _trimmed(text: str, sections: list[Section]) -> list[Section]:
    """Sections end at their last non-space character (the gap belongs to no passage)."""
    out = []
    for s in sections:
        end = s.end
        while end > s.start and text[end - 1].isspace():
            end -= 1
        out.append(Section(s.kind, s.start, end, s.author, s.date, min(s.words_start, end)))
    return out


def byline_spans(text: str, sections: list[Section]) -> list[tuple[int, int]]:
    """The byline of each comment: from its start to where its words begin (trimmed)."""
    spans = []
    for s in sections:
        if s.kind == "comment" and s.words_start > s.start:
            end = s.words_start
            while end > s.start and text[end - 1].isspace():
                end -= 1
            if end > s.start:
                spans.append((s.start, end))
    return spans


def date_in(text: str) -> Optional[str]:
    """The ISO 8601 form of a byline's date ("October 24, 2011 at 7:31 am"), or None."""
    text = " ".join(text.split())
    if len(text) > BYLINE_CHARS:
        return None
    found = _DATELINE.search(text)
    return _iso(found) if found else None


def assemble(body: str, comments: list[tuple[str, str, Optional[str], Optional[str], str]]
             ) -> tuple[str, list[Section]]:
    """One text from a cleaned body and comments known from markup, each (byline text, the
    commenter's name or "", ISO date or None, unused, cleaned words), with its sections: the
    byline stands on its own lines before the words, as on the page."""
    parts = [body]
    length = len(body)
    sections = [Section("body", 0, len(body), text_start=0)] if body else []
    for byline, name, when, _unused, words in comments:
        if not words.strip():
            continue
        gap = "\n\n" if length else ""
        start = length + len(gap)
        head = byline + "\n\n" if byline else ""
        parts.append(gap + head + words)
        length = start + len(head) + len(words)
        sections.append(Section("comment", start, length, name or None, when,
                                start + len(head)))
    return "".join(parts), sections


def reads_as_byline(text: str) -> bool:
    """Whether every non-blank line of `text` reads as part of a byline (a name, a date, a
    "says:" line, with or without a list mark): what the splitter may leave out of passages."""
    lines = [ln for ln in _lines(text) if ln.kind != "blank"]
    return (all(ln.kind in ("datetime", "name_date", "says", "name") for ln in lines)
            and any(ln.kind != "name" for ln in lines))  # a bare name is no byline


# --- an article's own byline ------------------------------------------------------------
BYLINE_LINES = 6  # the article's byline stands among the first lines of its body
_BY = re.compile(r"^(?:written\s+|posted\s+)?by\s+", re.IGNORECASE)
_NAME_PARTICLES = {"van", "von", "de", "der", "den", "da", "del", "della", "di", "du", "la",
                   "le", "bin", "al", "and", "&", "y", "ten", "ter"}
_NAME_LIST = re.compile(r"\s*(?:,|;|\band\b|&)\s*")


def _person(text: str) -> Optional[str]:
    """A person's or a few people's name(s) as a byline gives them ("Dana Okafor", "A. Ruiz
    and B. Lee", "张伟"): no word in lower case bar particles ("van", "de"); None otherwise
    ("then it was late")."""
    text = text.strip(_SEPARATOR + " ")
    if not text or len(text) > 120:
        return None
    for name in _NAME_LIST.split(text):
        if not name or _name(name) is None:
            return None
        for word in name.split():
            if word.lower() not in _NAME_PARTICLES and word[0].islower():  # CJK has no case
                return None
    return text


def byline_parts(line: str) -> tuple[Optional[str], Optional[str]]:
    """(name, ISO date) of an article's byline line: "By Dana Okafor, March 3, 2025",
    "By Dana Okafor on 3 March 2025", "By Dana Okafor | 2025-03-03", "By Dana Okafor", or a
    date alone ("March 3, 2025"); (None, None) for any other line."""
    stripped = " ".join(line.split())
    if not stripped or len(stripped) > BYLINE_CHARS:
        return None, None
    by = _BY.match(stripped)
    rest = stripped[by.end():] if by else stripped
    found = _DATELINE.search(rest)
    when = _iso(found) if found else None
    head = rest[:found.start()] if found and when else rest
    head = re.sub(r"\s(?:on|at)$", "", head.strip(_SEPARATOR + " "), flags=re.IGNORECASE)
    if not head.strip(_SEPARATOR + " "):
        return None, when  # a date alone
    if not by:
        return None, None  # a name without "By" could be anything
    return _person(head), (when if _person(head) else None)


def article_byline(text: str, sections: Sequence[Section] = ()) -> tuple[str, str]:
    """(author, ISO date) from the byline among the first BYLINE_LINES lines of an article's
    body ("" where it names none). Comments are never read: an article without its own date
    has none, whatever date its first comment carries."""
    body_end = next((s.start for s in sections if s.kind == "comment"), len(text))
    author, when, seen = "", "", 0
    for line in text[:body_end].split("\n", 64):  # the first lines are enough
        if not line.strip():
            continue
        seen += 1
        if seen > BYLINE_LINES:
            break
        name, date_ = byline_parts(line)
        if name and not author:
            author = name
        if date_ and not when:
            when = date_
        if author and when:
            break
    return author, when


def author_without_dates(value: str) -> str:
    """An author field with the date pieces a page's byline left in it taken out
    ("Dana Okafor; March 3" → "Dana Okafor"), and a leading "By " dropped."""
    parts = []
    for part in re.split(r"\s*;\s*", value):
        part = _BY.sub("", part.strip())
        if not part or re.search(r"\d", part) or _DATELINE.search(part) or re.fullmatch(
                rf"(?:on\s)?{_MONTH}(?:\s\d{{1,2}})?", part, re.IGNORECASE) and _full_month(
                part.split()[-1].lower().rstrip(".")):
            continue
        parts.append(part)
    return "; ".join(parts)
