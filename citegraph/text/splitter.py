"""Passage splitting on paragraph, then sentence boundaries, keeping exact character offsets.

Every span satisfies `text[start:end] == passage_text`. Paragraphs are packed into passages
of about MIN_WORDS..MAX_WORDS words; a paragraph too long for one passage is split between
sentences; a sentence too long for the model's window is split between words, and a "word"
too long for it (Chinese or Japanese without spaces, a long URL, base64, minified JSON) between
characters. A short line without closing punctuation (a heading) opens the next passage; where
it cannot, it closes the previous one or stands alone. Every non-space character of the text
lies in exactly one passage, and no passage exceeds the model's window. `split_sections`
splits a text's body and each of its comments apart, leaving the comments' bylines out.
"""
from __future__ import annotations

import re
from bisect import bisect_right
from dataclasses import dataclass
from typing import TYPE_CHECKING, Callable, Optional, Sequence

if TYPE_CHECKING:
    from citegraph.text.comments import Section

# Raised whenever a change moves passage or sentence boundaries (2: hard wraps are spaces,
# initials end no sentence): an article stored under an older splitting is read again by the
# next ingest of its file, since the revision is part of the hash that finds it unchanged.
SPLIT_REVISION = 2
MIN_WORDS = 80
MAX_WORDS = 200
MAX_TOKENS = 256  # the model's window; passages above it would be truncated silently
CONTEXT_TOKENS = 24  # the most of an article's title read before a passage (embedder)
MAX_CHARS = 2048  # a passage's characters, whatever its tokens (one [UNK] may hide 100)
HEADING_CHARS = 150  # a heading is short in characters too (a CJK paragraph is one "word")

_PARAGRAPH_BREAK = re.compile(r"\n[ \t]*\n\s*")
# closing quotes after the punctuation stay with their sentence (group q1/q2 ends it)
_SENTENCE_END = re.compile(
    r"(?<=[.!?…])(?P<q1>[\"”’')\]]*)\s+(?=[\"“‘'(\[]?[A-Z0-9•])"  # punctuation, then a capital
    r"|(?<=[。！？])(?P<q2>[」』）”’\"]*)\s*(?=[^\s」』）”’\"。！？])"  # CJK: no space needed
    r"|(?P<nl>\n\s*)(?=\S)"  # a line break: an end unless it is a hard wrap (_wrapped)
)
# a line opening with one of these starts afresh: a list item, a quote, a table row
_LINE_OPENER = re.compile(r"[•·*▪◦>|#–—-]\s|\(?\d{1,3}[.)]\s|\(?[a-zA-Z][.)]\s|[|>#]")
# a period after one of these ends no sentence: an initial ("John C. Messenger"), a dotted
# abbreviation ("U.S.", "e.g."), a title, "v." of a court case or "c." before a date ("Dr.
# Ruiz", "Brown v. Board", "(c. 1455")
_ABBREVIATION = re.compile(
    r"(?:^|[\s(\[\"“‘'])(?:[A-Z]|(?:[A-Za-z]\.)+[A-Za-z]|Mr|Mrs|Ms|Dr|Prof|St|Mt|Ft|Jr|Sr|"
    r"Gen|Col|Lt|Sgt|Capt|Cmdr|Adm|Rev|Hon|Gov|Sen|Rep|Pres|vs|v|cf|ca|c|al|approx|No|Nos|Nr|"
    r"Vol|vol|pp|Fig|fig|Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec)\.$")
WRAP_SLACK = 0.9
MIN_WRAP = 40  # lines broken at fewer columns are no hard wrap (verse, addresses, lists)
_WORD = re.compile(r"\S+")
# where a run of characters is best cut: after punctuation or a URL's separators
_SOFT_BREAK = re.compile(r"[、，。！？；：,.;:!?/&=)\]}」』）-](?=[^、，。！？；：,.;:!?/&=)\]}」』）-])")
_CLOSING = (".", "?", "!", ":", ";", "”", '"', "。", "！", "？", "：", "；", "」", "』", "）")


@dataclass(frozen=True)
class Span:
    start: int
    end: int


def _trimmed(text: str, start: int, end: int) -> Optional[Span]:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return Span(start, end) if end > start else None


def paragraph_spans(text: str) -> list[Span]:
    spans, pos = [], 0
    for m in _PARAGRAPH_BREAK.finditer(text):
        s = _trimmed(text, pos, m.start())
        if s:
            spans.append(s)
        pos = m.end()
    s = _trimmed(text, pos, len(text))
    if s:
        spans.append(s)
    return spans


class LineWidths:
    """The widest line of each paragraph of a text, for telling a hard wrap (a line broken
    because the next word did not fit) from a line break the writer meant."""

    def __init__(self, text: str, start: int = 0, end: Optional[int] = None):
        end = len(text) if end is None else end
        self.starts: list[int] = []  # paragraph starts, ascending
        self.widths: list[int] = []
        pos = start
        for m in _PARAGRAPH_BREAK.finditer(text, start, end):
            self._add(text, pos, m.start())
            pos = m.end()
        self._add(text, pos, end)

    def _add(self, text: str, start: int, end: int) -> None:
        self.starts.append(start)
        self.widths.append(max((len(line.rstrip()) for line in text[start:end].split("\n")),
                               default=0))

    def width_at(self, pos: int) -> int:
        return self.widths[max(0, bisect_right(self.starts, pos) - 1)]


def _wrapped(text: str, newline: int, after: int, widths: LineWidths) -> bool:
    """Whether the line break at `newline` (the next line's words start at `after`) is a hard
    wrap inside a sentence: one line break (no blank line), the next line no list item,
    quote or table row, and its first word too long to have fitted on the line before (in a
    paragraph wrapped at MIN_WRAP columns or more)."""
    if text.count("\n", newline, after) != 1 or _LINE_OPENER.match(text, after):
        return False
    width = widths.width_at(newline)
    if width < MIN_WRAP:
        return False
    line_start = text.rfind("\n", 0, newline) + 1
    line = text[line_start:newline].rstrip()
    if not line or line.endswith(":"):
        return False  # a colon at a line's end introduces what follows (a list)
    word_end = after
    while word_end < len(text) and not text[word_end].isspace():
        word_end += 1
    # a tenth of slack: the widest line may have lost a column or two to cleaning ("1. "
    # became "• ") or the wrap may have been a little wider than any line shows
    return len(line) + 1 + (word_end - after) > WRAP_SLACK * width


def sentence_spans(text: str, start: int = 0, end: Optional[int] = None) -> list[Span]:
    """Sentences between `start` and `end`: after closing punctuation and a capital, or at
    a line break the writer meant (a blank line, a list item, a heading or any short line);
    a hard wrap inside a paragraph is a space (offsets stay those of `text`)."""
    end = len(text) if end is None else end
    spans, pos = [], start
    widths: Optional[LineWidths] = None
    for m in _SENTENCE_END.finditer(text, start, end):
        if m.group("nl") is not None:
            widths = widths or LineWidths(text, start, end)
            if _wrapped(text, m.start(), m.end(), widths):
                continue
            quotes = ""
        else:
            quotes = m.group("q1") if m.group("q1") is not None else m.group("q2")
            if quotes == "" and text[m.start() - 1] == "." and _ABBREVIATION.search(
                    text[max(start, m.start() - 12):m.start()]):
                continue
        s = _trimmed(text, pos, m.start() + len(quotes or ""))
        if s:
            spans.append(s)
        pos = m.end()
    s = _trimmed(text, pos, end)
    if s:
        spans.append(s)
    return spans


def breaks_line(text: str, start: int, end: int, widths: Optional[LineWidths] = None) -> bool:
    """Whether the gap text[start:end] between two sentences holds a line break the writer
    meant (not a hard wrap)."""
    newline = text.find("\n", start, end)
    if newline < 0:
        return False
    after = end
    return not _wrapped(text, newline, after, widths or LineWidths(text))


def word_count(text: str) -> int:
    return len(_WORD.findall(text))


def is_heading(text: str) -> bool:
    stripped = text.strip()
    return (len(stripped) <= HEADING_CHARS and word_count(stripped) <= 14
            and not stripped.endswith(_CLOSING))


def default_token_count(text: str) -> int:
    """A conservative estimate when no tokenizer is given (WordPiece splits ~1.3 per word)."""
    return int(len(_WORD.findall(text)) * 1.5) + 2


class Splitter:
    def __init__(self, token_count: Callable[[str], int] = default_token_count,
                 min_words: int = MIN_WORDS, max_words: int = MAX_WORDS,
                 max_tokens: int = MAX_TOKENS, max_chars: int = MAX_CHARS):
        self.token_count = token_count
        self.min_words = min_words
        self.max_words = max_words
        self.max_tokens = max_tokens
        self.max_chars = max_chars

    def _fits(self, text: str, start: int, end: int) -> bool:
        if end - start > self.max_chars:
            return False
        piece = text[start:end]
        return word_count(piece) <= self.max_words and self.token_count(piece) <= self.max_tokens

    def _units(self, text: str) -> list[Span]:
        """Paragraphs, with over-long ones broken into sentences, over-long sentences into
        word runs and over-long words into character runs, so that every unit fits in one
        passage."""
        units: list[Span] = []
        for para in paragraph_spans(text):
            if self._fits(text, para.start, para.end):
                units.append(para)
                continue
            for sent in sentence_spans(text, para.start, para.end):
                if self._fits(text, sent.start, sent.end):
                    units.append(sent)
                else:
                    units.extend(self._word_runs(text, sent))
        return units

    def _word_runs(self, text: str, span: Span) -> list[Span]:
        words = [m.span() for m in _WORD.finditer(text, span.start, span.end)]
        runs, first = [], 0
        while first < len(words):
            if not self._fits(text, *words[first]):
                runs.extend(self._char_runs(text, *words[first]))
                first += 1
                continue
            last = first
            while last + 1 < len(words) and self._fits(text, words[first][0], words[last + 1][1]):
                last += 1
            runs.append(Span(words[first][0], words[last][1]))
            first = last + 1
        return runs

    def _char_runs(self, text: str, start: int, end: int) -> list[Span]:
        """A run without spaces cut into pieces that fit: about the longest prefix that
        fits (guessed from the last piece's characters per token, then corrected), moved
        back to a punctuation or URL separator when one is near."""
        runs = []
        size = self.max_chars
        while start < end:
            limit = min(end, start + self.max_chars)
            cut = min(limit, start + size)
            if self._fits(text, start, cut):
                while cut < limit:  # the guess may be short: grow while it fits
                    longer = min(limit, cut + max(1, (cut - start) // 8))
                    if not self._fits(text, start, longer):
                        break
                    cut = longer
            else:
                tokens = self.token_count(text[start:cut])
                while cut > start + 1 and not self._fits(text, start, cut):
                    share = (self.max_tokens - 2) / max(tokens, 1)
                    cut = start + max(1, min(int((cut - start) * share), (cut - start) * 15 // 16))
                    tokens = self.token_count(text[start:cut])
            size = cut - start
            if cut < end:
                window = max(start + 1, cut - 64)
                soft = [m.end() for m in _SOFT_BREAK.finditer(text, window, cut)]
                if soft:
                    cut = soft[-1]
            runs.append(Span(start, cut))
            start = cut
        return runs

    def split_sections(self, text: str,
                       sections: Sequence[Section]) -> list[tuple[Span, Section]]:
        """Passages of each section (citegraph/text/comments.py) on its own, from where its
        words begin (a comment's byline is in no passage) to its end: no passage crosses
        from the body into a comment or from one comment into the next. (span, section)
        pairs in text order."""
        out: list[tuple[Span, Section]] = []
        for section in sections:
            start = section.words_start
            for span in self.split(text[start:section.end]):
                out.append((Span(span.start + start, span.end + start), section))
        return out

    def split(self, text: str) -> list[Span]:
        units = self._units(text)
        passages: list[Span] = []
        current: Optional[Span] = None
        for unit in units:
            if current is None:
                current = unit
                continue
            words_now = word_count(text[current.start:current.end])
            heading_only = is_heading(text[current.start:current.end])
            joined_fits = self._fits(text, current.start, unit.end)
            opens_section = is_heading(text[unit.start:unit.end]) and words_now >= self.min_words // 2
            if joined_fits and not opens_section and (words_now < self.min_words or heading_only):
                current = Span(current.start, unit.end)
            elif heading_only:
                # a heading that cannot share a passage with its text: with the text before
                # it if that fits, else alone; never lost
                self._close(text, passages, current)
                current = unit
            else:
                passages.append(current)
                current = unit
        if current is not None:
            if passages and (word_count(text[current.start:current.end]) < self.min_words // 3
                             or is_heading(text[current.start:current.end])) \
                    and self._fits(text, passages[-1].start, current.end):
                passages[-1] = Span(passages[-1].start, current.end)
            else:
                passages.append(current)
        return passages

    def _close(self, text: str, passages: list[Span], heading: Span) -> None:
        if passages and self._fits(text, passages[-1].start, heading.end):
            passages[-1] = Span(passages[-1].start, heading.end)
        else:
            passages.append(heading)
