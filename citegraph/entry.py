"""The process entry point of the `citegraph` command (and `python -m citegraph`).

Process-wide environment (offline model loading, thread variables) is set here, before the
command line imports numpy or torch; nothing below the entry points touches the environment."""
from __future__ import annotations


def main() -> None:
    from citegraph.settings import prepare_process

    prepare_process()
    from citegraph.cli import main as command_line

    command_line(prog_name="citegraph")
