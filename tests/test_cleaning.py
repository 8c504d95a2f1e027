"""Cleaning: page furniture out, article and reader comments with content kept."""
import pytest

from citegraph.text.cleaning import clean_text, is_furniture
from citegraph.ingest.readers import read_file

from conftest import DEMO, SEEDS, needs_seeds

FURNITURE = ["Leave a Reply", "You are commenting using your", "This site uses Akismet",
             "Log Out /", "Connecting to %s", "Fill in your details below",
             "bloggers like this", "Enhanced by Zemanta", "Book a Demo", "No trackbacks yet",
             "Your email address will not be published", "Photo credit"]


# page furniture of the demo articles' pages (comment forms, share buttons, sidebars, footers)
DEMO_FURNITURE = ["Share on Facebook", "Share on LinkedIn", "Post Comment", "Popular posts",
                  "Get new posts by email", "Click to email this to a friend",
                  "All rights reserved", "Powered by a small team", "About the author",
                  "Learn how your comment data is processed"]
# reader comments with content, which stay
DEMO_COMMENTS = {"contact-centre-customer-insight.txt": "We tried the monthly listening hour",
                 "breaking-down-silos.html": "The launch rule is the one I would start with",
                 "voice-of-the-customer.html": "The point about two loops matches our experience"}


def test_demo_pages_hold_the_furniture_the_cleaning_tests_look_for():
    raw = " ".join(path.read_text(encoding="utf-8") for path in DEMO.iterdir()).lower()
    for phrase in DEMO_FURNITURE + ["Leave a Reply", "You are commenting using your",
                                    "This site uses Akismet", "Your email address will not"]:
        assert phrase.lower() in raw, phrase


@pytest.mark.parametrize("path", sorted(DEMO.iterdir()), ids=lambda p: p.name)
def test_demo_articles_lose_their_furniture_and_keep_comments(path):
    drafts = read_file(path, None)
    assert drafts
    for draft in drafts:
        for phrase in FURNITURE + DEMO_FURNITURE:
            assert phrase.lower() not in draft.text.lower(), phrase
    if path.name in DEMO_COMMENTS:
        assert DEMO_COMMENTS[path.name] in drafts[0].text


@needs_seeds
@pytest.mark.parametrize("seed", sorted(SEEDS.glob("*.txt")) if SEEDS.is_dir() else ["none"],
                         ids=lambda p: getattr(p, "name", p)[:3])
def test_seed_articles_lose_their_furniture(seed):
    [draft] = read_file(seed, None)
    for phrase in FURNITURE:
        assert phrase.lower() not in draft.text.lower(), phrase


@needs_seeds
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
