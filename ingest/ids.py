"""What an article id may be, for every way in: files and JSONL records (ingest/readers.py),
--id-prefix (ingest/pipeline.py) and the API (webapp/schemas.py states the same rules as a
pattern, ID_PATTERN, so that the OpenAPI document carries them).

Ids are labels that also appear in URLs and passage ids: never empty, absolute, holding a
`.` or `..` segment (`a/../b` would open another article's page), a control character or
a lone surrogate, and at most MAX_ID_CHARS characters."""
from __future__ import annotations

import re

from citegraph.ingest.limits import MAX_ID_CHARS

_SURROGATE = re.compile("[\ud800-\udfff]")
_CONTROL = re.compile("[\x00-\x1f\x7f]")

# The same rules as id_problem (bar the length, which the schema checks with Length):
# not starting with '/', no segment that is '.' or '..' (spaces around it ignored), not
# blank, no control character.
ID_PATTERN = (r"^(?!/)(?!(?:[^/]*/)*\s*\.{1,2}\s*(?:/|$))(?=[^\x00-\x1f\x7f]*\S)"
              r"[^\x00-\x1f\x7f]+$")
ID_RULES = ("must not be blank, start with '/', have a '.' or '..' segment, or hold a "
            "control character")


def has_surrogate(text: str) -> bool:
    """A lone surrogate (JSON `"\\ud800"`) cannot be stored or hashed as UTF-8."""
    return _SURROGATE.search(text) is not None


def surrogate_at(text: str) -> int:
    """Where the first lone surrogate is, -1 for none."""
    found = _SURROGATE.search(text)
    return found.start() if found else -1


def has_control(text: str) -> bool:
    return _CONTROL.search(text) is not None


def without_controls(text: str) -> str:
    """Control characters replaced by spaces."""
    return _CONTROL.sub(" ", text)


def id_problem(article_id: str) -> str | None:
    """Why `article_id` cannot be an article id, or None."""
    if not article_id or not article_id.strip():
        return "is empty"
    if len(article_id) > MAX_ID_CHARS:
        return f"is {len(article_id):,} characters, over the {MAX_ID_CHARS:,} limit"
    if article_id.startswith("/"):
        return "starts with '/'"
    if article_id.strip() in (".", ".."):
        return f"is {article_id.strip()!r}"
    if any(part.strip() in (".", "..") for part in article_id.split("/")):
        return "holds a '.' or '..' segment"
    if has_control(article_id):
        return "holds a control character"
    if has_surrogate(article_id):
        return "holds a lone surrogate (not valid Unicode)"
    return None
