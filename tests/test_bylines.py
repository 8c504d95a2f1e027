"""An article's own byline, read by every reader: "By Dana Okafor, March 3, 2025" is the
author "Dana Okafor" and the date 2025-03-03; an article without a date of its own has none,
never the date of its first comment."""
from __future__ import annotations

import json

import pytest

from citegraph.ingest.readers import read_html, read_jsonl, read_markdown, read_txt
from citegraph.text.comments import author_without_dates, byline_parts

BODY = ("Copper tape keeps slugs off the edges of a raised bed, and beer traps catch the rest"
        " over a couple of weeks.\n\nCompost should be one part green to two parts brown.")
THREAD = ("\n\n3 thoughts on “Slugs and raised beds”\n\nPriya Raman says:\n"
          "November 5, 2024 at 8:30 am\n\nCopper tape worked for me too, once the bed was"
          " weeded.\n")
BYLINED = f"Slugs and raised beds\nBy Dana Okafor, March 3, 2025\n\n{BODY}{THREAD}"
UNDATED = f"Slugs and raised beds\n\n{BODY}{THREAD}"


def meta(draft):
    return draft.author, draft.published


@pytest.mark.parametrize("line, parts", [
    ("By Dana Okafor, March 3, 2025", ("Dana Okafor", "2025-03-03")),
    ("by Dana Okafor on 3 March 2025", ("Dana Okafor", "2025-03-03")),
    ("By Dana Okafor | 2025-03-03", ("Dana Okafor", "2025-03-03")),
    ("By Ludwig van Beethoven and Ana Ruiz", ("Ludwig van Beethoven and Ana Ruiz", None)),
    ("March 3, 2025", (None, "2025-03-03")),
    ("By then it was late, March 3, 2025", (None, None)),  # no name
    ("By the end of 2025 sales had doubled.", (None, None)),
    ("Dana Okafor, March 3, 2025", (None, None)),  # no "By": could be anything
    ("Published on March 4, 2020, according to the text.", (None, None)),
])
def test_byline_parts(line, parts):
    assert byline_parts(line) == parts


def test_an_author_field_loses_the_date_pieces_a_byline_left_in_it():
    assert author_without_dates("Dana Okafor; March 3") == "Dana Okafor"
    assert author_without_dates("By Ana Ruiz; Bob Smith") == "Ana Ruiz; Bob Smith"
    assert author_without_dates("May Li") == "May Li"


def test_txt_byline_and_no_date_from_a_comment():
    assert meta(read_txt(BYLINED.encode(), "a.txt", "s")[0]) == ("Dana Okafor", "2025-03-03")
    draft = read_txt(UNDATED.encode(), "b.txt", "s")[0]
    assert meta(draft) == ("", "")
    assert [s.date for s in draft.sections if s.kind == "comment"] == ["2024-11-05T08:30:00"]


def test_markdown_byline_front_matter_first_and_no_date_from_a_comment():
    md = BYLINED.replace("Slugs and raised beds\n", "# Slugs and raised beds\n", 1)
    assert meta(read_markdown(md.encode(), "a.md", "s")[0]) == ("Dana Okafor", "2025-03-03")
    front = "---\nauthor: Ana Ruiz\ndate: 2024-01-02\n---\n" + md
    assert meta(read_markdown(front.encode(), "b.md", "s")[0]) == ("Ana Ruiz", "2024-01-02")
    undated = UNDATED.replace("Slugs and raised beds\n", "# Slugs and raised beds\n", 1)
    assert meta(read_markdown(undated.encode(), "c.md", "s")[0]) == ("", "")


def test_jsonl_byline_fields_first_and_no_date_from_a_comment():
    records = [{"id": "a", "title": "Slugs", "text": BYLINED},
               {"id": "b", "text": BYLINED, "author": "Ana Ruiz", "date": "2024-01-02"},
               {"id": "c", "text": UNDATED}]
    data = "".join(json.dumps(r) + "\n" for r in records).encode()
    assert [meta(d) for d in read_jsonl(data, "f.jsonl", "s")] == [
        ("Dana Okafor", "2025-03-03"), ("Ana Ruiz", "2024-01-02"), ("", "")]


PAGE = """<html><head><title>Slugs and raised beds</title></head><body>
<article><h1>Slugs and raised beds</h1>{byline}
<p>Raised beds warm up faster in spring. Copper tape keeps slugs off the edges of a raised
bed, and beer traps catch the rest over a couple of weeks.</p>
<p>Compost should be one part green to two parts brown material by volume.</p>
{inline_thread}</article>{thread}</body></html>"""
MARKED_THREAD = """<div id="comments" class="comments-area"><ol class="comment-list">
<li id="comment-12" class="comment"><article class="comment-body"><footer class="comment-meta">
<div class="comment-author vcard"><b class="fn">Priya Raman</b> <span>says:</span></div>
<div class="comment-metadata"><time datetime="2024-11-05T08:30:00+00:00">November 5, 2024 at
8:30 am</time></div></footer><div class="comment-content"><p>Copper tape worked for me too,
but only once the bed was weeded.</p></div></article></li></ol></div>"""
PLAIN_THREAD = """<h3>2 Responses</h3><div class="response"><p>Priya Raman<br>
<time datetime="2024-11-05T08:30">November 5, 2024 at 8:30 am</time></p>
<p>Copper tape worked for me too, but only once the bed was weeded.</p></div>"""


def page(byline="", thread="", inline_thread="") -> bytes:
    return PAGE.format(byline=byline, thread=thread, inline_thread=inline_thread).encode()


def test_html_byline_name_and_date_apart():
    draft = read_html(page('<p class="byline">By Dana Okafor, March 3, 2025</p>',
                           MARKED_THREAD), "a.html", "s")[0]
    assert meta(draft) == ("Dana Okafor", "2025-03-03")


def test_html_undated_article_takes_no_date_from_its_comments():
    marked = read_html(page(thread=MARKED_THREAD), "b.html", "s")[0]
    assert meta(marked) == ("", "")
    assert [s.date for s in marked.sections if s.kind == "comment"] == [
        "2024-11-05T08:30:00+00:00"]
    plain = read_html(page(inline_thread=PLAIN_THREAD), "c.html", "s")[0]
    assert meta(plain) == ("", "")
    dated = read_html(page('<p>By Dana Okafor, <time datetime="2025-03-03">March 3, 2025'
                           '</time></p>', inline_thread=PLAIN_THREAD), "d.html", "s")[0]
    assert meta(dated) == ("Dana Okafor", "2025-03-03")


def test_hostile_bylines_are_no_metadata_and_break_nothing():
    assert byline_parts("By " + "Dana " * 10_000) == (None, None)  # over a byline's length
    assert byline_parts("By 张伟, 2025-03-03") == ("张伟", "2025-03-03")  # a script without case
    assert byline_parts("By Dana\ud800 Okafor, March 3, 2025") == (None, None)  # no name
    assert byline_parts("By Dana Okafor, February 30, 2025") == (None, None)  # no such day
    # an author field that is no text gives way to the byline
    record = json.dumps({"id": "s", "author": "\ud800", "text": BYLINED})
    assert meta(read_jsonl(record.encode(), "s.jsonl", "s")[0]) == ("Dana Okafor", "2025-03-03")
    # nested as deep as the HTML parser reads (deeper is refused in one line:
    # test_attack_round3.py)
    nested = "<p>By " + "<span>" * 200 + "Dana Okafor" + "</span>" * 200 + ", March 3, 2025</p>"
    draft = read_html(page(nested), "n.html", "s")[0]
    assert draft.author in ("", "Dana Okafor") and draft.published in ("", "2025-03-03")
