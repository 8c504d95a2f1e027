"""Page furniture out, article text (and reader comments with content) kept.

Blog exports carry comment forms, share buttons and sign-in prompts around the article. They
are recognised line by line; a comment form ("Leave a Reply", "You might also like") ends the
article, since what follows it on such pages is form and promotion, not content.
"""
from __future__ import annotations

import re
from typing import Callable

# A line matching one of these is furniture wherever it appears.
_FURNITURE = [
    r"leave a (reply|comment)( to .*)?",
    r"cancel reply",
    r"you are commenting using your .*account.*",
    r"this site uses akismet.*",
    r"fill in your details below.*",
    r"please log in using one of these methods.*",
    r"connecting to %s",
    r"your email address will not be published.*",
    r"required fields are marked.*",
    r"notify me of (new|follow-up) (comments|posts).*",
    r"(share|like|follow|subscribe)( this| us| to .*)?:?",
    r"share on (facebook|twitter|linkedin|x|email|reddit|pinterest|whatsapp)",
    r"click to (share|email|print).*",
    r"(subscribe|sign up) (to|for) (our|the|my) (newsletter|blog|updates).*",
    r"(google|twitter|facebook|linkedin) (photo|picture)",
    r"wordpress\.com logo",
    r"logo",
    r"%d bloggers like this:?",
    r"enhanced by zemanta",
    r"filed under .*",
    r"tagged:? .*",
    r"\(photo credit: .*\)",
    r"no trackbacks yet\.?",
    r"log out /\s*change \)?",
    r"loading\.*",
    r"related( posts| articles)?:?",
    r"posted (in|by) .*",
    r"home\s*>.*",  # breadcrumbs
    r"(get a live demo|book a demo|request a demo)!?",
]
# A comment thread's heading ("3 thoughts on “Title”"): dropped like furniture, but where it
# stood is kept (clean_text_marked), since what follows it is the comment thread.
_THREAD_HEADING = (r"(one|\d+) (thought|response|comment|reply|replies|thoughts|responses|"
                   r"comments) (on|to) .*")
_FURNITURE_RE = re.compile(r"^\s*(?:\d+[.)]\s+|[•·*-]\s+)?(?:" + "|".join(_FURNITURE) + r")\s*$",
                           re.IGNORECASE)
_THREAD_HEADING_RE = re.compile(r"^\s*(?:\d+[.)]\s+|[•·*-]\s+)?(?:" + _THREAD_HEADING
                                + r")\s*$", re.IGNORECASE)
_MARK = "\x00"  # stands for a thread heading while cleaning; NUL is removed from input first

# The first of these in the second half of a page ends the article.
_TAIL_START_RE = re.compile(
    r"^\s*(leave a (reply|comment)|you might also like:?|related posts:?|"
    r"please log in using one of these methods.*|fill in your details below.*)\s*$",
    re.IGNORECASE)


def is_furniture(line: str) -> bool:
    return bool(_FURNITURE_RE.match(line)) or is_thread_heading(line)


def is_thread_heading(line: str) -> bool:
    return len(line) <= 1000 and bool(_THREAD_HEADING_RE.match(line))


def clean_text(text: str) -> str:
    """Normalise line ends, drop furniture lines, cut the trailing comment form, collapse a
    line repeated right after itself (titles printed twice) and excess blank lines."""
    return clean_text_marked(text)[0]


def clean_text_marked(text: str) -> tuple[str, list[int]]:
    """clean_text, and the offsets in the cleaned text where a comment thread's heading
    stood (the heading itself is dropped, as before)."""
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\u00a0", " ")
    text = text.replace("\ufeff", "").replace("\x00", "")
    lines = text.split("\n")
    half = len(lines) // 2
    for i, line in enumerate(lines):
        if i >= half and _TAIL_START_RE.match(line):
            lines = lines[:i]
            break
    kept: list[str] = []
    last_content = None
    for line in lines:
        line = line.rstrip()
        if is_thread_heading(line):
            kept.append(_MARK)
            last_content = None
            continue
        if is_furniture(line):
            continue
        stripped = line.strip()
        if stripped and stripped == last_content:
            continue  # a heading or title printed twice in a row
        if stripped:
            last_content = stripped
        kept.append(line)
    cleaned = "\n".join(kept)
    cleaned = re.sub(r"\n[ \t]*(\n[ \t]*){2,}", "\n\n", cleaned)
    cleaned = cleaned.strip()
    if _MARK not in cleaned:
        return cleaned, []
    return _take_marks(cleaned)


def _take_marks(cleaned: str) -> tuple[str, list[int]]:
    """The text without its mark lines (and the blank line each leaves doubled), and where
    each stood."""
    out: list[str] = []
    marks: list[int] = []
    length = 0  # of "\n".join(out)
    for line in cleaned.split("\n"):
        if line == _MARK:
            marks.append(length + 1 if out else 0)
            continue
        if not line.strip() and out and not out[-1].strip():
            continue  # the mark's line went: no second blank line
        out.append(line)
        length += len(line) + (1 if len(out) > 1 else 0)
    text = "\n".join(out)
    lead = len(text) - len(text.lstrip())
    text = text.strip()
    return text, [min(max(0, m - lead), len(text)) for m in marks]


# Every rule is linear: a character class never admits the character that opens the next
# match (`<[^<>\n]+>`, not `<[^>\n]+>`), so a failed attempt stops at the next opener instead
# of scanning the rest of the line again (156 KB of "<" took 54 s). Headings are cut by hand.
# Emphasis and link text may run over a hard wrap (a single line break), never a blank line.
_MD_RULES: list[tuple[re.Pattern[str], str | Callable[[re.Match[str]], str]]] = [
    (re.compile(r"^```.*$", re.M), ""),  # code fences: keep the code, drop the fence
    (re.compile(r"!\[([^\[\]\n]*(?:\n[^\[\]\n]+)*)\]\([^()\n]*\)"), r"\1"),  # images: alt text
    (re.compile(r"\[([^\[\]\n]+(?:\n[^\[\]\n]+)*)\]\([^()\n]*\)"), r"\1"),  # links: their text
    (re.compile(r"^[ \t]{0,3}>[ \t]?", re.M), ""),  # block quotes
    (re.compile(r"^[ \t]*(?:[-*_][ \t]*){3,}$", re.M), ""),  # horizontal rules
    (re.compile(r"^[ \t]*(?:[-*+]|\d{1,9}[.)])[ \t]+", re.M), "• "),  # list markers
    (re.compile(r"\*\*(?=\S)([^*\n]+(?:\n[^*\n]+)*)(?<=\S)\*\*"
                r"|__(?=\S)([^_\n]+(?:\n[^_\n]+)*)(?<=\S)__"),
     lambda m: m.group(1) or m.group(2)),  # strong
    (re.compile(r"(?<![\w*])\*(?!\s)([^*\n]+(?:\n[^*\n]+)*)(?<!\s)\*(?![\w*])"
                r"|(?<![\w_])_(?!\s)([^_\n]+(?:\n[^_\n]+)*)(?<!\s)_(?![\w_])"),
     lambda m: m.group(1) or m.group(2)),  # emphasis
    (re.compile(r"`([^`\n]+)`"), r"\1"),  # inline code
    (re.compile(r"<[^<>\n]+>"), ""),  # inline HTML tags
]
_ATX = re.compile(r"^[ \t]{0,3}#{1,6}(?:[ \t]+|$)", re.M)


def _atx_headings(text: str) -> str:
    """`## Title ##` → `Title`, line by line (a regex with a lazy middle and an optional
    closing run backtracks over a long line)."""
    if "#" not in text:
        return text
    out = []
    for line in text.split("\n"):
        m = _ATX.match(line)
        if m:
            content = line[m.end():].rstrip(" \t")
            bare = content.rstrip("#")
            if not bare or bare[-1] in " \t":  # a closing run of #s
                content = bare.rstrip(" \t")
            line = content
        out.append(line)
    return "\n".join(out)


def markdown_to_text(markdown: str) -> str:
    if markdown.startswith("---\n"):  # front matter, when closed
        end = markdown.find("\n---\n", 3)
        if end >= 0:
            markdown = markdown[end + 5:]
    text = _atx_headings(markdown)
    for pattern, replacement in _MD_RULES:
        text = pattern.sub(replacement, text)
    return text
