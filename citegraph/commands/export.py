"""`citegraph export` and `citegraph import`: the graph as RDF (or passages as JSON Lines),
and Citegraph's own RDF back into an empty store."""
from __future__ import annotations

import json
import sys

import click

from citegraph.commands.common import EXIT_USAGE, fail, open_runtime, store_option
from citegraph.graph.rdf_describe import WHAT
from citegraph.graph.rdf_export import FORMATS, ExportError, export as write_export
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
    runtime = open_runtime(store=store, base_iri=base_iri)
    base_iri = runtime.settings.base_iri
    source = runtime.open_store(runtime.settings.store, readonly=True)
    if not base_iri and source.meta_value(BASE_IRI_KEY) is None:
        # the store's first export names its own base IRI, kept for the next ones
        with runtime.open_store(runtime.settings.store) as writable:
            base_iri = store_base_iri(writable)
    try:
        out = open(output, "w", encoding="utf-8", newline="\n") if output else sys.stdout
    except OSError as exc:
        source.close()
        fail(f"{output}: {exc.strerror or exc}")
    try:
        with source:
            write_export(source, fmt, out, what=what, base_iri=base_iri,
                         with_embeddings=with_embeddings)
    except (ExportError, VocabularyError) as exc:
        fail(str(exc), EXIT_USAGE)
    except BrokenPipeError:
        raise  # a reader that stopped early (`| head`): the group exits quietly
    except OSError as exc:
        fail(f"{output or 'stdout'}: {exc.strerror or exc}")
    finally:
        if output:
            out.close()


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
        click.echo("imported: {concepts} concepts, {articles} articles, {passages} passages "
                   "({embedded} embedded again), {mentions} mentions".format(**summary))


commands = [export, import_]
