"""Request schemas (they validate and they document) and response schemas (they document the
JSON contract of DESIGN.md in the OpenAPI file; views return plain dicts in that shape)."""
from __future__ import annotations

from typing import Any

from apiflask import Schema
from apiflask.fields import Boolean, Date, Dict, Float, Integer, List, Nested, String
from apiflask.validators import Length, OneOf, Range, Regexp
from marshmallow import ValidationError

from citegraph.ingest.ids import ID_PATTERN, ID_RULES, has_surrogate
from citegraph.ingest.limits import MAX_ARTICLE_CHARS, MAX_ID_CHARS, MAX_TITLE_CHARS
from citegraph.graph.listing import DEFAULT_LIMIT, MAX_LIMIT, MAX_OFFSET, SORTS as ARTICLE_SORTS
from citegraph.ingest.linker import SUGGEST_LIMIT, SUGGEST_THRESHOLD
from citegraph.search.service import MAX_K, MAX_QUESTION_CHARS as MAX_QUERY_CHARS

MAX_SUGGEST_CHARS = 1000  # the text /api/suggest reads (a question may be longer: a paragraph)
from citegraph.webapp.export import formats as export_formats



def not_blank(value: str) -> None:
    if not value.strip():
        raise ValidationError("must not be blank")


def valid_unicode(value: str) -> None:
    """JSON may escape a lone surrogate (`"\\ud800"`); it is no character and cannot be
    stored or hashed."""
    if has_surrogate(value):
        raise ValidationError("holds a lone surrogate (not valid Unicode)")


# --- requests ---------------------------------------------------------------------------
class SearchQuery(Schema):
    q = String(required=True, validate=[Length(1, MAX_QUERY_CHARS), not_blank],
               metadata={"description": "The question."})
    k = Integer(load_default=10, validate=Range(1, MAX_K),
                metadata={"description": "Number of passages."})
    concept = String(load_default=None, validate=Length(1, 2000),
                     metadata={"description": "Only passages mentioning this concept: its "
                                              "label, short id (`ContactCenter`) or IRI. "
                                              "404 when it names no concept."})
    article = String(load_default=None, validate=[Length(1, MAX_ID_CHARS), valid_unicode],
                     metadata={"description": "Only passages of this article (its id). 404 "
                                              "when no such article is stored."})
    since = Date(load_default=None,
                 metadata={"description": "Only passages of articles published on or "
                                            "after this date (ISO 8601, `YYYY-MM-DD`); "
                                            "articles without a date are left out."})
    until = Date(load_default=None,
                 metadata={"description": "Only passages of articles published on or "
                                            "before this date (ISO 8601, `YYYY-MM-DD`); "
                                            "articles without a date are left out."})
    explain = Boolean(load_default=False,
                      metadata={"description": "Add `signals` to each result: why it ranks "
                                               "where it does."})


class NeighbourhoodQuery(Schema):
    depth = Integer(load_default=1, validate=OneOf([1, 2]))


class ArticlesQuery(Schema):
    limit = Integer(load_default=DEFAULT_LIMIT, validate=Range(1, MAX_LIMIT),
                    metadata={"description": "Articles per page."})
    offset = Integer(load_default=0, validate=Range(0, MAX_OFFSET),
                     metadata={"description": "Articles to skip."})
    sort = String(load_default="date", validate=OneOf(list(ARTICLE_SORTS)),
                  metadata={"description": "date (publication date, newest first; "
                                           "undated articles last) or title (A to Z)"})


class ExportQuery(Schema):
    format = String(required=True, validate=OneOf(list(export_formats())),
                    metadata={"description": "turtle, json-ld, nt or passages-jsonl"})


# the id rules of ingest as a pattern (ingest/ids.py ID_PATTERN), so that the OpenAPI
# document states them
# Not blank: a character that is not white space, as Python reads it. Spelled out, not `\s`:
# in a JSON Schema pattern (ECMA-262) `\s` leaves out \x1c-\x1f and \x85, which Python's
# counts, and takes in \ufeff, which Python's leaves out; the fuzz sent "\f\x1c" as valid.
_BLANK = r"\t-\r\x1c-\x20\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"
NOT_BLANK = rf"^[{_BLANK}]*[^{_BLANK}]"


class SuggestIn(Schema):
    text = String(required=True, validate=[Length(1, MAX_SUGGEST_CHARS), valid_unicode,
                                           Regexp(NOT_BLANK, error="must not be blank")],
                  metadata={"description": "The text to find concepts for."})
    limit = Integer(load_default=SUGGEST_LIMIT, validate=Range(1, 100),
                    metadata={"description": "Concepts at most."})
    threshold = Float(load_default=SUGGEST_THRESHOLD, validate=Range(0.0, 1.0),
                      metadata={"description": "Lowest score returned."})


class Suggestion(Schema):
    id = String(metadata={"description": "Short id for URLs, e.g. `ContactCenter`."})
    iri = String()
    label = String()
    score = Float()


class SuggestOut(Schema):
    results = List(Nested(Suggestion))


class ArticleIn(Schema):
    id = String(required=True, validate=[
        Length(1, MAX_ID_CHARS), valid_unicode,
        Regexp(ID_PATTERN, error=ID_RULES)])
    title = String(required=True, validate=[Length(0, MAX_TITLE_CHARS), valid_unicode])
    text = String(required=True, validate=[Length(1, MAX_ARTICLE_CHARS), valid_unicode,
                                           Regexp(NOT_BLANK, error="must not be blank")])
    url = String(load_default="", validate=[
        Length(0, 2000), valid_unicode,
        Regexp(r"^$|^[Hh][Tt][Tt][Pp][Ss]?://", error="must be an http:// or https:// URL")])
    source = String(load_default="api", validate=[Length(0, 300), valid_unicode])


MAX_INGEST_URLS = 100  # URLs in one POST /api/ingest
MAX_INGEST_LIMIT = 1000  # pages taken from one feed or sitemap through the API


class IngestIn(Schema):
    urls = List(String(validate=[
        Length(1, 2000), valid_unicode,
        Regexp(r"^[Hh][Tt][Tt][Pp][Ss]?://", error="must be an http:// or https:// URL")]),
        required=True, validate=Length(1, MAX_INGEST_URLS),
        metadata={"description": "Web pages, RSS/Atom feeds (every entry's page) or sitemaps "
                                 "(every page)."})
    limit = Integer(load_default=100, validate=Range(1, MAX_INGEST_LIMIT),
                    metadata={"description": "Pages taken from one feed or sitemap."})


# --- responses --------------------------------------------------------------------------
class ConceptRef(Schema):
    id = String(metadata={"description": "Short id for URLs, e.g. `ContactCenter`."})
    iri = String()
    label = String()


class Span(Schema):
    start = Integer()
    end = Integer()


class PassageOrigin(Schema):
    """Who wrote a passage: the article's author (body) or a reader (comment)."""
    section = String(metadata={"description": "`body` (the article's author's text) or "
                                              "`comment` (a reader's comment)."})
    author = String(allow_none=True, metadata={"description": "A comment's author where its "
                                                             "byline names one, else the "
                                                             "article's; null when unknown."})
    date = String(allow_none=True, metadata={"description": "A comment's date where its "
                                                           "byline gives one, else the "
                                                           "article's publication date (ISO "
                                                           "8601 date or datetime); null "
                                                           "when unknown."})


class CitedSource(PassageOrigin):
    number = Integer(metadata={"description": "The citation number (the result's rank)."})
    passage_id = String()


class Answer(Schema):
    text = String(metadata={"description": "The quoted sentences, each followed by its "
                                           "citation mark `[n]` (n: the result's rank)."})
    citations = List(Integer(), metadata={"description": "The cited results' ranks, in the "
                                                          "order first cited, each once."})
    abstained = Boolean(metadata={"description": "Nothing answers the question: text and "
                                                 "citations are empty, results are the "
                                                 "nearest passages."})
    sources = List(Nested(CitedSource), metadata={
        "description": "One per citation, in order: whose words the quote is."})
    confidence = Float(allow_none=True, metadata={
        "description": "How well the best quote matches the question (dense plus lexical "
                       "match); the answer abstains below the `abstain_below` setting. Null "
                       "when no passage was found."})


class Signals(Schema):
    dense = Float(allow_none=True, metadata={
        "description": "Cosine similarity of the passage to the question; null when the "
                       "passage was not in the dense list."})
    bm25 = Float(allow_none=True, metadata={
        "description": "BM25 score of the passage (title and text); null when it was not in "
                       "the keyword list."})
    concept = Float(allow_none=True, metadata={
        "description": "Concept signal: the passage's mentions of the concepts the question "
                       "names (narrower and related ones weighted less); null when it was "
                       "not in that list (or the question names no concept)."})
    fused = Float(metadata={"description": "The fused score the results are ranked by "
                                           "(= `score`)."})


class SearchHit(PassageOrigin):
    rank = Integer()
    score = Float()
    passage_id = String()
    article_id = String()
    title = String()
    source = String()
    start = Integer(metadata={"description": "Offset into the article's cleaned text."})
    end = Integer()
    text = String()
    highlight = Nested(Span, metadata={"description": "Offsets into the passage text."})
    page = Integer(allow_none=True, metadata={"description": "The page the passage lies on in "
                                                            "a paged source (PDF); null "
                                                            "elsewhere."})
    concepts = List(Nested(ConceptRef))
    signals = Nested(Signals, metadata={"description": "With `explain=true` only: the raw "
                                                       "score each retriever list gave "
                                                       "the passage and the fused score."})


class SearchResult(Schema):
    query = String()
    answer = Nested(Answer)
    results = List(Nested(SearchHit))


class ConceptSummary(Schema):
    id = String(metadata={"description": "Short id for URLs, e.g. `ContactCenter`."})
    iri = String()
    label = String()
    alt_labels = List(String())
    definition = String()
    broader = List(String())
    related = List(String())
    mentions = Integer()


class ConceptList(Schema):
    concepts = List(Nested(ConceptSummary))
    total = Integer(metadata={"description": "Concepts in the store."})
    limit = Integer()
    offset = Integer()


MAX_CONCEPTS_PAGE = 1000


class ConceptsQuery(Schema):
    limit = Integer(load_default=MAX_CONCEPTS_PAGE, validate=Range(1, MAX_CONCEPTS_PAGE),
                    metadata={"description": "Concepts per page (by label)."})
    offset = Integer(load_default=0, validate=Range(0, 10_000_000),
                     metadata={"description": "Concepts to skip."})


CONCEPTS_PAGE = 200  # concepts a page of the /concepts index shows unless `limit` says


class ConceptsPageQuery(ConceptsQuery):
    limit = Integer(load_default=CONCEPTS_PAGE, validate=Range(1, MAX_CONCEPTS_PAGE))


class PassageRef(PassageOrigin):
    passage_id = String()
    article_id = String()
    ordinal = Integer()
    title = String()
    text = String()


class MentionOut(Schema):
    start = Integer(allow_none=True)
    end = Integer(allow_none=True)
    surface = String()
    score = Float()
    method = String()


class ConceptPassage(PassageRef):
    start = Integer(metadata={"description": "Offset into the article's cleaned text."})
    end = Integer()
    score = Float(metadata={"description": "The strongest mention's score."})
    mentions = List(Nested(MentionOut))


class CoOccurring(ConceptRef):
    weight = Float(metadata={"description": "Shared passages (= count)."})
    count = Integer(metadata={"description": "Passages mentioning both concepts."})
    pmi = Float(metadata={"description": "Pointwise mutual information over passages, "
                                         "log(n_ab * N / (n_a * n_b))."})
    npmi = Float(metadata={"description": "Normalised PMI in [-1, 1] (1: only together, "
                                          "0: independent)."})
    passages = List(String())


class ConceptDetail(Schema):
    id = String(metadata={"description": "Short id for URLs, e.g. `ContactCenter`."})
    iri = String()
    label = String()
    alt_labels = List(String())
    definition = String()
    scheme = String()
    broader = List(Nested(ConceptRef))
    narrower = List(Nested(ConceptRef))
    related = List(Nested(ConceptRef))
    co_occurring = List(Nested(CoOccurring))
    passages = List(Nested(ConceptPassage))


class Node(Schema):
    id = String(metadata={"description": "Short id for URLs, e.g. `ContactCenter`."})
    iri = String()
    label = String()
    definition = String()
    depth = Integer()
    mentions = Integer(metadata={"description": "Passages' mentions of the concept."})


class Edge(Schema):
    source = String()
    target = String()
    type = String(metadata={"description": "broader (source is narrower), related or co-occurs"})
    weight = Float(metadata={"description": "co-occurs: shared passages (= count); else 1."})
    count = Integer(metadata={"description": "co-occurs only: passages mentioning both."})
    pmi = Float(metadata={"description": "co-occurs only: pointwise mutual information, "
                                         "log(n_ab * N / (n_a * n_b)) over passages."})
    npmi = Float(metadata={"description": "co-occurs only: normalised PMI in [-1, 1] "
                                          "(1: only together, 0: independent)."})
    passage_count = Integer()
    passages = List(Nested(PassageRef))


class Neighbourhood(Schema):
    center = String()
    depth = Integer()
    nodes = List(Nested(Node))
    edges = List(Nested(Edge))
    truncated = Boolean()


class ArticlePassage(PassageOrigin):
    passage_id = String()
    ordinal = Integer()
    start = Integer()
    end = Integer()
    page = Integer(allow_none=True, metadata={"description": "The page the passage lies on in "
                                                            "a paged source (PDF); null "
                                                            "elsewhere."})
    mentions = List(Dict())


class ArticleOut(Schema):
    id = String()
    title = String()
    source = String()
    url = String()
    author = String(allow_none=True, metadata={"description": "null when unknown."})
    date = String(allow_none=True, metadata={"description": "Publication date (ISO 8601); "
                                                           "null when unknown."})
    ingested_at = String()
    text = String()
    passages = List(Nested(ArticlePassage))


class ArticleSummary(Schema):
    id = String()
    title = String()
    source = String()
    author = String(allow_none=True, metadata={"description": "null when unknown."})
    date = String(allow_none=True, metadata={"description": "Publication date (ISO 8601); "
                                                           "null when unknown."})
    passages = Integer(metadata={"description": "Number of passages."})


class ArticleList(Schema):
    total = Integer(metadata={"description": "Articles in the collection."})
    limit = Integer()
    offset = Integer()
    sort = String()
    articles = List(Nested(ArticleSummary))


class WriteResult(Schema):
    id = String()
    status = String(metadata={"description": "new, changed, unchanged or deleted"})
    passages = Integer()


class IngestFailure(Schema):
    where = String(metadata={"description": "The URL (or feed entry) that failed."})
    reason = String()


class IngestOut(Schema):
    new = Integer()
    changed = Integer()
    unchanged = Integer()
    failed = Integer()
    passages = Integer(metadata={"description": "Passages written."})
    mentions = Integer()
    failures = List(Nested(IngestFailure))


class Health(Schema):
    status = String()
    articles = Integer()
    passages = Integer()
    concepts = Integer()
    mentions = Integer()


class Error(Schema):
    error = String()
    status = Integer()
    detail = Dict()


def stream_response(description: str, media_types: tuple[str, ...]) -> Any:
    """An OpenAPI response object of a body in any of `media_types`, without a schema."""
    return {"description": description, "content": {t: {} for t in media_types}}


def json_response(schema, description: str) -> Any:  # an OpenAPI response object
    return {"description": description, "content": {"application/json": {"schema": schema}}}
