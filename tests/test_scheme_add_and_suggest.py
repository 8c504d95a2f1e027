"""Growing a user's scheme by one concept (`citegraph scheme add`), and subject suggestion
over HTTP (`POST /api/suggest`): the real CLI in process, the real server and model."""
from __future__ import annotations

import json
import shutil

import pytest
from click.testing import CliRunner

from webapp_support import http, make_app

CX = "https://citegraph.org/scheme/cx/"


def cli(*args):
    from citegraph.cli import main

    return CliRunner().invoke(main, [str(a) for a in args])


@pytest.fixture
def user_scheme(tmp_path):
    from citegraph.ontology.scheme import SHIPPED

    path = tmp_path / "my-scheme.ttl"
    shutil.copy(SHIPPED, path)
    with open(path, "a", encoding="utf-8") as out:
        out.write("\n# our own comment, which must survive\n")
    return path


def test_scheme_add_appends_a_valid_concept_and_relinks_the_store(user_scheme, demo_store_dir,
                                                                  tmp_path, embedder):
    from citegraph.ontology.scheme import load_scheme

    store = tmp_path / "store"
    shutil.copytree(demo_store_dir, store)
    before = user_scheme.read_text(encoding="utf-8")
    broader = next(c.iri for c in load_scheme(user_scheme).concepts
                   if c.label.lower() == "customer experience")
    result = cli("scheme", "add", "Journey \"orchestration\"", "--broader", broader,
                 "--alt", "journey orchestration platform", "--definition",
                 "Coordinating a customer's steps across channels, in real time.",
                 "--scheme", user_scheme, "--store", store)
    assert result.exit_code == 0, result.output
    after = user_scheme.read_text(encoding="utf-8")
    assert after.startswith(before)  # appended: the user's layout and comments stay
    scheme = load_scheme(user_scheme)
    added = [c for c in scheme.concepts if c.label == 'Journey "orchestration"']
    assert len(added) == 1 and added[0].broader == [broader]
    assert added[0].alt_labels == ["journey orchestration platform"]
    assert "relinked the store" in result.output
    assert cli("scheme", "check", user_scheme).exit_code == 0


@pytest.mark.parametrize("args, message", [
    (["--broader", CX + "NoSuchConcept"], "not a concept of"),
    (["--broader", CX + "ContactCenter", "--alt", "call centre"], ""),  # a label clash
])
def test_scheme_add_refuses_and_leaves_the_file_alone(user_scheme, args, message):
    before = user_scheme.read_bytes()
    result = cli("scheme", "add", "Contact center", *args, "--scheme", user_scheme,
                 "--no-relink")
    assert result.exit_code == 2, result.output
    assert message in result.output and len(result.output.strip().splitlines()) == 1
    assert user_scheme.read_bytes() == before


def test_scheme_add_never_edits_the_shipped_scheme():
    from citegraph.ontology.scheme import SHIPPED

    before = SHIPPED.read_bytes()
    result = cli("scheme", "add", "Something new", "--scheme", SHIPPED, "--no-relink")
    assert result.exit_code == 2 and "shipped scheme" in result.output
    assert SHIPPED.read_bytes() == before


@pytest.fixture(scope="module")
def server(demo_store_dir, tmp_path_factory, embedder):
    from citegraph.webapp.server import BackgroundServer

    store = tmp_path_factory.mktemp("suggest") / "store"
    shutil.copytree(demo_store_dir, store)
    with BackgroundServer(make_app(store, embedder, token="")) as running:
        yield running


def test_suggest_names_the_concepts_a_text_is_about(server):
    text = ("Our contact centre agents log every complaint, and the chief customer officer "
            "reviews them weekly.")
    r = http(server.url, "POST", "/api/suggest", {"text": text, "limit": 5})
    assert r.status == 200, r.body
    results = r.json()["results"]
    assert 1 <= len(results) <= 5
    assert {"id", "iri", "label", "score"} <= set(results[0])
    assert [x["score"] for x in results] == sorted((x["score"] for x in results), reverse=True)
    labels = {x["label"].lower() for x in results}
    assert "chief customer officer" in labels and "contact center agent" in labels
    assert all(x["score"] >= 0.5 for x in results)  # the default threshold


def test_suggest_needs_no_token_and_validates(server):
    assert http(server.url, "POST", "/api/suggest", {"text": "   "}).status == 400
    assert http(server.url, "POST", "/api/suggest", {"text": "a" * 5000}).status == 400
    assert http(server.url, "POST", "/api/suggest",
                {"text": "churn", "threshold": 2}).status == 400
    unrelated = http(server.url, "POST", "/api/suggest",
                     {"text": "The recipe needs flour, eggs and butter.", "threshold": 0.9})
    assert unrelated.status == 200 and unrelated.json()["results"] == []
