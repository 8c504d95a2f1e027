"""The shipped SKOS scheme, the scheme loader's checks, label normalisation and the concept
commands (real rdflib, real store, real CLI through click)."""
from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from citegraph.ontology.labels import LabelMatcher, entries_for, label_keys, normalise
from citegraph.ontology.scheme import SHIPPED, SchemeError, load_scheme

CX = "https://citegraph.org/scheme/cx/"
PREFIXES = ("@prefix skos: <http://www.w3.org/2004/02/skos/core#> .\n"
            "@prefix ex: <http://example.org/s/> .\n")


@pytest.fixture(scope="module")
def scheme():
    return load_scheme()


def test_shipped_scheme_is_large_labelled_and_connected(scheme):
    assert len(scheme.concepts) >= 80
    for c in scheme.concepts:
        assert c.label and c.definition, c.iri
    roots = {c.iri for c in scheme.concepts if not c.broader}
    assert roots == {CX + "BusinessRole", CX + "BusinessFunction",
                     CX + "CustomerManagementIdea"}
    with_related = [c for c in scheme.concepts if c.related]
    assert len(with_related) >= 30


def test_shipped_scheme_has_the_labels_people_write(scheme):
    by_iri = scheme.by_iri
    assert {"call centre", "contact centre", "call center"} <= set(
        by_iri[CX + "ContactCenter"].alt_labels)
    assert "CCO" in by_iri[CX + "ChiefCustomerOfficer"].alt_labels
    assert "CX" in by_iri[CX + "CustomerExperience"].alt_labels
    assert "VoC" in by_iri[CX + "VoiceOfTheCustomer"].alt_labels


@pytest.mark.parametrize("a, b", [
    ("call centre", "call centers"), ("organisation", "organization"),
    ("customer-centric", "customer centric"), ("Customer’s journey", "customer journeys"),
    ("owned", "owns"), ("behaviour", "behaviors"), ("personalised", "personalized"),
])
def test_normalisation_folds_spelling_plural_case_and_hyphens(a, b):
    assert normalise(a) == normalise(b)


def test_normalisation_keeps_words_apart_that_stemming_would_fold():
    assert normalise("accountable") != normalise("account")
    assert normalise("marketing") != normalise("markets")


def test_hyphenated_labels_also_match_written_solid():
    assert set(label_keys("multi-channel")) == {"multi channel", "multichannel"}


def test_matcher_records_surface_spans_and_respects_abbreviation_case(scheme):
    matcher = LabelMatcher(entries_for(scheme.concepts))
    text = "It said the Call Centres and IT own the CX; it is not it."
    found = {(m.iri, text[m.start:m.end]) for m in matcher.find(text)}
    assert (CX + "ContactCenter", "Call Centres") in found
    assert (CX + "InformationTechnology", "IT") in found
    assert (CX + "CustomerExperience", "CX") in found
    assert sum(1 for iri, _ in found if iri == CX + "InformationTechnology") == 1


def test_rdfxml_and_jsonld_give_the_same_scheme(scheme, tmp_path):
    import rdflib

    graph = rdflib.Graph().parse(SHIPPED)
    for fmt, suffix in (("xml", ".rdf"), ("json-ld", ".jsonld")):
        path = tmp_path / f"cx{suffix}"
        graph.serialize(path, format=fmt)
        assert load_scheme(path).fingerprint() == scheme.fingerprint()


def _write(tmp_path, text, name="bad.ttl"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def _error(path) -> str:
    with pytest.raises(SchemeError) as info:
        load_scheme(path)
    message = str(info.value)
    assert "\n" not in message
    return message


def test_syntax_error_names_file_and_line(tmp_path):
    path = _write(tmp_path, PREFIXES + 'ex:a a skos:Concept ;\n  skos:prefLabel "a" "b" .\n')
    assert _error(path).startswith(f"{path}:4: turtle syntax error")


def test_empty_file_is_refused(tmp_path):
    assert _error(_write(tmp_path, "\n \n")) == f"{tmp_path / 'bad.ttl'}: empty file, no SKOS concepts"
    assert "no skos:Concept" in _error(_write(tmp_path, PREFIXES))


def test_label_clash_names_both_concepts_and_lines(tmp_path):
    path = _write(tmp_path, PREFIXES
                  + 'ex:a a skos:Concept ; skos:prefLabel "call center" .\n'
                  + 'ex:b a skos:Concept ; skos:prefLabel "phone desk" ;\n'
                  + '   skos:altLabel "Call Centres" .\n')
    message = _error(path)
    assert f"{path}:4: concept http://example.org/s/b" in message
    assert "'Call Centres' clashes with label 'call center'" in message
    assert f"{path}:3" in message


def test_broader_cycle_is_named(tmp_path):
    path = _write(tmp_path, PREFIXES
                  + 'ex:a a skos:Concept ; skos:prefLabel "a" ; skos:broader ex:b .\n'
                  + 'ex:b a skos:Concept ; skos:prefLabel "b" ; skos:broader ex:c .\n'
                  + 'ex:c a skos:Concept ; skos:prefLabel "c" ; skos:broader ex:a .\n')
    message = _error(path)
    assert "skos:broader cycle" in message
    assert all(f"http://example.org/s/{x}" in message for x in "abc")


def test_concept_without_label_and_dangling_link_are_named(tmp_path):
    path = _write(tmp_path, PREFIXES + 'ex:a a skos:Concept ; skos:definition "x" .\n')
    assert _error(path) == f"{path}:3: concept http://example.org/s/a has no skos:prefLabel"
    path = _write(tmp_path, PREFIXES
                  + 'ex:a a skos:Concept ; skos:prefLabel "a" ; skos:related ex:zz .\n')
    assert "http://example.org/s/zz is not a concept of the scheme" in _error(path)


def test_cli_reports_a_bad_scheme_in_one_line(tmp_path):
    from citegraph.cli import main

    bad = _write(tmp_path, PREFIXES + 'ex:a a skos:Concept ; skos:prefLabel "a" ; skos:broader ex:a .\n')
    store = tmp_path / "store"
    result = CliRunner().invoke(main, ["relink", "--store", str(store), "--ontology", str(bad)])
    assert result.exit_code == 2
    assert result.output.count("\n") == 1 and "Traceback" not in result.output
    assert "concept http://example.org/s/a" in result.output or "cycle" in result.output


@pytest.fixture
def linked_store_dir(demo_store, embedder):
    """The demo store linked with the shipped scheme through the runtime, as ingest does."""
    from citegraph.runtime import Runtime
    from citegraph.settings import Settings

    directory = demo_store.directory
    demo_store.close()
    runtime = Runtime(Settings(store=str(directory)))
    runtime.__dict__["embedder"] = embedder  # the session's model, not a second copy
    with runtime.store:
        assert runtime.sync_scheme()
    return directory


def _invoke(*args):
    from citegraph.cli import main

    result = CliRunner().invoke(main, list(args))
    assert result.exit_code == 0, result.output
    return result.output


def test_contact_center_and_call_centre_resolve_to_the_same_concept(linked_store_dir):
    views = [json.loads(_invoke("concept", label, "--store", str(linked_store_dir), "--json"))
             for label in ("contact center", "call centre", "CONTACT CENTRES")]
    assert {v["iri"] for v in views} == {CX + "ContactCenter"}
    view = views[0]
    # the articles whose text names a contact centre (contact centre, contact center, call centre)
    assert {p["article_id"] for p in view["passages"]} == {
        "contact-centre-customer-insight.txt", "customer-journey-mapping.md",
        "customer-segmentation-for-service", "measuring-engagement-listening-vs-engaging",
        "voice-of-the-customer.html"}
    assert [{k: b[k] for k in ("iri", "label")} for b in view["broader"]] == [
        {"iri": CX + "CustomerService", "label": "customer service"}]
    assert view["co_occurring"] and all(r["weight"] > 0 for r in view["co_occurring"])
    for p in view["passages"]:
        assert p["mentions"] and p["score"] == max(m["score"] for m in p["mentions"])
        for m in p["mentions"]:
            assert p["text"][m["start"]:m["end"]] == m["surface"]


def test_analytics_ownership_finds_who_owns_customer_analytics(linked_store_dir):
    view = json.loads(_invoke("concept", "analytics ownership", "--store",
                              str(linked_store_dir), "--json"))
    texts = [p["text"] for p in view["passages"]]
    assert any("Whoever owns customer analytics" in t for t in texts)


def test_concepts_lists_counts_and_unknown_concept_fails(linked_store_dir):
    from citegraph.cli import main

    rows = json.loads(_invoke("concepts", "--store", str(linked_store_dir), "--json"))
    assert len(rows) >= 80
    counts = {r["label"]: r["mentions"] for r in rows}
    # nine demo passages name the chief customer officer (or the CCO); none a Net Promoter Score
    assert counts["chief customer officer"] >= 9 and counts["Net Promoter Score"] == 0
    result = CliRunner().invoke(main, ["concept", "no such thing", "--store",
                                       str(linked_store_dir)])
    assert result.exit_code == 1
    assert "no such thing" in result.output and result.output.count("\n") == 1


def test_suggest_concepts_lists_unlabelled_phrases_with_examples(linked_store_dir):
    out = json.loads(_invoke("suggest-concepts", "--store", str(linked_store_dir), "--json",
                             "--min-count", "2"))
    phrases = [s["phrase"].lower() for s in out]
    assert "service team" in phrases  # three times in the demo articles, in no label
    assert all(s["count"] >= 2 and s["examples"] for s in out)
    keys = {k for e in entries_for(load_scheme().concepts) for k in label_keys(e.label)}
    assert not any(normalise(p) in keys for p in phrases)
