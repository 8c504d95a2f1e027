"""CLI commands grouped by area, one module each; each module defines `commands`, the click
commands that citegraph/cli.py adds to the `citegraph` group."""
