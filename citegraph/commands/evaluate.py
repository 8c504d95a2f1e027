"""`citegraph eval`: retrieval quality on a BEIR-format folder, per retrieval mode."""
from __future__ import annotations

import json
import sys
import tempfile

import click

from citegraph.commands.common import EXIT_PARTIAL, fail, open_runtime, shown, store_option


def _table(name: str, split: str, summaries: dict[str, dict]) -> str:
    lines = [f"{name} ({split}, {next(iter(summaries.values()))['queries']} queries)",
             f"{'mode':<10}{'nDCG@10':>9}{'R@100':>9}{'MRR@10':>9}{'ms/q':>8}"]
    for mode, s in summaries.items():
        lines.append(f"{mode:<10}{s['ndcg@10']:>9.4f}{s['recall@100']:>9.4f}"
                     f"{s['mrr@10']:>9.4f}{s['ms_per_query']:>8.1f}")
    return "\n".join(lines)


def _run(beir, store_dir: str, modes: list[str]):
    from tqdm import tqdm

    from citegraph.evaluation import evaluate, ingest_corpus
    from citegraph.search.factory import build_retriever

    runtime = open_runtime(store=store_dir)
    with runtime.store as store:
        runtime.sync_scheme()
        try:
            retrievers = {mode: build_retriever(store, mode) for mode in modes}
        except ValueError as exc:
            fail(f"--modes: {exc}")
        report = ingest_corpus(runtime.pipeline(), beir)
        for where, reason in report.failed:
            click.echo(f"citegraph: {shown(where)}: {shown(reason)}", err=True)
        if report.articles_read == 0:
            fail(f"{beir.corpus}: no article could be read", EXIT_PARTIAL)
        results = evaluate(beir, retrievers, runtime.embedder,
                           progress=lambda ids: tqdm(ids, desc="eval", unit="query",
                                                     disable=None, file=sys.stderr))
    summaries = {mode: r.summary() for mode, r in results.items()}
    return summaries, report


@click.command("eval")
@click.argument("beir_dir", type=click.Path(file_okay=False))
@click.option("--split", default="test", show_default=True,
              help="The qrels file to judge by: qrels/<split>.tsv.")
@click.option("--json", "as_json", is_flag=True, help="Print the figures as JSON.")
@store_option
@click.option("--modes", default="dense,bm25,hybrid", show_default=True,
              help="Comma-separated retrieval modes: dense, bm25, hybrid, hybrid-rrf.")
def evaluate_command(beir_dir, split, as_json, store, modes):
    """nDCG@10, recall@100 and MRR@10 (per article) on a BEIR folder, per retrieval mode.

    The corpus is ingested into a temporary store, or into --store (kept, so that a second
    run only checks content hashes)."""
    from citegraph.evaluation import EvalDataError, load_beir

    mode_list = [m.strip() for m in modes.split(",") if m.strip()]
    if not mode_list:
        fail("--modes: name at least one retrieval mode")
    try:
        beir = load_beir(beir_dir, split)
    except EvalDataError as exc:
        fail(str(exc))
    try:
        if store:
            summaries, report = _run(beir, store, mode_list)
        else:
            with tempfile.TemporaryDirectory(prefix="citegraph-eval-") as tmp:
                summaries, report = _run(beir, tmp, mode_list)
    except EvalDataError as exc:
        fail(str(exc))
    name = beir.directory.resolve().name
    if as_json:
        click.echo(json.dumps({"dataset": name, "split": split, "queries": len(beir.queries),
                               "articles": report.articles_read, "modes": summaries}))
    else:
        click.echo(_table(name, split, summaries))
    sys.exit(EXIT_PARTIAL if report.failed else 0)


commands = [evaluate_command]
