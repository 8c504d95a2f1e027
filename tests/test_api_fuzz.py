"""Schemathesis against /api/openapi.json on a real server (waitress on a free port) over a
private copy of the demo store, writes included (the token is set): no 5xx, every response
matches its documented status codes, content type, headers and schema, and none takes over
a second (schemathesis's max_response_time).

The time limit is a wall clock on a machine that may be loaded: a request over the second is
sent again, up to twice, and fails the test only when every attempt is slow. A request that
is slow by its work (a quadratic parse, an unbounded listing) is slow each time; one that met
a busy machine rarely is, three times in a row."""
from __future__ import annotations

import shutil

import pytest

schemathesis = pytest.importorskip("schemathesis")
pytest.importorskip("citegraph.webapp.server", reason="the web app is not in this checkout")

from hypothesis import HealthCheck, settings  # noqa: E402
from schemathesis import checks  # noqa: E402
from schemathesis.core.failures import FailureGroup  # noqa: E402

TOKEN = "fuzz-token-0123456789"
# Schema-conformance findings reported to the web app's owner (webapp/ is theirs): each is a
# documented-contract gap, not a crash. Listed here so that the rest stays strict; remove an
# entry when it is fixed. The no-5xx check below holds for these operations too.
KNOWN_WEBAPP_FINDINGS: dict = {}  # (method, path) → finding, while one is open
EXAMPLES = 25  # per operation
MAX_RESPONSE_SECONDS = 1.0
SLOW_RETRIES = 2  # a request over the limit is sent again this often before it fails
CASES: dict = {"run": 0, "by_status": {}, "slowest": {}, "retried": []}
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
    # the demo store was built below the CLI and holds no scheme; a store `citegraph ingest`
    # made holds one. Without it the first write loads the scheme and relinks every passage
    # (1.4 s), a one-time cost the time limit is not about
    runtime.sync_scheme()
    app = create_app(runtime=runtime)
    ROUTES.extend(_api_operations(app))
    with BackgroundServer(app) as server:
        loaded = schemathesis.openapi.from_url(server.url + "/api/openapi.json")
        # the limit alone: `checks.update(max_response_time=…)` would also make the default
        # set of checks an explicit one, which changes what the other checks expect
        loaded.config.checks.max_response_time.limit = MAX_RESPONSE_SECONDS
        yield loaded
    slowest = sorted(CASES["slowest"].items(), key=lambda kv: -kv[1])[:5]
    print(f"fuzz cases run: {CASES['run']}; responses by status: {CASES['by_status']}; "
          f"slowest operations (s): {[(op, round(t, 3)) for op, t in slowest]}; "
          f"sent again for time: {CASES['retried']}")


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
    if since_after_until(case):  # a rule across two fields, which OpenAPI cannot state:
        assert response.status_code == 400, response.text  # refused, as documented
        excluded.append(checks.positive_data_acceptance)
    case.validate_response(response, excluded_checks=excluded + [checks.max_response_time])
    answered_in_time(case, response, headers)


def since_after_until(case) -> bool:
    """A search whose `since` date is after its `until`: 400 by the route's own
    description, though each date alone is valid."""
    query = case.query if isinstance(case.query, dict) else {}
    since, until = query.get("since"), query.get("until")
    return (case.operation.path == "/api/search" and isinstance(since, str)
            and isinstance(until, str) and since > until)


def answered_in_time(case, response, headers) -> None:
    """schemathesis's max_response_time, with a slow request sent again (see the top)."""
    label = case.operation.label
    for attempt in range(SLOW_RETRIES + 1):
        CASES["slowest"][label] = max(CASES["slowest"].get(label, 0.0), response.elapsed)
        try:
            case.validate_response(response, checks=[checks.max_response_time])
            return
        except FailureGroup:
            if attempt == SLOW_RETRIES:
                raise
        CASES["retried"].append((label, round(response.elapsed, 3)))
        response = case.call(headers=headers, timeout=60)


def test_the_fuzz_reaches_every_api_route(api_schema):
    """Schemathesis makes cases from the OpenAPI document: a route missing from it would
    never be fuzzed."""
    documented = {(method.upper(), path) for path, item in api_schema.raw_schema["paths"].items()
                  for method in item if method in ("get", "post", "delete", "put", "patch")}
    assert ROUTES and set(ROUTES) <= documented, set(ROUTES) - documented
