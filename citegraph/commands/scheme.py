"""`citegraph scheme`: check a SKOS scheme file against SKOS's integrity rules and qSKOS-style
quality checks (ontology/checks.py), and grow a user's scheme by one concept."""
from __future__ import annotations

import click

from citegraph.commands.common import (EXIT_PARTIAL, count_of, open_runtime, require_store, settings,
                                       shown, store_option)


@click.group("scheme")
def scheme_group():
    """Check or extend a SKOS scheme file; load one into a store, or show the store's."""


@scheme_group.command("check")
@click.argument("file", type=click.Path(dir_okay=True))
def check_command(file):
    """Errors (SKOS S13, S14, S27, broader cycles, labels, links) and warnings (orphans,
    missing labels, overlapping labels, unlabelled scheme), one line each. Exit 0 when there
    are only warnings, 1 on any error."""
    from citegraph.ontology.scheme import inspect_scheme

    errors, warnings = inspect_scheme(file)
    for line in warnings:
        click.echo(shown(line))
    for line in errors:
        click.echo(shown(line), err=True)
    if errors:
        raise SystemExit(EXIT_PARTIAL)
    click.echo(f"{shown(file)}: valid SKOS scheme ({len(warnings)} warnings)")


@scheme_group.command("load")
@click.argument("file", type=click.Path(dir_okay=False))
@store_option
@click.option("--force", is_flag=True,
              help="Replace the scheme even when concepts that passages mention go (their "
                   "mentions are dropped).")
def load_command(file, store, force):
    """Make FILE the store's scheme (as Annif's load-vocab): every later ingest, relink,
    server and export uses it. Says how many concepts were added, removed and changed, and
    relinks the stored passages (no re-embedding). Refuses to remove concepts that passages
    mention unless --force."""
    from citegraph.ontology.scheme import load_scheme

    scheme = load_scheme(file)  # a bad scheme fails before the store is opened
    runtime = open_runtime(store=store)
    with runtime.store as s:
        change = runtime.load_scheme(scheme, force=force)
        counts = s.stats()
    _report_load(file, change, counts)


def _report_load(file, change, counts) -> None:
    if not change.any:
        click.echo(f"{shown(file)}: the store already holds this scheme "
                   f"({counts['concepts']} concepts)")
        return
    dropped = sum(change.removed_mentioned.values())
    click.echo(f"{shown(file)}: loaded: {counts['concepts']} concepts ({change.summary()}); "
               f"relinked {counts['passages']} passages: {counts['mentions']} mentions"
               + (f"; {dropped} mentions of removed concepts dropped" if dropped else ""))


@scheme_group.command("show")
@store_option
@click.option("--json", "as_json", is_flag=True)
def show_command(store, as_json):
    """The store's scheme: where it was loaded from, its revision and its size."""
    import json

    from citegraph.ontology.sync import SCHEME_SOURCE

    with open_runtime(store=store, readonly=True).store as s:
        view = {"source": s.meta_value(SCHEME_SOURCE), "revision": s.scheme_revision(),
                "concepts": s.stats()["concepts"]}
    if as_json:
        click.echo(json.dumps(view))
        return
    for name, value in view.items():
        click.echo(f"{name}: {shown(value) if value is not None else '-'}")


@scheme_group.command("add")
@click.argument("label")
@click.option("--broader", "broader", multiple=True, help="IRI of a broader concept (repeatable).")
@click.option("--alt", "alt", multiple=True, help="An alternative label (repeatable).")
@click.option("--definition", default=None, help="The concept's skos:definition.")
@click.option("--lang", default="en", show_default=True, help="Language tag of the labels.")
@click.option("--iri", default=None, help="The new concept's IRI; default: minted from the label "
                                          "in the namespace of the broader concept.")
@click.option("--scheme", "scheme_file", required=True, type=click.Path(dir_okay=False),
              help="The user's Turtle scheme file to append to (never the shipped one).")
@store_option
@click.option("--no-relink", is_flag=True, help="Only edit the file; leave the store as it is.")
@click.option("--force", is_flag=True,
              help="Load the grown file even when it lacks concepts that passages mention.")
def add_command(label, broader, alt, definition, lang, iri, scheme_file, store, no_relink,
                force):
    """Append a concept to a Turtle scheme file (checked with the rest of the scheme first),
    then load the grown file into the store as its scheme (`scheme load`): its passages are
    relinked, not re-embedded."""
    from citegraph.ontology.authoring import add_concept
    from citegraph.ontology.scheme import load_scheme

    if not no_relink:  # the file is left alone when the store to relink is not there
        require_store(settings(store=store).store)
    added = add_concept(scheme_file, label, broader, alt, definition, lang, iri)
    click.echo(f"added <{added}> to {scheme_file}")
    if no_relink:
        return
    runtime = open_runtime(store=store)
    with runtime.store as s:
        change = runtime.load_scheme(load_scheme(scheme_file), force=force)
        counts = s.stats()
        mentions = len(s.concept_mentions(added, 100_000))
    _report_load(scheme_file, change, counts)
    click.echo(f"relinked the store: {count_of(mentions, 'passage')} "
               f"mention{'s' if mentions == 1 else ''} it")


commands = [scheme_group]
