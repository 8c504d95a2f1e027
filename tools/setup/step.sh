#!/usr/bin/env bash
# One set-up step of the Makefile: says what it does, runs the command with its output kept
# aside, and says how long it took; a step that fails shows its whole output and exit code.
# Usage: step.sh "what it does" COMMAND [ARG...]
set -uo pipefail
what=$1
shift
echo "setup: ${what} ..."
start=$(date +%s)
log=$(mktemp)
"$@" >"$log" 2>&1
status=$?
took=$(( $(date +%s) - start ))
if [ "$status" -ne 0 ]; then
    cat "$log" >&2
    rm -f "$log"
    echo "setup: ${what}: failed after ${took} s (exit ${status})" >&2
    exit "$status"
fi
rm -f "$log"
echo "setup: ${what}: done in ${took} s"
