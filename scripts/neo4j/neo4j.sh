#!/usr/bin/env bash
# A local Neo4j 5.26 community server without Docker: the embedded DBMS (Launcher.java next to
# this script) serving Bolt on 127.0.0.1, HTTP off.
#
#   scripts/neo4j/neo4j.sh start    build if needed, start in the background, wait until Bolt
#                                   answers; the last line of stdout is bolt://127.0.0.1:PORT
#   scripts/neo4j/neo4j.sh stop     SIGTERM, wait for the exit (SIGKILL after a timeout)
#   scripts/neo4j/neo4j.sh status   exit 0 and the URI when running, 3 when not
#   scripts/neo4j/neo4j.sh build    resolve the jars (once) and compile
#
# Environment:
#   NEO4J_BOLT_PORT      Bolt port on 127.0.0.1                        (7687)
#   NEO4J_DATA_DIR       home of the server: store, logs, pid file      (<repo>/.neo4j-data)
#   NEO4J_PASSWORD       unset/empty: auth off; else auth on, and the password of NEO4J_USER
#                        (default neo4j) is set to it on start (8 characters at least)
#   NEO4J_HEAP           -Xmx/-Xms of the JVM                           (1g)
#   NEO4J_PAGECACHE      page cache size                                (512m)
#   NEO4J_START_TIMEOUT  seconds to wait for Bolt                       (120)
#   NEO4J_STOP_TIMEOUT   seconds to wait after SIGTERM before SIGKILL   (60)
#   JAVA_HOME / MVN      the JDK (17 or 21) and Maven to use
#
# The jars are resolved once into target/lib (Maven's own cache stays ~/.m2) and reused while
# pom.xml and the sources are unchanged (hashes in target/.build-stamp); a changed pom.xml is
# refused while a server runs from those jars. Files in the data folder: neo4j.pid, neo4j.log
# (launcher + Neo4j's user log; the previous one is neo4j.log.1), logs/debug.log, data/.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$HERE/../.." && pwd)"
MAIN_CLASS=org.citegraph.neo4j.Launcher
PORT="${NEO4J_BOLT_PORT:-7687}"
DATA="${NEO4J_DATA_DIR:-$REPO/.neo4j-data}"
HEAP="${NEO4J_HEAP:-1g}"
PAGECACHE="${NEO4J_PAGECACHE:-512m}"
START_TIMEOUT="${NEO4J_START_TIMEOUT:-120}"
STOP_TIMEOUT="${NEO4J_STOP_TIMEOUT:-60}"
if [ -n "${JAVA_HOME:-}" ] && [ -x "$JAVA_HOME/bin/java" ]; then JAVA="$JAVA_HOME/bin/java"; else JAVA=java; fi
MVN="${MVN:-mvn}"
PIDFILE="$DATA/neo4j.pid"
LOG="$DATA/neo4j.log"

die() { echo "neo4j.sh: $*" >&2; exit 1; }
note() { echo "neo4j.sh: $*" >&2; }

case "$PORT" in ''|*[!0-9]*) die "NEO4J_BOLT_PORT must be a port number, not '$PORT'" ;; esac
[ "$PORT" -ge 1 ] && [ "$PORT" -le 65535 ] || die "NEO4J_BOLT_PORT out of range: $PORT"
DATA="$(realpath -m -- "$DATA")"
PIDFILE="$DATA/neo4j.pid"
LOG="$DATA/neo4j.log"

# ---------------------------------------------------------------------------------------------
# build

hash_of() { # files or folders, relative to this folder
    (cd "$HERE" && find "$@" -type f -print0 | LC_ALL=C sort -z | xargs -0 sha256sum) \
        | sha256sum | cut -d' ' -f1
}

# launchers started from this folder's jars (any data folder)
launchers_running() {
    local proc
    for proc in /proc/[0-9]*; do
        tr '\0' '\n' 2>/dev/null <"$proc/cmdline" | grep -qxF "$MAIN_CLASS" || continue
        tr '\0' '\n' 2>/dev/null <"$proc/cmdline" | grep -qF "$HERE/target/lib/" || continue
        echo "${proc#/proc/}"
    done
}

ensure_built() {
    local stamp="$HERE/target/.build-stamp" want have=""
    mkdir -p "$HERE/target"
    exec 8>"$HERE/target/.build.lock"
    flock 8
    # two lines: the pom's hash (the jar set) and the sources' hash
    want="$(hash_of pom.xml)"$'\n'"$(hash_of src)"
    [ ! -f "$stamp" ] || have="$(cat "$stamp")"
    if [ "$have" = "$want" ] && [ -d "$HERE/target/lib" ] && [ -d "$HERE/target/classes" ]; then
        exec 8>&-
        return 0
    fi
    command -v "$MVN" >/dev/null 2>&1 || die "Maven ('$MVN') is not installed: apt-get install maven"
    command -v "$JAVA" >/dev/null 2>&1 || die "no java: install a JDK 17 or 21"
    if [ "${have%%$'\n'*}" != "${want%%$'\n'*}" ] || [ ! -d "$HERE/target/lib" ]; then
        # a new jar set: the old jars go, but not from under a running server
        local pids
        pids="$(launchers_running | paste -sd' ')"
        [ -z "$pids" ] || die "pom.xml changed but servers run from $HERE/target/lib (pids $pids): stop them first"
        note "building the launcher (first time or pom.xml changed: resolves ~125 MB of jars into ~/.m2, reused afterwards)"
        rm -rf "$HERE/target/lib" "$HERE/target/classes"
    else
        note "recompiling the launcher (sources changed)"
    fi
    rm -f "$stamp"
    # compile runs copy-dependencies too (see pom.xml). Output to stderr (stdout is for the URI),
    # without the colour codes Debian's Maven 3.8 prints even in batch mode.
    if ! "$MVN" -q -B -f "$HERE/pom.xml" compile 2>&1 | sed -e 's/\x1b\[[0-9;]*m//g' >&2; then
        die "the Maven build failed (see above)"
    fi
    echo "$want" >"$stamp"
    exec 8>&-
}

# ---------------------------------------------------------------------------------------------
# process and port checks

# the pid of our launcher for this data folder, or nothing
running_pid() {
    local pid state
    [ -f "$PIDFILE" ] || return 0
    pid="$(tr -dc '0-9' <"$PIDFILE")"
    [ -n "$pid" ] || return 0
    [ -r "/proc/$pid/cmdline" ] || return 0
    state="$(sed -e 's/^.*) //' "/proc/$pid/stat" 2>/dev/null | cut -c1)" || return 0
    [ "$state" != Z ] || return 0
    # pid reuse: only our main class with this home
    tr '\0' '\n' 2>/dev/null <"/proc/$pid/cmdline" | grep -qx "$MAIN_CLASS" || return 0
    tr '\0' '\n' 2>/dev/null <"/proc/$pid/cmdline" | grep -qxF "$DATA" || return 0
    echo "$pid"
}

# the --port argument of a running launcher
pid_port() {
    tr '\0' '\n' <"/proc/$1/cmdline" | sed -n '/^--port$/{n;p;q}'
}

# something accepts TCP connections on 127.0.0.1:$1
port_open() {
    timeout 3 bash -c 'exec 3<>"/dev/tcp/127.0.0.1/$1"' _ "$1" 2>/dev/null
}

# a Bolt server answers the handshake on 127.0.0.1:$1 (proposes 5.8..5.0 and 4.4..4.2)
bolt_answers() {
    timeout 5 bash -c '
        exec 3<>"/dev/tcp/127.0.0.1/$1" || exit 1
        printf "\x60\x60\xb0\x17\x00\x08\x08\x05\x00\x02\x04\x04\x00\x00\x00\x00\x00\x00\x00\x00" >&3
        reply="$(head -c 4 <&3 | od -An -tx1 | tr -d " \n")"
        [ "${#reply}" = 8 ] && [ "$reply" != 00000000 ]' _ "$1" 2>/dev/null
}

uri() { echo "bolt://127.0.0.1:$1"; }

# ---------------------------------------------------------------------------------------------
# commands

wait_exit() { # pid seconds -> 0 when it has exited
    local pid="$1" deadline=$((SECONDS + $2)) state
    while [ -e "/proc/$pid" ]; do
        state="$(sed -e 's/^.*) //' "/proc/$pid/stat" 2>/dev/null | cut -c1)" || true
        [ "$state" = Z ] && return 0
        [ "$SECONDS" -lt "$deadline" ] || return 1
        sleep 0.2
    done
    return 0
}

stop_pid() {
    local pid="$1"
    kill -TERM "$pid" 2>/dev/null || true
    if ! wait_exit "$pid" "$STOP_TIMEOUT"; then
        note "pid $pid still running ${STOP_TIMEOUT}s after SIGTERM: SIGKILL"
        kill -KILL "$pid" 2>/dev/null || true
        wait_exit "$pid" 30 || die "pid $pid did not exit after SIGKILL"
    fi
}

cmd_start() {
    mkdir -p "$DATA" 2>/dev/null || die "cannot create the data folder $DATA"
    exec 9>"$DATA/.lock"
    flock -w "$((START_TIMEOUT + 30))" 9 || die "another neo4j.sh holds $DATA/.lock"
    local pid running_port
    pid="$(running_pid)"
    if [ -n "$pid" ]; then
        running_port="$(pid_port "$pid")"
        if [ "$running_port" != "$PORT" ]; then
            die "already running for $DATA on port $running_port (pid $pid), not $PORT: stop it first"
        fi
        if bolt_answers "$PORT"; then
            local want=off; [ -z "${NEO4J_PASSWORD:-}" ] || want=on
            if ! grep -q "^\[citegraph-neo4j\] starting .* auth=$want" "$LOG" 2>/dev/null; then
                note "warning: already running with auth $([ $want = on ] && echo off || echo on);" \
                    "stop and start again to change NEO4J_PASSWORD"
            fi
            uri "$PORT"
            return 0
        fi
        die "pid $pid runs for $DATA on port $PORT but Bolt does not answer: see $LOG"
    fi
    rm -f "$PIDFILE"
    if port_open "$PORT"; then
        die "port $PORT on 127.0.0.1 is already in use by another process (set NEO4J_BOLT_PORT)"
    fi
    ensure_built

    [ ! -f "$LOG" ] || mv -f "$LOG" "$LOG.1"
    local -a jvm=(
        "-Xms$HEAP" "-Xmx$HEAP"
        -XX:+UseG1GC -XX:+ExitOnOutOfMemoryError -XX:-OmitStackTraceInFastThrow
        -Djdk.nio.maxCachedBufferSize=1024 -Dio.netty.tryReflectionSetAccessible=true
        -Dlog4j2.disable.jmx=true -Dfile.encoding=UTF-8
        --add-opens=java.base/java.nio=ALL-UNNAMED
        --add-opens=java.base/java.io=ALL-UNNAMED
        --add-opens=java.base/sun.nio.ch=ALL-UNNAMED
        --add-opens=java.base/java.lang=ALL-UNNAMED
    )
    # own session (no SIGINT/SIGHUP from the caller's terminal), no inherited lock fds,
    # stdin from /dev/null; the password reaches Java through the environment only
    (
        cd "$DATA"
        exec 8>&- 9>&- </dev/null >>"$LOG" 2>&1
        exec setsid "$JAVA" "${jvm[@]}" -cp "$HERE/target/classes:$HERE/target/lib/*" \
            "$MAIN_CLASS" --home "$DATA" --port "$PORT" --pagecache "$PAGECACHE"
    ) &
    pid=$!
    echo "$pid" >"$PIDFILE"

    local deadline=$((SECONDS + START_TIMEOUT))
    while :; do
        if ! kill -0 "$pid" 2>/dev/null || [ "$(sed -e 's/^.*) //' "/proc/$pid/stat" 2>/dev/null | cut -c1)" = Z ]; then
            wait "$pid" 2>/dev/null || true
            rm -f "$PIDFILE"
            if grep -q "Address already in use" "$LOG" 2>/dev/null; then
                die "port $PORT on 127.0.0.1 is already in use by another process (set NEO4J_BOLT_PORT)"
            fi
            note "Neo4j failed to start; the end of $LOG:"
            tail -n 40 "$LOG" >&2 || true
            exit 1
        fi
        if grep -q '^\[citegraph-neo4j\] READY ' "$LOG" 2>/dev/null && bolt_answers "$PORT"; then
            break
        fi
        if [ "$SECONDS" -ge "$deadline" ]; then
            note "Bolt did not answer on port $PORT within ${START_TIMEOUT}s; the end of $LOG:"
            tail -n 40 "$LOG" >&2 || true
            stop_pid "$pid"
            rm -f "$PIDFILE"
            exit 1
        fi
        sleep 0.5
    done
    note "Neo4j started (pid $pid, data $DATA, log $LOG)"
    uri "$PORT"
}

cmd_stop() {
    if [ ! -d "$DATA" ]; then
        note "not running ($DATA)"
        return 0
    fi
    exec 9>"$DATA/.lock"
    flock -w "$((STOP_TIMEOUT + 60))" 9 || die "another neo4j.sh holds $DATA/.lock"
    local pid
    pid="$(running_pid)"
    if [ -z "$pid" ]; then
        rm -f "$PIDFILE"
        note "not running ($DATA)"
        return 0
    fi
    stop_pid "$pid"
    rm -f "$PIDFILE"
    note "stopped (pid $pid)"
}

cmd_status() {
    local pid port
    pid="$(running_pid)"
    if [ -z "$pid" ]; then
        echo "not running ($DATA)"
        return 3
    fi
    port="$(pid_port "$pid")"
    if bolt_answers "$port"; then
        echo "running (pid $pid, data $DATA)"
    else
        echo "running (pid $pid, data $DATA), Bolt not answering yet"
    fi
    uri "$port"
}

case "${1:-}" in
    start) cmd_start ;;
    stop) cmd_stop ;;
    status) cmd_status ;;
    build) ensure_built ;;
    *) echo "usage: $0 start|stop|status|build" >&2; exit 2 ;;
esac
