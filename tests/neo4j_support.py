"""A live Neo4j for the tests marked `neo4j` (conftest.py loads this module as a plugin).

When the collected tests include Neo4j ones and NEO4J_URI is unset, the run starts a private
Neo4j 5.26 with the launcher in scripts/neo4j/ (a free port, a data folder of its own, a
bounded heap: never a server the user runs on 7687), sets NEO4J_URI for the tests, and stops
it when the run ends, however it ends. Without Java or Maven those tests skip with one line
saying why; under CI (CI=true) they never skip: the run fails instead."""
from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

LAUNCHER = Path(__file__).resolve().parent.parent / "scripts" / "neo4j" / "neo4j.sh"
_started: dict = {}
_unavailable: list[str] = []


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _why_not_startable() -> str | None:
    if shutil.which("java") is None:
        return "Java 17 is not installed"
    if shutil.which("mvn") is None and not (LAUNCHER.parent / "target" / "lib").is_dir():
        return "Maven is not installed"
    return None


def start_private_neo4j() -> str:
    """Start a Neo4j of our own; returns its bolt:// URI."""
    data = Path(tempfile.mkdtemp(prefix="citegraph-neo4j-"))
    env = dict(os.environ, NEO4J_BOLT_PORT=str(_free_port()), NEO4J_DATA_DIR=str(data),
               NEO4J_HEAP=os.environ.get("NEO4J_HEAP", "768m"),
               NEO4J_PAGECACHE=os.environ.get("NEO4J_PAGECACHE", "256m"))
    env.pop("NEO4J_PASSWORD", None)  # auth off for the private instance
    _started.update(env=env, data=data)
    proc = subprocess.run(["bash", str(LAUNCHER), "start"], env=env, capture_output=True,
                          text=True, timeout=900)
    if proc.returncode != 0:
        raise RuntimeError(f"the private Neo4j did not start: {proc.stderr.strip()[-2000:]}")
    return proc.stdout.strip().splitlines()[-1]


def stop_private_neo4j() -> None:
    if not _started:
        return
    subprocess.run(["bash", str(LAUNCHER), "stop"], env=_started["env"], capture_output=True,
                   timeout=180)
    shutil.rmtree(_started["data"], ignore_errors=True)
    _started.clear()


def pytest_collection_finish(session):
    wanted = any(item.get_closest_marker("neo4j") for item in session.items)
    if not wanted or os.environ.get("NEO4J_URI"):
        return
    why = _why_not_startable()
    if why:
        if os.environ.get("CI"):
            raise pytest.UsageError(f"Neo4j tests cannot run in CI: {why}")
        _unavailable.append(why)
        return
    os.environ["NEO4J_URI"] = start_private_neo4j()
    os.environ.pop("NEO4J_PASSWORD", None)
    os.environ.pop("NEO4J_USER", None)


def pytest_runtest_setup(item):
    if item.get_closest_marker("neo4j") and _unavailable:
        pytest.skip(f"no live Neo4j: {_unavailable[0]} (the launcher in scripts/neo4j needs "
                    "Java 17 and Maven)")


def pytest_sessionfinish(session, exitstatus):
    stop_private_neo4j()


@pytest.fixture(scope="session")
def neo4j_uri() -> str:
    uri = os.environ.get("NEO4J_URI")
    if not uri:
        pytest.skip("NEO4J_URI is not set and no private Neo4j was started")
    return uri
