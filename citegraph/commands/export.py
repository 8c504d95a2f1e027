"""`citegraph export` and `citegraph import`: the graph as RDF (or passages as JSON Lines),
and Citegraph's own RDF back into an empty store."""
from __future__ import annotations

import json
import os
import sys
import tempfile
from pathlib import Path

import click

from citegraph.commands.common import (EXIT_USAGE, count_of, fail, open_runtime, shown,
                                       store_option)
from citegraph.errors import CitegraphError
from citegraph.graph.rdf_describe import WHAT
from citegraph.graph.rdf_export import FORMATS, ExportError, iter_export, write_chunks
from citegraph.graph.rdf_import import IMPORT_FORMATS, RdfImportError, import_rdf
from citegraph.graph.rdf_vocab import BASE_IRI_KEY, VocabularyError, store_base_iri


@click.command()
@store_option
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="turtle",
              show_default=True)
@click.option("-o", "--output", type=click.Path(dir_okay=False), default=None,
              help="Write to FILE instead of standard output.")
@click.option("--what", type=click.Choice(WHAT), default="all", show_default=True,
              help="concepts: the SKOS scheme; articles: articles, passages, mentions and "
                   "co-occurrence; all: both.")
@click.option("--base-iri", default=None,
              help="Base for minted IRIs (default: the `base_iri` setting, else the "
                   "store's own https://citegraph.invalid/<id>/).")
@click.option("--with-embeddings", is_flag=True,
              help="Carry passage and sentence vectors, so import need not embed again.")
def export(store, fmt, output, what, base_iri, with_embeddings):
    """Export the graph: Turtle, JSON-LD, N-Triples or passages as JSON Lines."""
    runtime = open_runtime(store=store, base_iri=base_iri, must_exist=True)
    base_iri = runtime.settings.base_iri
    with runtime.open_store(runtime.settings.store, readonly=True) as source:
        if not base_iri and source.meta_value(BASE_IRI_KEY) is None:
            base_iri = _mint_base_iri(runtime)
        try:  # the request and the stored scheme are checked before any file is made
            chunks = iter_export(source, fmt, what=what, base_iri=base_iri,
                                 with_embeddings=with_embeddings)
        except (ExportError, VocabularyError) as exc:
            fail(str(exc), EXIT_USAGE)
        if not output:
            try:
                write_chunks(chunks, sys.stdout)
            except BrokenPipeError:
                raise  # a reader that stopped early (`| head`): the group exits quietly
            except OSError as exc:
                fail(f"stdout: {exc.strerror or exc}")
            return
        _write_file(chunks, Path(output))


def _mint_base_iri(runtime) -> str | None:
    """The store's own base IRI, made on its first export and kept, so that later exports
    agree; None when the store cannot be written now (the export then says what to do)."""
    try:
        with runtime.open_store(runtime.settings.store) as writable:
            return store_base_iri(writable)
    except CitegraphError:
        return None


def _mode_for(output: Path) -> int:
    try:
        return output.stat().st_mode & 0o7777
    except OSError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


def _write_file(chunks, output: Path) -> None:
    """The export goes to a temporary file beside OUTPUT, renamed over it once whole: an
    export that fails half-way (disk full, a store error) leaves OUTPUT as it was. A
    symlink is written through (its target replaced, the link kept); a device or FIFO
    (`/dev/stdout`, a pipe) is written to directly: a rename would replace the node."""
    output = Path(os.path.realpath(output))
    if output.exists() and not output.is_file():
        try:
            with open(output, "w", encoding="utf-8", newline="\n") as out:
                write_chunks(chunks, out)
        except OSError as exc:
            fail(f"{shown(output)}: {exc.strerror or exc}")
        return
    try:
        handle, partial = tempfile.mkstemp(dir=output.parent, prefix=f".{output.name}.",
                                           suffix=".part")
    except OSError as exc:
        fail(f"{shown(output)}: {exc.strerror or exc}")
    try:
        # mkstemp makes the file 0600; the export gets the mode any new file of the user's
        # gets (0666 less the umask), or the mode of the file it replaces
        os.chmod(handle, _mode_for(output))
        with open(handle, "w", encoding="utf-8", newline="\n") as out:
            write_chunks(chunks, out)
        os.replace(partial, output)
    except OSError as exc:
        os.unlink(partial)
        fail(f"{shown(output)}: {exc.strerror or exc}")
    except BaseException:
        os.unlink(partial)
        raise


@click.command("import")
@click.argument("file", type=click.Path(dir_okay=False))
@store_option
@click.option("--format", "fmt", type=click.Choice(IMPORT_FORMATS), default=None,
              help="The file's RDF format (default: from its extension).")
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
def import_(file, store, fmt, as_json):
    """Import a Citegraph RDF export into an empty store."""
    runtime = open_runtime(store=store)
    try:
        with runtime.store:
            report = import_rdf(runtime.store, file, fmt, get_embedder=lambda: runtime.embedder)
    except RdfImportError as exc:
        fail(str(exc), EXIT_USAGE)
    summary = report.as_dict()
    if as_json:
        click.echo(json.dumps(summary))
    else:
        click.echo("imported: {}, {}, {} ({} embedded again), {}".format(
            count_of(summary["concepts"], "concept"), count_of(summary["articles"], "article"),
            count_of(summary["passages"], "passage"), summary["embedded"],
            count_of(summary["mentions"], "mention")))


commands = [export, import_]
