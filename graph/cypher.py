"""Every Cypher statement of the Neo4j backend, one small named builder each.

Statements take parameters only: user data never becomes Cypher text. The only values written
into the text are this module's own constants (index names, the vector dimension). Each
builder declares its parameters with an example value, so that the linter test can check the
statement with Neo4j's own parser (undeclared parameters are errors there) and the driver
tests can check that the store passes exactly these parameters.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from typing import Callable

from citegraph.graph.models import EMBEDDING_DIM

DIMENSIONS = EMBEDDING_DIM
VECTOR_INDEX = "passage_embedding"
FULLTEXT_INDEX = "passage_text"
FULLTEXT_ANALYZER = "english"  # lower-cases, drops English stop words, stems
TITLE_BOOST = 2.0  # weight of the article title against the passage body, as in the embedded store
# Co-occurrence counts (graph/cooccurrence.py): CO_OCCURS {count} from the smaller IRI, each
# concept's passages with a mention of it in CONCEPT_PASSAGES, and the passages with any
# mention on the one node (:CoOccurrenceTotal {key: 0}).
CONCEPT_PASSAGES = "cooccurrence_passages"


@dataclass(frozen=True)
class Statement:
    name: str
    text: str
    parameters: dict = field(hash=False, compare=False)  # name -> example value


STATEMENTS: dict[str, Callable[[], Statement]] = {}

_VECTOR = [0.0] * 4  # an example float list; real vectors have DIMENSIONS entries


def _statement(**parameters) -> Callable:
    """Register a builder of Cypher text as a named Statement with declared parameters."""
    def register(builder: Callable[[], str]) -> Callable[[], Statement]:
        @cache
        def build() -> Statement:
            return Statement(builder.__name__, " ".join(builder().split()), dict(parameters))

        build.__name__ = build.__qualname__ = builder.__name__
        build.__doc__ = builder.__doc__
        STATEMENTS[builder.__name__] = build
        return build
    return register


# --- schema (idempotent) -------------------------------------------------------------
@_statement()
def article_id_constraint():
    return "CREATE CONSTRAINT article_id IF NOT EXISTS FOR (a:Article) REQUIRE a.id IS UNIQUE"


@_statement()
def passage_id_constraint():
    return "CREATE CONSTRAINT passage_id IF NOT EXISTS FOR (p:Passage) REQUIRE p.id IS UNIQUE"


@_statement()
def concept_iri_constraint():
    return "CREATE CONSTRAINT concept_iri IF NOT EXISTS FOR (c:Concept) REQUIRE c.iri IS UNIQUE"


@_statement()
def passage_sequence_constraint():
    """The keyword-index key sequence is MERGEd by concurrent writers: one node, never two."""
    return ("CREATE CONSTRAINT passage_sequence_key IF NOT EXISTS"
            " FOR (s:PassageSequence) REQUIRE s.key IS UNIQUE")


@_statement()
def passage_seq_index():
    return "CREATE INDEX passage_seq IF NOT EXISTS FOR (p:Passage) ON (p.seq)"


@_statement()
def cooccurrence_total_constraint():
    """The co-occurrence total node is MERGEd by concurrent writers: one node, never two."""
    return ("CREATE CONSTRAINT cooccurrence_total_key IF NOT EXISTS"
            " FOR (t:CoOccurrenceTotal) REQUIRE t.key IS UNIQUE")


@_statement()
def store_meta_constraint():
    """A store setting (the default base IRI) is MERGEd once per key."""
    return ("CREATE CONSTRAINT store_meta_key IF NOT EXISTS"
            " FOR (m:StoreMeta) REQUIRE m.key IS UNIQUE")


@_statement()
def passage_removal_index():
    """The removal log is read from a position on (passage_removals) and pruned below one."""
    return "CREATE INDEX passage_removal_at IF NOT EXISTS FOR (r:PassageRemoval) ON (r.at)"


@_statement()
def passage_article_index():
    """Passages are looked up by article when an article is replaced or deleted."""
    return ("CREATE INDEX passage_article IF NOT EXISTS FOR (p:Passage) ON (p.article_id)")


@_statement()
def passage_vector_index():
    return (f"CREATE VECTOR INDEX {VECTOR_INDEX} IF NOT EXISTS FOR (p:Passage) ON (p.embedding)"
            f" OPTIONS {{indexConfig: {{`vector.dimensions`: {int(DIMENSIONS)},"
            " `vector.similarity_function`: 'cosine',"
            # 5.26 quantises stored vectors by default: cosine scores came back up to 0.014
            # off; unquantised, the scores are the cosines the embedded store gives
            " `vector.quantization.enabled`: false}}")


@_statement()
def passage_fulltext_index():
    return (f"CREATE FULLTEXT INDEX {FULLTEXT_INDEX} IF NOT EXISTS FOR (p:Passage)"
            " ON EACH [p.text, p.title]"
            f" OPTIONS {{indexConfig: {{`fulltext.analyzer`: '{FULLTEXT_ANALYZER}'}}}}")


@_statement(seconds=300)
def await_indexes():
    return "CALL db.awaitIndexes($seconds)"


# --- articles and passages -------------------------------------------------------------
@_statement(id="doc-1")
def article_hash():
    return "MATCH (a:Article {id: $id}) RETURN a.content_hash AS content_hash"


@_statement(article_ids=["doc-1"])
def delete_articles_passages():
    """Passages go with their relationships (HAS_PASSAGE, NEXT, MENTIONS); returns their
    keyword-index keys, for the removal log (log_passage_removal)."""
    return """
        UNWIND $article_ids AS article_id
        MATCH (p:Passage {article_id: article_id})
        WITH p, p.seq AS seq
        DETACH DELETE p
        RETURN collect(seq) AS seqs
    """


@_statement(id="doc-1")
def delete_article():
    return ("MATCH (a:Article {id: $id}) WITH a, a.id AS id DETACH DELETE a"
            " RETURN count(id) AS deleted")


@_statement(articles=[{"id": "doc-1", "title": "Title", "text": "Text", "source": "doc.txt",
                       "url": "", "content_hash": "abc", "ingested_at": "2024-01-01T00:00:00",
                       "author": "A. Writer", "published": "2023-12-31"}])
def merge_articles():
    return "UNWIND $articles AS article MERGE (a:Article {id: article.id}) SET a = article"


@_statement(rows=[{"id": "doc-1#0", "article_id": "doc-1", "ordinal": 0, "title": "Title",
                   "text": "Text", "start": 0, "end": 4, "embedding": _VECTOR,
                   "sentence_spans": "[[0, 4]]", "seq": 1, "sentence_vectors": b"\x00\x00",
                   "section": "comment", "author": "A. Reader", "date": "2024-01-02T10:00:00",
                   "page": 4}])
def create_passages():
    """The embedding is stored through the vector procedure, as a float32 array that the
    vector index accepts."""
    return """
        UNWIND $rows AS row
        MATCH (a:Article {id: row.article_id})
        CREATE (a)-[:HAS_PASSAGE]->(p:Passage {id: row.id, article_id: row.article_id,
            seq: row.seq, ordinal: row.ordinal, title: row.title, text: row.text,
            start: row.start,
            end: row.end, sentence_spans: row.sentence_spans,
            sentence_vectors: row.sentence_vectors, section: row.section,
            author: row.author, date: row.date, page: row.page})
        WITH p, row
        CALL db.create.setNodeVectorProperty(p, 'embedding', row.embedding)
    """


@_statement(article_ids=["doc-1"])
def link_passages():
    """Chain each article's passages in order with NEXT."""
    return """
        UNWIND $article_ids AS article_id
        MATCH (p:Passage {article_id: article_id})
        WITH article_id, p ORDER BY p.ordinal
        WITH article_id, collect(p) AS passages
        UNWIND range(0, size(passages) - 2) AS i
        WITH passages[i] AS a, passages[i + 1] AS b
        CREATE (a)-[:NEXT]->(b)
    """


_ARTICLE = "{.id, .title, .text, .source, .url, .content_hash, .ingested_at, .author, .published}"
_ARTICLE_HEAD = "{.id, .title, .source, .url, .content_hash, .ingested_at, .author, .published}"
_PASSAGE = ("{.id, .article_id, .ordinal, .text, .start, .end, .section, .author, .date,"
            " .page}")
_MENTION_MAP = "m {passage_id: p.id, iri: c.iri, .score, .method, .start, .end, .surface}"
_MENTION = f"{_MENTION_MAP} AS mention"


@_statement()
def passages_without_section():
    """Whether passages written before passages had a section (body or comment) remain."""
    return ("RETURN EXISTS { MATCH (p:Passage) WHERE p.section IS NULL } AS found")


@_statement(section="body")
def mark_body_passages():
    """Passages written before comments were told apart: the body, by the article's author
    and date (as the embedded store's schema-5 migration)."""
    return """
        MATCH (a:Article)-[:HAS_PASSAGE]->(p:Passage) WHERE p.section IS NULL
        SET p.section = $section, p.author = a.author, p.date = a.published
    """


@_statement(id="doc-1")
def get_article():
    return f"MATCH (a:Article {{id: $id}}) RETURN a {_ARTICLE} AS article"


@_statement(ids=["doc-1"])
def article_titles():
    return f"MATCH (a:Article) WHERE a.id IN $ids RETURN a {_ARTICLE_HEAD} AS article"


@_statement(by_title=False, offset=0, limit=20)
def article_listing():
    """The number of articles and one page of them with their passage counts: newest
    published first (articles without a date last, newest ingested first among them), or
    by title ignoring case ($by_title); ties by id. One row always."""
    return f"""
        RETURN COUNT {{ (:Article) }} AS total, COLLECT {{
            MATCH (a:Article)
            WITH a ORDER BY CASE WHEN $by_title THEN toLower(a.title) END,
                CASE WHEN $by_title THEN null ELSE a.published IS NULL END,
                CASE WHEN $by_title THEN null ELSE a.published END DESC,
                CASE WHEN $by_title THEN null ELSE a.ingested_at END DESC, a.id
            SKIP $offset LIMIT $limit
            RETURN a {{.id, .title, .source, .url, .content_hash, .ingested_at, .author,
                .published, passages: COUNT {{ (a)-[:HAS_PASSAGE]->(:Passage) }}}}
        }} AS articles
    """


@_statement(article_id="doc-1")
def article_passages():
    return (f"MATCH (p:Passage {{article_id: $article_id}}) RETURN p {_PASSAGE} AS passage"
            " ORDER BY p.ordinal")


@_statement(ids=["doc-1#0"])
def get_passages():
    return f"MATCH (p:Passage) WHERE p.id IN $ids RETURN p {_PASSAGE} AS passage"


@_statement(ids=["doc-1#0"])
def sentence_vectors():
    return ("MATCH (p:Passage) WHERE p.id IN $ids AND p.sentence_vectors IS NOT NULL"
            " RETURN p.id AS id, p.sentence_spans AS spans, p.sentence_vectors AS vectors")


@_statement(ids=["doc-1#0"])
def passage_details():
    """What a search result shows of its passages (graph/passage_details.py), in one read:
    each passage with its article's head, its mentions strongest first with the concepts'
    labels, and its sentence vectors."""
    return f"""
        MATCH (p:Passage) WHERE p.id IN $ids
        OPTIONAL MATCH (a:Article {{id: p.article_id}})
        RETURN p {_PASSAGE} AS passage, a {_ARTICLE_HEAD} AS article,
            p.sentence_spans AS spans, p.sentence_vectors AS vectors,
            COLLECT {{ MATCH (p)-[m:MENTIONS]->(c:Concept)
                       WITH m, c ORDER BY m.score DESC
                       RETURN {{mention: {_MENTION_MAP}, label: c.label}} }} AS mentions
    """


# --- concepts and mentions ---------------------------------------------------------------
@_statement(iris=["http://example.org/c1"])
def delete_concepts_except():
    """Concepts that leave the scheme go with their mentions and co-occurrences."""
    return "MATCH (c:Concept) WHERE NOT c.iri IN $iris DETACH DELETE c"


@_statement()
def delete_concept_links():
    return "MATCH (:Concept)-[r:BROADER|RELATED]->(:Concept) DELETE r"


@_statement(rows=[{"iri": "http://example.org/c1", "label": "Label", "alt_labels": ["alt"],
                   "hidden_labels": [], "definition": "", "scheme": "", "language": "en",
                   "extra": "[]", "scheme_triples": "[]"}])
def merge_concepts():
    """`extra` and `scheme_triples` are JSON lists of [predicate, value, tag] (graph/models.py)."""
    return """
        UNWIND $rows AS row
        MERGE (c:Concept {iri: row.iri})
        SET c.label = row.label, c.alt_labels = row.alt_labels,
            c.hidden_labels = row.hidden_labels, c.definition = row.definition,
            c.scheme = row.scheme, c.language = row.language, c.extra = row.extra,
            c.scheme_triples = row.scheme_triples
    """


@_statement(rows=[{"narrower": "http://example.org/c1", "broader": "http://example.org/c2"}])
def create_broader():
    return """
        UNWIND $rows AS row
        MATCH (n:Concept {iri: row.narrower})
        MATCH (b:Concept {iri: row.broader})
        MERGE (n)-[:BROADER]->(b)
    """


@_statement(rows=[{"a": "http://example.org/c1", "b": "http://example.org/c2"}])
def create_related():
    """RELATED is symmetric: stored once, from the smaller IRI, read in both directions."""
    return """
        UNWIND $rows AS row
        MATCH (a:Concept {iri: row.a})
        MATCH (b:Concept {iri: row.b})
        MERGE (a)-[:RELATED]->(b)
    """


_CONCEPT_RETURN = """
    RETURN c {.iri, .label, .alt_labels, .hidden_labels, .definition, .scheme, .language,
              .extra, .scheme_triples} AS concept,
        [(c)-[:BROADER]->(b:Concept) | b.iri] AS broader,
        [(c)-[:RELATED]-(r:Concept) | r.iri] AS related,
        COUNT { (c)<-[:MENTIONS]-(:Passage) } AS mentions
"""


@_statement()
def list_concepts():
    return f"MATCH (c:Concept) {_CONCEPT_RETURN} ORDER BY c.label, c.iri"


@_statement()
def concept_names():
    return "MATCH (c:Concept) RETURN c.iri AS iri, c.label AS label"


@_statement(iris=["http://example.org/c1"])
def mention_counts():
    return """
        UNWIND $iris AS iri
        MATCH (c:Concept {iri: iri})
        RETURN iri, COUNT { (c)<-[:MENTIONS]-(:Passage) } AS mentions
    """


@_statement(limit=10)
def most_mentioned():
    return """
        MATCH (c:Concept)
        WITH c.iri AS iri, COUNT { (c)<-[:MENTIONS]-(:Passage) } AS mentions
        WHERE mentions > 0
        RETURN iri, mentions ORDER BY mentions DESC, iri LIMIT $limit
    """


@_statement(iri="http://example.org/c1")
def get_concept():
    return f"MATCH (c:Concept {{iri: $iri}}) {_CONCEPT_RETURN}"


@_statement(iris=["http://example.org/c1"])
def concept_labels():
    return "MATCH (c:Concept) WHERE c.iri IN $iris RETURN c.iri AS iri, c.label AS label"


@_statement(iri="http://example.org/c1")
def narrower():
    return ("MATCH (n:Concept)-[:BROADER]->(:Concept {iri: $iri})"
            " RETURN n.iri AS iri ORDER BY iri")


@_statement(ids=["doc-1#0"])
def delete_passage_mentions():
    return "MATCH (p:Passage)-[m:MENTIONS]->(:Concept) WHERE p.id IN $ids DELETE m"


@_statement(rows=[{"passage_id": "doc-1#0", "iri": "http://example.org/c1", "score": 1.0,
                   "method": "label", "start": 0, "end": 4, "surface": "Text"}])
def create_mentions():
    return """
        UNWIND $rows AS row
        MATCH (p:Passage {id: row.passage_id})
        MATCH (c:Concept {iri: row.iri})
        CREATE (p)-[:MENTIONS {score: row.score, method: row.method, start: row.start,
            end: row.end, surface: row.surface}]->(c)
    """




@_statement(ids=["doc-1#0"])
def passage_mentions():
    return (f"MATCH (p:Passage)-[m:MENTIONS]->(c:Concept) WHERE p.id IN $ids RETURN {_MENTION}"
            " ORDER BY m.score DESC")


@_statement(iri="http://example.org/c1", limit=50)
def concept_mentions():
    return (f"MATCH (p:Passage)-[m:MENTIONS]->(c:Concept {{iri: $iri}}) RETURN {_MENTION}"
            " ORDER BY m.score DESC, p.id LIMIT $limit")


# --- co-occurrence counts ----------------------------------------------------------------------
@_statement(article_ids=["doc-1"], ids=["doc-1#0"])
def passage_concepts():
    """The concepts mentioned by each passage of the listed articles and by the listed
    passages, read before and after a write to count its difference."""
    return """
        MATCH (p:Passage) WHERE p.article_id IN $article_ids OR p.id IN $ids
        MATCH (p)-[:MENTIONS]->(c:Concept)
        RETURN p.id AS id, collect(DISTINCT c.iri) AS iris
    """


@_statement(iris=["http://example.org/c1"])
def passages_mentioning_concepts_except():
    return """
        MATCH (p:Passage)-[:MENTIONS]->(c:Concept) WHERE NOT c.iri IN $iris
        RETURN DISTINCT p.id AS id
    """


@_statement(rows=[{"a": "http://example.org/c1", "b": "http://example.org/c2", "n": 1}])
def add_cooccurrence_pairs():
    """Add to the pair counts (a < b); an edge whose count reaches zero goes. The count is
    read and written by one SET, under the edge's write lock, so no update is lost."""
    return """
        UNWIND $rows AS row
        MATCH (a:Concept {iri: row.a})
        MATCH (b:Concept {iri: row.b})
        MERGE (a)-[r:CO_OCCURS]->(b)
        SET r.count = coalesce(r.count, 0) + row.n
        WITH r WHERE r.count <= 0
        DELETE r
    """


@_statement(rows=[{"iri": "http://example.org/c1", "n": 1}])
def add_concept_passages():
    return f"""
        UNWIND $rows AS row
        MATCH (c:Concept {{iri: row.iri}})
        SET c.{CONCEPT_PASSAGES} = coalesce(c.{CONCEPT_PASSAGES}, 0) + row.n
    """


@_statement(n=1)
def add_mentioned_passages():
    return f"""
        MERGE (t:CoOccurrenceTotal {{key: 0}})
        SET t.passages = coalesce(t.passages, 0) + $n
    """


@_statement()
def delete_cooccurrence():
    return "MATCH (:Concept)-[r:CO_OCCURS]->(:Concept) DELETE r"


@_statement()
def build_cooccurrence():
    """Recount (repair): one CO_OCCURS edge per concept pair, from the smaller IRI."""
    return """
        MATCH (a:Concept)<-[:MENTIONS]-(p:Passage)-[:MENTIONS]->(b:Concept)
        WHERE a.iri < b.iri
        WITH a, b, count(DISTINCT p) AS n
        CREATE (a)-[:CO_OCCURS {count: n}]->(b)
    """


@_statement()
def build_concept_passages():
    return f"""
        MATCH (c:Concept)
        OPTIONAL MATCH (c)<-[:MENTIONS]-(p:Passage)
        WITH c, count(DISTINCT p) AS n
        SET c.{CONCEPT_PASSAGES} = n
    """


@_statement()
def build_mentioned_passages():
    return f"""
        OPTIONAL MATCH (p:Passage) WHERE EXISTS {{ (p)-[:MENTIONS]->(:Concept) }}
        WITH count(p) AS n
        MERGE (t:CoOccurrenceTotal {{key: 0}})
        SET t.passages = n
    """


@_statement()
def cooccurrence_stale():
    """True when the graph was written by an earlier version (edges without counts, or
    mentions without the total node): it is recounted once on connect."""
    return """
        RETURN EXISTS { MATCH (:Concept)-[r:CO_OCCURS]->(:Concept) WHERE r.count IS NULL }
            OR (EXISTS { MATCH (:Passage)-[:MENTIONS]->(:Concept) }
                AND NOT EXISTS { MATCH (t:CoOccurrenceTotal) }) AS stale
    """


@_statement()
def cooccurrence_counts():
    return f"""
        OPTIONAL MATCH (t:CoOccurrenceTotal {{key: 0}})
        RETURN coalesce(t.passages, 0) AS passages,
            COLLECT {{ MATCH (a:Concept)-[r:CO_OCCURS]->(b:Concept)
                       RETURN [a.iri, b.iri, r.count] }} AS pairs,
            COLLECT {{ MATCH (c:Concept) WHERE c.{CONCEPT_PASSAGES} > 0
                       RETURN [c.iri, c.{CONCEPT_PASSAGES}] }} AS concepts
    """


@_statement(iri="http://example.org/c1", limit=20)
def co_occurring():
    """The heaviest co-occurrences of a concept with the counts their weights come from and
    the passages behind them."""
    return f"""
        MATCH (c:Concept {{iri: $iri}})-[r:CO_OCCURS]-(o:Concept)
        WITH c, o, r.count AS count ORDER BY count DESC, o.iri LIMIT $limit
        OPTIONAL MATCH (t:CoOccurrenceTotal {{key: 0}})
        RETURN o.iri AS iri, count, c.{CONCEPT_PASSAGES} AS concept_passages,
            o.{CONCEPT_PASSAGES} AS other_passages, t.passages AS passages_total,
            [(c)<-[:MENTIONS]-(p:Passage)-[:MENTIONS]->(o) | p.id] AS passages
        ORDER BY count DESC, iri
    """


# --- retrieval -----------------------------------------------------------------------------
@_statement(k=10, vector=_VECTOR, revision_key="scheme_revision")
def vector_search():
    """The nearest passages as one row of lists, with the keyword index's sync state
    (keyword_sync_state) and the scheme revision (meta_value of $revision_key) read in the
    same round trip: the rest of a search needs both."""
    return f"""
        CALL db.index.vector.queryNodes('{VECTOR_INDEX}', $k, $vector) YIELD node, score
        WITH collect([node.id, score]) AS hits
        OPTIONAL MATCH (s:PassageSequence {{key: 0}})
        OPTIONAL MATCH (m:StoreMeta {{key: $revision_key}})
        RETURN hits, coalesce(s.next, 0) AS next, coalesce(s.removals, 0) AS removals,
            COUNT {{ (:Passage) }} AS passages, m.value AS revision
    """


@_statement(query="text:(customer) OR title:(customer)^2", k=10)
def keyword_search():
    return (f"CALL db.index.fulltext.queryNodes('{FULLTEXT_INDEX}', $query)"
            " YIELD node, score RETURN node.id AS id, score ORDER BY score DESC LIMIT $k")


# --- the in-memory keyword index (graph/keyword), as the embedded store keeps it ----------------
@_statement(count=2)
def reserve_passage_seqs():
    """`count` new keys for the keyword index: increasing, never reused (a running process's
    index needs increasing keys). The sequence node's write lock, held to commit, makes
    writers commit their keys in order, so a reader never skips one. `clear` keeps it."""
    return """
        MERGE (s:PassageSequence {key: 0})
        SET s.next = coalesce(s.next, 0) + $count
        RETURN s.next - $count AS first
    """


@_statement()
def keyword_sync_state():
    """Where the graph's passages stand: the next key, the removal log's last position and
    the number of passages; a process whose keyword index has seen the same has nothing to
    do."""
    return """
        OPTIONAL MATCH (s:PassageSequence {key: 0})
        RETURN coalesce(s.next, 0) AS next, coalesce(s.removals, 0) AS removals,
            COUNT { (:Passage) } AS passages
    """


@_statement(seqs=[1, 2], clear=False, keep=10000)
def log_passage_removal():
    """Log the keys of passages a write removes (or, `clear`, every key up to the last one)
    at the next position of the removal log, which the keyword indexes of every process read
    from their last position on (passage_removals) instead of reading every key. The
    sequence node's write lock, held to commit, makes writers commit positions in order, so
    a reader never skips one. Entries `keep` positions old are pruned: a reader that far
    behind reads every key once (passage_seqs)."""
    return """
        MERGE (s:PassageSequence {key: 0})
        SET s.removals = coalesce(s.removals, 0) + 1
        CREATE (:PassageRemoval {at: s.removals, seqs: $seqs,
            upto: CASE WHEN $clear THEN coalesce(s.next, 0) END})
        WITH s
        MATCH (old:PassageRemoval) WHERE old.at <= s.removals - $keep
        DELETE old
    """


@_statement(after=0, limit=1000)
def passage_removals():
    """The removal log after a position, oldest first."""
    return """
        MATCH (r:PassageRemoval) WHERE r.at > $after
        WITH r ORDER BY r.at LIMIT $limit
        RETURN r.at AS at, r.seqs AS seqs, r.upto AS upto
    """


@_statement()
def passage_seqs():
    """Every passage's key, with the removal log position read before them."""
    return """
        OPTIONAL MATCH (s:PassageSequence {key: 0})
        WITH coalesce(s.removals, 0) AS removals
        RETURN removals,
            COLLECT { MATCH (p:Passage) WHERE p.seq IS NOT NULL RETURN p.seq } AS seqs
    """


@_statement(after=0, limit=500)
def keyword_rows():
    return """
        MATCH (p:Passage) WHERE p.seq > $after
        WITH p ORDER BY p.seq LIMIT $limit
        RETURN p.seq AS seq, p.id AS id, p.title AS title, p.text AS text
    """


@_statement(limit=500)
def passages_without_seq():
    """Passages written by a version without keyword keys, a page at a time."""
    return ("MATCH (p:Passage) WHERE p.seq IS NULL"
            " RETURN p.id AS id ORDER BY p.article_id, p.ordinal LIMIT $limit")


@_statement(rows=[{"id": "doc-1#0", "seq": 1}])
def set_passage_seqs():
    return "UNWIND $rows AS row MATCH (p:Passage {id: row.id}) SET p.seq = row.seq"


# --- whole-store views ---------------------------------------------------------------------
@_statement()
def stats():
    return """
        RETURN COUNT { (:Article) } AS articles, COUNT { (:Passage) } AS passages,
            COUNT { (:Concept) } AS concepts,
            COUNT { (:Passage)-[:MENTIONS]->(:Concept) } AS mentions
    """


@_statement(key="base_iri")
def meta_value():
    return "MATCH (m:StoreMeta {key: $key}) RETURN m.value AS value"


@_statement(key="scheme_revision")
def new_scheme_revision():
    """A fresh scheme revision token (graph/scheme_cache.py): random, not a counter, so that
    a cleared graph that starts counting again can never meet a revision cached before."""
    return "MERGE (m:StoreMeta {key: $key}) SET m.value = randomUUID()"


@_statement(key="base_iri", value="https://citegraph.invalid/x/", replace=False)
def put_meta_value():
    """Set a store setting; unless `replace`, a value already there stays. Returns the
    value kept."""
    return """
        MERGE (m:StoreMeta {key: $key})
        ON CREATE SET m.value = $value
        WITH m
        SET m.value = CASE WHEN $replace THEN $value ELSE m.value END
        RETURN m.value AS value
    """


@_statement(after="", limit=500)
def articles_page():
    return (f"MATCH (a:Article) WHERE a.id > $after RETURN a {_ARTICLE} AS article"
            " ORDER BY a.id LIMIT $limit")


@_statement(after_article="", after_ordinal=-1, with_embeddings=True, limit=500)
def passages_page():
    """Keyset pages in (article, ordinal) order, so that a long copy never skips or repeats."""
    return f"""
        MATCH (p:Passage)
        WHERE p.article_id > $after_article
            OR (p.article_id = $after_article AND p.ordinal > $after_ordinal)
        WITH p ORDER BY p.article_id, p.ordinal LIMIT $limit
        RETURN p {_PASSAGE} AS passage,
            CASE WHEN $with_embeddings THEN p.embedding END AS embedding
    """


@_statement(after="", limit=500)
def mentions_page():
    """Mentions of the next page of passages; every passage yields one row (null mention
    when it has none), so that the caller can move past it."""
    return """
        MATCH (p:Passage) WHERE p.id > $after
        WITH p ORDER BY p.id LIMIT $limit
        OPTIONAL MATCH (p)-[m:MENTIONS]->(c:Concept)
        RETURN p.id AS passage_id, c.iri AS iri, m.score AS score, m.method AS method,
            m.start AS start, m.end AS end, m.surface AS surface
        ORDER BY passage_id, iri, start
    """


@_statement()
def clear_graph():
    """Remove every Citegraph node (tests and an explicit `clear`), leaving the schema."""
    return ("MATCH (n) WHERE n:Article OR n:Passage OR n:Concept OR n:CoOccurrenceTotal"
            " OR n:StoreMeta DETACH DELETE n")


def all_statements() -> list[Statement]:
    return [build() for build in STATEMENTS.values()]
