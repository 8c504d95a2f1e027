"""SKOS integrity (S13, S14, S27, broader cycles) and qSKOS-style warnings: the pure checks of
ontology/checks.py, the loader that refuses a broken scheme, `citegraph scheme check`, and
skosify's own verdict on the shipped scheme and on our export of it."""
from __future__ import annotations

import logging

import pytest
from click.testing import CliRunner

from citegraph.ontology import checks
from citegraph.ontology.checks import ConceptFacts, SchemeFacts
from citegraph.ontology.scheme import SHIPPED, SchemeError, inspect_scheme, load_scheme

PREFIXES = ("@prefix skos: <http://www.w3.org/2004/02/skos/core#> .\n"
            "@prefix ex: <http://example.org/s/> .\n")
EX = "http://example.org/s/"


def _facts(**concepts) -> SchemeFacts:
    return SchemeFacts({EX + k: v for k, v in concepts.items()}, {EX + "scheme": True})


def _rules(findings):
    return sorted((f.rule, f.subject.removeprefix(EX)) for f in findings)


def test_s13_pref_alt_hidden_labels_are_disjoint():
    facts = _facts(a=ConceptFacts({"prefLabel": [("x", "en")], "altLabel": [("x", "en")]}),
                   b=ConceptFacts({"prefLabel": [("y", "en")], "altLabel": [("y", "fr")]}))
    assert _rules(checks.label_disjointness(facts)) == [("S13", "a")]


def test_s14_one_preflabel_per_language():
    facts = _facts(a=ConceptFacts({"prefLabel": [("x", "en"), ("z", "en")]}),
                   b=ConceptFacts({"prefLabel": [("y", "en"), ("y2", "fr")]}))
    assert _rules(checks.preflabel_uniqueness(facts)) == [("S14", "a")]


def test_s27_related_is_disjoint_with_broader_transitive():
    facts = _facts(top=ConceptFacts({"prefLabel": [("t", None)]}, related={EX + "leaf"}),
                   mid=ConceptFacts({"prefLabel": [("m", None)]}, broader={EX + "top"}),
                   leaf=ConceptFacts({"prefLabel": [("l", None)]}, broader={EX + "mid"},
                                     related={EX + "top"}),
                   other=ConceptFacts({"prefLabel": [("o", None)]}, related={EX + "mid"}))
    found = checks.related_vs_broader(facts)
    assert _rules(found) == [("S27", "leaf")]
    assert EX + "top" in found[0].message


def test_broader_cycle_is_found_once():
    facts = _facts(a=ConceptFacts(broader={EX + "b"}), b=ConceptFacts(broader={EX + "a"}),
                   c=ConceptFacts(broader={EX + "c"}))
    assert [r for r, _ in _rules(checks.broader_cycles(facts))] == ["cycle", "cycle"]


def test_warnings_orphans_missing_labels_overlap_and_unlabelled_scheme():
    facts = _facts(a=ConceptFacts({"prefLabel": [("sales", "en"), ("ventes", "fr")]},
                                  top=True),
                   b=ConceptFacts({"prefLabel": [("ventes", "en")]}, broader={EX + "a"}),
                   lone=ConceptFacts({"prefLabel": [("lone", "en"), ("seul", "fr")]}))
    facts.schemes[EX + "scheme"] = False
    found = checks.check(facts, key=lambda s: [s.lower()])
    assert all(f.level == "warning" for f in found)
    assert _rules(found) == [("missing-label", "b"), ("orphan", "lone"),
                             ("overlapping-labels", "a"), ("scheme-label", "scheme")]


@pytest.mark.parametrize("body, rule", [
    ('ex:a a skos:Concept ; skos:prefLabel "a" ; skos:altLabel "a" .\n', "S13"),
    ('ex:a a skos:Concept ; skos:prefLabel "a"@en, "b"@en .\n', "S14"),
    ('ex:a a skos:Concept ; skos:prefLabel "a" .\n'
     'ex:b a skos:Concept ; skos:prefLabel "b" ; skos:broader ex:a ; skos:related ex:a .\n', "S27"),
])
def test_loader_refuses_an_integrity_error_in_one_line_naming_concept_and_rule(tmp_path, body,
                                                                              rule):
    path = tmp_path / "s.ttl"
    path.write_text(PREFIXES + body, encoding="utf-8")
    with pytest.raises(SchemeError) as info:
        load_scheme(path)
    message = str(info.value)
    assert "\n" not in message and f": {rule}: " in message
    assert message.startswith(f"{path}:") and EX in message


def test_shipped_scheme_has_no_error_and_no_warning():
    assert inspect_scheme(SHIPPED) == ([], [])
    assert load_scheme().warnings == []


def test_scheme_check_command_exit_codes(tmp_path):
    from citegraph.cli import main

    good = tmp_path / "good.ttl"
    good.write_text(PREFIXES + 'ex:a a skos:Concept ; skos:prefLabel "a" .\n', encoding="utf-8")
    result = CliRunner().invoke(main, ["scheme", "check", str(good)])
    assert result.exit_code == 0, result.output
    assert "orphan" in result.output and "valid SKOS scheme" in result.output
    bad = tmp_path / "bad.ttl"
    bad.write_text(PREFIXES + 'ex:a a skos:Concept ; skos:prefLabel "a" .\n'
                   'ex:b a skos:Concept ; skos:prefLabel "b" ; skos:broader ex:a ;'
                   ' skos:related ex:a .\nex:c a skos:Concept ; skos:prefLabel "c", "d" .\n',
                   encoding="utf-8")
    result = CliRunner().invoke(main, ["scheme", "check", str(bad)])
    assert result.exit_code == 1
    assert "S27" in result.output and "S14" in result.output and "Traceback" not in result.output
    result = CliRunner().invoke(main, ["scheme", "check", str(tmp_path / "missing.ttl")])
    assert result.exit_code == 1 and result.output.count("\n") == 1


# --- skosify, the reference checker ------------------------------------------------------
INTEGRITY = ("connected by both", "more than one prefLabel", "as both", "Hierarchy cycle",
             "no label", "Unlabeled concept scheme")


def skosify_problems(path) -> list[str]:
    skosify = pytest.importorskip("skosify")
    messages: list[str] = []

    class Collect(logging.Handler):
        def emit(self, record):
            messages.append(record.getMessage())

    handler, root = Collect(level=logging.WARNING), logging.getLogger()
    root.addHandler(handler)
    try:
        skosify.skosify(str(path), keep_related=True, break_cycles=False,
                        preflabel_policy="shortest", eliminate_redundancy=False)
    finally:
        root.removeHandler(handler)
    return [m for m in messages if any(k in m for k in INTEGRITY)]


def test_skosify_finds_no_integrity_problem_in_the_shipped_scheme():
    assert skosify_problems(SHIPPED) == []


def test_skosify_finds_no_integrity_problem_in_our_export(tmp_path):
    from citegraph.graph.rdf_export import export
    from citegraph.graph.sqlite_store import SQLiteStore

    store = SQLiteStore(tmp_path / "store")
    store.replace_concepts(load_scheme().concepts)
    out = tmp_path / "scheme.ttl"
    with out.open("wb") as f:
        export(store, "turtle", f, what="concepts")
    store.close()
    assert skosify_problems(out) == []


def test_skosify_sees_what_our_checker_sees_in_a_broken_scheme(tmp_path):
    path = tmp_path / "s.ttl"
    path.write_text(PREFIXES + 'ex:s a skos:ConceptScheme .\n'
                    'ex:a a skos:Concept ; skos:inScheme ex:s ; skos:prefLabel "a" .\n'
                    'ex:b a skos:Concept ; skos:inScheme ex:s ; skos:prefLabel "b" ;'
                    ' skos:broader ex:a ; skos:related ex:a .\n', encoding="utf-8")
    assert len(skosify_problems(path)) == 2  # S27 and the unlabelled scheme
    errors, warnings = inspect_scheme(path)
    assert [": S27: " in e for e in errors] == [True]
    assert any("scheme-label" in w for w in warnings)
