"""Serving the app with waitress: in the foreground for `citegraph serve`, or on a background
thread (any free port) for tests and benchmarks that drive a real server over HTTP."""
from __future__ import annotations

import json
import threading

from waitress.channel import HTTPChannel
from waitress.server import create_server
from waitress.task import ErrorTask

from citegraph.webapp import MAX_REQUEST_BYTES

DEFAULT_THREADS = 4


class JsonErrorTask(ErrorTask):
    """Errors waitress answers itself, before the app sees the request (a body over
    MAX_REQUEST_BYTES: 413; a malformed request: 400), in the app's JSON error form
    `{"error", "status"}` instead of waitress's plain text."""

    def execute(self):
        error = self.request.error
        body = json.dumps({"error": f"{error.reason}: {error.body}".rstrip(": "),
                           "status": error.code}).encode("utf-8")
        self.status = f"{error.code} {error.reason}"
        self.response_headers.extend([("Content-Type", "application/json"),
                                      ("Connection", "close")])
        self.set_close_on_finish()
        self.content_length = len(body)
        self.write(body)


class JsonErrorChannel(HTTPChannel):
    error_task_class = JsonErrorTask


def make_server(app, host: str, port: int, threads: int = DEFAULT_THREADS):
    server = create_server(app, host=host, port=port, threads=threads,
                           max_request_body_size=MAX_REQUEST_BYTES, ident="citegraph")
    # waitress's own extension point, on each listening socket's server
    listeners = [server] if hasattr(server, "channel_class") else [
        s for s in server.map.values() if hasattr(s, "channel_class")]
    for listener in listeners:
        listener.channel_class = JsonErrorChannel
    return server


def serve_forever(app, host: str, port: int, threads: int = DEFAULT_THREADS) -> None:
    server = make_server(app, host, port, threads)
    try:
        server.run()
    except KeyboardInterrupt:
        pass
    finally:
        server.close()


class BackgroundServer:
    """`with BackgroundServer(app) as server:` … requests to `server.url` … the server stops."""

    def __init__(self, app, host: str = "127.0.0.1", port: int = 0,
                 threads: int = DEFAULT_THREADS):
        self._server = make_server(app, host, port, threads)
        self.url = f"http://{host}:{self._server.effective_port}"
        self._stopping = False
        self._thread = threading.Thread(target=self._serve, name="citegraph-server",
                                        daemon=True)

    def _serve(self) -> None:
        try:
            self._server.run()
        except OSError:
            # stop() closes the sockets from another thread; the loop's select may still
            # hold one of them and fail with EBADF: the end asked for, not an error
            if not self._stopping:
                raise

    def start(self) -> "BackgroundServer":
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping = True
        self._server.close()
        self._thread.join(timeout=5)

    def __enter__(self) -> "BackgroundServer":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
