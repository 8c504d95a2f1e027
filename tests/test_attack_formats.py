"""Lose nothing, the formats' side: concept IRIs no IRI may hold, JSON-LD with a remote
@context, entity attacks in RDF/XML, imports with wrong offsets, line breaks inside
passages-jsonl and file names holding line breaks. Through the real `citegraph` command
(CliRunner, in process), the real server and real files."""
from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from test_attack import cli, stored, write  # noqa: F401  (the fixture and helpers)
from test_attack_store import small_store  # noqa: F401  (a module-scoped real store)

SKOS_TURTLE = """@prefix skos: <http://www.w3.org/2004/02/skos/core#> .
<http://ex.org/s> a skos:ConceptScheme .
<http://ex.org/good> a skos:Concept ; skos:prefLabel "customer officer"@en ;
    skos:inScheme <http://ex.org/s> .
<{iri}> a skos:Concept ; skos:prefLabel "customer journey"@en ;
    skos:inScheme <http://ex.org/s> .
"""
BAD_IRI_CHARS = ['"', " ", "<", ">", "{", "}", "|", "\\", "^", "`"]


# --- concept IRIs holding characters no IRI may hold ------------------------------------
@pytest.mark.parametrize("char", BAD_IRI_CHARS)
def test_scheme_with_a_bad_concept_iri_is_refused_naming_concept_and_rule(cli, small_store,
                                                                          tmp_path, char):
    import shutil

    iri = "http://ex.org/a" + f"\\u{ord(char):04X}" + "b"  # Turtle's escape of the char
    scheme = write(tmp_path / "bad.ttl", SKOS_TURTLE.format(iri=iri))
    shutil.copytree(small_store / "store", tmp_path / "store")
    result = cli("relink", "--ontology", scheme, "--store", tmp_path / "store")
    assert result.exit_code == 2 and len(result.lines) == 1, result.stderr
    assert f"concept {'http://ex.org/a' + char + 'b'!r}" in result.lines[0]
    assert "iri-syntax" in result.lines[0] and f"U+{ord(char):04X}" in result.lines[0]
    assert not result.stderr.replace(result.lines[0], "").strip()  # nothing else printed
    check = cli("scheme", "check", scheme)
    assert check.exit_code == 1 and "iri-syntax" in check.stderr


def test_rdf_xml_scheme_with_a_quote_in_an_iri_is_refused(cli, tmp_path):
    scheme = write(tmp_path / "bad.rdf", """<?xml version="1.0"?>
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"
         xmlns:skos="http://www.w3.org/2004/02/skos/core#">
  <skos:Concept rdf:about="http://ex.org/a&quot;b">
    <skos:prefLabel>customer journey</skos:prefLabel></skos:Concept>
</rdf:RDF>
""")
    result = cli("relink", "--ontology", scheme, "--store", tmp_path / "store")
    assert result.exit_code == 2 and len(result.lines) == 1
    assert "concept 'http://ex.org/a\"b'" in result.lines[0] and "iri-syntax" in result.lines[0]


def test_store_already_holding_a_bad_iri_refuses_export_before_the_first_byte(
        cli, small_store, tmp_path, embedder):
    """A store filled before schemes were checked: `export` says so in one line and leaves
    no file (was: an empty file); the API answers 400 (was: 200 and a truncated body)."""
    import shutil

    from citegraph.graph.models import Concept
    from citegraph.graph.sqlite_store import SQLiteStore
    from citegraph.webapp.server import BackgroundServer
    from citegraph.runtime import Runtime
    from citegraph.settings import Settings
    from citegraph.webapp import create_app
    from webapp_support import http

    shutil.copytree(small_store / "store", tmp_path / "store")
    with SQLiteStore(tmp_path / "store") as s:
        s.replace_concepts([Concept('http://ex.org/a"b', "customer journey")])
    out = tmp_path / "out.ttl"
    for fmt in ("turtle", "nt", "json-ld"):
        result = cli("export", "--store", tmp_path / "store", "--format", fmt, "-o", out)
        assert result.exit_code == 2 and len(result.lines) == 1, result.stderr
        assert 'http://ex.org/a"b' in result.lines[0] and not out.exists()
    # the cli fixture gives every Runtime the session's model
    app = create_app(runtime=Runtime(Settings(store=str(tmp_path / "store"))))
    with BackgroundServer(app) as server:
        for fmt in ("turtle", "nt", "json-ld"):
            reply = http(server.url, "GET", f"/api/export?format={fmt}")
            assert reply.status == 400 and 'http://ex.org/a"b' in reply.json()["error"]
        assert http(server.url, "GET", "/api/export?format=passages-jsonl").status == 200


# --- JSON-LD with a remote @context; entity attacks in RDF/XML ---------------------------
@pytest.fixture
def listener():
    """A local TCP port that counts the connections made to it: a fetch of a remote
    context would land here (and hang: nothing is ever answered)."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(16)
    server.settimeout(0.2)
    accepted, stop = [], threading.Event()

    def accept():
        while not stop.is_set():
            try:
                accepted.append(server.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.getsockname()[1]}/context.jsonld", accepted
    stop.set()
    thread.join()
    for conn in accepted:
        conn.close()
    server.close()


def run_bounded(*args, timeout=300):
    """`citegraph ARGS` in a child process with at most 8 GB of address space and a time
    guard: an unbounded parse fails the test instead of taking the machine."""
    import resource

    def limit():
        resource.setrlimit(resource.RLIMIT_AS, (8 << 30, 8 << 30))

    done = subprocess.run([sys.executable, "-m", "citegraph", *map(str, args)],
                          capture_output=True, text=True, timeout=timeout, preexec_fn=limit)
    lines = [ln for ln in done.stderr.splitlines() if ln.startswith("citegraph: ")]
    assert "Traceback" not in done.stderr, done.stderr
    return done, lines


def remote_context_documents(url: str) -> dict[str, dict]:
    node = {"@id": "http://ex.org/a", "@type": "skos:Concept", "skos:prefLabel": "journey"}
    return {
        "string": {"@context": url, **node},
        "list": {"@context": [{"skos": "http://www.w3.org/2004/02/skos/core#"}, url], **node},
        "import": {"@context": {"@import": url, "skos": "http://www.w3.org/2004/02/skos/core#"},
                   **node},
        "nested": {"@context": {"skos": "http://www.w3.org/2004/02/skos/core#"},
                   "@graph": [{"@context": url, **node}]},
    }


@pytest.mark.parametrize("shape", ["string", "list", "import", "nested"])
def test_remote_json_ld_context_is_refused_without_touching_the_network(
        cli, tmp_path, listener, shape):
    url, accepted = listener
    document = remote_context_documents(url)[shape]
    scheme = write(tmp_path / "scheme.jsonld", json.dumps(document))
    done, lines = run_bounded("scheme", "check", scheme, timeout=120)
    assert done.returncode == 1 and "@context" in done.stderr and url in done.stderr
    result = cli("relink", "--ontology", scheme, "--store", tmp_path / "store")
    assert result.exit_code == 2 and len(result.lines) == 1
    assert "contexts are not fetched" in result.lines[0]
    imported = cli("import", scheme, "--store", tmp_path / "imported")
    assert imported.exit_code == 2 and len(imported.lines) == 1
    assert "contexts are not fetched" in imported.lines[0]
    assert not accepted, "a remote context was fetched"


def laughs(levels: int = 10, fan: int = 10) -> str:
    entities = ['<!ENTITY lol0 "lol">'] + [
        f'<!ENTITY lol{i} "' + f"&lol{i - 1};" * fan + '">' for i in range(1, levels)]
    return ('<?xml version="1.0"?>\n<!DOCTYPE rdf:RDF [\n' + "\n".join(entities) + "\n]>\n"
            '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"'
            ' xmlns:skos="http://www.w3.org/2004/02/skos/core#">\n'
            f'<skos:Concept rdf:about="http://ex.org/a"><skos:prefLabel>&lol{levels - 1};'
            "</skos:prefLabel></skos:Concept>\n</rdf:RDF>\n")


def quadratic_blowup() -> str:
    return ('<?xml version="1.0"?>\n<!DOCTYPE rdf:RDF [<!ENTITY big "' + "x" * 50_000
            + '">]>\n<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"'
            ' xmlns:skos="http://www.w3.org/2004/02/skos/core#">\n<skos:Concept '
            'rdf:about="http://ex.org/a"><skos:prefLabel>' + "&big;" * 40_000
            + "</skos:prefLabel></skos:Concept>\n</rdf:RDF>\n")


def external_entity() -> str:
    return ('<?xml version="1.0"?>\n<!DOCTYPE rdf:RDF [<!ENTITY secret SYSTEM '
            '"file:///etc/passwd">]>\n<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/'
            '22-rdf-syntax-ns#" xmlns:skos="http://www.w3.org/2004/02/skos/core#">\n'
            '<skos:Concept rdf:about="http://ex.org/a"><skos:prefLabel>&secret;'
            "</skos:prefLabel></skos:Concept>\n</rdf:RDF>\n")


def character_reference_laughs(levels: int = 12, fan: int = 10) -> str:
    """The chain hidden from a scan of entity values: `&#38;` is `&` once declared."""
    entities = ['<!ENTITY e0 "lol">'] + [
        f'<!ENTITY e{i} "' + f"&#38;e{i - 1};" * fan + '">' for i in range(1, levels)]
    return laughs().replace(laughs().split("[\n")[1].split("\n]>")[0], "\n".join(entities)) \
        .replace("&lol9;", f"&e{levels - 1};")


def redeclared_laughs(levels: int = 12, fan: int = 10) -> str:
    """Each name declared twice: harmless first (the value the parser keeps was once the
    second), the chain second."""
    harmless = [f'<!ENTITY r{i} "x">' for i in range(levels)]
    chain = ['<!ENTITY r0 "lol">'] + [
        f'<!ENTITY r{i} "' + f"&r{i - 1};" * fan + '">' for i in range(1, levels)]
    return laughs().replace(laughs().split("[\n")[1].split("\n]>")[0],
                            "\n".join(chain + harmless)).replace("&lol9;", f"&r{levels - 1};")


def doctype_only() -> str:
    return external_entity().replace('[<!ENTITY secret SYSTEM "file:///etc/passwd">]', "") \
        .replace("&secret;", "a")


ENTITY_ATTACKS = {"billion-laughs": laughs, "quadratic-blowup": quadratic_blowup,
                  "external-entity": external_entity,
                  "character-references": character_reference_laughs,
                  "redeclared": redeclared_laughs, "doctype": doctype_only}


@pytest.mark.parametrize("kind", ENTITY_ATTACKS)
def test_rdf_xml_entity_attacks_are_refused_in_bounded_memory(tmp_path, kind):
    scheme = write(tmp_path / f"{kind}.rdf", ENTITY_ATTACKS[kind]())
    for command in (("relink", "--ontology", scheme, "--store", tmp_path / "store"),
                    ("scheme", "check", scheme)):
        done, _ = run_bounded(*command, timeout=120)
        lines = [ln for ln in done.stderr.splitlines() if ln.strip()]
        assert done.returncode in (1, 2) and len(lines) == 1, done.stderr
        assert "declarations are not read" in lines[0] and "root:" not in done.stderr
        assert "Traceback" not in done.stderr


@pytest.mark.parametrize("kind", ENTITY_ATTACKS)
def test_rdf_xml_parser_itself_refuses_declarations(kind):
    """Past the scan (say a declaration the scan cannot see), rdflib's RDF/XML parser is
    defusedxml's: it stops at the declaration instead of expanding it."""
    import rdflib

    from citegraph.graph.rdf_guard import install_xml_parser

    install_xml_parser()
    with pytest.raises(Exception) as caught:
        rdflib.Graph().parse(data=ENTITY_ATTACKS[kind](), format="xml")
    assert "Forbidden" in type(caught.value).__name__


def test_rdf_xml_namespace_entities_are_refused_with_the_remedy(cli, tmp_path):
    """OWL editors abbreviate namespaces with entities; those files are refused too (a
    declaration is refused whatever it holds), with one line saying what to do."""
    scheme = write(tmp_path / "ns.rdf", """<?xml version="1.0"?>
<!DOCTYPE rdf:RDF [
  <!ENTITY skos "http://www.w3.org/2004/02/skos/core#" >
  <!ENTITY ex "http://ex.org/" >
]>
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns:skos="&skos;">
  <skos:Concept rdf:about="&ex;journey"><skos:prefLabel>customer journey</skos:prefLabel>
  </skos:Concept>
</rdf:RDF>
""")
    result = cli("scheme", "check", scheme)
    lines = [ln for ln in result.stderr.splitlines() if ln.strip()]
    assert result.exit_code == 1 and len(lines) == 1
    assert "line 2" in lines[0] and "write IRIs out in full" in lines[0]
    written_out = write(tmp_path / "full.rdf", """<?xml version="1.0"?>
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"
         xmlns:skos="http://www.w3.org/2004/02/skos/core#">
  <skos:Concept rdf:about="http://ex.org/journey">
    <skos:prefLabel>customer journey</skos:prefLabel></skos:Concept>
</rdf:RDF>
""")
    result = cli("scheme", "check", written_out)
    assert result.exit_code == 0 and "valid SKOS scheme" in result.stdout


# --- `citegraph import` checks offsets -----------------------------------------------------
def _tampered(export: Path, target: Path, change) -> Path:
    """The export with `change(graph)` applied, as N-Triples."""
    from rdflib import Graph

    graph = Graph()
    graph.parse(export, format="turtle")
    change(graph)
    graph.serialize(target, format="nt", encoding="utf-8")
    return target


def _first(graph, predicate):
    return sorted(graph.subject_objects(predicate))[0]


def _shift_passage(graph):
    from rdflib import Literal

    from citegraph.graph.rdf_vocab import CG

    subject, start = _first(graph, CG.startOffset)
    graph.set((subject, CG.startOffset, Literal(int(start) + 3)))


def _passage_past_the_end(graph):
    from rdflib import Literal

    from citegraph.graph.rdf_vocab import CG

    subject, _end = _first(graph, CG.endOffset)
    graph.set((subject, CG.endOffset, Literal(10 ** 6)))


def _mention_outside(graph):
    from rdflib import Literal

    from citegraph.graph.rdf_vocab import OA

    subject, _end = _first(graph, OA.end)
    graph.set((subject, OA.end, Literal(10 ** 6)))


def _mention_elsewhere(graph):
    from rdflib import Literal

    from citegraph.graph.rdf_vocab import OA

    subject, start = _first(graph, OA.start)
    end = graph.value(subject, OA.end)
    graph.set((subject, OA.start, Literal(int(start) + 1)))
    graph.set((subject, OA.end, Literal(int(end) + 1)))


def _mention_backwards(graph):
    from rdflib import Literal

    from citegraph.graph.rdf_vocab import OA

    subject, start = _first(graph, OA.start)
    graph.set((subject, OA.end, Literal(int(start))))


@pytest.mark.parametrize("change,words", [
    (_shift_passage, "do not hold the passage's schema:text"),
    (_passage_past_the_end, "do not hold the passage's schema:text"),
    (_mention_outside, "are not a span of its passage"),
    (_mention_elsewhere, "is not the passage's text at"),
    (_mention_backwards, "are not a span of its passage"),
], ids=["passage-shifted", "passage-past-end", "mention-outside", "mention-elsewhere",
        "mention-empty"])
def test_import_with_wrong_offsets_is_refused_whole(cli, small_store, tmp_path, change, words):
    bad = _tampered(small_store / "export.ttl", tmp_path / "bad.nt", change)
    result = cli("import", bad, "--store", tmp_path / "store")
    assert result.exit_code == 2 and len(result.lines) == 1, result.stderr
    assert str(bad) in result.lines[0] and words in result.lines[0], result.lines
    assert stored(tmp_path / "store") == {}  # nothing of it stored
    good = _tampered(small_store / "export.ttl", tmp_path / "good.nt", lambda g: None)
    assert cli("import", good, "--store", tmp_path / "store").exit_code == 0
    assert stored(tmp_path / "store").keys() == {"a0.txt", "a1.txt", "a2.txt"}


# --- line breaks inside exports; file names holding line breaks ---------------------------
def test_passages_jsonl_is_one_record_a_line_whatever_the_text_holds(cli, tmp_path):
    """U+2028, U+2029 and U+0085 are line breaks to str.splitlines() and to JavaScript
    before ES2019; JSON may hold them raw, so a line-based reader found broken records."""
    separators = "one\u2028two\u2029three\u0085four"
    write(tmp_path / "docs" / "breaks.txt",
          f"Line breaks\n\nThe customer journey {separators} ends here. " * 3)
    assert cli("ingest", tmp_path / "docs", "--store", tmp_path / "store").exit_code == 0
    for fmt in ("passages-jsonl", "json-ld", "nt", "turtle"):
        out = tmp_path / f"out.{fmt}"
        assert cli("export", "--store", tmp_path / "store", "--format", fmt, "-o", out
                   ).exit_code == 0
        text = out.read_text(encoding="utf-8")
        assert not set("\u2028\u2029\u0085") & set(text), fmt
        assert text.splitlines() == text.split("\n")[:-1] or text.splitlines() == \
            text.split("\n"), fmt
    lines = (tmp_path / "out.passages-jsonl").read_text(encoding="utf-8").splitlines()
    records = [json.loads(line) for line in lines]
    assert any(separators in r["text"] for r in records)  # the text itself unchanged
    from rdflib import Graph

    graph = Graph()
    graph.parse(tmp_path / "out.nt", format="nt")
    assert any(separators in str(o) for o in graph.objects())


NAME = "bad\nname\x1b[31m.txt"  # a line break and a terminal escape in one file name


@pytest.mark.parametrize("args", [
    ("ingest", "{dir}/" + NAME, "--store", "{dir}/store"),
    ("import", "{dir}/" + NAME, "--store", "{dir}/store"),
    ("export", "--store", "{dir}/store", "-o", "{dir}/no\nsuch/out.ttl"),
    ("relink", "--ontology", "{dir}/" + NAME, "--store", "{dir}/store"),
    ("scheme", "check", "{dir}/" + NAME),
    ("suggest", "{dir}/" + NAME),
    ("ingest", "{dir}/folder", "--store", "{dir}/store"),
], ids=["ingest", "import", "export", "relink", "scheme-check", "suggest", "in-folder"])
def test_file_names_with_line_breaks_are_shown_escaped(cli, tmp_path, args):
    folder = tmp_path / "folder"
    write(folder / NAME, "\x00binary")  # refused (binary): a message naming it
    write(folder / "fine.txt", "Fine\n\nA fine article about the customer journey.")
    if args[0] == "export":
        assert cli("ingest", folder / "fine.txt", "--store", tmp_path / "store").exit_code == 0
    result = cli(*[a.format(dir=tmp_path) for a in args])
    assert result.exit_code != 0
    errors = result.stderr.splitlines()
    named = [ln for ln in errors if "bad\\nname\\x1b[31m.txt" in ln or "no\\nsuch" in ln]
    assert named, result.stderr
    # no fragment of a message on a line of its own (`scheme check` lines start with the file)
    assert all(ln.startswith(("citegraph: ", str(tmp_path))) for ln in errors), errors
    assert "\x1b" not in result.stderr
