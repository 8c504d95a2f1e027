"""The driver layer of the Neo4j backend: connecting, managed transactions, errors as one
line. Writes go through `execute_write` (which the driver retries on transient errors),
reads through `execute_read`; a transaction's work function only reads what it was given,
so that a retry replays it whole. With a `neo4j://` URI the driver routes: writes to the
cluster's leader of the database, reads to its followers and read replicas."""
from __future__ import annotations

from typing import Callable, Optional

from citegraph.graph import cypher
from citegraph.graph.base import StoreError
from citegraph.graph.uri import NEO4J_SCHEMES


# While the server is down a request fails within seconds (the API answers 503) instead of
# waiting out the driver's defaults (30 s of transaction retries, each connection attempt up
# to 30 s more), which outlast an HTTP client's patience: the soak (benchmarks/soak.py) saw
# requests hang past 60 s across a Neo4j restart. Ten seconds still rides out a leader
# election in a cluster.
RETRY_SECONDS, CONNECT_SECONDS, ACQUIRE_SECONDS = 10.0, 5.0, 10.0


def first_line(exc: BaseException) -> str:
    lines = str(exc).strip().splitlines()
    return lines[0].rstrip(": ") if lines else type(exc).__name__


def open_driver(uri: str, user: str = "neo4j", password: Optional[str] = None):
    """A connected driver for `uri`; no password: no authentication."""
    from neo4j import GraphDatabase
    from neo4j.exceptions import ConfigurationError, DriverError, Neo4jError

    if not uri.startswith(NEO4J_SCHEMES):
        raise StoreError(f"invalid Neo4j URI {uri}: expected one of "
                         + ", ".join(NEO4J_SCHEMES))
    auth = (user, password) if password is not None else None
    try:
        # the server's notices (e.g. "property key does not exist" on an empty database)
        # are not for our users: the driver would log each one to stderr
        driver = GraphDatabase.driver(uri, auth=auth, notifications_min_severity="OFF",
                                      max_transaction_retry_time=RETRY_SECONDS,
                                      connection_timeout=CONNECT_SECONDS,
                                      connection_acquisition_timeout=ACQUIRE_SECONDS)
    except (ConfigurationError, ValueError) as exc:
        raise StoreError(f"invalid Neo4j URI {uri}: {first_line(exc)}") from None
    try:
        driver.verify_connectivity()
    except (DriverError, Neo4jError, OSError, ValueError) as exc:
        driver.close()
        raise StoreError(f"cannot reach Neo4j at {uri}: {first_line(exc)}") from None
    return driver


class Neo4jSession:
    """Statements of graph.cypher run with parameters in managed transactions."""

    def __init__(self, uri: str, driver, database: Optional[str] = None):
        from neo4j import GraphDatabase

        self.uri = uri
        self.database = database or None
        self._driver = driver
        # one bookmark manager for all of this store's sessions: on a cluster a read routed
        # to a follower waits until it has this process's last committed write (causal
        # consistency), as it would inside one session
        self._bookmarks = GraphDatabase.bookmark_manager()

    def _execute(self, access: str, work: Callable):
        """Run `work(tx)` in a managed transaction, mapping driver errors to one line."""
        from neo4j.exceptions import (AuthError, DriverError, Neo4jError, ServiceUnavailable,
                                      SessionExpired)

        try:
            with self._driver.session(database=self.database,
                                      bookmark_manager=self._bookmarks) as session:
                run = session.execute_write if access == "write" else session.execute_read
                return run(work)
        except (AuthError, ServiceUnavailable, SessionExpired) as exc:
            raise StoreError(f"cannot reach Neo4j at {self.uri}: {first_line(exc)}") from None
        except (Neo4jError, DriverError) as exc:
            raise StoreError(f"Neo4j at {self.uri}: {first_line(exc)}") from None

    @staticmethod
    def _run(tx, statement: cypher.Statement, **parameters) -> list[dict]:
        # the values as the driver decoded them: Record.data() would walk every byte of a
        # byte array and every float of a vector in Python (65 ms for ten passages'
        # sentence vectors); every statement returns plain values and maps, never nodes
        return [dict(zip(record.keys(), record.values()))
                for record in tx.run(statement.text, parameters)]

    def _read(self, statement: cypher.Statement, **parameters) -> list[dict]:
        return self._execute("read", lambda tx: self._run(tx, statement, **parameters))

    def _write(self, statement: cypher.Statement, **parameters) -> list[dict]:
        return self._execute("write", lambda tx: self._run(tx, statement, **parameters))

    def close(self) -> None:
        self._driver.close()
