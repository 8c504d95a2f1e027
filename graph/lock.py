"""One bulk ingest at a time per embedded store (behind `GraphStore.ingest_lock`): an advisory lock (`fcntl.flock`) on a file in
the store directory.

SQLite already makes each article's write atomic; the lock stops two ingests of overlapping
files from embedding the same articles twice and miscounting new against changed. The kernel
drops the lock when its process ends, however it ends, so a killed ingest never leaves a stale
lock; the file then still names the killed process, which tells the next ingest that the
last one did not finish (`IngestLockState.interrupted`). A second ingest waits for the first (serialises); given a `wait` in seconds it waits at most
that long and then refuses with one line (`0`: refuse at once).
"""
from __future__ import annotations

import fcntl
import os
import sys
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Callable, Iterator, Optional

from citegraph.graph.base import IngestLockState, StoreError

LOCK_FILE = "ingest.lock"
POLL_SECONDS = 0.2


class IngestLocked(StoreError):
    """Another ingest holds the store and we would not wait (longer)."""


def _notify_stderr(message: str) -> None:
    print(f"citegraph: {message}", file=sys.stderr, flush=True)


FINISHED = "finished"


def _content(fd: int) -> str:
    try:
        return os.pread(fd, 200, 0).decode("utf-8", "replace").strip()
    except OSError:
        return ""


def _holder(fd: int) -> str:
    text = _content(fd)
    return text if text.startswith("pid ") else "pid unknown"


def _try_lock(fd: int) -> bool:
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        return True
    except BlockingIOError:
        return False


@contextmanager
def directory_lock(directory: Path, wait: Optional[float] = None,
                   notify: Callable[[str], None] = _notify_stderr) -> Iterator[IngestLockState]:
    """Hold the ingest lock of the store in `directory` for the duration of the block.
    `wait`: seconds to wait for another ingest (None: as long as it takes)."""
    path = Path(directory) / LOCK_FILE
    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError as exc:
        raise StoreError(f"store {directory}: cannot open {LOCK_FILE}: "
                         f"{exc.strerror or exc}") from None
    try:
        if not _try_lock(fd):
            holder = _holder(fd)
            if wait == 0:
                raise IngestLocked(f"store {directory}: another ingest is writing to it "
                                   f"({holder}); try again when it has finished")
            notify(f"store {directory}: waiting for the ingest already running ({holder})")
            if wait is None:
                fcntl.flock(fd, fcntl.LOCK_EX)
            else:
                deadline = time.monotonic() + wait
                while not _try_lock(fd):
                    if time.monotonic() >= deadline:
                        raise IngestLocked(f"store {directory}: another ingest is still "
                                           f"writing to it after {wait:g} s ({holder})")
                    time.sleep(POLL_SECONDS)
        state = IngestLockState(interrupted=_content(fd).startswith("pid "))
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"pid {os.getpid()}\n".encode(), 0)
        yield state
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{FINISHED}\n".encode(), 0)
    finally:
        os.close(fd)  # closing the descriptor releases the lock
