"""Search on the seed articles: questions a reader would ask find their passage in the top 5,
and results carry the citation fields of DESIGN.md."""
import pytest

from citegraph.search.factory import build_retriever
from citegraph.search.service import SearchService

# (question, article id prefix, text the answering passage contains)
SEED_QUESTIONS = [
    ("Who owned the analytics at Sun Microsystems?", "001", "Marissa Peterson"),
    ("What share of companies have a chief customer officer according to Gartner?", "003",
     "90% of companies now have a CCO"),
    ("What are the three imperatives identified by the IBM study?", "004",
     "Deliver value to empowered customers"),
    ("Is listening the same as engaging?", "004", "listening is NOT the same as engaging"),
    ("What percentage of Fortune 100 companies had a CCO?", "003", "22 percent of Fortune 100"),
    ("How many CMOs play a leading role in connecting customer-facing functions?", "002",
     "19% of CMOs"),
    ("What did Jeff Lewis do at Monster.com?", "001", "Jeff Lewis"),
    ("Why would database marketing people make good chief customer officers?", "000",
     "database marketing folks would make great Chief Customer Officers"),
    ("What are the responsibilities of a chief customer officer?", "003",
     "Assessing and finding gaps in customer experience"),
    ("How big was HSN in sales?", "000", "2 billion in sales"),
    ("Where does the future of customer experience lie?", "004",
     "intersection of business process, CRM and contact centers"),
    ("What share of marketers expect to compete mostly on customer experience?", "003",
     "81% of marketers"),
    ("What does Jeanne Bliss think about the CCO and the CMO?", "003", "Jeanne Bliss"),
    ("Will the chief customer officer replace the CMO in the boardroom?", "001",
     "replace the CMO or VP of Marketing in the board room"),
    ("How many senior business leaders see their companies as customer-centric?", "002",
     "six in ten senior business leaders"),
    ("Who should own the team that engages customers?", "004",
     "The owner of the team is a role"),
    ("What are many CMOs really, according to the commenter?", "000", "chief branding officers"),
    ("What should the CCO bring to the boardroom?", "001", "accountability to the boardroom"),
]


@pytest.fixture(scope="module")
def service(seed_store_dir, embedder):
    from citegraph.graph.sqlite_store import SQLiteStore

    store = SQLiteStore(seed_store_dir)
    yield SearchService(store, embedder, build_retriever(store))
    store.close()


@pytest.mark.parametrize("question,article,expected", SEED_QUESTIONS, ids=[q[0][:40] for q in SEED_QUESTIONS])
def test_seed_question_finds_its_passage_in_top_5(service, question, article, expected):
    results = service.search(question, k=5).to_dict()["results"]
    assert any(r["article_id"].startswith(article) and expected in r["text"] for r in results), \
        [(r["passage_id"], r["text"][:60]) for r in results]


def test_result_json_has_citation_fields(service):
    out = service.search("Who owned the analytics at Sun Microsystems?", k=5).to_dict()
    assert out["query"] == "Who owned the analytics at Sun Microsystems?"
    assert len(out["results"]) == 5
    for rank, r in enumerate(out["results"], start=1):
        assert r["rank"] == rank
        assert set(r) >= {"score", "passage_id", "article_id", "title", "source", "start", "end",
                          "text", "highlight", "concepts"}
        article = service.store.get_article(r["article_id"])
        assert article.text[r["start"]:r["end"]] == r["text"]
        h = r["highlight"]
        assert 0 <= h["start"] < h["end"] <= len(r["text"])
    scores = [r["score"] for r in out["results"]]
    assert scores == sorted(scores, reverse=True)


def test_answer_quotes_cited_passages(service):
    out = service.search("Who owned the analytics at Sun Microsystems?", k=5).to_dict()
    answer = out["answer"]
    assert answer["citations"] and "Marissa Peterson" in answer["text"]
    for n in answer["citations"]:
        r = out["results"][n - 1]
        quote = r["text"][r["highlight"]["start"]:r["highlight"]["end"]]
        assert " ".join(quote.split()) + f" [{n}]" in answer["text"]


def test_top_highlight_is_the_answering_sentence(service):
    r = service.search("Who owned the analytics at Sun Microsystems?", k=1).to_dict()["results"][0]
    quote = r["text"][r["highlight"]["start"]:r["highlight"]["end"]]
    assert quote.startswith("Marissa Peterson")


@pytest.mark.parametrize("mode", ["dense", "bm25", "hybrid"])
def test_each_mode_ranks_the_obvious_passage_first(seed_store_dir, embedder, mode):
    from citegraph.graph.sqlite_store import SQLiteStore

    with SQLiteStore(seed_store_dir) as store:
        results = SearchService(store, embedder, build_retriever(store, mode)).search(
            "Marissa Peterson Sun Sigma analytics", k=3).to_dict()["results"]
    assert "Marissa Peterson" in results[0]["text"]


def test_empty_and_stopword_queries_return_nothing(service):
    assert service.search("   ", k=5).to_dict()["results"] == []
    assert service.store.keyword_search("the of and", 5) == []
    before = service.store.stats()
    hits = service.store.keyword_search('"; DROP TABLE passages; -- ) OR * NEAR(', 5)
    assert all("table" in service.store.get_passages([h.passage_id])[0].text.lower() for h in hits)
    assert service.store.stats() == before
