"""Schemathesis against /api/openapi.json on a real server (waitress on a free port) over a
private copy of the demo store, writes included (the token is set): no 5xx, and every
response matches its documented status codes, content type, headers and schema."""
from __future__ import annotations

import shutil

import pytest

schemathesis = pytest.importorskip("schemathesis")
pytest.importorskip("citegraph.webapp.server", reason="the web app is not in this checkout")

from hypothesis import HealthCheck, settings  # noqa: E402
from schemathesis import checks  # noqa: E402

TOKEN = "fuzz-token-0123456789"
# Schema-conformance findings reported to the web app's owner (webapp/ is theirs): each is a
# documented-contract gap, not a crash. Listed here so that the rest stays strict; remove an
# entry when it is fixed. The no-5xx check below holds for these operations too.
KNOWN_WEBAPP_FINDINGS: dict = {}  # (method, path) → finding, while one is open
EXAMPLES = 25  # per operation
CASES = {"run": 0, "by_status": {}}
ROUTES: list = []  # (method, OpenAPI path) of every API route the app serves


def _api_operations(app) -> list:
    """Every method and path of the app's API blueprint, in OpenAPI's spelling."""
    import re

    out = []
    for rule in app.url_map.iter_rules():
        if not rule.endpoint.startswith("api."):
            continue
        path = re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule.rule)
        out += [(method, path) for method in rule.methods - {"HEAD", "OPTIONS"}]
    return out


@pytest.fixture(scope="module")
def api_schema(demo_store_dir, tmp_path_factory, embedder):
    from citegraph.runtime import Runtime
    from citegraph.settings import Settings
    from citegraph.webapp import create_app
    from citegraph.webapp.server import BackgroundServer

    store = tmp_path_factory.mktemp("fuzz") / "store"
    shutil.copytree(demo_store_dir, store)
    runtime = Runtime(Settings(store=str(store), token=TOKEN))
    runtime.embedder = embedder  # the session's model, not a second copy
    app = create_app(runtime=runtime)
    ROUTES.extend(_api_operations(app))
    with BackgroundServer(app) as server:
        yield schemathesis.openapi.from_url(server.url + "/api/openapi.json")
    print(f"fuzz cases run: {CASES['run']}; responses by status: {CASES['by_status']}")


schema = schemathesis.pytest.from_fixture("api_schema")


@schema.parametrize()
@settings(max_examples=EXAMPLES, deadline=None, derandomize=True,
          suppress_health_check=list(HealthCheck))
def test_api_conforms_and_never_fails(case):
    headers = {"Authorization": f"Bearer {TOKEN}"} if case.method in ("POST", "DELETE") else {}
    if case.operation.path == "/api/ingest" and isinstance(case.body, dict) and isinstance(
            case.body.get("urls"), list):
        # no test reaches outside the machine: every URL the fuzzer made goes to a closed
        # loopback port, which the fetcher's guard refuses before connecting
        case.body["urls"] = [f"http://127.0.0.1:9/{i}" if isinstance(u, str) and
                             u[:8].lower().startswith(("http://", "https://")) else u
                             for i, u in enumerate(case.body["urls"])]
    response = case.call(headers=headers, timeout=60)
    CASES["run"] += 1
    CASES["by_status"][response.status_code] = CASES["by_status"].get(response.status_code, 0) + 1
    assert response.status_code < 500, (case.method, case.formatted_path, response.text[:500])
    known = KNOWN_WEBAPP_FINDINGS.get((case.method, case.operation.path))
    # for a known finding, only the two checks it trips are left out; the rest stay
    excluded = ([checks.status_code_conformance, checks.positive_data_acceptance]
                if known else [])
    case.validate_response(response, excluded_checks=excluded)


def test_the_fuzz_reaches_every_api_route(api_schema):
    """Schemathesis makes cases from the OpenAPI document: a route missing from it would
    never be fuzzed."""
    documented = {(method.upper(), path) for path, item in api_schema.raw_schema["paths"].items()
                  for method in item if method in ("get", "post", "delete", "put", "patch")}
    assert ROUTES and set(ROUTES) <= documented, set(ROUTES) - documented
