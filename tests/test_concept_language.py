"""Concept pages show labels in the reader's language (`?lang=`, then Accept-Language), English
otherwise, then untagged labels; over a real server with an English and French scheme."""
from __future__ import annotations

import re
import shutil

import pytest

from citegraph.ontology.language import labels_in, language_order
from webapp_support import http, make_app

SCHEME = """
@prefix skos: <http://www.w3.org/2004/02/skos/core#> .
@prefix dct: <http://purl.org/dc/terms/> .
@prefix ex: <http://example.org/lang/> .

ex:scheme a skos:ConceptScheme ; dct:title "Service"@en, "Service"@fr ;
    skos:hasTopConcept ex:Service .

ex:Service a skos:Concept ; skos:inScheme ex:scheme ; skos:topConceptOf ex:scheme ;
    skos:prefLabel "customer service"@en, "service client"@fr ;
    skos:altLabel "customer care"@en, "relation client"@fr ;
    skos:definition "Helping customers."@en, "Aider les clients."@fr .

ex:ContactCenter a skos:Concept ; skos:inScheme ex:scheme ; skos:broader ex:Service ;
    skos:prefLabel "contact center"@en, "centre de contact"@fr, "Kontaktzentrum"@de ;
    skos:related ex:Chat .

ex:Chat a skos:Concept ; skos:inScheme ex:scheme ; skos:broader ex:Service ;
    skos:prefLabel "live chat"@en .

ex:Kiosk a skos:Concept ; skos:inScheme ex:scheme ; skos:broader ex:Service ;
    skos:prefLabel "kiosk" ; skos:prefLabel "Kiosk"@de .
"""
EX = "http://example.org/lang/"


@pytest.fixture(scope="module")
def scheme(tmp_path_factory):
    from citegraph.ontology.scheme import load_scheme

    path = tmp_path_factory.mktemp("lang") / "scheme.ttl"
    path.write_text(SCHEME, encoding="utf-8")
    return {c.iri: c for c in load_scheme(path).concepts}


@pytest.fixture(scope="module")
def server(demo_store_dir, scheme, tmp_path_factory, embedder):
    from citegraph.graph.sqlite_store import SQLiteStore
    from citegraph.webapp.server import BackgroundServer

    directory = tmp_path_factory.mktemp("lang-store") / "store"
    shutil.copytree(demo_store_dir, directory)
    with SQLiteStore(directory) as store:
        store.replace_concepts(list(scheme.values()))
    with BackgroundServer(make_app(directory, embedder, token="")) as running:
        yield running


def h1(server, path, language=None):
    headers = {"Accept-Language": language} if language else {}
    r = http(server.url, "GET", path, headers=headers)
    assert r.status == 200, r.text[:300]
    assert "Accept-Language" in r.headers.get("vary", "")
    return r.text, re.search(r"<h1[^>]*>(.*?)</h1>", r.text).group(0)


def test_language_order_reads_tags_and_falls_back_to_english_then_untagged():
    assert language_order(["fr-CA", "de"]) == ["fr-ca", "fr", "de", "en", ""]
    assert language_order(["", "*", "x" * 40, '"><script>']) == ["en", ""]


def test_labels_follow_the_order_with_their_own_alt_labels_and_definition(scheme):
    service = scheme[EX + "Service"]
    fr = labels_in(service, language_order(["fr"]))
    assert (fr.label, fr.language, fr.alt_labels, fr.definition) == \
        ("service client", "fr", ["relation client"], "Aider les clients.")
    en = labels_in(service, language_order(["de"]))
    assert (en.label, en.language, en.definition) == ("customer service", "en",
                                                      "Helping customers.")
    assert labels_in(scheme[EX + "Kiosk"], language_order(["fr"])).label == "kiosk"  # untagged
    assert labels_in(scheme[EX + "Kiosk"], language_order(["de-AT"])).label == "Kiosk"


def test_the_concept_page_speaks_the_accept_language(server):
    text, title = h1(server, "/concepts/Service", "fr-CA,fr;q=0.9,en;q=0.5")
    assert title == '<h1 lang="fr">service client</h1>'
    assert 'lang="fr">relation client<' in text and "Aider les clients." in text
    # neighbours too: a French label where there is one, English where not
    assert 'lang="fr">centre de contact</a>' in text and 'lang="en">live chat</a>' in text
    _text, title = h1(server, "/concepts/Service", "de;q=0.9, fr;q=0.4")
    assert title == '<h1 lang="fr">service client</h1>'  # no German label: the next choice
    _text, title = h1(server, "/concepts/ContactCenter", "de")
    assert title == '<h1 lang="de">Kontaktzentrum</h1>'


def test_english_without_a_header_or_for_an_unknown_language(server):
    for language in (None, "ja", "*"):
        text, title = h1(server, "/concepts/Service", language)
        assert title == '<h1 lang="en">customer service</h1>', language
        assert "Helping customers." in text and "Aider" not in text


def test_lang_parameter_overrides_the_header(server):
    _text, title = h1(server, "/concepts/Service?lang=fr", "en")
    assert title == '<h1 lang="fr">service client</h1>'
    _text, title = h1(server, "/concepts/Service?lang=%22%3E%3Cscript%3E", "en")
    assert title == '<h1 lang="en">customer service</h1>'


def test_the_concepts_index_speaks_it_too(server):
    r = http(server.url, "GET", "/concepts", headers={"Accept-Language": "fr"})
    assert r.status == 200
    assert 'lang="fr">service client</a>' in r.text and 'lang="fr">centre de contact</a>' in r.text
    assert ">kiosk</a>" in r.text  # untagged: no lang attribute
