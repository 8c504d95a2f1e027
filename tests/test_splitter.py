"""Passage splitting: exact offsets (property test), size bounds, no heading-only passage."""
from hypothesis import given, settings, strategies as st

from citegraph.text.splitter import MAX_TOKENS, Splitter, is_heading, sentence_spans, word_count

from conftest import DEMO, SEEDS, needs_seeds

words = st.text(alphabet=st.characters(codec="utf-8", categories=("L", "N")), min_size=1, max_size=12)
sentence = st.lists(words, min_size=1, max_size=40).map(lambda ws: " ".join(ws) + ".")
paragraph = st.lists(sentence, min_size=1, max_size=12).map(" ".join)
article = st.lists(paragraph, min_size=1, max_size=15).map("\n\n".join)


@settings(max_examples=150, deadline=None)
@given(article)
def test_offsets_are_exact_and_passages_fit(text):
    splitter = Splitter()
    spans = splitter.split(text)
    assert spans, "a non-empty article yields passages"
    previous_end = 0
    for span in spans:
        piece = text[span.start:span.end]
        assert piece == piece.strip() and piece
        assert span.start >= previous_end, "passages are ordered and disjoint"
        assert splitter.token_count(piece) <= MAX_TOKENS
        assert word_count(piece) <= splitter.max_words
        previous_end = span.end


@settings(max_examples=60, deadline=None)
@given(st.text(min_size=1, max_size=3000))
def test_offsets_exact_on_arbitrary_text(text):
    for span in Splitter().split(text):
        assert text[span.start:span.end].strip() == text[span.start:span.end] != ""


def check_passages_with_the_real_tokenizer(embedder, texts: dict[str, str]) -> None:
    splitter = Splitter(token_count=embedder.token_count)
    assert texts
    for name, text in texts.items():
        spans = splitter.split(text)
        sizes = [word_count(text[s.start:s.end]) for s in spans]
        assert all(embedder.token_count(text[s.start:s.end]) <= MAX_TOKENS for s in spans)
        assert not any(is_heading(text[s.start:s.end]) for s in spans[1:]), name
        assert max(sizes) <= 200 and sum(sizes) > 0.9 * word_count(text)


def test_demo_passages_with_the_real_tokenizer(embedder):
    from citegraph.ingest.readers import read_file

    drafts = [d for path in sorted(DEMO.iterdir()) for d in read_file(path, None)]
    check_passages_with_the_real_tokenizer(embedder, {d.id: d.text for d in drafts})


@needs_seeds
def test_seed_passages_with_the_real_tokenizer(embedder):
    check_passages_with_the_real_tokenizer(
        embedder, {seed.name: seed.read_text(encoding="utf-8") for seed in SEEDS.glob("*.txt")})


def test_heading_opens_next_passage_not_a_passage_of_its_own():
    body = " ".join(["Customer analytics belongs with the people who act on it."] * 12)
    text = f"{body}\n\nWho owns the data\n\n{body}"
    spans = Splitter().split(text)
    assert len(spans) == 2
    assert text[spans[1].start:].startswith("Who owns the data")


def test_sentence_spans():
    text = "First one. Second “quoted” one! Third? Yes.\nA list line"
    pieces = [text[s.start:s.end] for s in sentence_spans(text)]
    assert pieces == ["First one.", "Second “quoted” one!", "Third?", "Yes.", "A list line"]


def test_an_initial_or_an_abbreviation_ends_no_sentence():
    text = ("It is known in English by John C. Messenger. Brown v. Board of Education was "
            "decided in 1954. The U.S. Army came. Lefevre (c. 1455) taught. Apple Inc. The end.")
    pieces = [text[s.start:s.end] for s in sentence_spans(text)]
    assert pieces == ["It is known in English by John C. Messenger.",
                      "Brown v. Board of Education was decided in 1954.", "The U.S. Army came.",
                      "Lefevre (c. 1455) taught.", "Apple Inc.", "The end."]
