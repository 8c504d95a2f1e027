#!/usr/bin/env bash
# Install the web app's front-end libraries from npm (pinned in package.json and
# package-lock.json) and copy their browser builds into webapp/static/vendor/, which git
# ignores: nothing third-party is committed, nothing is fetched from a CDN at run time.
# cytoscape draws the concept explorer; swagger-ui-dist is the API docs page (/api/docs).
# Idempotent; --if-missing: do nothing when every file is there already (setup.py's build
# step). Without npm the pages still work: the concept page then shows its lists only and
# /api/docs links the raw OpenAPI document.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
dest="$here/../../webapp/static/vendor"
# package/file in node_modules -> name in webapp/static/vendor
files=(
    "cytoscape/dist/cytoscape.min.js:cytoscape.min.js"
    "cytoscape/LICENSE:cytoscape.LICENSE.txt"
    "swagger-ui-dist/swagger-ui-bundle.js:swagger-ui-bundle.js"
    "swagger-ui-dist/swagger-ui.css:swagger-ui.css"
    "swagger-ui-dist/LICENSE:swagger-ui.LICENSE.txt"
)
if [ "${1:-}" = "--if-missing" ]; then
    missing=0
    for pair in "${files[@]}"; do
        [ -f "$dest/${pair#*:}" ] || missing=1
    done
    [ "$missing" = 0 ] && exit 0
fi
cd "$here"
if ! command -v npm >/dev/null 2>&1; then
    echo "web-assets: npm is not installed; the concept graph explorer and the API docs page will not be drawn" >&2
    exit 0
fi
wanted=$(node -p "JSON.stringify(require('./package.json').dependencies)")
installed=$(node -p "const d = require('./package.json').dependencies; JSON.stringify(Object.fromEntries(Object.keys(d).map(n => { try { return [n, require('./node_modules/' + n + '/package.json').version] } catch { return [n, ''] } })))")
if [ "$installed" != "$wanted" ]; then
    # --ignore-scripts: only files are copied; no package's install script runs (one of
    # swagger-ui-dist's dependencies would report the install to its vendor)
    npm ci --no-audit --no-fund --ignore-scripts --loglevel=error
fi
mkdir -p "$dest"
for pair in "${files[@]}"; do
    cp "node_modules/${pair%%:*}" "$dest/${pair#*:}"
done
