"""`citegraph articles`: the collection, a page at a time, in the envelope of
`GET /api/articles` ({"total": n, "articles": [{id, title, source, author, date,
passages}]})."""
from __future__ import annotations

import json

import click

from citegraph.commands.common import count_of, open_runtime, store_option
from citegraph.graph.listing import DEFAULT_LIMIT, MAX_LIMIT, MAX_OFFSET, SORTS, article_listing


@click.command("articles")
@store_option
@click.option("--json", "as_json", is_flag=True,
              help='One JSON object: {"total": n, "articles": [...]}.')
@click.option("--sort", type=click.Choice(SORTS), default="date", show_default=True,
              help="date: newest first; title: A to Z.")
@click.option("--limit", type=click.IntRange(1, MAX_LIMIT), default=DEFAULT_LIMIT,
              show_default=True, help="Articles per page.")
@click.option("--offset", type=click.IntRange(0, MAX_OFFSET), default=0, show_default=True,
              help="Articles to skip.")
def articles_command(store, as_json, sort, limit, offset):
    """The stored articles with their passage counts."""
    with open_runtime(store=store, readonly=True).store as s:
        listing = article_listing(s, limit, offset, sort).as_dict()
    if as_json:
        click.echo(json.dumps(listing, ensure_ascii=False))
        return
    if not listing["total"]:
        click.echo("No articles in the store: run `citegraph ingest PATH`.")
        return
    for a in listing["articles"]:
        extra = " · ".join(x for x in (a["source"], a["author"], a["date"]) if x)
        click.echo(f"{a['passages']:5d}  {a['id']}  {a['title']}" + (f"  ({extra})" if extra else ""))
    shown = len(listing["articles"])
    first = offset + 1 if shown else 0
    click.echo(f"{first}-{offset + shown} of {count_of(listing['total'], 'article')} "
               "(--offset, --limit)")


commands = [articles_command]
