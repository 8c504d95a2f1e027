"""The `citegraph` command line: the group, its settings, and the commands of
citegraph/commands/. Expected errors are one line on stderr, never a traceback.
Exit codes: 0 success, 1 some inputs failed, 2 usage or configuration error."""
from __future__ import annotations

import sys

import click

import citegraph
from citegraph.commands import ask, concepts, evaluate, export, ingest, migrate, serve
from citegraph.commands import scheme as scheme_commands
from citegraph.commands import suggest as suggest_commands
from citegraph.commands.common import fail
from citegraph.errors import CitegraphError
from citegraph.settings import load_settings


class CitegraphGroup(click.Group):
    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except CitegraphError as exc:
            fail(str(exc))
        except BrokenPipeError:
            sys.exit(0)


@click.group(cls=CitegraphGroup)
@click.version_option(citegraph.__version__, prog_name="citegraph")
@click.option("--config", type=click.Path(dir_okay=False), default=None,
              help="A TOML file of settings (default: $CITEGRAPH_CONFIG); options and the "
                   "environment override it.")
@click.pass_context
def main(ctx, config):
    """Citegraph: a knowledge graph and semantic search over your articles."""
    ctx.obj = load_settings(config_file=config)


for module in (ingest, ask, concepts, evaluate, export, migrate, serve, scheme_commands,
               suggest_commands):
    for command in module.commands:
        main.add_command(command)
from citegraph.commands.articles import articles_command  # noqa: E402
main.add_command(articles_command)
