"""PDF files: the text layer of every page through pypdf, running headers and footers left
out, words hyphenated across lines joined, title and author from the document's metadata.

pypdf was chosen by measurement (see README, "PDF files"): on a generated report and two
PDFs shipped with Debian it gave lines in reading order (pdfminer.six put a line ending in a
hyphen after the line that continues it), and it is pure Python; pypdfium2 read the same
text faster but dropped most of a hyphenated word through its bounded-text call.

The reader (ingest/readers.py, read_pdf) stores the pages' texts one after the other, a
blank line between two pages, with where each page starts (`ArticleDraft.pages`); each page is
a section of its own, so that no passage crosses a page break and every passage has one page
number.
"""
from __future__ import annotations

import io
import logging
import re
from collections import Counter
from dataclasses import dataclass

from citegraph.errors import CitegraphError

EDGE_LINES = 3  # lines at the top and at the bottom of a page that may be running furniture
MAX_PAGES = 5000

_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f\ud800-\udfff]")
_DIGITS = re.compile(r"\d+")
_HYPHENATED = re.compile(r"(?<=[^\W\d_])-\n(?=[^\W\d_])")
_LIST_ITEM = re.compile(r"[•·▪◦*\-–—]\s|\(?\d{1,3}[.)]\s|\(?[a-z][.)]\s")
_BLANKS = re.compile(r"\n[ \t]*(?:\n[ \t]*)+")


class PdfError(CitegraphError):
    """A PDF whose text cannot be read; the message is the reason."""


def _furniture_key(line: str) -> str:
    """A line as it repeats from page to page: page numbers and dates vary, so digits count
    as one; case and spacing do not count."""
    return " ".join(_DIGITS.sub("#", line).lower().split())


def _lines(text: str) -> list[str]:
    text = _CONTROL.sub("", text.replace("\r\n", "\n").replace("\r", "\n"))
    return [line.rstrip() for line in text.split("\n")]


def running_furniture(pages: list[list[str]]) -> set[str]:
    """Keys of running headers, footers and page numbers: lines standing among the first or
    last EDGE_LINES lines of at least half of the pages (and of three at least), or standing
    first, or last, on three pages or more (a chapter's running head: "Chapter 4: Function
    reference 17")."""
    if len(pages) < 3:
        return set()
    seen: Counter = Counter()
    firsts: Counter = Counter()
    lasts: Counter = Counter()
    for lines in pages:
        content = [line for line in lines if line.strip()]
        if not content:
            continue
        edges = content[:EDGE_LINES] + content[-EDGE_LINES:]
        seen.update({_furniture_key(line) for line in edges})
        firsts[_furniture_key(content[0])] += 1
        lasts[_furniture_key(content[-1])] += 1
    needed = max(3, (len(pages) + 1) // 2)
    found = {key for key, n in seen.items() if n >= needed}
    found |= {key for counts in (firsts, lasts) for key, n in counts.items() if n >= 3}
    return {key for key in found if key}


def _page_text(lines: list[str], furniture: set[str]) -> str:
    """The page without its running furniture (at its edges only: the same words inside
    the page are the page's own) and with words hyphenated across lines joined."""
    content = [i for i, line in enumerate(lines) if line.strip()]
    drop = {i for i in content[:EDGE_LINES] + content[-EDGE_LINES:]
            if _furniture_key(lines[i]) in furniture}
    text = "\n".join(line for i, line in enumerate(lines) if i not in drop)
    text = _HYPHENATED.sub("", text)
    return _BLANKS.sub("\n\n", reflow(text)).strip()


def reflow(text: str) -> str:
    """Lines wrapped at the page's margin joined into one: a line break inside a paragraph
    ends a sentence for the splitter (citegraph/text/splitter.py), which would cut sentences
    in two at every wrap. A long line (near the page's longest: it reached the margin)
    continues into the next unless it ends a sentence before a capital, or ends with a colon
    (what follows is a list or code); list items, short lines (headings, code, the last line
    of a paragraph) and blank lines stay as they are."""
    lines = text.split("\n")
    longest = max((len(line.strip()) for line in lines), default=0)
    out = [lines[0]] if lines else []
    for line in lines[1:]:
        before, after = out[-1].rstrip(), line.strip()
        joins = (before and after and not _LIST_ITEM.match(after)
                 and len(before.strip()) >= 0.6 * longest and before[-1] not in ":;{"
                 and (after[0].islower() or before[-1] not in ".!?"))
        if joins:
            out[-1] = before + " " + after
        else:
            out.append(line)
    return "\n".join(out)


def _meta(value) -> str:
    return value if isinstance(value, str) else ""


@dataclass
class PdfText:
    pages: list[str]  # each page's text, furniture out; "" for a page without text
    title: str  # from the metadata; "" when it names none
    author: str


def extract(data: bytes, max_chars: int) -> PdfText:
    """The text of every page; PdfError (one line) for a PDF that cannot be read, is
    encrypted, has more than MAX_PAGES pages or more than `max_chars` characters of text."""
    import pypdf
    from pypdf.errors import DependencyError, PyPdfError

    logging.getLogger("pypdf").setLevel(logging.ERROR)  # its warnings are not ours to print
    try:
        reader = pypdf.PdfReader(io.BytesIO(data))
        if reader.is_encrypted and not reader.decrypt(""):
            raise PdfError("encrypted PDF: its text cannot be read without the password")
        if len(reader.pages) > MAX_PAGES:
            raise PdfError(f"PDF of {len(reader.pages):,} pages, over the {MAX_PAGES:,} limit")
        raw_pages = []
        total = 0
        for page in reader.pages:
            text = page.extract_text() or ""
            total += len(text)
            if total > 2 * max_chars:
                raise PdfError(f"PDF text is over the {max_chars:,} character limit")
            raw_pages.append(_lines(text))
        info = reader.metadata
        title, author = (_meta(info.title), _meta(info.author)) if info else ("", "")
    except PdfError:
        raise
    except (PyPdfError, DependencyError, ValueError, KeyError, TypeError, AttributeError,
            IndexError, OSError, RecursionError, NotImplementedError) as exc:
        raise PdfError(f"not a readable PDF ({type(exc).__name__}: "
                       f"{' '.join(str(exc).split())[:200] or 'damaged'})") from None
    if not raw_pages:
        raise PdfError("PDF without pages")
    furniture = running_furniture(raw_pages)
    texts = [_page_text(lines, furniture) for lines in raw_pages]
    if not any(texts):
        raise PdfError(f"no text layer in this PDF ({len(texts)} page(s)): a scanned PDF "
                       "needs OCR first, which Citegraph does not do")
    return PdfText(texts, title, author)
