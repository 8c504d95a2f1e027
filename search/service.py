"""The search service: a question in, the result JSON of DESIGN.md out.

Retrieval picks passages, the answer module quotes their best sentences, and the store adds
titles, offsets and concepts."""
from __future__ import annotations

from typing import Optional

from graph.base import GraphStore
from search.answer import best_sentence, compose
from search.retrievers import Query, Retriever, build_retriever

MAX_K = 100


class SearchService:
    def __init__(self, store: GraphStore, embedder, mode: str = "hybrid",
                 retriever: Optional[Retriever] = None):
        self.store = store
        self.embedder = embedder
        self.retriever = retriever or build_retriever(store, mode)

    def search(self, question: str, k: int = 10, with_answer: bool = True) -> dict:
        query = Query(question, self.embedder)
        hits = self.retriever.retrieve(query, k)
        passages = self.store.get_passages([h.passage_id for h in hits])
        by_id = {p.id: p for p in passages}
        hits = [h for h in hits if h.passage_id in by_id]
        articles = self.store.article_titles(by_id[h.passage_id].article_id for h in hits)
        mentions = self.store.passage_mentions([h.passage_id for h in hits])
        labels = self.store.concept_labels(m.iri for ms in mentions.values() for m in ms)
        sentences = self.store.sentence_vectors([h.passage_id for h in hits])
        highlights = [best_sentence(query.vector, by_id[h.passage_id].text,
                                    sentences.get(h.passage_id)) for h in hits]
        results = []
        for rank, hit in enumerate(hits, start=1):
            p = by_id[hit.passage_id]
            article = articles.get(p.article_id)
            concepts = list({m.iri: {"iri": m.iri, "label": labels[m.iri]}
                             for m in mentions.get(p.id, [])}.values())
            result = {"rank": rank, "score": round(hit.score, 6), "passage_id": p.id,
                      "article_id": p.article_id, "title": article.title if article else "",
                      "source": article.source if article else "", "start": p.start,
                      "end": p.end, "text": p.text, "concepts": concepts}
            h = highlights[rank - 1]
            result["highlight"] = {"start": h.start, "end": h.end}
            results.append(result)
        quotes = [(r["rank"], r["text"][h.start:h.end], h.score)
                  for r, h in zip(results[:5], highlights)]
        answer = compose(quotes) if with_answer else {"text": "", "citations": []}
        return {"query": question, "answer": answer, "results": results}
