"""Faceted search (concept, article, publication date range) and "why this result" (each
result's raw retriever scores), through the search service, the API, the page and the CLI."""
from __future__ import annotations

import json

import pytest
from test_article_metadata import dated_store  # noqa: F401  (demo store + two dated articles)

from citegraph.search.factory import build_retriever
from citegraph.search.filters import FilterError, PassageFilter
from citegraph.search.retrievers import DenseRetriever, KeywordRetriever, Query
from citegraph.search.service import SearchService

QUESTION = ("Does the chief customer officer review customer churn and complaints from"
            " the contact centre?")


@pytest.fixture
def linked(dated_store):  # noqa: F811
    """The dated store with a small scheme linked by exact label matches."""
    from webapp_support import CONCEPTS, link_exact

    dated_store.replace_concepts([c for c in CONCEPTS if "script" not in c.label.lower()])
    assert link_exact(dated_store)
    return dated_store


@pytest.fixture
def service(linked, embedder):
    return SearchService(linked, embedder, build_retriever(linked))


# --- the service ------------------------------------------------------------------------
def test_date_range_keeps_only_articles_published_in_it(service):
    everything = service.search(QUESTION, k=20).to_dict()["results"]
    assert {r["date"] for r in everything} >= {None, "2024-03-01"}
    got = service.search(QUESTION, k=20, filters=service.passage_filter(
        since="2024-01-01")).to_dict()["results"]
    assert got and all(r["date"] >= "2024-01-01" for r in got)
    got = service.search(QUESTION, k=20, filters=service.passage_filter(
        until="2021-07-08")).to_dict()["results"]  # inclusive, on the day of a datetime
    assert [r["article_id"] for r in got] == ["zebra-memo"]
    assert service.search(QUESTION, k=5, filters=service.passage_filter(
        since="2021-07-09", until="2024-02-29")).results == []


def test_article_facet_and_ranks_as_without_it(service):
    everything = service.search(QUESTION, k=100, with_answer=False).to_dict()["results"]
    article = everything[2]["article_id"]
    got = service.search(QUESTION, k=100, with_answer=False, filters=service.passage_filter(
        article=article)).to_dict()["results"]
    assert got and {r["article_id"] for r in got} == {article}
    expected = [(r["passage_id"], r["score"]) for r in everything if r["article_id"] == article]
    assert [(r["passage_id"], r["score"]) for r in got] == expected[:len(got)]
    assert [r["rank"] for r in got] == list(range(1, len(got) + 1))


def test_concept_facet_by_label_short_id_or_iri(service, linked):
    concept = linked.get_concept(next(iri for iri, _ in [(c.iri, n) for c, n in
                                                         linked.list_concepts()]
                                      if iri.endswith("cco")))
    mentioned = {m.passage_id for m in linked.concept_mentions(concept.iri, 100_000)}
    assert mentioned
    short = concept.iri.rstrip("/").rsplit("/", 1)[-1].rsplit("#", 1)[-1]
    for name in (concept.label, concept.iri, short, concept.label.upper()):
        criteria = service.passage_filter(concept=name)
        assert criteria.concept_iri == concept.iri, name
    got = service.search(QUESTION, k=10, filters=service.passage_filter(
        concept=concept.label)).results
    assert got and all(r.passage_id in mentioned for r in got)


def test_facets_combine(service, dated_store):  # noqa: F811
    note = next(a.id for a in dated_store.iter_articles()
                if a.title == "Contact centre escalations")
    criteria = service.passage_filter(article=note, since="2024-03-01", until="2024-03-01")
    got = service.search(QUESTION, k=5, filters=criteria).results
    assert got and {r.article_id for r in got} == {note}


def test_bad_or_unknown_facets_are_named(service):
    with pytest.raises(FilterError) as exc:
        service.passage_filter(concept="no such concept at all")
    assert exc.value.not_found and "concept" in str(exc.value)
    with pytest.raises(FilterError) as exc:
        service.passage_filter(article="no-such-article")
    assert exc.value.not_found and "article" in str(exc.value)
    for since, until in (("2024-13-01", None), ("yesterday", None), (None, "2024-1-1")):
        with pytest.raises(FilterError) as exc:
            service.passage_filter(since=since, until=until)
        assert not exc.value.not_found
    empty = service.passage_filter(since="2024-02-01", until="2024-01-01")  # nothing matches
    assert service.search(QUESTION, k=5, filters=empty).results == []
    assert not service.passage_filter()
    assert service.passage_filter(since="2024-02-01T10:00:00Z") == PassageFilter(
        since="2024-02-01")


# --- why this result ----------------------------------------------------------------------
def test_explain_keeps_the_ranking_and_reports_raw_scores(service, linked, embedder):
    plain = service.search(QUESTION, k=10).to_dict()
    explained = service.search(QUESTION, k=10, explain=True).to_dict()
    assert [(r["passage_id"], r["score"]) for r in explained["results"]] == [
        (r["passage_id"], r["score"]) for r in plain["results"]]
    assert explained["answer"] == plain["answer"]
    query = Query(QUESTION, embedder)
    dense = {h.passage_id: h.score for h in DenseRetriever(linked).retrieve(query, 100)}
    bm25 = {h.passage_id: h.score for h in KeywordRetriever(linked).retrieve(query, 100)}
    for r in explained["results"]:
        s = r["signals"]
        assert set(s) == {"dense", "bm25", "concept", "fused"}
        assert s["fused"] == r["score"]
        assert s["dense"] == pytest.approx(dense.get(r["passage_id"]), abs=1e-5) \
            if r["passage_id"] in dense else s["dense"] is None
        assert s["bm25"] == pytest.approx(bm25.get(r["passage_id"]), abs=1e-5) \
            if r["passage_id"] in bm25 else s["bm25"] is None
    assert any(r["signals"]["bm25"] is not None for r in explained["results"])
    # the question names a concept of the scheme: the concept list has scores too
    assert any(r["signals"]["concept"] is not None for r in explained["results"])


def test_explain_in_a_single_list_mode(linked, embedder):
    dense = SearchService(linked, embedder, build_retriever(linked, "dense"))
    r = dense.search(QUESTION, k=3, explain=True).to_dict()["results"][0]
    assert r["signals"]["bm25"] is None and r["signals"]["concept"] is None
    assert r["signals"]["dense"] == pytest.approx(r["score"], abs=1e-5) == r["signals"]["fused"]


# --- the edges: API, page, CLI ----------------------------------------------------------------
@pytest.fixture
def client(dated_store, embedder):  # noqa: F811
    from webapp_support import make_app

    return make_app(dated_store.directory, embedder).test_client()


def test_api_search_facets_and_explain(client):
    base = "/api/search?q=" + QUESTION.replace(" ", "+")
    body = client.get(base + "&k=20&since=2024-01-01&explain=true").get_json()
    assert body["results"] and all(r["date"] >= "2024-01-01" for r in body["results"])
    assert all(set(r["signals"]) == {"dense", "bm25", "concept", "fused"}
               for r in body["results"])
    plain = client.get(base + "&k=5").get_json()
    assert all("signals" not in r and "author" in r and "date" in r for r in plain["results"])
    only = client.get(base + "&article=zebra-memo").get_json()["results"]
    assert only and {r["article_id"] for r in only} == {"zebra-memo"}
    assert only[0]["author"] == "Bo Chen"
    assert client.get(base + "&article=nope").status_code == 404
    assert client.get(base + "&concept=no+such+concept+at+all").status_code == 404
    assert client.get(base + "&since=2024-02-02&until=2024-01-01").status_code == 400
    for bad in ("&since=2024-31-01", "&until=soon", "&explain=perhaps"):
        reply = client.get(base + bad)
        assert reply.status_code == 400, bad
        assert reply.get_json()["error"]


def test_openapi_documents_the_facets_and_fields(client):
    doc = client.get("/api/openapi.json").get_json()
    params = {p["name"]: p for p in doc["paths"]["/api/search"]["get"]["parameters"]}
    assert {"q", "k", "concept", "article", "since", "until", "explain"} <= set(params)
    assert all(params[n].get("description") for n in ("article", "since", "until", "explain"))
    hit = doc["components"]["schemas"]["SearchHit"]["properties"]
    assert {"author", "date", "signals"} <= set(hit)
    signals = doc["components"]["schemas"]["Signals"]["properties"]
    assert set(signals) == {"dense", "bm25", "concept", "fused"}


def test_search_page_has_the_facets_and_explains_on_demand(client):
    page = client.get("/?q=" + QUESTION.replace(" ", "+")
                      + "&concept=&article=&since=2024-01-01&until=&explain=true")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert 'name="since"' in html and 'name="article"' in html and 'name="explain"' in html
    assert "<details class=\"signals\">" in html and "Ana Ruiz" in html
    assert "2024-03-01" in html
    plain = client.get("/?q=" + QUESTION.replace(" ", "+")).get_data(as_text=True)
    assert "<details class=\"signals\">" not in plain
    assert client.get("/?q=x&since=never").status_code == 400
    article = client.get("/articles/zebra-memo").get_data(as_text=True)
    assert "Bo Chen" in article and "2021-07-08" in article


def test_cli_ask_with_facets_and_explain(dated_store, embedder, monkeypatch):  # noqa: F811
    from click.testing import CliRunner

    from citegraph.cli import main
    from citegraph.runtime import Runtime

    monkeypatch.setattr(Runtime, "embedder", embedder, raising=False)
    store = str(dated_store.directory)
    result = CliRunner().invoke(main, ["ask", QUESTION, "--store", store, "--json", "--k", "5",
                                       "--since", "2021-01-01", "--until", "2021-12-31",
                                       "--explain"])
    assert result.exit_code == 0, result.output
    out = json.loads(result.output)
    assert [r["article_id"] for r in out["results"]] == ["zebra-memo"]
    assert out["results"][0]["signals"]["fused"] == out["results"][0]["score"]
    text = CliRunner().invoke(main, ["ask", QUESTION, "--store", store, "--article",
                                     "zebra-memo", "--explain"])
    assert text.exit_code == 0 and "Bo Chen" in text.output and "fused" in text.output
    bad = CliRunner().invoke(main, ["ask", QUESTION, "--store", store, "--since", "soon"])
    assert bad.exit_code == 2 and "since" in bad.output
