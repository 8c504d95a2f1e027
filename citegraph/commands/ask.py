"""`citegraph ask`: one question, or a file of them for evaluation."""
from __future__ import annotations

import json

import click

from citegraph.commands.common import fail, open_runtime, store_option
from citegraph.search.factory import MODES
from citegraph.search.filters import FilterError
from citegraph.search.results import SearchResult
from citegraph.search.service import MAX_K


def read_queries(path: str) -> list[tuple[str, str]]:
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


@click.command()
@click.argument("question", required=False)
@store_option
@click.option("--k", default=10, show_default=True, type=click.IntRange(1, MAX_K))
@click.option("--json", "as_json", is_flag=True, help="Print the result JSON.")
@click.option("--queries", type=click.Path(dir_okay=False),
              help="A JSONL file of {_id|id, text}: one JSON line of results per query.")
@click.option("--mode", type=click.Choice(MODES[:3]), default="hybrid", show_default=True)
@click.option("--concept", help="Only passages mentioning this concept (label, id or IRI).")
@click.option("--article", help="Only passages of this article (its id).")
@click.option("--since", metavar="YYYY-MM-DD",
              help="Only articles published on or after this date (undated ones left out).")
@click.option("--until", metavar="YYYY-MM-DD",
              help="Only articles published on or before this date (undated ones left out).")
@click.option("--explain", is_flag=True,
              help="Show each result's signals: the raw dense, BM25 and concept scores and "
                   "the fused one.")
def ask(question, store, k, as_json, queries, mode, concept, article, since, until, explain):
    """Answer a question with cited passages."""
    if not question and not queries:
        fail("ask needs a QUESTION or --queries FILE")
    if question and not question.strip():
        fail("QUESTION is empty")
    runtime = open_runtime(store=store, readonly=True)
    with runtime.store:
        service = runtime.search_service(mode)
        try:
            criteria = service.passage_filter(concept, article, since, until)
        except FilterError as exc:
            fail(str(exc))
        if queries:
            for qid, text in read_queries(queries):
                result = service.search(text, k, with_answer=False, filters=criteria,
                                        explain=explain).to_dict()
                click.echo(json.dumps({"query_id": qid, "results": result["results"]}))
            return
        result = service.search(question, k, filters=criteria, explain=explain)
    if as_json:
        click.echo(json.dumps(result.to_dict(), ensure_ascii=False))
        return
    print_answer(result)


def print_answer(result: SearchResult) -> None:
    if not result.results:
        click.echo("No passage answers this question.")
        return
    if result.answer.abstained:
        click.echo("No answer: none of these passages answers the question. Nearest passages:")
    else:
        click.echo(result.answer.text)
    if result.answer.confidence is not None:
        click.echo(f"(answer confidence {result.answer.confidence:.2f})")
    click.echo()
    for r in result.results:
        h = r.highlight
        byline = ", ".join(filter(None, (r.author, r.date)))
        if r.section == "comment":  # a reader's words, not the article's author's
            byline = "comment" + (f" by {r.author}" if r.author else "") + (
                f", {r.date}" if r.date else "")
        where = f"p. {r.page}" if r.page else f"chars {r.start}-{r.end}"
        click.echo(f"[{r.rank}] {r.title} ({r.article_id}, {where})"
                   + (f" · {byline}" if byline else ""))
        click.echo(f"    “{r.text[h.start:h.end]}”")
        if r.signals is not None:
            click.echo("    " + "  ".join(
                f"{name} {'-' if value is None else f'{value:.4f}'}"
                for name, value in r.signals.items()))


commands = [ask]
