"""Writing and counting: `ingest`, `delete`, `stats`."""
from __future__ import annotations

import json
import sys

import click

from citegraph.commands.common import (EXIT_PARTIAL, EXIT_USAGE, fail, ontology_option, shown,
                                       open_runtime, progress, store_option)


@click.command()
@click.argument("paths", nargs=-1, required=True)
@store_option
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
@ontology_option
@click.option("--replace", is_flag=True,
              help="Let a file replace a stored article with the same id that came from "
                   "another file (refused by default).")
@click.option("--id-prefix", default="", metavar="PREFIX",
              help="Put PREFIX/ before every article id read (two folders with the same "
                   "layout side by side: --id-prefix teamB).")
@click.option("--follow-symlinks", is_flag=True,
              help="Follow symlinks that lead out of a named folder (skipped by default).")
@click.option("--limit", type=click.IntRange(1), default=None, metavar="N",
              help="URLs: pages taken from one feed or sitemap (default 1000).")
@click.option("--delay", type=click.FloatRange(0), default=None, metavar="SECONDS",
              help="URLs: seconds between two requests to one host (default: the "
                   "`fetch_delay` setting, 1).")
@click.option("--allow-private", is_flag=True,
              help="URLs: let redirects, feed entries and DNS names reach loopback or "
                   "private addresses the URLs given did not name (refused by default).")
def ingest(paths, store, as_json, ontology, replace, id_prefix, follow_symlinks, limit,
           delay, allow_private):
    """Ingest files or folders (.txt, .md, .html, .jsonl, .pdf, .docx) and URLs (a web page, an
    RSS/Atom feed: every entry's page, a sitemap: every page in it).

    An article's id is the file's path inside the folder given, extension included
    (notes/crm.md), or a JSONL record's `_id`/`id`. A file whose id already holds an article from another
    file is refused, naming both, unless --replace."""
    from citegraph.ingest.fetch import Fetcher, FetchLimits
    from citegraph.ingest.pipeline import IngestReport, normalise_prefix
    from citegraph.ingest.web import DEFAULT_LIMIT, WebIngest, is_url
    from citegraph.ingest.readers import ReadError
    from citegraph.graph.base import StoreError

    try:
        id_prefix = normalise_prefix(id_prefix)
    except ReadError as exc:
        fail(f"--id-prefix: {exc}")
    runtime = open_runtime(store=store, ontology=ontology)
    if runtime.settings.ontology:
        runtime.scheme_file  # a bad scheme fails before the store is opened
    with runtime.store:
        # the store's scheme links; --ontology only gives a store that holds none its first
        runtime.sync_scheme(strict=True)
        files = [p for p in paths if not is_url(p)]
        urls = [p for p in paths if is_url(p)]
        pipeline = runtime.pipeline()
        report = IngestReport()
        try:
            if files:
                pipeline.ingest_paths(files, progress=progress("ingest", "file"),
                                      replace=replace, id_prefix=id_prefix,
                                      follow_symlinks=follow_symlinks, report=report)
            if urls:
                limits = FetchLimits.from_settings(runtime.settings.but(fetch_delay=delay),
                                                   allow_private)
                # the store's ingest lock is taken a batch at a time (ingest/web.py): other
                # processes' writes go on while the crawl fetches
                WebIngest(pipeline, Fetcher(limits), limit or DEFAULT_LIMIT,
                          linker=lambda: runtime.linker).ingest(urls, report)
        except StoreError as exc:  # a full disk, a Neo4j gone: say what got in before it
            name_failures(report)
            fail(f"{exc}; ingest stopped: {stored_before_stop(report)}")
    name_failures(report)
    summary = report.as_dict()
    if as_json:
        click.echo(json.dumps(summary))
    else:
        click.echo("articles: {new} new, {changed} changed, {unchanged} unchanged, {failed} failed,"
                   " {skipped} skipped; passages: {passages}; mentions: {mentions}".format(**summary))
    if report.articles_read == 0:
        if not report.failed:
            from citegraph.ingest.readers import SUFFIXES

            click.echo(f"citegraph: {shown(', '.join(paths))}: no files to ingest "
                       f"(read: {', '.join(SUFFIXES)}; names starting with '.' are skipped)",
                       err=True)
        sys.exit(EXIT_PARTIAL if report.failed else EXIT_USAGE)
    sys.exit(EXIT_PARTIAL if report.failed else 0)


def name_failures(report) -> None:
    for where, reason in report.failed:
        click.echo(f"citegraph: {shown(where)}: {shown(reason)}", err=True)
    for where, reason in report.skipped:
        click.echo(f"citegraph: {shown(where)}: skipped: {shown(reason)}", err=True)


def stored_before_stop(report) -> str:
    """What an ingest the store stopped part-way had done: each article is stored whole or
    not at all, so the ones counted are whole and every other one is not stored."""
    stored = report.new + report.changed
    unchanged = f" ({report.unchanged} already stored unchanged)" if report.unchanged else ""
    return (f"{stored} article{'' if stored == 1 else 's'} stored whole before it{unchanged},"
            " the rest not stored")


@click.command()
@store_option
@click.option("--json", "as_json", is_flag=True)
def stats(store, as_json):
    """Counts of articles, passages, concepts and mentions."""
    with open_runtime(store=store, readonly=True).store as s:
        counts = s.stats()
    if as_json:
        click.echo(json.dumps(counts))
    else:
        for name, value in counts.items():
            click.echo(f"{name}: {value}")


@click.command()
@click.argument("article_id")
@store_option
def delete(article_id, store):
    """Delete an article with its passages and mentions."""
    with open_runtime(store=store, must_exist=True).store as s:
        if not s.delete_article(article_id):
            fail(f"article {article_id!r}: not in the store", EXIT_PARTIAL)
    click.echo(f"deleted {article_id}")


commands = [ingest, stats, delete]
