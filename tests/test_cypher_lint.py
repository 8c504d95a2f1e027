"""Every Cypher statement of the Neo4j backend, checked by Neo4j's own parser and semantic
analysis (npm @neo4j-cypher/language-support, run by tools/cypher-lint/lint.mjs). Any
diagnostic (syntax error, undefined variable, undeclared parameter, unknown procedure,
cartesian-product warning...) fails the statement's test."""
from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from citegraph.graph import cypher

REPO = Path(__file__).resolve().parent.parent
LINT_DIR = REPO / "tools" / "cypher-lint"
PACKAGE = LINT_DIR / "node_modules" / "@neo4j-cypher" / "language-support"
NAMES = sorted(cypher.STATEMENTS)


def _json_value(value):
    if isinstance(value, bytes):  # the linter only needs to know the parameter exists
        return list(value)
    raise TypeError(type(value).__name__)


def lint(statements: list[dict]) -> dict[str, list[dict]]:
    proc = subprocess.run(["node", str(LINT_DIR / "lint.mjs")], cwd=LINT_DIR,
                          input=json.dumps(statements, default=_json_value),
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    return {r["name"]: r["diagnostics"] for r in json.loads(proc.stdout)}


@pytest.fixture(scope="module")
def linter():
    if shutil.which("node") is None:
        pytest.skip("node is not installed: the Cypher lint needs Node 20+")
    if not PACKAGE.is_dir():
        subprocess.run([str(REPO / "scripts" / "install-cypher-lint.sh")], check=True,
                       timeout=300)
    return lint


@pytest.fixture(scope="module")
def diagnostics(linter):
    return linter([{"name": s.name, "text": s.text, "parameters": s.parameters}
                   for s in cypher.all_statements()])


@pytest.mark.parametrize("name", NAMES)
def test_statement_has_no_diagnostics(diagnostics, name):
    assert name in diagnostics
    assert diagnostics[name] == [], cypher.STATEMENTS[name]().text


@pytest.mark.parametrize("name", NAMES)
def test_declared_parameters_are_the_used_ones(name):
    # the linter flags undeclared parameters; this catches declared ones that are unused
    statement = cypher.STATEMENTS[name]()
    assert set(re.findall(r"\$(\w+)", statement.text)) == set(statement.parameters)


def test_linter_reports_what_it_should(linter):
    """The check can fail: broken statements get diagnostics."""
    found = linter([
        {"name": "undeclared", "text": "MATCH (a:Article {id: $id}) RETURN a", "parameters": {}},
        {"name": "syntax", "text": "MATCH (a:Article RETURN a", "parameters": {}},
        {"name": "variable", "text": "MATCH (a:Article) RETURN b", "parameters": {}},
        {"name": "procedure", "text": "CALL db.index.vector.nearest('x', $k) YIELD node"
                                      " RETURN node", "parameters": {"k": 1}},
        {"name": "cartesian", "text": "MATCH (a:Article), (b:Article) RETURN a, b",
         "parameters": {}},
    ])
    assert all(found[name] for name in ("undeclared", "syntax", "variable", "procedure",
                                        "cartesian")), found
    assert "$id" in found["undeclared"][0]["message"]


def test_user_values_never_reach_statement_text():
    """Only this module's constants are formatted into Cypher; everything else is $param."""
    for statement in cypher.all_statements():
        literals = re.findall(r"'([^']*)'", statement.text)
        assert set(literals) <= {cypher.VECTOR_INDEX, cypher.FULLTEXT_INDEX,
                                 cypher.FULLTEXT_ANALYZER, "cosine", "embedding"}, statement.name
