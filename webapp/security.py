"""Security headers on every response and the bearer-token check for writes."""
from __future__ import annotations

import hmac
from functools import wraps

from apiflask import abort
from flask import current_app, request

# No inline script or style anywhere: every script and stylesheet is a file under /static.
CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
       "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
       "frame-ancestors 'none'")

HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
}


def init_app(app) -> None:
    app.security_schemes = {"BearerToken": {"type": "http", "scheme": "bearer"}}

    @app.after_request
    def add_headers(response):
        for name, value in HEADERS.items():
            response.headers.setdefault(name, value)
        return response


def token_required(view):
    """403 when the server has no token (writes are off), 401 when the request's bearer token
    is missing or wrong; the comparison takes the same time whatever the token."""
    @wraps(view)
    def checked(*args, **kwargs):
        expected = current_app.config.get("TOKEN") or ""
        if not expected:
            abort(403, "writes are disabled: the server has no CITEGRAPH_TOKEN")
        scheme, _, given = request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not hmac.compare_digest(
                given.strip().encode("utf-8"), expected.encode("utf-8")):
            abort(401, "Authorization: a valid 'Bearer <CITEGRAPH_TOKEN>' header is required",
                  headers={"WWW-Authenticate": 'Bearer realm="citegraph"'})
        return view(*args, **kwargs)
    return checked
