"""The SQLite store's connection to its file: one connection per thread (WAL, foreign keys),
write transactions, the schema made or migrated at open, the store's settings (`meta`), and
SQLite's file faults reported as one line wherever they arise."""
from __future__ import annotations

import functools
import inspect
import os
import sqlite3
import threading
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator, Optional

from citegraph.graph.base import StoreError, StoreFileError, StoreMeta
from citegraph.graph.sqlite.counts import recount_cooccurrence
from citegraph.graph.sqlite.schema import MIGRATIONS, SCHEMA, SCHEMA_VERSION

DB_FILE = "citegraph.sqlite3"
ID_SCHEME = "path-with-extension"  # meta `id_scheme` of stores made since ids kept the extension


def _read_only_file_system(directory: Path) -> bool:
    """Whether `directory` (or, when it does not exist yet, its nearest parent) lies on a
    file system mounted read-only."""
    for place in (directory, *directory.absolute().parents):
        try:
            return bool(os.statvfs(place).f_flag & os.ST_RDONLY)
        except OSError:
            continue
    return False


class SQLiteConnection(StoreMeta):
    directory: Path
    path: Path
    readonly: bool
    immutable: bool
    _legacy_cooccurrence: bool  # a version-1 store opened read-only

    def _open(self, directory: str | os.PathLike, readonly: bool) -> None:
        self.directory = Path(directory)
        if self.directory.exists() and not self.directory.is_dir():
            raise StoreError(f"store {self.directory}: not a directory")
        # a store on a read-only file system is opened read-only whatever was asked: reads
        # work, writes fail with one line (StoreFileError)
        self.immutable = _read_only_file_system(self.directory)
        self.readonly = readonly or self.immutable
        if not self.readonly:
            try:
                self.directory.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise StoreError(f"store {self.directory}: {exc.strerror or exc}") from None
        self.path = self.directory / DB_FILE
        if self.readonly and not self.path.exists():
            raise StoreError(f"store {self.directory}: no Citegraph store there")
        self._local = threading.local()
        self._legacy_cooccurrence = False

    def _conn(self) -> sqlite3.Connection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            target, uri = str(self.path), False
            if self.readonly:
                # mode=ro: this connection cannot write. On a read-only file system SQLite
                # could not make the WAL index (-shm) a reader needs: immutable=1 reads the
                # file as it is, without locks, since nothing can change it there
                target = self.path.resolve().as_uri() + "?mode=ro" + (
                    "&immutable=1" if self.immutable else "")
                uri = True
            try:
                conn = sqlite3.connect(target, timeout=30, isolation_level=None,
                                       check_same_thread=False, uri=uri)
            except sqlite3.Error as exc:
                raise (file_fault(exc, self.directory)
                       or StoreError(f"store {self.directory}: {exc}")) from None
            conn.execute("PRAGMA busy_timeout=30000")
            if not self.readonly:  # a read-only connection reads the file in its own mode
                self._enable_wal(conn)
            conn.execute("PRAGMA synchronous=NORMAL")
            conn.execute("PRAGMA foreign_keys=ON")
            self._local.conn = conn
        return conn

    def _enable_wal(self, conn: sqlite3.Connection, wait_s: float = 30.0) -> None:
        """Switching a new file to WAL needs it to itself and SQLite does not wait for that
        (no busy handler), so two processes opening a new store retry here."""
        deadline = time.monotonic() + wait_s
        while True:
            try:
                conn.execute("PRAGMA journal_mode=WAL")
                return
            except sqlite3.OperationalError as exc:
                if "locked" not in str(exc) or time.monotonic() > deadline:
                    raise StoreError(f"store {self.path}: {exc}") from None
                time.sleep(0.05)

    @contextmanager
    def read_snapshot(self) -> Iterator[None]:
        """One read transaction on this thread's connection: in WAL mode it sees the file as
        of its first read while writers go on (SQLite's snapshot isolation)."""
        conn = self._conn()
        if conn.in_transaction:  # already inside one: it is the snapshot
            yield
            return
        conn.execute("BEGIN")
        try:
            yield
        finally:
            if conn.in_transaction:
                conn.execute("COMMIT")

    def _write(self):
        """A write transaction: BEGIN IMMEDIATE takes the write lock up front, so two
        writers serialise instead of failing half-way."""
        return Transaction(self._conn())

    def _create_schema(self) -> None:
        conn = self._conn()
        try:
            version = conn.execute(
                "SELECT value FROM meta WHERE key='schema'").fetchone()
        except sqlite3.OperationalError:
            version = None
        except sqlite3.DatabaseError as exc:
            raise StoreError(f"store {self.path}: {exc}") from None
        if version is not None:
            if version[0] != SCHEMA_VERSION:
                self._migrate(conn, version[0])
            return
        if self.readonly:
            raise StoreError(f"store {self.directory}: no Citegraph store there")
        # one write transaction, so that two processes opening a new store cannot interleave
        conn.executescript(
            "BEGIN IMMEDIATE;" + SCHEMA
            + f"INSERT OR IGNORE INTO meta(key, value) VALUES ('schema', '{SCHEMA_VERSION}');"
            "INSERT OR IGNORE INTO meta(key, value) VALUES ('version', '0');"
            # article ids of files keep their extension (ingest/readers.py); stores made
            # before that have no such row and may hold ids without it
            f"INSERT OR IGNORE INTO meta(key, value) VALUES ('id_scheme', '{ID_SCHEME}');"
            " COMMIT;")

    def _migrate(self, conn: sqlite3.Connection, version: str) -> None:
        """Bring a store made by an earlier version to this one, in one write transaction
        (another process may be doing the same: the version is read again inside it). A
        read-only open leaves the file alone and derives co-occurrence from the mentions."""
        if version not in MIGRATIONS:
            raise StoreError(f"store {self.directory}: schema version {version} is not one"
                             f" this Citegraph knows (it writes version {SCHEMA_VERSION})")
        if self.readonly:
            self._legacy_cooccurrence = True
            return
        with self._write() as c:
            while True:
                version = c.execute("SELECT value FROM meta WHERE key='schema'").fetchone()[0]
                if version == SCHEMA_VERSION:
                    break
                for statement in MIGRATIONS[version]:
                    c.execute(statement)
                version = str(int(version) + 1)
                c.execute("UPDATE meta SET value=? WHERE key='schema'", (version,))
                if version == SCHEMA_VERSION:
                    recount_cooccurrence(c)

    @staticmethod
    def _bump_version(c: sqlite3.Connection) -> None:
        c.execute("UPDATE meta SET value = CAST(value AS INTEGER) + 1 WHERE key='version'")

    def ingest_lock(self, wait=None, notify=None):
        """An advisory lock on a file in the store's directory (graph/lock.py)."""
        from citegraph.graph.lock import directory_lock

        if self.readonly:  # the lock file could not be made: say why the ingest cannot run
            what = "on a read-only file system" if self.immutable else "opened read-only"
            raise StoreFileError(f"store {self.directory}: {what}: reads work; a write needs"
                                 " a writable store", "read-only")
        return directory_lock(self.directory, wait, **({"notify": notify} if notify else {}))

    def close(self) -> None:
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
            self._local.conn = None

    # --- store settings -----------------------------------------------------------
    def meta_value(self, key: str) -> Optional[str]:
        row = self._conn().execute("SELECT value FROM meta WHERE key=?", (key,)).fetchone()
        return row[0] if row else None

    def put_meta_value(self, key: str, value: str, replace: bool = False) -> str:
        if self.readonly:
            raise StoreError(f"store {self.directory}: opened read-only")
        with self._write() as c:
            c.execute("INSERT OR REPLACE INTO meta(key, value) VALUES (?, ?)" if replace else
                      "INSERT OR IGNORE INTO meta(key, value) VALUES (?, ?)", (key, value))
            return c.execute("SELECT value FROM meta WHERE key=?", (key,)).fetchone()[0]


# SQLite result codes (the primary code, the low byte of an extended one) that mean the file
# or its disk, not the statement, is at fault: reported as one line (a StoreError) wherever
# they arise, at open or in the middle of a read or a write, which is rolled back.
_DAMAGED = ("damaged", "damaged database file ({}): restore a backup, or ingest again into a"
                       " new store")
_FILE_FAULTS = {
    sqlite3.SQLITE_CORRUPT: _DAMAGED,
    sqlite3.SQLITE_NOTADB: _DAMAGED,
    sqlite3.SQLITE_FULL: ("disk full", "disk full ({}): this write was not stored; free space"
                                       " and run it again"),
    sqlite3.SQLITE_READONLY: ("read-only", "read-only ({}): reads work; a write needs a"
                                           " writable store"),
    sqlite3.SQLITE_IOERR: ("I/O error", "disk I/O error ({})"),
    sqlite3.SQLITE_CANTOPEN: ("cannot open", "cannot open the database file ({})"),
    sqlite3.SQLITE_PERM: ("permission denied", "permission denied ({})"),
}


def file_fault(exc: sqlite3.Error, where) -> Optional[StoreFileError]:
    code = getattr(exc, "sqlite_errorcode", None)
    fault = _FILE_FAULTS.get(code & 0xFF) if isinstance(code, int) else None
    if fault is None:
        return None
    kind, template = fault
    return StoreFileError(f"store {where}: {template.format(exc)}", kind)


def reporting_file_faults(cls):
    """Every public method of `cls` (and __init__) reports a file fault (see _FILE_FAULTS)
    as a StoreFileError naming the store, wherever SQLite raises it: at open, in a statement,
    or while a generator's rows are read. (Here, not in sqlite3 Connection and Cursor
    subclasses: Python 3.11 could crash collecting those.)"""
    for name, member in list(vars(cls).items()):
        if inspect.isfunction(member) and (not name.startswith("_") or name == "__init__"):
            setattr(cls, name, _translated(member))
    return cls


def _translated(method):
    def fault(self, exc: sqlite3.Error):
        found = file_fault(exc, getattr(self, "directory", "?"))
        if found is None:
            raise exc
        raise found from None

    if inspect.isgeneratorfunction(method):
        @functools.wraps(method)
        def rows(self, *args, **kwargs):
            try:
                yield from method(self, *args, **kwargs)
            except sqlite3.Error as exc:
                fault(self, exc)
        return rows

    @functools.wraps(method)
    def call(self, *args, **kwargs):
        try:
            return method(self, *args, **kwargs)
        except sqlite3.Error as exc:
            fault(self, exc)
    return call


class Transaction:
    def __init__(self, conn: sqlite3.Connection):
        self.conn = conn

    def __enter__(self) -> sqlite3.Connection:
        self.conn.execute("BEGIN IMMEDIATE")
        return self.conn

    def __exit__(self, exc_type, exc, tb):
        if exc_type is not None:
            self._rollback()
            return False
        try:
            self.conn.execute("COMMIT")
        except BaseException:
            # a COMMIT that fails (disk full while the WAL grows) leaves the transaction
            # open: undo it, so that the connection is not stuck inside it
            self._rollback()
            raise
        return False

    def _rollback(self) -> None:
        if self.conn.in_transaction:
            self.conn.execute("ROLLBACK")
