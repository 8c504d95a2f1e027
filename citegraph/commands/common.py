"""What every command shares: exit codes, one-line failures, the common options, and the
settings the `citegraph` group loaded once (citegraph/settings.py)."""
from __future__ import annotations

import sys
import time

import click

from citegraph.graph.factory import store_exists
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


def count_of(n: int, noun: str) -> str:
    """`1 passage`, `3 passages`: a count with its noun in the right number."""
    return f"{n} {noun}" + ("" if n == 1 else "s")


# Seconds between two progress lines when standard error is not a terminal (a log, CI)
PROGRESS_EVERY = 30.0


def progress(desc: str, unit: str):
    """What a long command wraps its items in: tqdm's bar on a terminal; elsewhere, where a
    bar would be one endless line, a line every PROGRESS_EVERY seconds (`ingest: 40/120
    files, 1 min 10 s`)."""
    def wrap(items):
        if sys.stderr.isatty():
            from tqdm import tqdm

            return tqdm(items, desc=desc, unit=unit, file=sys.stderr)
        return _periodic(items, desc, unit)
    return wrap


def _periodic(items, desc: str, unit: str):
    total = len(items) if hasattr(items, "__len__") else None
    start = last = time.monotonic()
    for done, item in enumerate(items, start=1):
        yield item
        now = time.monotonic()
        if now - last >= PROGRESS_EVERY:
            last = now
            minutes, seconds = divmod(int(now - start), 60)
            took = f"{minutes} min {seconds} s" if minutes else f"{seconds} s"
            of = f"/{total}" if total is not None else ""
            click.echo(f"{desc}: {done}{of} {unit}s, {took}", err=True)


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


def require_store(spec: str) -> None:
    """A command that reads a store fails (exit 2) when there is none at `spec`: a mistyped
    --store or the wrong working folder must not answer from a new, empty store. Only
    `ingest` and `import` make one."""
    if not store_exists(spec):
        fail(f"store {spec}: no Citegraph store there (check --store or the working "
             "folder; `citegraph ingest PATH --store DIR` makes one)")


def open_runtime(readonly: bool = False, must_exist: bool | None = None,
                 **options) -> Runtime:
    """`readonly`: the command only reads the store, which is opened read-only.
    `must_exist` (default: `readonly`): the store must be there already (require_store)."""
    runtime = Runtime(settings(**options), readonly=readonly)
    if readonly if must_exist is None else must_exist:
        require_store(runtime.settings.store)
    return runtime
