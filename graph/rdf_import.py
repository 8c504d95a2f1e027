"""Import Citegraph's own RDF export (Turtle, N-Triples or JSON-LD) into an empty store.

Passages exported with `--with-embeddings` keep their vectors; the others are embedded again
with the model. Co-occurrence is derived data: it is rebuilt from the imported mentions, not
read. The file is parsed whole with rdflib, so an import needs memory in proportion to it.
"""
from __future__ import annotations

import binascii
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Callable, Literal as Exactly, NoReturn, Optional, overload

from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import RDF, SKOS

from citegraph.errors import CitegraphError
from citegraph.graph.base import GraphStore
from citegraph.graph.models import Article, Concept, Mention, Passage, article_of
from citegraph.graph.rdf_describe import decode_sentences, decode_vector
from citegraph.graph.rdf_guard import UnsafeRdf, check_before_parse, quiet_term_warnings
from citegraph.graph.rdf_vocab import (CG, OA, SCHEMA, VocabularyError, adopt_base_iri, check_iri,
                                       minted_base, object_tag)
from citegraph.graph.models import EMBEDDING_DIM as DIM

FORMAT_BY_SUFFIX = {".ttl": "turtle", ".turtle": "turtle", ".nt": "nt", ".jsonld": "json-ld",
                    ".json": "json-ld"}
IMPORT_FORMATS = ("turtle", "nt", "json-ld")
EMBED_BATCH = 256


class RdfImportError(CitegraphError, ValueError):
    """A file that is not a Citegraph export, or a store that cannot take it; one line."""


@dataclass
class ImportReport:
    concepts: int = 0
    articles: int = 0
    passages: int = 0
    mentions: int = 0
    embedded: int = 0  # passages without a carried embedding, embedded again

    def as_dict(self) -> dict:
        return dict(self.__dict__)


def import_rdf(store: GraphStore, path: str | Path, fmt: Optional[str] = None,
               get_embedder: Optional[Callable[[], object]] = None) -> ImportReport:
    """`get_embedder` gives the Embedder, asked for only when some passage needs one."""
    path = Path(path)
    fmt = fmt or FORMAT_BY_SUFFIX.get(path.suffix.lower())
    if fmt is None and path.suffix.lower() == ".jsonl":
        raise RdfImportError(f"{path}: passages-jsonl cannot be imported (it holds no titles "
                             "nor concepts); export turtle, nt or json-ld")
    if fmt not in IMPORT_FORMATS:
        raise RdfImportError(f"{path}: cannot tell the RDF format; name it with --format "
                             f"({', '.join(IMPORT_FORMATS)})")
    counts = store.stats()
    if counts["articles"] or counts["concepts"]:
        raise RdfImportError(f"the store already holds {counts['articles']} articles and "
                             f"{counts['concepts']} concepts; import needs an empty store")
    graph = _parse(path, fmt)
    reader = _Reader(graph, str(path))
    concepts = reader.concepts()
    articles = reader.articles()
    passages = reader.passages(articles)
    mentions = reader.mentions(passages, {c.iri for c in concepts})
    if not concepts and not articles:
        raise RdfImportError(f"{path}: holds no SKOS concept and no Citegraph article "
                             f"({len(graph):,} triples); nothing to import")
    report = ImportReport(concepts=len(concepts), articles=len(articles),
                          passages=len(passages), mentions=len(mentions))
    report.embedded = _embed_missing(list(passages.values()), get_embedder, str(path))

    store.replace_concepts(concepts)
    by_article: dict[str, list] = {a.id: [[], []] for a in articles.values()}
    for p in passages.values():
        by_article[p.article_id][0].append(p)
    for m in mentions:
        by_article[article_of(m.passage_id)][1].append(m)
    for article in sorted(articles.values(), key=lambda a: a.id):
        ps, ms = by_article[article.id]
        store.upsert_article(article, sorted(ps, key=lambda p: p.ordinal), ms)
    # the store goes on minting under the file's base, so that its exports match the file
    base = next(filter(None, (minted_base(str(iri), a.id) for iri, a in articles.items())), None)
    if base:
        adopt_base_iri(store, base)
    return report


def _parse(path: Path, fmt: str) -> Graph:
    if not path.is_file():
        raise RdfImportError(f"{path}: no such file")
    graph = Graph()
    try:
        if fmt == "json-ld":  # a remote @context would be fetched: refused first
            check_before_parse(path.read_text(encoding="utf-8"), fmt)
        with quiet_term_warnings():
            graph.parse(str(path), format=fmt)
    except UnsafeRdf as exc:
        raise RdfImportError(f"{path}: {fmt} refused: {exc}") from None
    except OSError as exc:
        raise RdfImportError(f"{path}: {exc.strerror or exc}") from None
    except Exception as exc:  # rdflib's parsers raise many types for malformed input
        reason = " ".join(str(exc).split())[:200] or type(exc).__name__
        raise RdfImportError(f"{path}: not valid {fmt}: {reason}") from None
    return graph


def _embed_missing(passages: list[Passage], get_embedder, where: str) -> int:
    missing = [p for p in passages if p.embedding is None]
    if not missing:
        return 0
    if get_embedder is None:
        raise RdfImportError(f"{where}: {len(missing)} passages carry no embedding")
    embedder = get_embedder()
    for i in range(0, len(missing), EMBED_BATCH):
        batch = missing[i:i + EMBED_BATCH]
        vectors, sentences = embedder.encode_passages([p.text for p in batch])
        for p, vector, sv in zip(batch, vectors, sentences):
            p.embedding, p.sentences = vector, sv
    return len(missing)


class _Reader:
    """Reads records out of the parsed graph; every problem names the file and the field."""

    def __init__(self, graph: Graph, where: str):
        self.g = graph
        self.where = where

    def fail(self, subject, message: str) -> NoReturn:
        raise RdfImportError(f"{self.where}: <{subject}>: {message}")

    def one(self, s, p, field: str, required: bool = True):
        values = list(self.g.objects(s, p))
        if len(values) > 1:
            self.fail(s, f"{len(values)} values of {field}, expected one")
        if not values:
            if required:
                self.fail(s, f"no {field}")
            return None
        return values[0]

    def text(self, s, p, field: str, required: bool = True) -> str:
        value = self.one(s, p, field, required)
        if value is None:
            return ""
        if not isinstance(value, Literal):
            self.fail(s, f"{field} is not a literal")
        return str(value)

    @overload
    def integer(self, s, p, field: str, required: Exactly[True] = ...) -> int: ...

    @overload
    def integer(self, s, p, field: str, required: bool) -> Optional[int]: ...

    def integer(self, s, p, field: str, required: bool = True) -> Optional[int]:
        value = self.one(s, p, field, required)
        if value is None:
            return None
        try:
            return int(str(value))
        except ValueError:
            self.fail(s, f"{field} {str(value)!r} is not an integer")

    def number(self, s, p, field: str) -> float:
        value = self.one(s, p, field)
        try:
            return float(str(value))
        except ValueError:
            self.fail(s, f"{field} {str(value)!r} is not a number")

    def subjects(self, rdf_type) -> list:
        return sorted(self.g.subjects(RDF.type, rdf_type))

    # --- records ------------------------------------------------------------------------
    def concepts(self) -> list[Concept]:
        """Concepts with every triple kept: the main language's labels and definition as
        fields, the rest (other languages, notes, notations, mappings...) as `extra`, and
        each scheme's own triples on its first concept (graph/models.py)."""
        schemes = sorted(str(s) for s in self.subjects(SKOS.ConceptScheme))
        out = []
        for c in self.subjects(SKOS.Concept):
            broader = set(self.g.objects(c, SKOS.broader)) | set(self.g.subjects(SKOS.narrower, c))
            related = set(self.g.objects(c, SKOS.related)) | set(self.g.subjects(SKOS.related, c))
            in_schemes = sorted(str(s) for s in self.g.objects(c, SKOS.inScheme))
            own = [s for s in in_schemes if s in schemes] or in_schemes
            scheme = own[0] if own else ""
            prefs = [v for v in self.g.objects(c, SKOS.prefLabel) if isinstance(v, Literal)]
            if not prefs:
                self.fail(c, "no skos:prefLabel")
            languages = {v.language for v in prefs}
            lang = next((x for x in ("en", None) if x in languages), None) \
                if languages & {"en", None} else sorted(x for x in languages if x)[0]
            main = {p: sorted(str(v) for v in self.g.objects(c, p)
                              if isinstance(v, Literal) and v.language == lang)
                    for p in (SKOS.prefLabel, SKOS.altLabel, SKOS.hiddenLabel, SKOS.definition)}
            if len(main[SKOS.prefLabel]) > 1:
                self.fail(c, f"{len(main[SKOS.prefLabel])} values of skos:prefLabel in one "
                             "language, expected one")
            kept = {(p, v) for p, vs in main.items()
                    for v in (vs[:1] if p == SKOS.definition else vs)}
            extra = []
            for p, o in self.g.predicate_objects(c):
                if isinstance(o, BNode) or p in (SKOS.broader, SKOS.narrower, SKOS.related) \
                        or (p == RDF.type and o == SKOS.Concept) \
                        or (p == SKOS.inScheme and str(o) == scheme) \
                        or (isinstance(o, Literal) and o.language == lang
                            and (p, str(o)) in kept):
                    continue
                extra.append([str(p), str(o), object_tag(o)])
            try:
                check_iri(str(c), "concept")
            except VocabularyError:
                self.fail(c, "the concept IRI holds a character no IRI may hold (a space, a "
                             'control character or one of <>"{}|\\^`)')
            out.append(Concept(
                iri=str(c), label=main[SKOS.prefLabel][0],
                alt_labels=main[SKOS.altLabel], hidden_labels=main[SKOS.hiddenLabel],
                definition=main[SKOS.definition][0] if main[SKOS.definition] else "",
                scheme=scheme, broader=sorted(str(b) for b in broader),
                related=sorted(str(r) for r in related if r != c),
                language=lang or "", extra=sorted(extra)))
        for scheme in schemes:
            carrier = next((k for k in sorted(out, key=lambda k: k.iri) if k.scheme == scheme),
                           None)
            if carrier is not None:
                carrier.scheme_triples = sorted(
                    [str(p), str(o), object_tag(o)] for p, o in self.g.predicate_objects(URIRef(scheme))
                    if not isinstance(o, BNode))
        return out

    def articles(self) -> dict[URIRef, Article]:
        out = {}
        for a in self.subjects(SCHEMA.Article):
            out[a] = Article(
                id=self.text(a, SCHEMA.identifier, "schema:identifier"),
                title=self.text(a, SCHEMA.headline, "schema:headline"),
                text=self.text(a, SCHEMA.text, "schema:text"),
                source=self.text(a, CG.source, "cg:source", required=False),
                url=self.text(a, SCHEMA.url, "schema:url", required=False),
                content_hash=self.text(a, CG.contentHash, "cg:contentHash", required=False),
                # exports before cg:ingestedAt gave the ingest time as schema:dateCreated
                ingested_at=(self.text(a, CG.ingestedAt, "cg:ingestedAt", required=False)
                             or self.text(a, SCHEMA.dateCreated, "schema:dateCreated",
                                          required=False)),
                author=self.text(a, SCHEMA.author, "schema:author", required=False) or None,
                published=self.text(a, SCHEMA.datePublished, "schema:datePublished",
                                    required=False) or None)
        return out

    def passages(self, articles: dict[URIRef, Article]) -> dict[URIRef, Passage]:
        out = {}
        for p in self.subjects(CG.Passage):
            article = articles.get(self.one(p, SCHEMA.isPartOf, "schema:isPartOf"))
            if article is None:
                self.fail(p, "schema:isPartOf names no article in the file")
            ordinal = self.integer(p, SCHEMA.position, "schema:position")
            passage = Passage(
                id=self.text(p, SCHEMA.identifier, "schema:identifier"),
                article_id=article.id, ordinal=ordinal,
                text=self.text(p, SCHEMA.text, "schema:text"),
                start=self.integer(p, CG.startOffset, "cg:startOffset"),
                end=self.integer(p, CG.endOffset, "cg:endOffset"))
            if passage.id != Passage.make_id(article.id, ordinal):
                self.fail(p, f"schema:identifier {passage.id!r} is not "
                             f"{Passage.make_id(article.id, ordinal)!r}")
            if not (0 <= passage.start <= passage.end <= len(article.text)
                    and article.text[passage.start:passage.end] == passage.text):
                self.fail(p, f"cg:startOffset {passage.start} and cg:endOffset {passage.end} "
                             "do not hold the passage's schema:text in its article's text")
            self._section(p, passage, article)
            self._carried_vectors(p, passage)
            out[p] = passage
        return out

    def _section(self, subject, passage: Passage, article: Article) -> None:
        """cg:section ("body" or "comment"), schema:author and schema:datePublished (ISO
        8601) of a passage; an export made before passages had them: the body, by the
        article's author and date."""
        section = self.text(subject, CG.section, "cg:section", required=False)
        if section is None or section == "":
            passage.section, passage.author, passage.date = (
                "body", article.author, article.published)
            return
        if section not in ("body", "comment"):
            self.fail(subject, f"cg:section {section[:40]!r} is not 'body' or 'comment'")
        author = self.text(subject, SCHEMA.author, "schema:author", required=False) or None
        if author is not None and (len(author) > 300 or any(ord(c) < 32 for c in author)):
            self.fail(subject, "schema:author is not one line of at most 300 characters")
        when = self.text(subject, SCHEMA.datePublished, "schema:datePublished",
                         required=False) or None
        if when is not None and not _iso_8601(when):
            self.fail(subject, f"schema:datePublished {when[:40]!r} is not an ISO 8601 date")
        passage.section, passage.author, passage.date = section, author, when

    def _carried_vectors(self, subject, passage: Passage) -> None:
        try:
            embedding = self.text(subject, CG.embedding, "cg:embedding", required=False)
            if embedding:
                passage.embedding = decode_vector(embedding)
                if len(passage.embedding) != DIM:
                    self.fail(subject, f"cg:embedding has {len(passage.embedding)} values, "
                                       f"expected {DIM}")
            sentences = self.text(subject, CG.sentenceVectors, "cg:sentenceVectors",
                                  required=False)
            if sentences:
                passage.sentences = decode_sentences(sentences)
        except (ValueError, binascii.Error) as exc:
            self.fail(subject, f"carried vectors do not decode ({exc})")

    def mentions(self, passages: dict[URIRef, Passage], concepts: set[str]) -> list[Mention]:
        out = []
        for a in self.subjects(OA.Annotation):
            body = self.one(a, OA.hasBody, "oa:hasBody")
            if str(body) not in concepts:
                self.fail(a, f"oa:hasBody <{body}> is no concept in the file "
                             "(export with --what all)")
            target = self.one(a, OA.hasTarget, "oa:hasTarget")
            source = target if target in passages else self.one(target, OA.hasSource,
                                                                "oa:hasSource")
            if source not in passages:
                self.fail(a, f"the target's source <{source}> is no passage in the file")
            mention = Mention(passage_id=passages[source].id, iri=str(body),
                              score=self.number(a, CG.score, "cg:score"),
                              method=self.text(a, CG.method, "cg:method"))
            for selector in self.g.objects(target, OA.hasSelector):
                kinds = set(self.g.objects(selector, RDF.type))
                if OA.TextPositionSelector in kinds:
                    mention.start = self.integer(selector, OA.start, "oa:start")
                    mention.end = self.integer(selector, OA.end, "oa:end")
                if OA.TextQuoteSelector in kinds:
                    mention.surface = self.text(selector, OA.exact, "oa:exact")
            self._check_span(a, mention, passages[source].text)
            out.append(mention)
        return sorted(out, key=lambda m: (m.passage_id, m.iri, m.start or -1))

    def _check_span(self, annotation, mention: Mention, text: str) -> None:
        """A mention's span lies inside its passage and holds its surface text."""
        if mention.start is None and mention.end is None:
            return
        if mention.start is None or mention.end is None:
            self.fail(annotation, "oa:start without oa:end, or oa:end without oa:start")
        if not 0 <= mention.start < mention.end <= len(text):
            self.fail(annotation, f"oa:start {mention.start} and oa:end {mention.end} are not a "
                                  f"span of its passage ({len(text)} characters)")
        if mention.surface and text[mention.start:mention.end] != mention.surface:
            self.fail(annotation, f"oa:exact {mention.surface[:80]!r} is not the passage's text "
                                  f"at {mention.start}-{mention.end}")


def _iso_8601(value: str) -> bool:
    """An ISO 8601 date (`2011-10-24`) or datetime (`2011-10-24T07:31:00`, offset allowed)."""
    try:
        if len(value) == 10:
            date.fromisoformat(value)
        else:
            datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return False
    return True
