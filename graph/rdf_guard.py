"""Checks on an RDF file's text before rdflib parses it, so that no file makes a parse
reach the network or grow without bound:

- JSON-LD: a remote `@context` (a string, or `@import`) would be fetched by rdflib; Citegraph
  works offline, so such a file is refused (put the context in the file instead).
- RDF/XML: entity declarations are expanded by the XML parser. External entities (SYSTEM,
  PUBLIC: a local file or a URL) and parameter entities are refused; an entity whose value
  refers to another entity (the "billion laughs" chain) is refused; and the references of the
  document may add at most MAX_ENTITY_EXPANSION characters in all. Plain namespace
  abbreviations (`<!ENTITY skos "http://...">`, as OWL editors write them) pass.

Every check reads the text once; none recurses on the input's nesting."""
from __future__ import annotations

import json
import re
from typing import Iterator

MAX_ENTITY_EXPANSION = 1_000_000  # characters entity references may add to an RDF/XML file


class UnsafeRdf(ValueError):
    """A file refused before parsing; the message is the reason, for one line."""


def check_before_parse(text: str, fmt: str) -> None:
    if fmt == "json-ld":
        check_json_ld(text)
    elif fmt == "xml":
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


# --- RDF/XML entities --------------------------------------------------------------------
_DOCTYPE = re.compile(r"<!DOCTYPE\b")
_ENTITY = re.compile(r"<!ENTITY\s+(%\s*)?([^\s\"'>]+)\s+"
                     r"(SYSTEM\b|PUBLIC\b|\"[^\"]*\"|'[^']*')")
_REFERENCE = re.compile(r"&([^\s&;#]+);")
_PREDEFINED = {"lt", "gt", "amp", "apos", "quot"}


def check_xml_entities(text: str) -> None:
    if not _DOCTYPE.search(text):
        return
    entities: dict[str, str] = {}
    for m in _ENTITY.finditer(text):
        parameter, name, value = m.group(1), m.group(2), m.group(3)
        if value in ("SYSTEM", "PUBLIC"):
            raise UnsafeRdf(f"external entity {name!r}: entities naming a file or URL are "
                            "not read")
        if parameter:
            raise UnsafeRdf(f"parameter entity {name!r}: not accepted")
        entities[name] = value[1:-1]
    if "<!ENTITY" in text and not entities:
        raise UnsafeRdf("an entity declaration that cannot be read")
    for name, value in entities.items():
        for ref in _REFERENCE.findall(value):
            if ref not in _PREDEFINED:
                raise UnsafeRdf(f"entity {name!r} refers to entity {ref!r}: nested entities "
                                "are not expanded (the 'billion laughs' attack)")
    added = 0
    for ref in _REFERENCE.findall(text):
        added += len(entities.get(ref, ""))
        if added > MAX_ENTITY_EXPANSION:
            raise UnsafeRdf(f"entity references would add over {MAX_ENTITY_EXPANSION:,} "
                            "characters")
