"""Readers: each format to articles with stable ids, clear errors for what cannot be read."""
import json

import pytest

from citegraph.ingest.readers import (ReadError, article_id_for, decode, legacy_article_id_for,
                                      read_file)


def write(path, content, mode="w"):
    if mode == "wb":
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    return path


def test_txt_title_is_first_line_and_id_is_relative_path(tmp_path):
    (tmp_path / "blog").mkdir()
    f = write(tmp_path / "blog" / "post-1.txt", "Who owns analytics?\n\nThe CCO does, often.\n")
    [draft] = read_file(f, tmp_path)
    assert draft.id == "blog/post-1.txt"
    assert draft.title == "Who owns analytics?"
    assert draft.text.endswith("The CCO does, often.")


def test_markdown_markup_is_removed(tmp_path):
    f = write(tmp_path / "a.md", "# Contact centres\n\nThe **contact centre** hears [customers](http://x.y) "
                                "first.\n\n- one\n- two\n")
    [draft] = read_file(f, None)
    assert draft.title == "Contact centres"
    assert "**" not in draft.text and "](" not in draft.text
    assert "The contact centre hears customers first." in draft.text


def test_html_keeps_article_and_drops_navigation(tmp_path):
    html = """<html><head><title>Voice of the customer</title></head><body>
    <nav><a href="/">Home</a> <a href="/about">About us</a></nav>
    <article><h1>Voice of the customer</h1>
    <p>Listening programmes collect what customers say in surveys, calls and reviews, and a
    good programme turns those words into changes that customers can notice.</p>
    <p>The chief customer officer is often the person who owns such a programme and reports
    its findings to the board every quarter.</p></article>
    <footer>Copyright 2026 Example Ltd. All rights reserved.</footer></body></html>"""
    f = write(tmp_path / "voc.html", html)
    [draft] = read_file(f, None)
    assert draft.title == "Voice of the customer"
    assert "Listening programmes collect" in draft.text
    assert "All rights reserved" not in draft.text and "About us" not in draft.text


def test_jsonl_records_and_bad_lines_reported(tmp_path):
    lines = [json.dumps({"_id": "a1", "title": "One", "text": "First article text."}),
             "{not json",
             json.dumps({"id": "a2", "text": "Second article text.", "url": "http://e.x/2"}),
             json.dumps({"id": "a3", "title": "no text"}),
             json.dumps({"id": "a1", "text": "duplicate id"})]
    f = write(tmp_path / "batch.jsonl", "\n".join(lines))
    errors = []
    drafts = read_file(f, None, on_record_error=lambda where, why: errors.append((where, why)))
    assert [d.id for d in drafts] == ["a1", "a2"]
    assert drafts[1].url == "http://e.x/2" and drafts[1].title == "Second article text."
    assert [w for w, _ in errors] == [f"{f}:2", f"{f}:4", f"{f}:5"]
    assert "invalid JSON" in errors[0][1] and "'text'" in errors[1][1] and "duplicate" in errors[2][1]


@pytest.mark.parametrize("content,reason", [
    (b"", "empty file"),
    (b"   \n\n", "empty file"),
    (b"\x00\x01\x02binary\x00\xff" * 50, "binary"),
])
def test_unreadable_content_is_refused_with_reason(tmp_path, content, reason):
    f = write(tmp_path / "bad.txt", content, "wb")
    with pytest.raises(ReadError, match=reason):
        read_file(f, None)


def test_unsupported_extension(tmp_path):
    f = write(tmp_path / "slides.pptx", "x")
    with pytest.raises(ReadError, match="unsupported file type '.pptx'"):
        read_file(f, None)


def test_latin1_and_utf16_decode():
    assert decode("café crème".encode("latin-1"), "x") == "café crème"
    assert decode("naïve text".encode("utf-16"), "x") == "naïve text"
    assert decode("\ufeffBOM text".encode("utf-8"), "x") == "BOM text"


def test_article_id_for_a_named_file_is_its_name_with_extension(tmp_path):
    assert article_id_for(tmp_path / "x" / "note.md", None) == "note.md"
    assert article_id_for(tmp_path / "x" / "a" / "note.md", tmp_path / "x") == "a/note.md"
    assert legacy_article_id_for(tmp_path / "x" / "a" / "note.md", tmp_path / "x") == "a/note"


def test_a_file_draft_carries_its_old_style_id(tmp_path):
    f = write(tmp_path / "notes.txt", "T\n\nbody")
    [draft] = read_file(f, tmp_path)
    assert (draft.id, draft.legacy_id) == ("notes.txt", "notes")
    f = write(tmp_path / "records.jsonl", '{"id": "r1", "text": "body"}\n')
    [draft] = read_file(f, tmp_path)
    assert (draft.id, draft.legacy_id) == ("r1", "")


# --- hostile input: linear readers, records checked ---------------------------------------
BAIT = ["lt", "image", "link", "emphasis", "strong", "heading", "front", "backticks",
        "html-nest", "html-lt"]


@pytest.mark.parametrize("kind", BAIT)
@pytest.mark.parametrize("suffix", [".md", ".txt", ".html"])
def test_readers_are_linear_on_regex_bait(tmp_path, kind, suffix):
    """200 KB built to make a backtracking regex quadratic (156 KB of "<" took the Markdown
    reader 54 s). Linear readers take well under a second here; the bound leaves room for a
    loaded two-core machine, and 20x the input must not cost more than ~20x + slack."""
    import time

    from adversarial import hostile_text

    def timed(size: int) -> float:
        f = write(tmp_path / f"bait{size}{suffix}", hostile_text(kind, size))
        started = time.process_time()  # CPU time: other jobs on the machine do not count
        try:
            read_file(f, None)
        except ReadError:
            pass  # refusing is fine; hanging is not
        return time.process_time() - started

    small, large = timed(10_000), timed(200_000)
    assert large < 5.0, f"{kind}{suffix}: {large:.1f} s CPU for 200 KB"
    assert large < 40 * small + 1.0, (small, large)


def test_utf16_of_odd_length_is_refused_with_reason(tmp_path):
    f = write(tmp_path / "odd.txt", "Odd\n\ntext".encode("utf-16") + b"!", "wb")
    with pytest.raises(ReadError, match="UTF-16"):
        read_file(f, None)


def test_jsonl_surrogates_depth_and_ids_are_per_record(tmp_path):
    lines = ['{"id": "a", "text": "bad \\ud800"}', "[" * 50_000 + "]" * 50_000,
             json.dumps({"id": "/x", "text": "t"}), json.dumps({"id": "ok", "text": "good",
                                                               "title": "T" * 5000})]
    f = write(tmp_path / "r.jsonl", "\n".join(lines))
    errors = []
    [draft] = read_file(f, None, on_record_error=lambda w, r: errors.append((w, r)))
    assert draft.id == "ok" and len(draft.title) <= 1000
    assert [w for w, _ in errors] == [f"{f}:1", f"{f}:2", f"{f}:3"]
    assert "surrogate" in errors[0][1] and "nested" in errors[1][1] and "'/'" in errors[2][1]


def test_source_is_a_label_not_a_server_path(tmp_path):
    (tmp_path / "team" / "sub").mkdir(parents=True)
    f = write(tmp_path / "team" / "sub" / "n.txt", "T\n\nbody")
    [draft] = read_file(f, tmp_path / "team")
    assert draft.source == "team/sub/n.txt" and draft.id == "sub/n.txt"
    [draft] = read_file(f, None)
    assert draft.source == "sub/n.txt"


def test_markdown_headings_and_front_matter_still_read():
    from citegraph.text.cleaning import markdown_to_text
    from citegraph.ingest.readers import front_matter_title

    assert markdown_to_text("## Title ##\n# C#\ntext").split("\n")[:2] == ["Title", "C#"]
    assert front_matter_title('---\nlayout: x\ntitle: "Quoted"\n---\nbody') == "Quoted"
    assert front_matter_title("---\ntitle: never closed\n") is None
