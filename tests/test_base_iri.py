"""The default base IRI of RDF export: each store its own (`https://citegraph.invalid/<id>/`),
made on its first export and kept, so exports of one store agree and two stores never mint
the same IRIs; an import adopts the base of its file, so export → import → export matches;
a configured base (setting, option) wins and leaves the store's own alone."""
from __future__ import annotations

import re

from click.testing import CliRunner

from citegraph.graph.rdf_export import export
from citegraph.graph.rdf_import import import_rdf
from citegraph.graph.rdf_vocab import BASE_IRI_KEY
from conftest import private_copy

OWN = re.compile(r"^<(https://citegraph\.invalid/[0-9a-f]{32}/)articles/", re.M)


def nt(store, tmp_path, name, **options) -> str:
    out = tmp_path / name
    with open(out, "w", encoding="utf-8") as f:
        export(store, "nt", f, with_embeddings=True, **options)
    return out.read_text(encoding="utf-8")


def bases(text: str) -> set[str]:
    return set(OWN.findall(text))


def test_a_store_mints_under_its_own_base_and_keeps_it(demo_store, tmp_path):
    assert demo_store.meta_value(BASE_IRI_KEY) is None
    first = nt(demo_store, tmp_path, "1.nt")
    (base,) = bases(first)
    assert demo_store.meta_value(BASE_IRI_KEY) == base
    assert nt(demo_store, tmp_path, "2.nt") == first
    assert "localhost" not in first


def test_two_stores_never_share_a_base(demo_store_dir, tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    copies = [private_copy(demo_store_dir, tmp_path / d) for d in "ab"]
    stores = [next(c) for c in copies]
    texts = [nt(s, tmp_path, f"{i}.nt") for i, s in enumerate(stores)]
    assert len(bases(texts[0]) | bases(texts[1])) == 2
    for c in copies:
        next(c, None)


def test_export_import_export_matches_with_the_default_base(demo_store, empty_store, tmp_path):
    source = nt(demo_store, tmp_path, "source.nt")
    import_rdf(empty_store, tmp_path / "source.nt")
    again = nt(empty_store, tmp_path, "again.nt")
    assert sorted(again.splitlines()) == sorted(source.splitlines())


def test_a_configured_base_wins_and_leaves_the_stores_own(demo_store, tmp_path):
    own = bases(nt(demo_store, tmp_path, "own.nt"))
    text = nt(demo_store, tmp_path, "kb.nt", base_iri="https://kb.example.org/cg")
    assert "<https://kb.example.org/cg/articles/" in text and not bases(text)
    assert bases(nt(demo_store, tmp_path, "own-again.nt")) == own


def test_cli_export_of_a_store_opened_read_only_names_and_keeps_its_base(demo_store_dir,
                                                                        tmp_path):
    import shutil

    from citegraph.cli import main

    store = tmp_path / "store"
    shutil.copytree(demo_store_dir, store)
    runs = [CliRunner().invoke(main, ["export", "--store", str(store), "--format", "nt",
                                      "--what", "articles"]) for _ in range(2)]
    assert all(r.exit_code == 0 for r in runs), runs[0].output[-500:]
    assert len(bases(runs[0].output)) == 1 and runs[0].output == runs[1].output
    env = CliRunner(env={"CITEGRAPH_BASE_IRI": "https://kb.example.org/"}).invoke(
        main, ["export", "--store", str(store), "--format", "nt", "--what", "articles"])
    assert env.exit_code == 0 and "<https://kb.example.org/articles/" in env.output
    missing = CliRunner().invoke(main, ["export", "--store", str(tmp_path / "none"),
                                        "--format", "nt"])
    assert missing.exit_code != 0 and not (tmp_path / "none").exists()


def test_a_migrated_store_keeps_the_base_of_its_source(demo_store, empty_store, tmp_path):
    from citegraph.graph.migrate import migrate
    from citegraph.graph.rdf_vocab import store_base_iri

    base = store_base_iri(demo_store)
    migrate(demo_store, empty_store)
    assert empty_store.meta_value(BASE_IRI_KEY) == base
    assert nt(empty_store, tmp_path, "m.nt") == nt(demo_store, tmp_path, "d.nt")
