"""One rule each for passage ids (graph/models.py) and short concept ids
(graph/neighbourhood.py): the CLI and the web app give the same short id for a concept."""
from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from citegraph.graph.models import Passage, article_of, passage_id, split_passage_id

SCHEME = """@prefix skos: <http://www.w3.org/2004/02/skos/core#> .
<http://example.org/s> a skos:ConceptScheme ; skos:prefLabel "two things"@en .
<http://example.org/a/Thing> a skos:Concept ; skos:inScheme <http://example.org/s> ;
    skos:prefLabel "loyalty programme"@en .
<http://example.org/b/Thing> a skos:Concept ; skos:inScheme <http://example.org/s> ;
    skos:prefLabel "churn rate"@en .
"""


@pytest.mark.parametrize("article, ordinal", [("doc-1", 0), ("a#b", 12), ("概要#注", 3),
                                              ("", 7)])
def test_a_passage_id_splits_back_into_what_made_it(article, ordinal):
    pid = passage_id(article, ordinal)
    assert pid == Passage.make_id(article, ordinal)
    assert split_passage_id(pid) == (article, ordinal) and article_of(pid) == article


@pytest.mark.parametrize("bad", ["doc-1", "doc#", "doc#x", "doc#-1", "doc#1 "])
def test_a_malformed_passage_id_is_named(bad):
    with pytest.raises(ValueError, match="passage id"):
        split_passage_id(bad)


def test_cli_suggest_gives_the_web_apps_short_ids(tmp_path):
    """Two concepts share the local name `Thing`: neither may have it as its id."""
    from citegraph.cli import main
    from citegraph.graph.neighbourhood import concept_ids
    from citegraph.graph.sqlite.store import SQLiteStore

    scheme = tmp_path / "things.ttl"
    scheme.write_text(SCHEME, encoding="utf-8")
    store = tmp_path / "store"
    runner = CliRunner()
    assert runner.invoke(main, ["scheme", "load", str(scheme), "--store", str(store)]) \
        .exit_code == 0
    text = tmp_path / "text.txt"
    text.write_text("Our loyalty programme cut the churn rate.", encoding="utf-8")
    result = runner.invoke(main, ["suggest", str(text), "--ontology", str(scheme), "--json"])
    assert result.exit_code == 0, result.output
    found = {r["iri"]: r["id"] for r in json.loads(result.output)["results"]}
    assert set(found) == {"http://example.org/a/Thing", "http://example.org/b/Thing"}
    with SQLiteStore(store, readonly=True) as s:
        web = concept_ids(s)
    assert found == web and len(set(found.values())) == 2
