"""`suggest-concepts`: candidate concepts from the stored passages (spaCy noun phrases, no
names, dates or numbers, no existing labels), variants grouped by embedding, each with its
frequency, a suggested place in the scheme and whole-sentence examples."""
from __future__ import annotations

import json
import re

import pytest
from click.testing import CliRunner

from citegraph.ontology.labels import entries_for, label_keys, normalise
from citegraph.ontology.suggest import nlp, phrases, suggest_concepts

CX = "https://citegraph.org/scheme/cx/"

# Six short articles. Repeated on purpose: "email campaigns" written three ways, "help
# desk tickets" two ways, a person, a date, an amount and an organisation several times each.
ARTICLES = {
    "a1": "Our email campaigns decide whether a new customer stays. Mitch Lieberman said so "
          "on 24 October 2011 at a conference. Our help desk tickets doubled last year.",
    "a2": "The email campaigns we send are short. Mitch Lieberman agrees. Gartner research "
          "says that 30 percent of help desk tickets come from billing questions.",
    "a3": "Our e-mail campaigns work with the self-service portal. On 24 October 2011 the "
          "helpdesk tickets were counted again. Gartner research was quoted.",
    "a4": "We send the e-mail campaigns weekly. They said it to me in October 2011. Our "
          "contact center agents answer the helpdesk tickets within a day.",
    "a5": "Contact centre agents read the email campaign first. Mitch Lieberman read it too. "
          "The self-service portal holds the answers.",
    "a6": "The customer journey of a first-time buyer starts with email campaigns. The CMO "
          "role changes. The chief marketing officer role is new.",
}


@pytest.fixture(scope="module")
def synthetic_store(tmp_path_factory, embedder):
    """The six articles ingested and linked with the shipped scheme, as `ingest` does."""
    from citegraph.runtime import Runtime
    from citegraph.settings import Settings

    folder = tmp_path_factory.mktemp("suggest-corpus")
    for name, text in ARTICLES.items():
        (folder / f"{name}.txt").write_text(text, encoding="utf-8")
    runtime = Runtime(Settings(store=str(tmp_path_factory.mktemp("suggest-store") / "s")))
    runtime.__dict__["embedder"] = embedder  # the session's model
    with runtime.store as store:
        runtime.sync_scheme()
        report = runtime.pipeline().ingest_paths([str(folder)])
        assert report.new == len(ARTICLES) and not report.failed
    return runtime.settings.store


@pytest.fixture(scope="module")
def run(synthetic_store, embedder):
    from citegraph.graph.sqlite_store import SQLiteStore

    with SQLiteStore(synthetic_store, readonly=True) as store:
        return suggest_concepts(store, embedder.encode, limit=100, min_count=2)


def by_phrase(run) -> dict:
    return {s.phrase: s for s in run.suggestions}


def test_phrases_drop_names_dates_numbers_pronouns_and_determiners():
    doc = nlp()("Mitch Lieberman met them on 24 October 2011. The company's customer data and "
                "30 percent of their churn figures were shared with the best service team.")
    found = [text for _s, _e, text in phrases(doc)]
    assert "customer data" in found and "churn figures" in found  # "The company's", "their"
    assert "service team" in found  # "the best" trimmed
    assert not any(re.search(r"Mitch|Lieberman|October|2011|30|percent|them", p) for p in found)
    assert all(len(p.split()) >= 2 for p in found)
    both = [t for _s, _e, t in phrases(nlp()("We measure arbitrary or non-essential criteria."))]
    assert both == []  # two phrases joined by "or" are no one concept
    # offsets point at the phrase in the text
    assert all(doc.text[s:e] == t for s, e, t in phrases(doc))


def test_variants_come_as_one_candidate_with_their_count(run):
    found = by_phrase(run)
    campaigns = [s for s in run.suggestions if "campaign" in s.phrase.lower()]
    assert len(campaigns) == 1, [s.phrase for s in campaigns]
    (candidate,) = campaigns
    # e-mail campaigns, email campaigns, email campaign: every article names them
    assert candidate.count == 6 and candidate.articles == 6
    assert {normalise(v) for v in candidate.variants} | {normalise(candidate.phrase)} == \
        {normalise("e-mail campaigns"), normalise("email campaigns")}
    tickets = [s for s in run.suggestions if "ticket" in s.phrase]
    assert len(tickets) == 1 and tickets[0].count == 4  # help desk / helpdesk
    assert "self-service portal" in found and found["self-service portal"].count == 2


def test_no_names_dates_or_numbers_and_no_existing_label(run, synthetic_store):
    from citegraph.graph.sqlite_store import SQLiteStore

    text = " ".join(s.phrase + " " + " ".join(s.variants) for s in run.suggestions)
    assert not re.search(r"Mitch|Lieberman|October|2011|percent|Gartner", text), text
    with SQLiteStore(synthetic_store, readonly=True) as store:
        keys = {k for e in entries_for(store.iter_concepts()) for k in label_keys(e.label)}
    assert keys  # the scheme is there, so the test below can fail
    for s in run.suggestions:
        for phrase in [s.phrase, *s.variants]:
            assert normalise(phrase) not in keys, phrase
    # "contact center agents" is an alt label of the scheme: the linker finds it already
    assert not any("agent" in s.phrase for s in run.suggestions)


def test_the_nearest_concept_is_suggested_with_its_score(run, synthetic_store):
    from citegraph.graph.sqlite_store import SQLiteStore

    with SQLiteStore(synthetic_store, readonly=True) as store:
        concepts = {c.iri: c for c in store.iter_concepts()}
    relations = set()
    for s in run.suggestions:
        assert s.nearest is not None and s.nearest.iri in concepts and 0 < s.nearest.score <= 1
        heads = [k for e in entries_for([concepts[s.nearest.iri]]) for k in label_keys(e.label)]
        ends_with_label = any(normalise(s.phrase).endswith(" " + k) for k in heads)
        assert (s.nearest.relation == "broader") == ends_with_label, s
        relations.add(s.nearest.relation)
    assert relations == {"broader", "related"}
    campaigns = next(s for s in run.suggestions if "campaign" in s.phrase)
    assert campaigns.nearest.relation == "broader"  # a kind of campaign
    assert campaigns.nearest.label == concepts[campaigns.nearest.iri].label


def test_examples_are_whole_sentences_of_their_passages(run, synthetic_store):
    from citegraph.graph.sqlite_store import SQLiteStore

    with SQLiteStore(synthetic_store, readonly=True) as store:
        texts = {p.id: " ".join(p.text.split()) for p in store.iter_passages()}
    for s in run.suggestions:
        assert 1 <= len(s.examples) <= 2
        assert len({pid for pid, _t in s.examples}) == len(s.examples)
        for pid, sentence in s.examples:
            assert sentence in texts[pid]
            assert sentence[0].isupper() and sentence[-1] in ".!?", sentence
            assert any(f" {normalise(v).replace(' ', '')} " in
                       f" {normalise(sentence).replace(' ', '')} " or
                       normalise(v) in normalise(sentence) for v in (s.phrase, *s.variants))


def test_grouping_joins_spelling_variants_by_embedding(embedder):
    from citegraph.ontology.suggest import group

    vectors = embedder.encode(["onboarding emails", "billing questions", "onboarding e-mails",
                               "support requests"])
    assert group(vectors) == [[0, 2], [1], [3]]
    # a shared form joins what the embedding alone would not
    assert group(vectors, forms=[None, "x", None, "x"]) == [[0, 2], [1, 3]]
    # a phrase holding another is a narrower concept, not a variant
    nested = embedder.encode(["stem cells", "adult stem cells", "stem-cells"])
    assert group(nested, threshold=0.5) == [[0, 1, 2]]
    assert group(nested, threshold=0.5, keys=["stem cell", "adult stem cell", "stem cell"]) \
        == [[0, 2], [1]]


def test_a_long_sentence_is_cut_between_words():
    from citegraph.ontology.suggest import EXAMPLE_CHARS, example_sentence

    text = "Intro. " + "alpha beta gamma " * 40 + "the churn figures " + "delta epsilon " * 40 + "end."
    start = text.index("churn figures")
    shown = example_sentence(text, start, start + len("churn figures"))
    assert "churn figures" in shown and len(shown) <= EXAMPLE_CHARS + 10
    inner = shown.strip("… ")
    assert f" {inner} " in f" {' '.join(text.split())} "  # whole words only


def test_min_count_and_limit(synthetic_store, embedder, run):
    from citegraph.graph.sqlite_store import SQLiteStore

    assert all(s.count >= 2 for s in run.suggestions)
    with SQLiteStore(synthetic_store, readonly=True) as store:
        more = suggest_concepts(store, embedder.encode, limit=100, min_count=1)
        two = suggest_concepts(store, embedder.encode, limit=2, min_count=1)
        sampled = suggest_concepts(store, embedder.encode, min_count=1, max_passages=3)
    assert len(more.suggestions) > len(run.suggestions)
    assert [s.phrase for s in two.suggestions] == [s.phrase for s in more.suggestions[:2]]
    assert sampled.passages == 3 and sampled.total_passages == run.total_passages > 3
    # "CMO role" and "chief marketing officer role": one concept's labels, one candidate,
    # in one passage only (so not above at min_count 2)
    roles = [s for s in more.suggestions if s.phrase.lower().endswith("role")]
    assert len(roles) == 1 and len(roles[0].variants) == 1 and roles[0].count == 1
    assert not any(s.phrase.lower().endswith("role") for s in run.suggestions)


def test_an_empty_store_suggests_nothing(empty_store, embedder):
    out = suggest_concepts(empty_store, embedder.encode)
    assert out.suggestions == [] and out.passages == 0


def test_cli_json_and_text(synthetic_store):
    from citegraph.cli import main

    result = CliRunner().invoke(main, ["suggest-concepts", "--store", synthetic_store,
                                       "--json", "--limit", "3"])
    assert result.exit_code == 0, result.output
    rows = json.loads(result.output)
    assert 1 <= len(rows) <= 3
    first = rows[0]
    assert set(first) == {"phrase", "count", "articles", "variants", "nearest", "examples"}
    assert "campaign" in first["phrase"].lower() and first["count"] == 6
    assert set(first["nearest"]) == {"iri", "label", "relation", "score"}
    assert first["examples"][0]["passage_id"].startswith("a")
    result = CliRunner().invoke(main, ["suggest-concepts", "--store", synthetic_store,
                                       "--min-count", "1000"])
    assert result.exit_code == 0 and result.output.startswith("No suggestions")


def test_hostile_text_gives_no_control_characters_and_no_repeated_words(empty_store, embedder):
    from citegraph.ingest.pipeline import Pipeline

    texts = {"ctrl": "The churn models\x07 work. Onboarding flows\x1b[31m are red.",
             "bidi": "Our \u202eslaicifni\u202c churn models. The onboarding flows hum.",
             "html": "<script>alert(1)</script> The churn models. Onboarding flows <b>x</b>.",
             "repeat": "word " * 3000}
    pipeline = Pipeline(empty_store, embedder)
    for name, text in texts.items():
        assert pipeline.ingest_text(name, name, text).new == 1
    run = suggest_concepts(empty_store, embedder.encode, min_count=2)
    phrases_found = {s.phrase.lower() for s in run.suggestions}
    assert "churn models" in phrases_found
    assert not any(len(set(p.split())) == 1 for p in phrases_found)  # no "word word"
    shown_text = " ".join(t for s in run.suggestions for _p, t in s.examples)
    assert not re.search("[\x00-\x08\x0b-\x1f\x7f\u202a-\u202e]", shown_text)
    assert "The churn models work." in shown_text
