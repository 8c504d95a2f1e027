"""The web app: `create_app(config)` builds a Flask (APIFlask) app with the JSON API under
/api (OpenAPI 3 at /api/openapi.json) and the HTML pages. The store and the embedding model
are loaded once per process, in the `Runtime` the app holds."""
from __future__ import annotations

import threading
from typing import Optional

from apiflask import APIFlask
from flask.json.provider import DefaultJSONProvider

import citegraph
from citegraph.runtime import Runtime
from citegraph.settings import Settings

MAX_REQUEST_BYTES = 8 * 1024 * 1024  # an article of 2M characters fits; larger bodies get 413

DEFAULTS = {
    "PRELOAD": True,          # load store, its indexes, the model and the linker's concept
                              # vectors at start, not on the first request (an HNSW graph
                              # may take a minute to build)
    "MAX_CONTENT_LENGTH": MAX_REQUEST_BYTES,
    "VALIDATION_ERROR_STATUS_CODE": 400,
    "JSON_SORT_KEYS": False,
}


def create_app(settings: Optional[Settings] = None, runtime: Optional[Runtime] = None,
               config: Optional[dict] = None) -> APIFlask:
    """The app over `runtime` (or a new one from `settings`); `config`: Flask settings such
    as PRELOAD. The write token is the settings' `token` (empty: writes refused)."""
    from citegraph.webapp import api, errors, pages, security, suggestions

    app = APIFlask(__name__, title="Citegraph API", version=citegraph.__version__,
                   spec_path="/api/openapi.json", docs_path=None, json_errors=False)
    app.config.update(DEFAULTS)
    from citegraph.webapp.schemas import Error
    # the OpenAPI document describes error bodies as they are sent (webapp/errors.py)
    app.config["HTTP_ERROR_SCHEMA"] = Error
    app.config["VALIDATION_ERROR_SCHEMA"] = Error
    app.config.update(config or {})
    runtime = runtime or Runtime(settings)
    app.config["TOKEN"] = runtime.settings.token
    if isinstance(app.json, DefaultJSONProvider):
        app.json.sort_keys = False
    # concept ids are IRIs: keep their "//" instead of redirecting to a merged path
    app.url_map.merge_slashes = False
    app.extensions["citegraph.runtime"] = runtime
    app.extensions["citegraph.write_lock"] = threading.Lock()
    if app.config["PRELOAD"]:
        rt = app.extensions["citegraph.runtime"]
        rt.store.stats()
        rt.store.load_indexes()
        rt.embedder.encode_query("warm up")
        # the concept vectors the linker compares passages with (1.5 s on a loaded 2-core
        # machine): embedded here, not in the first write's or suggestion's request
        rt.linker.concept_vectors
    app.spec_processor(_document_spec)
    security.init_app(app)
    errors.init_app(app)
    app.register_blueprint(api.bp)
    app.register_blueprint(pages.bp)
    app.register_blueprint(suggestions.bp)
    return app


def _document_spec(spec: dict | str) -> dict | str:
    """What apiflask's document leaves out. Request bodies: it leaves them optional; every
    body this API takes is required (a POST without one is answered 400). The 503 any route
    may answer (webapp/errors.py: a store unreachable, damaged or full; a write that could
    not have its turn within `write_wait`, webapp/api.py), with its Retry-After."""
    if isinstance(spec, str):  # the document as JSON text: not a form this changes
        return spec
    for operations in spec.get("paths", {}).values():
        for method, operation in operations.items():
            if not isinstance(operation, dict):
                continue
            if "requestBody" in operation:
                operation["requestBody"]["required"] = True
            busy = (" or busy: another write held the store for `write_wait` seconds"
                    if method in ("post", "put", "patch", "delete") else "")
            operation.setdefault("responses", {}).setdefault("503", {
                "description": f"The store is unavailable (unreachable, damaged, disk full, "
                               f"read-only){busy}: try again after `Retry-After` seconds "
                               f"(sent when trying again may help).",
                "headers": {"Retry-After": {"description": "Seconds to wait before trying "
                                                           "again.",
                                            "schema": {"type": "integer", "minimum": 0}}},
                "content": {"application/json": {
                    "schema": {"$ref": "#/components/schemas/Error"}}}})
    return spec


def runtime_of(app) -> Runtime:
    return app.extensions["citegraph.runtime"]
