"""Checks on an RDF file's text before rdflib parses it, so that no file makes a parse
reach the network or grow without bound:

- JSON-LD: a remote `@context` (a string, or `@import`) would be fetched by rdflib; Citegraph
  works offline, so such a file is refused (put the context in the file instead).
- RDF/XML: a DTD can declare entities, and the XML parser expands them (the "billion laughs"
  chain, external files and URLs). Counting or following declarations was bypassed (values
  nested through `&#38;` character references, names declared twice), so a document type
  declaration is refused outright: first by a scan for `<!DOCTYPE`/`<!ENTITY` that names the
  problem in one line, then by the parser itself, which rdflib runs as defusedxml's expat
  reader with DTDs forbidden (`install_xml_parser`), whatever the encoding hides (installed by check_before_parse).
  Namespace abbreviations written as entities (`&skos;`) must be written out in full.

Every check reads the text once; none recurses on the input's nesting."""
from __future__ import annotations

import functools
import json
import logging
import re
from contextlib import contextmanager
from typing import Iterator


class UnsafeRdf(ValueError):
    """A file refused before parsing; the message is the reason, for one line."""


def check_before_parse(text: str, fmt: str) -> None:
    if fmt == "json-ld":
        check_json_ld(text)
    elif fmt == "xml":
        install_xml_parser()
        check_xml_entities(text)


# --- JSON-LD -----------------------------------------------------------------------------
def check_json_ld(text: str) -> None:
    try:
        document = json.loads(text)
    except RecursionError:
        raise UnsafeRdf("JSON nested too deeply") from None
    except ValueError:
        return  # not JSON: rdflib's parser names the syntax error
    for context in _contexts(document):
        for entry in context if isinstance(context, list) else [context]:
            if isinstance(entry, str):
                raise UnsafeRdf(f"remote @context {entry[:200]!r}: contexts are not fetched "
                                "(Citegraph works offline); put the context in the file")
            if isinstance(entry, dict) and isinstance(entry.get("@import"), str):
                raise UnsafeRdf(f"@context @import {entry['@import'][:200]!r}: contexts are "
                                "not fetched (Citegraph works offline); put it in the file")


def _contexts(document) -> Iterator:
    """Every value of an `@context` key, anywhere in the document (walked with a stack)."""
    stack = [document]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            if "@context" in node:
                yield node["@context"]
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)


# --- RDF/XML: no DTD, no entity declarations -------------------------------------------
_DECLARATION = re.compile(r"<!\s*(DOCTYPE|ENTITY)\b", re.IGNORECASE)


def check_xml_entities(text: str) -> None:
    """A document type or entity declaration refused, by a linear scan."""
    found = _DECLARATION.search(text)
    if found:
        line = text.count("\n", 0, found.start()) + 1
        raise UnsafeRdf(f"line {line}: <!{found.group(1).upper()} declarations are not read "
                        "(DTDs and entities can expand without bound); write IRIs out in "
                        "full instead of entity references")


def install_xml_parser() -> None:
    """Make rdflib read RDF/XML (`format="xml"`, and its media type) with defusedxml's expat
    reader, DTDs and entity declarations forbidden: the parse fails at a declaration
    instead of expanding it. Called before every RDF/XML parse (check_before_parse), so
    that no import of rdflib is paid until one is read."""
    from rdflib import plugin
    from rdflib.parser import Parser

    for name in ("xml", "application/rdf+xml"):
        plugin.register(name, Parser, __name__, "GuardedRDFXMLParser")


@functools.cache
def _guarded_parser_class():
    from rdflib.plugins.parsers import rdfxml

    class GuardedRDFXMLParser(rdfxml.RDFXMLParser):
        def parse(self, source, sink, **args):
            from defusedxml.expatreader import DefusedExpatParser
            from xml.sax import handler

            reader = DefusedExpatParser(forbid_dtd=True, forbid_entities=True,
                                        forbid_external=True)
            # what rdflib's create_parser does, on the guarded reader
            reader.start_namespace_decl("xml", "http://www.w3.org/XML/1998/namespace")
            reader.setFeature(handler.feature_namespaces, 1)
            content = rdfxml.RDFXMLHandler(sink)
            content.setDocumentLocator(source)
            reader.setContentHandler(content)
            reader.setErrorHandler(rdfxml.ErrorHandler())
            if args.get("preserve_bnode_ids") is not None:
                content.preserve_bnode_ids = args["preserve_bnode_ids"]
            self._parser = reader
            reader.parse(source)

    return GuardedRDFXMLParser


def __getattr__(name: str):
    # the plugin class is built on first use, so that importing this module imports no
    # parser (rdflib loads plugins by module and attribute name)
    if name == "GuardedRDFXMLParser":
        return _guarded_parser_class()
    raise AttributeError(name)



@contextmanager
def quiet_term_warnings():
    """rdflib logs a warning for every malformed IRI it makes a term of (42 lines for a file
    of 42 bad IRIs); the importer's and the scheme loader's own checks name the first as the
    one line shown."""
    term_log = logging.getLogger("rdflib.term")
    level = term_log.level
    term_log.setLevel(logging.ERROR)
    try:
        yield
    finally:
        term_log.setLevel(level)
