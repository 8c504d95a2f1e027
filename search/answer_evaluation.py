"""Answer quality as pure functions: does an answer contain the gold string, does its first
quote, how often does it abstain on questions the collection cannot answer, and how often
on questions it can (false abstentions). Gold files are JSONL of
`{"id", "question", "gold": [strings, any one of which is the answer]}`."""
from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable

_CITATION = re.compile(r"\s*\[\d+\]\s*")
_QUOTES = str.maketrans({"“": '"', "”": '"', "‘": "'", "’": "'", "–": "-", "—": "-"})


@dataclass
class GoldQuestion:
    id: str
    question: str
    gold: list[str]


def load_gold(path: str | Path) -> list[GoldQuestion]:
    out = []
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        if line.strip():
            record = json.loads(line)
            out.append(GoldQuestion(str(record["id"]), record["question"], list(record["gold"])))
    return out


def normalise(text: str) -> str:
    return " ".join(text.translate(_QUOTES).lower().split())


def contains_gold(text: str, gold: Iterable[str]) -> bool:
    flat = normalise(text)
    return any(normalise(g) in flat for g in gold)


def quotes(answer_text: str) -> list[str]:
    """The quotes of an answer, in order: the text between citation marks."""
    return [q for q in (p.strip() for p in _CITATION.split(answer_text)) if q]


def first_quote(answer_text: str) -> str:
    found = quotes(answer_text)
    return found[0] if found else ""


def answer_figures(gold: list[GoldQuestion], answers: list[dict]) -> dict[str, float]:
    """`answers`: the answer JSON ({"text", "citations", "abstained"}) for each gold question.
    answer_contains: share whose answer contains a gold string; first_contains: share whose
    first quote does; false_abstain: share abstained; quotes: mean quotes per answer; chars:
    mean answer length."""
    n = len(gold)
    if n == 0:
        return {}
    texts = [a.get("text", "") for a in answers]
    return {
        "questions": n,
        "answer_contains": sum(contains_gold(t, g.gold) for t, g in zip(texts, gold)) / n,
        "first_contains": sum(contains_gold(first_quote(t), g.gold)
                              for t, g in zip(texts, gold)) / n,
        "false_abstain": sum(bool(a.get("abstained")) for a in answers) / n,
        "quotes": sum(len(quotes(t)) for t in texts) / n,
        "chars": sum(len(t) for t in texts) / n,
    }


def abstain_rate(answers: list[dict]) -> float:
    """Share of answers that abstained (for questions the collection cannot answer)."""
    return sum(bool(a.get("abstained")) for a in answers) / len(answers) if answers else 0.0


def hard_wrapped(text: str, width: int = 72) -> str:
    """`text` as an editor that hard-wraps writes it: every line longer than `width` broken
    between words (a list item's continuation indented by two spaces), paragraphs, list
    items and short lines as they were."""
    import textwrap

    out = []
    for line in text.split("\n"):
        if len(line) <= width:
            out.append(line)
            continue
        indent = len(line) - len(line.lstrip())
        item = re.match(r"\s*(?:[-*+•]|\d{1,3}[.)])\s+", line)
        follow = " " * (item.end() if item else indent)
        out.extend(textwrap.wrap(line, width, subsequent_indent=follow,
                                 break_long_words=False, break_on_hyphens=False))
    return "\n".join(out)


def hard_wrap_corpus(source: Path, target: Path, width: int = 72) -> None:
    """A copy of a corpus folder with its text hard-wrapped at `width` columns: .txt and .md
    files whole, the `text` field of each .jsonl record; other files (HTML, whose line
    breaks are markup's business) copied as they are."""
    import shutil

    target.mkdir(parents=True, exist_ok=True)
    for path in sorted(source.iterdir()):
        if not path.is_file():
            continue
        if path.suffix in (".txt", ".md"):
            (target / path.name).write_text(hard_wrapped(path.read_text(encoding="utf-8"),
                                                         width), encoding="utf-8")
        elif path.suffix == ".jsonl":
            records = [json.loads(x) for x in path.read_text(encoding="utf-8").splitlines()
                       if x.strip()]
            for record in records:
                record["text"] = hard_wrapped(record["text"], width)
            (target / path.name).write_text(
                "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records),
                encoding="utf-8")
        else:
            shutil.copyfile(path, target / path.name)
