"""`citegraph ask`: one question, or a file of them for evaluation."""
from __future__ import annotations

import json
from typing import Iterator

import click

from citegraph.commands.common import EXIT_PARTIAL, fail, open_runtime, shown, store_option
from citegraph.search.factory import MODES
from citegraph.search.filters import FilterError
from citegraph.search.results import SearchResult
from citegraph.search.service import MAX_K, SearchError


EXPECTED = "expected a JSON object with '_id' or 'id' and 'text'"


def read_queries(path: str) -> Iterator[tuple[int, str, str] | tuple[int, None, str]]:
    """(line number, query id, text) per query line of a JSONL file; a line that is no
    such query gives (line number, None, why), so that the batch goes on without it."""
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
        except (json.JSONDecodeError, KeyError, AttributeError, RecursionError):
            yield number, None, EXPECTED
            continue
        if qid is None or isinstance(qid, (dict, list)) or not isinstance(text, str):
            yield number, None, EXPECTED
        elif not text.strip():
            yield number, None, "'text' is empty"
        else:
            yield number, str(qid), text


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
            failed = answer_queries(service, queries, k, criteria, explain)
            if failed:
                click.echo(f"citegraph: {queries}: {failed} of the queries not answered "
                           "(named above)", err=True)
                raise SystemExit(EXIT_PARTIAL)
            return
        result = service.search(question, k, filters=criteria, explain=explain)
    if as_json:
        click.echo(json.dumps(result.to_dict(), ensure_ascii=False))
        return
    print_answer(result)


def answer_queries(service, path: str, k: int, criteria, explain: bool) -> int:
    """One JSON line of results per good query of the file; a bad line or a query the
    service refuses is named on stderr and the batch goes on. The number not answered."""
    failed = 0
    for number, qid, text in read_queries(path):
        reason = text if qid is None else None
        if qid is not None:
            try:
                result = service.search(text, k, with_answer=False, filters=criteria,
                                        explain=explain).to_dict()
                click.echo(json.dumps({"query_id": qid, "results": result["results"]}))
            except SearchError as exc:
                reason = str(exc)
        if reason is not None:
            failed += 1
            where = f"{path}:{number}" + (f" (query {qid})" if qid is not None else "")
            click.echo(f"citegraph: {shown(where)}: {shown(reason)}", err=True)
    return failed


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
