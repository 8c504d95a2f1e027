"""`citegraph suggest FILE|-`: the concepts a text is about, with scores, from the linker that
ingest uses (ingest/linker.py: labels found in the text, then embedding similarity)."""
from __future__ import annotations

import json
import sys

import click

from citegraph.commands.common import fail, ontology_option, open_runtime

MAX_TEXT = 100_000  # characters read from FILE or standard input


@click.command("suggest")
@click.argument("file", type=click.Path(dir_okay=False, allow_dash=True))
@click.option("--limit", default=10, show_default=True, type=click.IntRange(1, 1000))
@click.option("--threshold", default=None, type=click.FloatRange(0.0, 1.0),
              help="Lowest score shown (default 0.5: a label in the text, or a cosine of 0.625).")
@click.option("--json", "as_json", is_flag=True, help='{"results": [{iri, id, label, score}]}')
@ontology_option
def suggest_command(file, limit, threshold, as_json, ontology):
    """Concepts of the scheme that a text (FILE, or - for standard input) is about."""
    from citegraph.graph.neighbourhood import short_ids
    from citegraph.ingest.linker import SUGGEST_THRESHOLD, ConceptLinker

    try:
        if file == "-":
            text = sys.stdin.read(MAX_TEXT + 1)
        else:
            with open(file, encoding="utf-8") as f:
                text = f.read(MAX_TEXT + 1)
    except (OSError, UnicodeDecodeError) as exc:
        fail(f"{file}: {getattr(exc, 'strerror', None) or exc}")
    if len(text) > MAX_TEXT:
        fail(f"{file}: longer than {MAX_TEXT} characters")
    runtime = open_runtime(ontology=ontology)
    # a scheme file's concepts, no store: suggest reads none (the API's suggest uses its own)
    linker = ConceptLinker(runtime.scheme_file.concepts, runtime.embedder)
    found = linker.suggest(text, limit=limit,
                                   threshold=SUGGEST_THRESHOLD if threshold is None else threshold)
    ids = short_ids((c.iri, c.label) for c in runtime.scheme_file.concepts)
    results = [{"iri": c.iri, "id": ids[c.iri], "label": c.label, "score": round(s, 4)}
               for c, s in found]
    if as_json:
        click.echo(json.dumps({"results": results}, ensure_ascii=False))
        return
    if not results:
        click.echo("No concept of the scheme matches this text (none scores "
                   f"{SUGGEST_THRESHOLD if threshold is None else threshold:g} or more; "
                   "--threshold sets the lowest score shown).")
    for r in results:
        click.echo(f"{r['score']:.3f}  {r['label']}  <{r['iri']}>")


commands = [suggest_command]
