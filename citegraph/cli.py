"""The `citegraph` command line. Expected errors are one line on stderr, never a traceback.
Exit codes: 0 success, 1 some inputs failed, 2 usage or configuration error."""
from __future__ import annotations

import json
import sys

import click

import citegraph  # noqa: F401  (sets thread and offline environment first)
from citegraph.commands import register
from citegraph.runtime import Runtime
from graph.base import StoreError

EXIT_PARTIAL = 1
EXIT_USAGE = 2


def fail(message: str, code: int = EXIT_USAGE):
    click.echo(f"citegraph: {message}", err=True)
    sys.exit(code)


store_option = click.option("--store", envvar="CITEGRAPH_STORE", default=None,
                            help="Store directory or neo4j:// URI (default ./citegraph-data).")


class CitegraphGroup(click.Group):
    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except StoreError as exc:
            fail(str(exc))
        except BrokenPipeError:
            sys.exit(0)


@click.group(cls=CitegraphGroup)
@click.version_option(citegraph.__version__, prog_name="citegraph")
def main():
    """Citegraph: a knowledge graph and semantic search over your articles."""


@main.command()
@click.argument("paths", nargs=-1, required=True)
@store_option
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
@click.option("--ontology", type=click.Path(dir_okay=False), envvar="CITEGRAPH_ONTOLOGY",
              default=None, help="A SKOS scheme (Turtle, RDF/XML, JSON-LD); default: shipped.")
def ingest(paths, store, as_json, ontology):
    """Ingest files or folders (.txt, .md, .html, .jsonl)."""
    from tqdm import tqdm

    runtime = Runtime(store, ontology=ontology)
    with runtime.store:
        pipeline = runtime.pipeline()
        report = pipeline.ingest_paths(
            list(paths), progress=lambda files: tqdm(files, desc="ingest", unit="file",
                                                     disable=None, file=sys.stderr))
    for where, reason in report.failed:
        click.echo(f"citegraph: {where}: {reason}", err=True)
    summary = report.as_dict()
    if as_json:
        click.echo(json.dumps(summary))
    else:
        click.echo("articles: {new} new, {changed} changed, {unchanged} unchanged, {failed} failed;"
                   " passages: {passages}; mentions: {mentions}".format(**summary))
    if report.articles_read == 0:
        sys.exit(EXIT_PARTIAL if report.failed else EXIT_USAGE)
    sys.exit(EXIT_PARTIAL if report.failed else 0)


def _read_queries(path: str) -> list[tuple[str, str]]:
    queries = []
    try:
        lines = open(path, encoding="utf-8").read().splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        fail(f"{path}: {getattr(exc, 'strerror', None) or exc}")
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
            qid = record.get("_id", record.get("id"))
            text = record["text"]
        except (json.JSONDecodeError, KeyError, AttributeError):
            fail(f"{path}:{number}: expected a JSON object with '_id' or 'id' and 'text'")
        if qid is None or not isinstance(text, str):
            fail(f"{path}:{number}: expected a JSON object with '_id' or 'id' and 'text'")
        queries.append((str(qid), text))
    return queries


@main.command()
@click.argument("question", required=False)
@store_option
@click.option("--k", default=10, show_default=True, type=click.IntRange(1, 1000))
@click.option("--json", "as_json", is_flag=True, help="Print the result JSON.")
@click.option("--queries", type=click.Path(dir_okay=False),
              help="A JSONL file of {_id|id, text}: one JSON line of results per query.")
@click.option("--mode", type=click.Choice(["hybrid", "dense", "bm25"]), default="hybrid",
              show_default=True)
def ask(question, store, k, as_json, queries, mode):
    """Answer a question with cited passages."""
    if not question and not queries:
        fail("ask needs a QUESTION or --queries FILE")
    if question and not question.strip():
        fail("QUESTION is empty")
    runtime = Runtime(store)
    with runtime.store:
        service = runtime.search_service(mode)
        if queries:
            for qid, text in _read_queries(queries):
                result = service.search(text, k, with_answer=False)
                click.echo(json.dumps({"query_id": qid, "results": result["results"]}))
            return
        result = service.search(question, k)
    if as_json:
        click.echo(json.dumps(result, ensure_ascii=False))
        return
    _print_answer(result)


def _print_answer(result: dict) -> None:
    if not result["results"]:
        click.echo("No passage answers this question.")
        return
    click.echo(result["answer"]["text"])
    click.echo()
    for r in result["results"]:
        h = r["highlight"]
        click.echo(f"[{r['rank']}] {r['title']} ({r['article_id']}, chars {r['start']}-{r['end']})")
        click.echo(f"    “{r['text'][h['start']:h['end']]}”")


@main.command()
@store_option
@click.option("--json", "as_json", is_flag=True)
def stats(store, as_json):
    """Counts of articles, passages, concepts and mentions."""
    runtime = Runtime(store)
    with runtime.store as s:
        counts = s.stats()
    if as_json:
        click.echo(json.dumps(counts))
    else:
        for name, value in counts.items():
            click.echo(f"{name}: {value}")


@main.command()
@click.argument("article_id")
@store_option
def delete(article_id, store):
    """Delete an article with its passages and mentions."""
    runtime = Runtime(store)
    with runtime.store as s:
        if not s.delete_article(article_id):
            fail(f"article {article_id!r}: not in the store", EXIT_PARTIAL)
        s.rebuild_cooccurrence()
    click.echo(f"deleted {article_id}")


register(main)
