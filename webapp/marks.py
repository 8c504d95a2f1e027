"""Cut a text into plain and marked segments for templates. Templates escape each segment,
so marking never builds HTML from article text."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Optional


@dataclass
class Segment:
    text: str
    mark: Optional[Any] = None  # what the marked span stands for; None for plain text


def segments(text: str, spans: list[tuple[Optional[int], Optional[int], Any]]) -> list[Segment]:
    """`spans` are (start, end, mark) offsets into `text`; spans without offsets, empty or
    overlapping an earlier chosen span are dropped (the earliest, then longest, wins)."""
    usable = sorted(((s, e, m) for s, e, m in spans
                     if s is not None and e is not None and 0 <= s < e <= len(text)),
                    key=lambda span: (span[0], -span[1]))
    out: list[Segment] = []
    position = 0
    for start, end, mark in usable:
        if start < position:
            continue
        if start > position:
            out.append(Segment(text[position:start]))
        out.append(Segment(text[start:end], mark))
        position = end
    if position < len(text) or not out:
        out.append(Segment(text[position:]))
    return out
