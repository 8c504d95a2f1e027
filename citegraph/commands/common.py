"""What every command shares: exit codes, one-line failures, the common options, and the
settings the `citegraph` group loaded once (citegraph/settings.py)."""
from __future__ import annotations

import sys

import click

from citegraph.runtime import Runtime
from citegraph.settings import Settings

EXIT_PARTIAL = 1
EXIT_USAGE = 2


def shown(text) -> str:
    """Text as one printable line: a file name may hold a line break or a control
    character, or bytes that are not UTF-8 (decoded as lone surrogates); each is shown as
    its Python escape (\\n, \\x1b, \\udcff), so that one message stays one line."""
    text = str(text)
    if text.isprintable():
        return text
    return "".join(ch if ch.isprintable() else ch.encode("unicode_escape").decode("ascii")
                   for ch in text)


def fail(message: str, code: int = EXIT_USAGE):
    click.echo(f"citegraph: {shown(message)}", err=True)
    sys.exit(code)


store_option = click.option("--store", default=None,
                            help="Store directory or neo4j:// URI (default: the `store` "
                                 "setting, ./citegraph-data).")
ontology_option = click.option(
    "--ontology", type=click.Path(dir_okay=False), default=None,
    help="A SKOS scheme (Turtle, RDF/XML, JSON-LD) for a store that holds none yet (its "
         "first use); default: the `ontology` setting, else the shipped one. A store keeps "
         "its scheme: `citegraph scheme load` replaces it.")


def settings(**options) -> Settings:
    """The settings the group loaded, with this command's options (None: not given)."""
    ctx = click.get_current_context()
    loaded = ctx.find_root().obj
    return (loaded if isinstance(loaded, Settings) else Settings()).but(**options)


def open_runtime(readonly: bool = False, **options) -> Runtime:
    """`readonly`: the command only reads the store, which is opened read-only."""
    return Runtime(settings(**options), readonly=readonly)
