"""`citegraph serve`: the web app through waitress, a production WSGI server.

Threads are set deliberately: waitress answers requests on a few threads (I/O and SQLite
reads overlap), while each query embedding runs torch on one thread, so concurrent requests
share the cores instead of every request fanning out over all of them (DESIGN.md, Threads)."""
from __future__ import annotations

import click

from citegraph.commands.common import fail, require_store, settings, store_option


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface to listen on.")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(1, 65535))
@store_option
@click.option("--threads", default=None, type=click.IntRange(1, 64),
              help="waitress worker threads (default: the `server_threads` setting, 4).")
def serve(host, port, store, threads):
    """Serve the web app and the JSON API (writes need the `token` setting)."""
    from citegraph.webapp import create_app
    from citegraph.webapp.server import serve_forever

    chosen = settings(store=store, server_threads=threads)
    require_store(chosen.store)
    _check_port(host, port)  # before the model loads, not a minute later
    if not chosen.threads:
        chosen = chosen.but(threads=1)  # torch threads per query (see above)
    app = create_app(chosen)
    writes = "on" if app.config["TOKEN"] else "off (set CITEGRAPH_TOKEN)"
    click.echo(f"citegraph: serving on http://{host}:{port} ({chosen.server_threads} threads; "
               f"writes {writes})", err=True)
    try:
        serve_forever(app, host, port, chosen.server_threads)
    except OSError as exc:
        fail(f"--port {port}: {exc.strerror or exc}")
    except ValueError as exc:  # waitress: a host it cannot resolve or bind
        fail(f"--host {host}: {exc}")


def _check_port(host: str, port: int) -> None:
    """Fail (exit 2) when the port cannot be listened on, as waitress binds it (address
    reuse on, so a port in TIME_WAIT is free)."""
    import socket

    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except OSError as exc:
        fail(f"--host {host}: {exc.strerror or exc}")
    family, kind, proto, _, address = infos[0]
    with socket.socket(family, kind, proto) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(address)
        except OSError as exc:
            fail(f"--port {port}: {exc.strerror or exc}")


commands = [serve]
