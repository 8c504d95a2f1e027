"""Property tests of the readers (Hypothesis): generated text of every kind (words, CJK
without spaces, punctuation, Markdown and HTML markup, comment bylines, line breaks) goes
through each reader and the splitter, and

- every passage is `text[start:end]` of its article, in order, inside the text, and the
  passages together hold every non-space character of the text (nothing lost, nothing
  made up);
- reading is linear: ten copies of a generated text take about ten times the work of one,
  measured as this process's CPU time (size ratios, never seconds).
"""
from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from adversarial import cpu_ratio
from citegraph.ingest.readers import ReadError, read_html, read_jsonl, read_markdown, read_txt
from citegraph.text.splitter import Splitter

WORDS = st.sampled_from([
    "customer", "journey", "ledger", "CRM", "Chief", "Officer", "的客户旅程地图", "数据",
    "naïve", "café", "—", "...", "!!", "#", "*", "-", "1.", ">", "`code`", "[link](x)",
    "<b>", "</b>", "&amp;", "\t", "e.g.", "U.S.", "42", "2024-03-01", "says:", "Reply",
])
LINES = st.lists(WORDS, min_size=0, max_size=30).map(" ".join)
TEXTS = st.lists(LINES, min_size=1, max_size=40).map("\n".join)
SPLITTER = Splitter()
PROPERTY = settings(max_examples=60, deadline=None, derandomize=True,
                    suppress_health_check=list(HealthCheck))


def as_html(text: str) -> str:
    paragraphs = "".join(f"<p>{line}</p>" for line in text.split("\n") if line.strip())
    return f"<html><head><title>T</title></head><body><article>{paragraphs}</article></body></html>"


READERS = {
    "txt": lambda text: read_txt(text.encode(), "a.txt", "f/a.txt"),
    "md": lambda text: read_markdown(text.encode(), "a.md", "f/a.md"),
    "jsonl": lambda text: read_jsonl(json.dumps({"id": "a", "text": text}).encode(),
                                     "a.jsonl", "f/a.jsonl"),
    "html": lambda text: read_html(as_html(text).encode(), "a.html", "f/a.html"),
}


def non_space(text: str) -> str:
    return "".join(text.split())


@pytest.mark.parametrize("kind", READERS)
@PROPERTY
@given(text=TEXTS)
def test_passages_are_offsets_into_the_text_and_lose_nothing(kind, text):
    try:
        (draft,) = READERS[kind](text)
    except ReadError:
        return  # nothing readable (only markup or spaces): refused, which is allowed
    spans = [span for span, _section in SPLITTER.split_sections(draft.text, draft.sections)]
    end = 0
    for span in spans:
        assert end <= span.start < span.end <= len(draft.text)
        end = span.end
    assert "".join(non_space(draft.text[s.start:s.end]) for s in spans) == non_space(draft.text)




@pytest.mark.parametrize("kind", ["txt", "md", "jsonl"])
@settings(max_examples=8, deadline=None, derandomize=True,
          suppress_health_check=list(HealthCheck))
@given(text=TEXTS.filter(lambda t: len(non_space(t)) > 20))
def test_reading_is_linear_in_the_input(kind, text):
    read = READERS[kind]
    unit = (text + "\n\n") * 50  # a base large enough that fixed costs do not dominate
    try:
        read(unit)
    except ReadError:
        return
    ratio = cpu_ratio(read, unit, unit * 10, repeats=3)
    assert ratio < 40, f"ten times the input took {ratio:.0f} times the work"
