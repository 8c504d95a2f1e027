#!/usr/bin/env bash
# Install Neo4j's Cypher parser (npm @neo4j-cypher/language-support) into tools/cypher-lint,
# for tests/test_cypher_lint.py. Idempotent: does nothing when the pinned version is there.
set -euo pipefail
cd "$(dirname "$0")/../tools/cypher-lint"
if ! command -v npm >/dev/null 2>&1; then
    echo "install-cypher-lint: npm is not installed; the Cypher lint tests will be skipped" >&2
    exit 0
fi
wanted=$(node -p "require('./package.json').dependencies['@neo4j-cypher/language-support']")
installed=$(node -p "try { require('./node_modules/@neo4j-cypher/language-support/package.json').version } catch { '' }")
if [ "$installed" = "$wanted" ]; then
    exit 0
fi
# the package asks for a newer Node in its engines field but runs on Node 20
if [ -f package-lock.json ]; then
    npm ci --no-audit --no-fund --loglevel=error
else
    npm install --no-audit --no-fund --loglevel=error
fi
