"""Concept commands: list the scheme, show one concept, suggest new ones, relink the store."""
from __future__ import annotations

import json

import click

from citegraph.commands.common import (EXIT_PARTIAL, count_of, fail, open_runtime,
                                       store_option)


@click.command("concepts")
@store_option
@click.option("--json", "as_json", is_flag=True, help="One JSON array of concepts.")
def concepts_command(store, as_json):
    """Every concept of the stored scheme with its number of mentions."""
    with open_runtime(store=store, readonly=True).store as s:
        rows = [{"iri": c.iri, "label": c.label, "mentions": n} for c, n in s.list_concepts()]
    if as_json:
        click.echo(json.dumps(rows, ensure_ascii=False))
        return
    if not rows:
        click.echo("No concepts in the store: run `citegraph relink` or ingest something.")
    for r in rows:
        click.echo(f"{r['mentions']:6d}  {r['label']}  <{r['iri']}>")


@click.command("concept")
@click.argument("label_or_iri")
@store_option
@click.option("--json", "as_json", is_flag=True)
@click.option("--limit", default=50, show_default=True, type=click.IntRange(1, 10000),
              help="Passages shown, strongest mentions first.")
def concept_command(label_or_iri, store, as_json, limit):
    """A concept by IRI or any label: definition, neighbourhood and passages."""
    from citegraph.graph.neighbourhood import concept_card
    from citegraph.ontology.lookup import resolve

    with open_runtime(store=store, readonly=True).store as s:
        found = resolve(s, label_or_iri)
        if found is None:
            fail(f"concept {label_or_iri!r}: no concept has this label or IRI", EXIT_PARTIAL)
        view = concept_card(s, found, limit).as_dict()
    if as_json:
        click.echo(json.dumps(view, ensure_ascii=False))
        return
    _print_concept(view)


def _print_concept(view: dict) -> None:
    click.echo(f"{view['label']}  <{view['iri']}>")
    if view["alt_labels"]:
        click.echo("  also: " + ", ".join(view["alt_labels"]))
    if view["definition"]:
        click.echo(f"  {view['definition']}")
    for key in ("broader", "narrower", "related", "co_occurring"):
        # co-occurring: associations only; a pair sharing passages less often than chance
        # (NPMI <= 0) is not one (the JSON keeps every pair with its scores)
        refs = [r for r in view[key] if key != "co_occurring" or r.get("npmi") is None
                or r["npmi"] > 0]
        if refs:
            items = [r["label"] + (f" ({r['weight']:g})" if "weight" in r else "")
                     for r in refs]
            click.echo(f"  {key.replace('_', '-')}: " + "; ".join(items))
    click.echo(f"  passages: {len(view['passages'])}")
    for r in view["passages"]:
        m = r["mentions"][0]
        quote = m["surface"] or r["text"][:80].replace("\n", " ") + "…"
        click.echo(f"    [{r['score']:.2f} {m['method']}] {r['passage_id']}: “{quote}”")


@click.command("suggest-concepts")
@store_option
@click.option("--limit", default=30, show_default=True, type=click.IntRange(1, 1000))
@click.option("--min-count", default=2, show_default=True, type=click.IntRange(1),
              help="Passages a candidate (with its variants) must occur in.")
@click.option("--json", "as_json", is_flag=True)
def suggest_command(store, limit, min_count, as_json):
    """Candidate concepts: noun phrases recurring in the stored passages but in no concept
    label, variants grouped, each with its frequency, a suggested broader or related
    concept and example sentences. Nothing is added to the scheme."""
    from citegraph.ontology.suggest import suggest

    runtime = open_runtime(store=store, readonly=True)
    with runtime.store as s:
        suggestions = suggest(s, runtime.embedder.encode, limit=limit, min_count=min_count)
    if as_json:
        click.echo(json.dumps([x.as_dict() for x in suggestions], ensure_ascii=False))
        return
    if not suggestions:
        click.echo("No suggestions: no phrase outside the scheme's labels occurs in "
                   f"{count_of(min_count, 'passage')} or more.")
    for x in suggestions:
        click.echo(f"{x.count:5d}  {x.phrase}"
                   + (f"  (also: {'; '.join(x.variants)})" if x.variants else ""))
        if x.nearest:
            click.echo(f"         {x.nearest.relation}: {x.nearest.label} "
                       f"<{x.nearest.iri}> ({x.nearest.score:.2f})")
        for pid, text in x.examples:
            click.echo(f"         {pid}: “{text}”")


@click.command("relink")
@store_option
@click.option("--ontology", type=click.Path(dir_okay=False), default=None,
              help="Load this SKOS scheme into the store first, as `citegraph scheme load` "
                   "does; default: relink with the store's own scheme.")
@click.option("--force", is_flag=True,
              help="With --ontology: load it even when concepts that passages mention go.")
def relink_command(store, ontology, force):
    """Relink every stored passage with the store's scheme (no re-embedding)."""
    from citegraph.ontology.scheme import load_scheme
    from citegraph.ontology.sync import relink

    scheme = load_scheme(ontology) if ontology else None  # a bad one fails before the store
    runtime = open_runtime(store=store, must_exist=True)
    with runtime.store as s:
        if scheme is not None:
            relinked = runtime.load_scheme(scheme, force=force).any
        else:  # a store without a scheme gets the settings' one (its first use)
            relinked = runtime.sync_scheme()
        if not relinked:
            relink(s, runtime.linker)
        stats = s.stats()
    click.echo(f"concepts: {stats['concepts']}; passages: {stats['passages']}; "
               f"mentions: {stats['mentions']}")


commands = [concepts_command, concept_command, suggest_command, relink_command]
