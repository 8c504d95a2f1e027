"""Errors as one clear line: JSON `{"error", "status", "detail"?}` under /api and /healthz,
an HTML page elsewhere. Unexpected failures are logged and answered 500 without internals."""
from __future__ import annotations

from apiflask import HTTPError
from flask import render_template, request
from werkzeug.exceptions import HTTPException

from citegraph.graph.base import StoreError, StoreFileError

JSON_PREFIXES = ("/api/", "/healthz")
# what a 503 of a store that may come back (a Neo4j restarting, a write ahead) or of a busy
# server asks a client to wait before it tries again
RETRY_AFTER_SECONDS = 5
UNNAMED = {"json", "query", "form", "path", "_schema"}


def wants_json() -> bool:
    return request.path.startswith(JSON_PREFIXES)


def one_line(detail) -> str:
    """`{"query": {"k": ["Must be ..."]}}` → `k: Must be ...`."""
    parts = []

    def walk(node, path):
        if isinstance(node, dict):
            for key, value in node.items():
                # request locations and whole-body errors add nothing to the field name
                walk(value, path if key in UNNAMED else path + [str(key)])
        elif isinstance(node, (list, tuple)):
            for value in node:
                walk(value, path)
        else:
            parts.append(f"{'.'.join(path)}: {node}" if path else str(node))

    walk(detail, [])
    return "; ".join(parts)


def _json_error(status: int, message: str, detail=None, headers=None):
    body = {"error": message, "status": status}
    if detail:
        body["detail"] = detail
    return body, status, headers or {}


def _page_error(status: int, message: str, headers=None):
    return render_template("error.html", status=status, message=message), status, headers or {}


def init_app(app) -> None:
    @app.error_processor
    def api_error(error: HTTPError):
        detail = error.detail or {}
        # validation errors name the location ("query", "json"); the field names suffice
        if isinstance(detail, dict) and set(detail) <= UNNAMED - {"_schema"}:
            detail = {k: v for loc in detail.values() if isinstance(loc, dict)
                      for k, v in loc.items()} or detail
        message = one_line(detail) if error.status_code in (400, 422) and detail \
            else error.message or ""
        if wants_json():
            return _json_error(error.status_code, message, detail or None, error.headers)
        return _page_error(error.status_code, message, error.headers)

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        headers = {k: v for k, v in error.get_headers() if k.lower() != "content-type"}
        message = error.description or ""
        messages = (getattr(error, "data", None) or {}).get("messages")
        if messages:  # the request parser's own reason, e.g. a body that is not JSON
            message = one_line(messages)
        elif message == type(error).description:  # werkzeug's generic text: say what failed
            message = f"{error.name.lower()}: {request.path}"
        if error.code == 413:
            message = (f"request body over the limit of "
                       f"{app.config['MAX_CONTENT_LENGTH']:,} bytes")
        if wants_json():
            return _json_error(error.code or 500, message, headers=headers)
        return _page_error(error.code or 500, message, headers)

    @app.errorhandler(StoreError)
    def store_error(error: StoreError):
        # the reason names the store's path or URI: for the log, not for the caller
        app.logger.error("store: %s", error)
        message = "store unavailable"
        headers = {}
        if isinstance(error, StoreFileError):  # damaged, disk full, read-only: say which
            message += f": {error.kind}"
        else:  # unreachable (a Neo4j stopped or restarting): worth trying again soon
            headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
        if wants_json():
            return _json_error(503, message, headers=headers)
        return _page_error(503, message, headers)

    @app.errorhandler(Exception)
    def unexpected(error: Exception):
        app.logger.exception("unexpected error on %s", request.path)
        if wants_json():
            return _json_error(500, "internal error")
        return _page_error(500, "internal error")
