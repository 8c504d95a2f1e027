"""What is derived from a store's concept scheme (short ids, the label index) is built once
per scheme revision, not per request: a 100k-concept scheme takes seconds to walk.

`per_scheme(store, name, build)` gives `build()`'s value, built again only when the store's
`scheme_revision()` changes (another process may replace the scheme: the revision is read
from the store each time, one small query). A backend that keeps no revision (None) gets
`build()` every time."""
from __future__ import annotations

import threading
import weakref
from typing import Callable, TypeVar

T = TypeVar("T")

_cache: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()  # store -> {name: (rev, v)}
_lock = threading.Lock()
_building: dict[tuple[int, str], threading.Lock] = {}


def per_scheme(store, name: str, build: Callable[[], T]) -> T:
    revision = store.scheme_revision()
    if revision is None:
        return build()
    entry = _cache.get(store, {}).get(name)
    if entry is not None and entry[0] == revision:
        return entry[1]
    with _lock:  # one builder per store and name: concurrent requests wait for it
        building = _building.setdefault((id(store), name), threading.Lock())
    with building:
        entry = _cache.get(store, {}).get(name)
        if entry is not None and entry[0] == revision:
            return entry[1]
        value = build()
        with _lock:
            _cache.setdefault(store, {})[name] = (revision, value)
        return value
