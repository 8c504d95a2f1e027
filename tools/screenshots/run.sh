#!/usr/bin/env bash
# Refresh the README's explorer screenshots from the seed articles: ingest them into a scratch
# store, serve it on a free port, photograph the concept page, stop the server.
# Usage: tools/screenshots/run.sh [CORPUS]   (default ../shared/corpus/seeds)
set -euo pipefail
cd "$(dirname "$0")/../.."
corpus=${1:-../shared/corpus/seeds}
[ -d "$corpus" ] || { echo "screenshots: no corpus at $corpus" >&2; exit 1; }
scratch=$(mktemp -d)
trap 'kill "$server" 2>/dev/null || true; rm -rf "$scratch"' EXIT
.venv/bin/citegraph ingest "$corpus" --store "$scratch/store"
port=$(.venv/bin/python -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
.venv/bin/citegraph serve --store "$scratch/store" --port "$port" &
server=$!
for _ in $(seq 100); do
    curl -fs "http://127.0.0.1:$port/" >/dev/null && break
    sleep 0.3
done
.venv/bin/python tools/screenshots/take.py "http://127.0.0.1:$port" docs/screenshots
