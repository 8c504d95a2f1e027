"""The search service: a question in, a typed `SearchResult` out (search/results.py).

Retrieval picks passages, the answer module quotes their best sentences, and the store adds
titles, offsets and concepts. Limits are enforced here, whoever calls."""
from __future__ import annotations

from typing import Optional

from citegraph.errors import CitegraphError
from citegraph.graph.base import GraphStore
from citegraph.search.answer import ANSWER_FROM, Evidence, best_sentence, choose
from citegraph.ontology.lookup import resolve as resolve_concept
from citegraph.search.filters import FilteredRetriever, FilterError, PassageFilter, parse_day
from citegraph.search.results import (Answer, CitedSource, ConceptRef, ResultItem,
                                      SearchResult, Span)
from citegraph.search.retrievers import Query, Retriever
from citegraph.settings import Settings

MAX_K = 100  # results a query may ask for (evaluation asks for 100)
# A question may be a whole paragraph (query by example: "passages like this one"): the
# model reads its first 256 tokens and BM25 its first 256 distinct terms
# (graph/analysis.py), so a long question costs no more than a bounded one.
MAX_QUESTION_CHARS = 20_000


class SearchError(CitegraphError):
    """A query the service will not run (a limit), named with the field."""


SIGNALS = ("dense", "bm25", "concept")  # the lists a result's signals report


class SearchService:
    def __init__(self, store: GraphStore, embedder, retriever: Retriever,
                 abstain_below: Optional[float] = None):
        self.store = store
        self.embedder = embedder
        self.retriever = retriever
        # answer confidence under which it abstains; None: the setting's default
        self.abstain_below = Settings().abstain_below if abstain_below is None else abstain_below

    def passage_filter(self, concept: Optional[str] = None, article: Optional[str] = None,
                       since: Optional[str] = None, until: Optional[str] = None
                       ) -> PassageFilter:
        """The filter the facets name: `concept` by label, short id or IRI, `article` by
        id, `since`/`until` ISO dates (inclusive; a date object or `YYYY-MM-DD`) on the
        article's publication date; since after until: an empty range, nothing matches. A
        facet naming nothing stored raises FilterError(not_found=True), a bad value
        FilterError."""
        iri = None
        if concept is not None and concept.strip():
            found = resolve_concept(self.store, concept)
            if found is None:
                raise FilterError("concept", f"concept {concept[:200]!r}: not found",
                                  not_found=True)
            iri = found.iri
        article_id = None
        if article is not None and article.strip():
            article_id = article.strip()
            if article_id not in self.store.article_titles([article_id]):
                raise FilterError("article", f"article {article_id[:200]!r}: not found",
                                  not_found=True)
        since, until = parse_day(since, "since"), parse_day(until, "until")
        return PassageFilter(iri, article_id, since, until)

    def search(self, question: str, k: int = 10, with_answer: bool = True,
               concept_iri: Optional[str] = None, filters: Optional[PassageFilter] = None,
               explain: bool = False) -> SearchResult:
        """Passages answering `question`, best first, with an extractive answer.
        `filters` (see passage_filter): only passages that satisfy it; `concept_iri`: only
        passages that mention that concept (one facet of `filters`). `explain`: each result
        carries its signals, the raw score of each retriever list and the fused score."""
        if not 1 <= k <= MAX_K:
            raise SearchError(f"k: {k} is not between 1 and {MAX_K}")
        if len(question) > MAX_QUESTION_CHARS:
            raise SearchError(f"question: longer than {MAX_QUESTION_CHARS} characters")
        try:
            question.encode("utf-8")
        except UnicodeEncodeError as exc:  # a shell's undecodable bytes, a JSON "\ud800"
            raise SearchError(f"question: not text at character {exc.start + 1} (a byte that"
                              " is not UTF-8, or half a surrogate pair)") from None
        criteria = filters or PassageFilter()
        if concept_iri:
            criteria = PassageFilter(concept_iri, criteria.article_id, criteria.since,
                                     criteria.until)
        retriever = (FilteredRetriever(self.retriever, self.store, criteria)
                     if criteria else self.retriever)
        query = Query(question, self.embedder, explain=explain)
        hits = retriever.retrieve(query, k)
        # one call: a backend may read all of it at once (Neo4j: one round trip)
        details = self.store.passage_details([h.passage_id for h in hits])
        by_id = {p.id: p for p in details.passages}
        hits = [h for h in hits if h.passage_id in by_id]
        articles, mentions = details.articles, details.mentions
        labels, sentences = details.labels, details.sentences
        highlights = [best_sentence(query.vector, by_id[h.passage_id].text,
                                    sentences.get(h.passage_id)) for h in hits]
        results = []
        for rank, (hit, h) in enumerate(zip(hits, highlights), start=1):
            p = by_id[hit.passage_id]
            article = articles.get(p.article_id)
            concepts = list({m.iri: ConceptRef(m.iri, labels[m.iri])
                             for m in mentions.get(p.id, [])}.values())
            results.append(ResultItem(
                rank=rank, score=round(hit.score, 6), passage_id=p.id, article_id=p.article_id,
                title=article.title if article else "", source=article.source if article else "",
                start=p.start, end=p.end, text=p.text, highlight=Span(h.start, h.end),
                author=p.author or ((article.author or None) if article else None),
                date=p.date or ((article.published or None) if article else None),
                section=p.section or "body", page=p.page,
                concepts=concepts, signals=signals(query, hit) if explain else None))
        if not with_answer:
            return SearchResult(question, Answer(), results)
        if not results:
            return SearchResult(question, Answer("", [], abstained=True), results)
        choice = choose(question, query.vector,
                        [Evidence(r.rank, r.text, sentences.get(r.passage_id),
                                  comment=r.section == "comment")
                         for r in results[:ANSWER_FROM]])
        answer = choice.answer({r.rank: r.text for r in results}, self.abstain_below)
        if not answer.abstained:
            for unit in choice.units:  # a cited passage highlights what the answer quotes
                results[unit.number - 1].highlight = Span(unit.start, unit.end)
            answer.sources = [CitedSource(n, results[n - 1].passage_id, results[n - 1].section,
                                          results[n - 1].author, results[n - 1].date)
                              for n in answer.citations]
        return SearchResult(question, answer, results)


def signals(query: Query, hit) -> dict[str, Optional[float]]:
    """The raw score each retriever list gave the passage (None: not in that list, or the
    mode has no such list) and the fused score it is ranked by."""
    out: dict[str, Optional[float]] = {}
    for name in SIGNALS:
        score = query.signals.get(name, {}).get(hit.passage_id)
        out[name] = None if score is None else round(float(score), 6)
    out["fused"] = round(float(hit.score), 6)
    return out
