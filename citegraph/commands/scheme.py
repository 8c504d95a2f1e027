"""`citegraph scheme`: check a SKOS scheme file against SKOS's integrity rules and qSKOS-style
quality checks (ontology/checks.py), and grow a user's scheme by one concept."""
from __future__ import annotations

import click

from citegraph.commands.common import (EXIT_PARTIAL, count_of, open_runtime, require_store, settings,
                                       shown, store_option)


@click.group("scheme")
def scheme_group():
    """Check or extend a SKOS concept scheme file."""


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
def add_command(label, broader, alt, definition, lang, iri, scheme_file, store, no_relink):
    """Append a concept to a Turtle scheme file (checked with the rest of the scheme first),
    then bring the store to the grown scheme: its passages are relinked, not re-embedded."""
    from citegraph.ontology.authoring import add_concept

    if not no_relink:  # the file is left alone when the store to relink is not there
        require_store(settings(store=store).store)
    added = add_concept(scheme_file, label, broader, alt, definition, lang, iri)
    click.echo(f"added <{added}> to {scheme_file}")
    if no_relink:
        return
    runtime = open_runtime(store=store, ontology=scheme_file)
    with runtime.store as s:
        runtime.sync_scheme()
        mentions = len(s.concept_mentions(added, 100_000))
    click.echo(f"relinked the store: {count_of(mentions, 'passage')} "
               f"mention{'s' if mentions == 1 else ''} it")


commands = [scheme_group]
