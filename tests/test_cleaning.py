"""Cleaning: page furniture out, article and reader comments with content kept."""
import pytest

from citegraph.text.cleaning import clean_text, is_furniture
from citegraph.ingest.readers import read_file

from conftest import SEEDS

FURNITURE = ["Leave a Reply", "You are commenting using your", "This site uses Akismet",
             "Log Out /", "Connecting to %s", "Fill in your details below",
             "bloggers like this", "Enhanced by Zemanta", "Book a Demo", "No trackbacks yet",
             "Your email address will not be published", "Photo credit"]


@pytest.mark.parametrize("seed", sorted(SEEDS.glob("*.txt")) if SEEDS.is_dir() else [],
                         ids=lambda p: p.name[:3])
def test_seed_articles_lose_their_furniture(seed):
    [draft] = read_file(seed, None)
    for phrase in FURNITURE:
        assert phrase.lower() not in draft.text.lower(), phrase


def test_reader_comments_with_content_are_kept():
    [draft] = read_file(SEEDS / "000_e222dc0981b8b3b8.txt", None)
    assert "A few thoughts on this post, Jim" in draft.text
    assert "chief branding officers" in draft.text


def test_repeated_title_lines_collapse():
    text = "Title here\n\nTitle here\n\nBody sentence one. Body sentence two."
    assert clean_text(text) == "Title here\n\nBody sentence one. Body sentence two."


def test_comment_form_ends_the_article_only_in_its_second_half():
    early = "Leave a Reply\n" + "\n".join(f"Line {i} of real text." for i in range(10))
    assert "Line 9 of real text." in clean_text(early)
    late = "\n".join(f"Line {i} of real text." for i in range(10)) + \
        "\nLeave a Reply\nName *\nEmail *\nWebsite"
    cleaned = clean_text(late)
    assert cleaned.endswith("Line 9 of real text.")


@pytest.mark.parametrize("line,expected", [
    ("Leave a Reply", True), ("  1. No trackbacks yet.", True),
    ("You are commenting using your Twitter account. Log Out /  Change )", True),
    ("Share this:", True),
    ("We should leave a reply to every customer who writes in.", False),
    ("Customers share their thoughts freely.", False),
])
def test_furniture_lines(line, expected):
    assert is_furniture(line) is expected
