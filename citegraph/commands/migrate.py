"""`citegraph migrate`: move a whole graph between backends (e.g. embedded → Neo4j)."""
from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from citegraph.commands.common import EXIT_PARTIAL, fail, open_runtime
from citegraph.graph.uri import is_neo4j


def _same_store(a: str, b: str) -> bool:
    if is_neo4j(a) or is_neo4j(b):
        return a.rstrip("/") == b.rstrip("/")
    return Path(a).resolve() == Path(b).resolve()


@click.command("migrate")
@click.option("--from", "source", required=True, metavar="S1",
              help="The store to copy: a directory or a neo4j:// / bolt:// URI.")
@click.option("--to", "target", required=True, metavar="S2",
              help="The empty store to copy into: a directory or a neo4j:// / bolt:// URI.")
@click.option("--json", "as_json", is_flag=True, help="Print source and target counts as JSON.")
def migrate_command(source, target, as_json):
    """Copy articles, passages with their embeddings, concepts and mentions from S1 to S2,
    without re-embedding. S2 must be empty."""
    from tqdm import tqdm

    from citegraph.graph.migrate import migrate

    if _same_store(source, target):
        fail("--from and --to name the same store")
    runtime = open_runtime()
    with runtime.open_store(source, readonly=True) as src, runtime.open_store(target) as dst:
        report = migrate(src, dst, progress=lambda groups: tqdm(
            groups, desc="migrate", unit="article", disable=None, file=sys.stderr))
    if as_json:
        click.echo(json.dumps({"source": report.source, "target": report.target}))
    else:
        click.echo("copied: " + ", ".join(f"{n} {name}" for name, n in report.target.items()))
    if not report.complete:
        fail(f"the copy differs from the source: {report.source} → {report.target}",
             EXIT_PARTIAL)


commands = [migrate_command]
