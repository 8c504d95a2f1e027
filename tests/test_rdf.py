"""RDF export and import over the demo store with a small concept scheme and its mentions:
every format parses, the formats agree, another RDF store (pyoxigraph) answers SPARQL over
the export as it is, the SKOS part keeps SKOS's integrity rules, and export → import →
export gives the same graph."""
from __future__ import annotations

import io
import json
import os
import re
import shutil
import subprocess
import sys
from urllib.parse import quote

import numpy as np
import pyoxigraph as ox
import pytest
import rdflib
from rdflib.compare import isomorphic
from rdflib.namespace import SKOS

from conftest import DEMO_ARTICLES, REPO
from citegraph.graph.models import Article, Concept, Mention, Passage
from citegraph.graph.rdf_export import FILE_EXTENSIONS, RDF_FORMATS, ExportError, export, iter_export
from citegraph.graph.rdf_import import RdfImportError, import_rdf
from citegraph.graph.rdf_vocab import VocabularyError
from citegraph.graph.sqlite_store import SQLiteStore

BASE = "https://kb.example.org/citegraph/"
SCHEME = "https://example.org/seeds/scheme"
C = "https://example.org/seeds/concept/"
OX_FORMATS = {"turtle": ox.RdfFormat.TURTLE, "nt": ox.RdfFormat.N_TRIPLES,
              "json-ld": ox.RdfFormat.JSON_LD}
PREFIXES = """PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
PREFIX oa: <http://www.w3.org/ns/oa#>
PREFIX schema: <https://schema.org/>
PREFIX cg: <https://w3id.org/citegraph/ns#>
"""

CONCEPTS = [
    Concept(C + "customer", "Customer", ["customers"], [], "Someone who buys.", SCHEME,
            related=[C + "cco"]),
    Concept(C + "customer-experience", "Customer experience", ["CX"], [], "", SCHEME,
            broader=[C + "customer"], related=[C + "customer-service"]),
    Concept(C + "customer-service", "Customer service", [], [], "", SCHEME,
            broader=[C + "customer"], related=[C + "customer-experience"]),
    Concept(C + "marketing", "Marketing", ["marketers"], [], "Selling's strategy.", SCHEME,
            related=[C + "cco"]),
    Concept(C + "crm_(software)", "CRM", ["customer relationship management"], ["C.R.M."],
            "", SCHEME, broader=[C + "marketing"]),
    # no scheme of its own: the export mints one under the base IRI
    Concept(C + "cco", "Chief Customer Officer", ["CCO"], [], "", "",
            related=[C + "customer", C + "marketing"]),
]


def lexical_mentions(passages: list[Passage]) -> list[Mention]:
    """Every whole-word occurrence of a concept's labels, as a linker would find them."""
    mentions = []
    for p in passages:
        for c in CONCEPTS:
            for method, labels in (("label", [c.label]), ("alt_label", c.alt_labels)):
                for label in labels:
                    for m in re.finditer(rf"\b{re.escape(label)}\b", p.text, re.IGNORECASE):
                        mentions.append(Mention(p.id, c.iri, 1.0 if method == "label" else 0.85,
                                                method, m.start(), m.end(), m[0]))
    return mentions


@pytest.fixture(scope="module")
def graph_store(demo_store_dir, tmp_path_factory):
    """The demo store with the concept scheme, lexical mentions, a few embedding mentions
    (no span) and the co-occurrence derived from them."""
    directory = tmp_path_factory.mktemp("rdf") / "store"
    shutil.copytree(demo_store_dir, directory)
    store = SQLiteStore(directory)
    store.replace_concepts(CONCEPTS)
    passages = list(store.iter_passages())
    mentions = lexical_mentions(passages)
    mentions += [Mention(p.id, C + "marketing", 0.4321, "embedding") for p in passages[:3]]
    store.replace_mentions([p.id for p in passages], mentions)
    store.rebuild_cooccurrence()
    yield store
    store.close()


def export_text(store, fmt: str, **options) -> str:
    out = io.StringIO()
    export(store, fmt, out, base_iri=BASE, **options)
    return out.getvalue()


@pytest.fixture(scope="module")
def exports(graph_store) -> dict[str, str]:
    return {fmt: export_text(graph_store, fmt) for fmt in RDF_FORMATS}


@pytest.fixture(scope="module")
def graphs(exports) -> dict[str, rdflib.Graph]:
    return {fmt: rdflib.Graph().parse(data=text, format=fmt) for fmt, text in exports.items()}


def oxigraph(text: str, fmt: str) -> ox.Store:
    store = ox.Store()
    store.load(text.encode("utf-8"), format=OX_FORMATS[fmt])
    return store


def rows(store: ox.Store, query: str) -> list[tuple]:
    return [tuple(None if term is None else term.value for term in solution)
            for solution in store.query(PREFIXES + query)]


# --- the export ---------------------------------------------------------------------------
def test_every_format_parses_and_all_are_the_same_graph(graph_store, graphs):
    mentions = list(graph_store.iter_mentions())
    assert len(mentions) > 50 and any(m.start is None for m in mentions)
    assert len(graphs["turtle"]) > 1000
    assert isomorphic(graphs["turtle"], graphs["nt"])
    assert isomorphic(graphs["turtle"], graphs["json-ld"])


def test_graph_holds_every_record_with_its_values(graph_store, graphs):
    g = graphs["nt"]
    ns = rdflib.Namespace
    schema, oa, cg = ns("https://schema.org/"), ns("http://www.w3.org/ns/oa#"), \
        ns("https://w3id.org/citegraph/ns#")
    counts = graph_store.stats()
    assert len(set(g.subjects(rdflib.RDF.type, schema.Article))) == counts["articles"]
    assert len(set(g.subjects(rdflib.RDF.type, cg.Passage))) == counts["passages"]
    assert len(set(g.subjects(rdflib.RDF.type, SKOS.Concept))) == counts["concepts"]
    assert len(set(g.subjects(rdflib.RDF.type, oa.Annotation))) == counts["mentions"]
    article = next(graph_store.iter_articles())
    iri = rdflib.URIRef(BASE + "articles/" + quote(article.id, safe=""))
    assert str(g.value(iri, schema.text)) == article.text  # newlines and quotes survive
    assert str(g.value(iri, schema.headline)) == article.title
    # co-occurrence: one reified statement per pair, weighted, with its passages
    pairs = {(a, b) for c in CONCEPTS for b, _, _ in graph_store.co_occurring(c.iri, 100)
             for a in [c.iri] if a < b}
    assert pairs and len(set(g.subjects(rdflib.RDF.type, cg.CoOccurrence))) == len(pairs)


@pytest.mark.parametrize("fmt", RDF_FORMATS)
def test_a_second_rdf_store_answers_sparql_over_the_export(graph_store, exports, fmt):
    store = oxigraph(exports[fmt], fmt)
    labels = set(rows(store, "SELECT ?c ?l WHERE { ?c a skos:Concept ; skos:prefLabel ?l }"))
    assert labels == {(c.iri, c.label) for c in CONCEPTS}

    found = rows(store, """
        SELECT ?pid ?concept ?start ?end ?exact ?text WHERE {
          ?a a oa:Annotation ; oa:hasBody ?concept ; oa:hasTarget ?t .
          ?t oa:hasSource ?p . ?p a cg:Passage ; schema:identifier ?pid ; schema:text ?text .
          OPTIONAL { ?t oa:hasSelector ?s . ?s a oa:TextPositionSelector ;
                                               oa:start ?start ; oa:end ?end }
          OPTIONAL { ?t oa:hasSelector ?q . ?q a oa:TextQuoteSelector ; oa:exact ?exact }
        }""")
    expected = {(m.passage_id, m.iri, m.start, m.end) for m in graph_store.iter_mentions()}
    assert {(pid, c, s and int(s), e and int(e)) for pid, c, s, e, _, _ in found} == expected
    spans = [(text, int(s), int(e), exact) for _, _, s, e, exact, text in found if s]
    assert len(spans) > 50
    assert all(text[s:e] == exact for text, s, e, exact in spans)

    parts = set(rows(store, """
        SELECT ?pid ?aid WHERE { ?p a cg:Passage ; schema:identifier ?pid ; schema:isPartOf ?a .
                                 ?a a schema:Article ; schema:identifier ?aid }"""))
    assert parts == {(p.id, p.article_id) for p in graph_store.iter_passages()}
    # a passage's offsets locate its text in the article's text, for any SPARQL engine
    misplaced = rows(store, """
        SELECT ?p WHERE { ?p a cg:Passage ; schema:isPartOf ?a ; schema:text ?pt ;
                             cg:startOffset ?s ; cg:endOffset ?e . ?a schema:text ?at .
                          FILTER (SUBSTR(?at, ?s + 1, ?e - ?s) != ?pt) }""")
    assert misplaced == []


def test_passages_jsonl_has_one_line_per_passage(graph_store):
    out = io.BytesIO()  # a binary stream, as an HTTP response body is
    export(graph_store, "passages-jsonl", out)
    records = [json.loads(line) for line in out.getvalue().decode("utf-8").splitlines()]
    assert [(r["passage_id"], r["start"], r["end"], r["text"]) for r in records] == \
        [(p.id, p.start, p.end, p.text) for p in graph_store.iter_passages()]


def test_what_selects_the_scheme_or_the_articles(graph_store, graphs):
    concepts = rdflib.Graph().parse(data=export_text(graph_store, "nt", what="concepts"),
                                    format="nt")
    articles = rdflib.Graph().parse(data=export_text(graph_store, "nt", what="articles"),
                                    format="nt")
    assert set(concepts.subjects(rdflib.RDF.type, SKOS.Concept))
    assert not set(articles.subjects(rdflib.RDF.type, SKOS.Concept))
    assert isomorphic(concepts + articles, graphs["nt"])


def test_bad_requests_fail_before_writing(graph_store):
    with pytest.raises(ExportError, match="format"):
        iter_export(graph_store, "rdfxml")
    with pytest.raises(ExportError, match="what"):
        iter_export(graph_store, "nt", what="everything")
    with pytest.raises(ExportError, match="passages-jsonl"):
        iter_export(graph_store, "passages-jsonl", what="concepts")
    with pytest.raises(VocabularyError, match="--base-iri"):
        iter_export(graph_store, "nt", base_iri="kb.example.org")


# --- SKOS integrity ----------------------------------------------------------------------------
SKOS_RULES = {
    # S14: at most one prefLabel per language
    "two prefLabels in one language": """SELECT ?c WHERE { ?c skos:prefLabel ?a, ?b .
        FILTER (?a != ?b && LANG(?a) = LANG(?b)) }""",
    # S13: pref, alt and hidden labels pairwise disjoint
    "a label both preferred and alternative": """SELECT ?c WHERE {
        ?c skos:prefLabel ?l ; skos:altLabel ?l }""",
    "a label both hidden and shown": """SELECT ?c WHERE { ?c skos:hiddenLabel ?l .
        { ?c skos:prefLabel ?l } UNION { ?c skos:altLabel ?l } }""",
    # S27: skos:related is disjoint with skos:broaderTransitive
    "related and broader": """SELECT ?a WHERE { ?a skos:related ?b .
        { ?a skos:broader+ ?b } UNION { ?b skos:broader+ ?a } }""",
    # S9: Concept and ConceptScheme are disjoint
    "a concept that is a scheme": """SELECT ?c WHERE { ?c a skos:Concept, skos:ConceptScheme }""",
    "broader without its narrower": """SELECT ?a WHERE { ?a skos:broader ?b .
        FILTER NOT EXISTS { ?b skos:narrower ?a } }""",
    "related not symmetric": """SELECT ?a WHERE { ?a skos:related ?b .
        FILTER NOT EXISTS { ?b skos:related ?a } }""",
    "a concept in no scheme": """SELECT ?c WHERE { ?c a skos:Concept .
        FILTER NOT EXISTS { ?c skos:inScheme ?s . ?s a skos:ConceptScheme } }""",
    "topConceptOf without hasTopConcept": """SELECT ?c WHERE { ?c skos:topConceptOf ?s .
        FILTER NOT EXISTS { ?s skos:hasTopConcept ?c } }""",
    "a top concept with a broader one": """SELECT ?c WHERE { ?c skos:topConceptOf ?s ;
        skos:broader ?b . ?b skos:inScheme ?s }""",
}


def skos_violations(store: ox.Store) -> dict[str, list]:
    return {name: found for name, query in SKOS_RULES.items() if (found := rows(store, query))}


def test_the_scheme_keeps_the_skos_integrity_rules(exports):
    assert skos_violations(oxigraph(exports["turtle"], "turtle")) == {}


def test_the_integrity_rules_catch_violations(exports):
    store = oxigraph(exports["turtle"], "turtle")
    store.update(PREFIXES + f"""INSERT DATA {{
        <{C}marketing> skos:prefLabel "Promotion" ; skos:altLabel "Marketing" ;
                       skos:related <{C}crm_(software)> .
        <{C}crm_(software)> skos:related <{C}marketing> ; skos:hiddenLabel "CRM" .
        <{C}cco> skos:broader <{C}customer> .
        <{C}customer-service> skos:topConceptOf <{SCHEME}> .
        <{C}customer> skos:related <{C}nowhere> .
        <{C}both> a skos:Concept, skos:ConceptScheme }}""")
    assert set(skos_violations(store)) == set(SKOS_RULES)


# --- import -----------------------------------------------------------------------------
@pytest.mark.parametrize("fmt", RDF_FORMATS)
def test_export_import_export_with_embeddings_is_isomorphic(graph_store, tmp_path, fmt):
    first = export_text(graph_store, fmt, with_embeddings=True)
    path = tmp_path / ("graph" + FILE_EXTENSIONS[fmt])
    path.write_text(first, encoding="utf-8")
    with SQLiteStore(tmp_path / "imported") as store:
        report = import_rdf(store, path)  # no embedder: every vector is carried
        assert report.embedded == 0 and store.stats() == graph_store.stats()
        second = export_text(store, fmt, with_embeddings=True)
        ids = [p.id for p in graph_store.iter_passages()]
        before = {p.id: p.embedding for p in graph_store.iter_passages(with_embeddings=True)}
        after = {p.id: p.embedding for p in store.iter_passages(with_embeddings=True)}
        assert all(np.array_equal(before[i], after[i]) for i in ids)
        sv_before, sv_after = graph_store.sentence_vectors(ids), store.sentence_vectors(ids)
        assert all(np.array_equal(sv_before[i].vectors, sv_after[i].vectors)
                   and sv_before[i].spans == sv_after[i].spans for i in ids)
        assert store.co_occurring(C + "customer", 100) == graph_store.co_occurring(C + "customer",
                                                                                   100)
    assert isomorphic(rdflib.Graph().parse(data=first, format=fmt),
                      rdflib.Graph().parse(data=second, format=fmt))


def test_import_without_embeddings_embeds_again(graph_store, embedder, tmp_path):
    path = tmp_path / "graph.ttl"
    path.write_text(export_text(graph_store, "turtle"), encoding="utf-8")
    with SQLiteStore(tmp_path / "imported") as store:
        report = import_rdf(store, path, get_embedder=lambda: embedder)
        assert report.embedded == graph_store.stats()["passages"] == report.passages
        again = export_text(store, "turtle")
        before = {p.id: p.embedding for p in graph_store.iter_passages(with_embeddings=True)}
        for p in store.iter_passages(with_embeddings=True):
            assert float(before[p.id] @ p.embedding) > 0.99
        hit = store.vector_search(before[p.id], 1)[0]
        assert hit.passage_id == p.id
    assert isomorphic(rdflib.Graph().parse(path), rdflib.Graph().parse(data=again,
                                                                         format="turtle"))


def test_import_refuses_a_store_that_is_not_empty(graph_store, tmp_path):
    path = tmp_path / "graph.nt"
    path.write_text(export_text(graph_store, "nt", what="concepts"), encoding="utf-8")
    with pytest.raises(RdfImportError, match="empty store"):
        import_rdf(graph_store, path)


def test_import_names_the_file_and_field_of_bad_input(graph_store, empty_store, tmp_path):
    broken = tmp_path / "broken.ttl"
    broken.write_text("<a> <b> .\n", encoding="utf-8")
    with pytest.raises(RdfImportError, match=r"broken\.ttl: not valid turtle"):
        import_rdf(empty_store, broken)
    articles_only = tmp_path / "articles.nt"
    articles_only.write_text(export_text(graph_store, "nt", what="articles",
                                         with_embeddings=True), encoding="utf-8")
    with pytest.raises(RdfImportError, match=r"articles\.nt: .*oa:hasBody .* no concept"):
        import_rdf(empty_store, articles_only)
    text = export_text(graph_store, "nt", what="all", with_embeddings=True)
    no_title = tmp_path / "no-title.nt"
    no_title.write_text("".join(line for line in text.splitlines(keepends=True)
                                if "schema.org/headline" not in line), encoding="utf-8")
    with pytest.raises(RdfImportError, match=r"no-title\.nt: <.*articles/.*>: no schema:headline"):
        import_rdf(empty_store, no_title)
    assert empty_store.stats()["articles"] == 0  # nothing half-written


# --- IRIs -----------------------------------------------------------------------------------
def test_ids_are_percent_encoded_under_the_base_and_survive_import(empty_store, tmp_path):
    article_id = "notes/2024 q1#draft ü"
    text = "Plain text of a note."
    vector = np.random.default_rng(7).normal(size=384).astype(np.float32)
    vector /= np.linalg.norm(vector)
    empty_store.upsert_article(
        Article(article_id, "A <note>", text, content_hash="h", ingested_at="not a date"),
        [Passage(Passage.make_id(article_id, 0), article_id, 0, text, 0, len(text), vector)], [])
    out = io.StringIO()
    export(empty_store, "nt", out, base_iri="https://kb.example.org/cg", with_embeddings=True)
    article_iri = "https://kb.example.org/cg/articles/notes%2F2024%20q1%23draft%20%C3%BC"
    assert f"<{article_iri}> " in out.getvalue()
    assert f"<{article_iri}#p0> " in out.getvalue()
    store = oxigraph(out.getvalue(), "nt")
    assert rows(store, "SELECT ?id WHERE { ?a a schema:Article ; schema:identifier ?id }") == \
        [(article_id,)]
    path = tmp_path / "note.nt"
    path.write_text(out.getvalue(), encoding="utf-8")
    with SQLiteStore(tmp_path / "copy") as copy:
        import_rdf(copy, path)
        assert copy.get_article(article_id) == empty_store.get_article(article_id)


def test_a_concept_iri_that_is_no_iri_is_refused(empty_store):
    empty_store.replace_concepts([Concept("not an iri", "Broken")])
    out = io.StringIO()
    with pytest.raises(ExportError, match="concept: 'not an iri'"):  # before the first byte
        export(empty_store, "turtle", out)
    assert out.getvalue() == ""


# --- the command line --------------------------------------------------------------------
def cli(*args):
    env = dict(os.environ, CITEGRAPH_THREADS="1")
    proc = subprocess.run([sys.executable, "-m", "citegraph", *args], capture_output=True,
                          text=True, env=env, cwd=REPO, timeout=300)
    assert "Traceback" not in proc.stderr, proc.stderr
    return proc


def test_cli_export_and_import(graph_store, tmp_path):
    out = tmp_path / "graph.jsonld"
    proc = cli("export", "--store", str(graph_store.directory), "--format", "json-ld",
               "--with-embeddings", "--base-iri", BASE, "-o", str(out))
    assert proc.returncode == 0, proc.stderr
    imported = tmp_path / "imported"
    proc = cli("import", str(out), "--store", str(imported), "--json")
    assert proc.returncode == 0, proc.stderr
    summary = json.loads(proc.stdout)
    assert summary["articles"] == DEMO_ARTICLES and summary["embedded"] == 0
    proc = cli("export", "--store", str(imported), "--format", "nt", "--base-iri", BASE)
    assert isomorphic(rdflib.Graph().parse(data=proc.stdout, format="nt"),
                      rdflib.Graph().parse(data=export_text(graph_store, "nt"), format="nt"))


def test_cli_errors_are_one_line(graph_store, tmp_path):
    store = str(graph_store.directory)
    for args, needle in [
        (["export", "--store", store, "--base-iri", "ftp:/x"], "--base-iri"),
        (["export", "--store", store, "--format", "passages-jsonl", "--what", "concepts"],
         "passages-jsonl"),
        (["export", "--store", str(tmp_path / "none")], "no Citegraph store"),
        (["import", str(tmp_path / "missing.ttl"), "--store", str(tmp_path / "s")],
         "missing.ttl: no such file"),
        (["import", str(REPO / "ontology" / "cg.ttl"), "--store", store], "empty store"),
    ]:
        proc = cli(*args)
        assert proc.returncode == 2, (args, proc.stderr)
        assert len(proc.stderr.strip().splitlines()) == 1 and needle in proc.stderr, proc.stderr



def test_every_term_of_ours_is_defined_and_compacted_in_json_ld(graph_store, graphs):
    cg = "https://w3id.org/citegraph/ns#"
    vocabulary = rdflib.Graph().parse(REPO / "ontology" / "cg.ttl")
    defined = {str(s) for s in vocabulary.subjects(rdflib.RDF.type, None)}
    used = {str(t) for triple in graphs["nt"] for t in triple if str(t).startswith(cg)}
    used |= {str(o.datatype) for o in graphs["nt"].objects()
             if isinstance(o, rdflib.Literal) and o.datatype}
    assert {t for t in used if t.startswith(cg)} - defined == set()
    # the published context names every predicate and class the export uses
    document = json.loads(export_text(graph_store, "json-ld", with_embeddings=True))
    keys = {key for node in document["@graph"] for key in node}
    types = {t for node in document["@graph"] for t in np.atleast_1d(node["@type"])}
    assert not [k for k in keys if ":" in k] and not [t for t in types if ":" in t]
    assert {"embedding", "sentenceVectors", "hasSelector", "exact", "weight"} <= keys


# --- lossless SKOS: every triple of a user's scheme survives load → store → export → import
MULTILINGUAL = """
@prefix skos: <http://www.w3.org/2004/02/skos/core#> .
@prefix dct: <http://purl.org/dc/terms/> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
@prefix ex: <http://example.org/voc/> .

ex:scheme a skos:ConceptScheme ;
    dct:title "Service vocabulary"@en, "Vocabulaire du service"@fr ;
    skos:prefLabel "Service vocabulary"@en ;
    dct:creator "A. Taxonomist" ; dct:created "2024-05-01"^^xsd:date ;
    dct:modified "2025-01-02T10:00:00Z"^^xsd:dateTime ;
    skos:hasTopConcept ex:Service .

ex:Service a skos:Concept ; skos:inScheme ex:scheme ; skos:topConceptOf ex:scheme ;
    skos:prefLabel "customer service"@en, "service client"@fr ;
    skos:altLabel "customer care"@en, "relation client"@fr ;
    skos:hiddenLabel "custserv"@en ;
    skos:definition "Helping customers."@en, "Aider les clients."@fr ;
    skos:notation "S1" , "100"^^xsd:integer ;
    skos:scopeNote "Not sales."@en ; skos:example "a help desk"@en ;
    skos:note "Reviewed in 2024" ; skos:historyNote "Split from support."@en ;
    skos:editorialNote "check"@en ; skos:changeNote "renamed"@en ;
    skos:exactMatch <http://www.wikidata.org/entity/Q1062404> ;
    dct:modified "2025-01-02"^^xsd:date .

ex:ContactCenter a skos:Concept ; skos:inScheme ex:scheme ; skos:broader ex:Service ;
    skos:prefLabel "contact center"@en, "centre de contact"@fr ;
    skos:notation "S1.1" ;
    skos:closeMatch <http://dbpedia.org/resource/Call_centre> ;
    skos:broadMatch <http://example.org/other/Support> ;
    skos:narrowMatch <http://example.org/other/Helpline> ;
    skos:relatedMatch <http://example.org/other/CRM> ;
    skos:related ex:Chat .

ex:Chat a skos:Concept ; skos:inScheme ex:scheme ; skos:broader ex:Service ;
    skos:prefLabel "live chat"@en ; skos:prefLabel "clavardage"@fr .
"""


def _entailed(graph: rdflib.Graph) -> set:
    """The triples plus what SKOS entails from them (broader/narrower inverse, symmetric
    related, hasTopConcept/topConceptOf inverse): the export writes both directions."""
    out = set(graph)
    inverse = {SKOS.broader: SKOS.narrower, SKOS.narrower: SKOS.broader,
               SKOS.related: SKOS.related, SKOS.hasTopConcept: SKOS.topConceptOf,
               SKOS.topConceptOf: SKOS.hasTopConcept}
    for s, p, o in graph:
        if p in inverse:
            out.add((o, inverse[p], s))
    return out


@pytest.mark.parametrize("fmt", ["turtle", "json-ld", "nt"])
def test_scheme_export_import_export_keeps_every_triple(tmp_path, fmt):
    from citegraph.ontology.scheme import load_scheme

    source = tmp_path / "voc.ttl"
    source.write_text(MULTILINGUAL, encoding="utf-8")
    scheme = load_scheme(source)
    with SQLiteStore(tmp_path / "a") as store:
        store.replace_concepts(scheme.concepts)
        first = export_text(store, fmt, what="concepts")
    path = tmp_path / f"export{FILE_EXTENSIONS[fmt]}"
    path.write_text(first, encoding="utf-8")
    with SQLiteStore(tmp_path / "b") as store:
        import_rdf(store, path)
        second = export_text(store, fmt, what="concepts")
    expected = _entailed(rdflib.Graph().parse(data=MULTILINGUAL, format="turtle"))
    for text in (first, second):
        got = _entailed(rdflib.Graph().parse(data=text, format=fmt))
        assert got == expected, (sorted(expected - got), sorted(got - expected))
    fr = rdflib.Literal("service client", lang="fr")
    assert (rdflib.URIRef("http://example.org/voc/Service"), SKOS.prefLabel, fr) in got


def test_the_shipped_scheme_export_keeps_its_language_tags_and_title(tmp_path):
    from citegraph.ontology.scheme import SHIPPED, load_scheme

    with SQLiteStore(tmp_path / "s") as store:
        store.replace_concepts(load_scheme().concepts)
        g = rdflib.Graph().parse(data=export_text(store, "turtle", what="concepts"),
                                 format="turtle")
    source = rdflib.Graph().parse(SHIPPED)
    assert _entailed(g) == _entailed(source)
    labels = list(g.objects(None, SKOS.prefLabel))
    assert labels and all(lab.language == "en" for lab in labels)
    title = rdflib.URIRef("http://purl.org/dc/terms/title")
    assert list(g.objects(rdflib.URIRef("https://citegraph.org/scheme/cx/scheme"), title))


def test_file_ids_with_extensions_make_iris_without_dot_segments():
    """File ids keep their extension (`teamA/notes.md`): the IRI holds the dot as it is, the
    slash percent-encoded, so no segment is `.` or `..` and the IRI names one page."""
    from citegraph.graph.rdf_vocab import IriMinter

    mint = IriMinter("https://kb.example.org/cg")
    assert str(mint.article("notes.txt")) == "https://kb.example.org/cg/articles/notes.txt"
    assert str(mint.passage_by_id("teamA/notes.md#3")) == \
        "https://kb.example.org/cg/articles/teamA%2Fnotes.md#p3"
    for article_id in ("notes.txt", "teamA/notes.md", "a/../b.txt", "..hidden.md", "x/./y.html"):
        iri = str(mint.article(article_id))
        path = iri[len("https://kb.example.org/cg/"):]
        assert path.split("/")[0] == "articles" and path.count("/") == 1, iri
        assert path.split("/")[1] not in (".", ".."), iri
