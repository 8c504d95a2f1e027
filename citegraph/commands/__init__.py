"""CLI commands grouped by area, one module each; each module defines `commands`, a list of
click commands that `register` adds to the `citegraph` group."""
from __future__ import annotations

import importlib

# One line per area; a module is listed once it exists.
COMMAND_MODULES: list[str] = [
    "concepts",
    "evaluate",
    "export",
    "migrate",
    "serve",
]


def register(group) -> None:
    for name in COMMAND_MODULES:
        module = importlib.import_module(f"citegraph.commands.{name}")
        for command in module.commands:
            group.add_command(command)
