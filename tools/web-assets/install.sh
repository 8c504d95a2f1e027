#!/usr/bin/env bash
# Install the web app's front-end libraries from npm (pinned in package.json and
# package-lock.json) and copy their browser builds into webapp/static/vendor/, which is
# git-ignored: nothing third-party is committed, nothing is fetched from a CDN at run time.
# Idempotent. Without npm the pages still work: the concept page then shows its lists only.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
dest="$here/../../webapp/static/vendor"
cd "$here"
if ! command -v npm >/dev/null 2>&1; then
    echo "web-assets: npm is not installed; the concept graph explorer will not be drawn" >&2
    exit 0
fi
wanted=$(node -p "require('./package.json').dependencies.cytoscape")
installed=$(node -p "try { require('./node_modules/cytoscape/package.json').version } catch { '' }")
if [ "$installed" != "$wanted" ]; then
    npm ci --no-audit --no-fund --loglevel=error
fi
mkdir -p "$dest"
cp node_modules/cytoscape/dist/cytoscape.min.js "$dest/cytoscape.min.js"
cp node_modules/cytoscape/LICENSE "$dest/cytoscape.LICENSE.txt"
