"""`citegraph serve`: the web app through waitress, a production WSGI server.

Threads are set deliberately: waitress answers requests on a few threads (I/O and SQLite
reads overlap), while each query embedding runs torch on one thread, so concurrent requests
share the cores instead of every request fanning out over all of them (DESIGN.md, Threads)."""
from __future__ import annotations

import os

import click

from citegraph.cli import fail, store_option


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface to listen on.")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(1, 65535))
@store_option
@click.option("--threads", envvar="CITEGRAPH_SERVER_THREADS", default=4,
              show_default=True, type=click.IntRange(1, 64), help="waitress worker threads.")
def serve(host, port, store, threads):
    """Serve the web app and the JSON API (writes need CITEGRAPH_TOKEN)."""
    os.environ.setdefault("CITEGRAPH_THREADS", "1")  # torch threads per query, before it loads
    from webapp import create_app
    from webapp.server import serve_forever

    app = create_app({"STORE": store})
    writes = "on" if app.config["TOKEN"] else "off (set CITEGRAPH_TOKEN)"
    click.echo(f"citegraph: serving on http://{host}:{port} ({threads} threads; writes {writes})",
               err=True)
    try:
        serve_forever(app, host, port, threads)
    except OSError as exc:
        fail(f"--port {port}: {exc.strerror or exc}")


commands = [serve]
