"""Serving the app with waitress: in the foreground for `citegraph serve`, or on a background
thread (any free port) for tests and benchmarks that drive a real server over HTTP."""
from __future__ import annotations

import threading

import waitress
from waitress.server import create_server

from citegraph.webapp import MAX_REQUEST_BYTES

DEFAULT_THREADS = 4


def serve_forever(app, host: str, port: int, threads: int = DEFAULT_THREADS) -> None:
    waitress.serve(app, host=host, port=port, threads=threads,
                   max_request_body_size=MAX_REQUEST_BYTES, ident="citegraph", _quiet=True)


class BackgroundServer:
    """`with BackgroundServer(app) as server:` … requests to `server.url` … the server stops."""

    def __init__(self, app, host: str = "127.0.0.1", port: int = 0,
                 threads: int = DEFAULT_THREADS):
        self._server = create_server(app, host=host, port=port, threads=threads,
                                     max_request_body_size=MAX_REQUEST_BYTES,
                                     ident="citegraph")
        self.url = f"http://{host}:{self._server.effective_port}"
        self._thread = threading.Thread(target=self._server.run, name="citegraph-server",
                                        daemon=True)

    def start(self) -> "BackgroundServer":
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.close()
        self._thread.join(timeout=5)

    def __enter__(self) -> "BackgroundServer":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
