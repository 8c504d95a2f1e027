"""Synthetic articles from our own sentence templates, for tests that need many small articles
(crash consistency, concurrency). Short articles (one passage each) keep embedding quick;
the vocabulary mixes customer-experience terms of the shipped scheme, so concepts get linked.
"""
from __future__ import annotations

import json
import random
from pathlib import Path

ROLES = ["chief customer officer", "chief marketing officer", "chief data officer",
         "customer success manager", "marketing analyst", "contact center agent",
         "brand manager", "research lead", "finance director", "product owner"]
ACTIONS = ["reviewed", "redesigned", "measured", "funded", "questioned", "simplified",
           "audited", "expanded", "paused", "automated"]
SUBJECTS = ["customer analytics", "lead generation", "brand awareness", "market research",
            "segmentation", "personalisation", "customer service", "data privacy",
            "campaign management", "social media marketing", "post-sale service",
            "business intelligence"]
PLACES = ["Oslo", "Lisbon", "Nairobi", "Osaka", "Quito", "Tallinn", "Perth", "Dakar",
          "Montreal", "Hanoi", "Bergen", "Cusco"]
OUTCOMES = ["churn fell by {n} percent", "complaints doubled within {n} weeks",
            "the budget grew to {n} million", "response times dropped to {n} minutes",
            "{n} new accounts opened", "renewals rose by {n} points"]
DETAILS = ["The board asked for a second review before the next quarter.",
           "Frontline staff said the old process had hidden the real problem.",
           "An outside auditor confirmed the figures in a short memo.",
           "The team published its raw numbers so others could check them.",
           "Nobody expected the change to matter outside the pilot region."]


def article(rng: random.Random, number: int) -> dict:
    role, action, subject = rng.choice(ROLES), rng.choice(ACTIONS), rng.choice(SUBJECTS)
    place, year = rng.choice(PLACES), rng.randrange(1990, 2025)
    outcome = rng.choice(OUTCOMES).format(n=rng.randrange(2, 90))
    text = (f"In {place} in {year}, the {role} {action} {subject} for unit {number}. "
            f"After that, {outcome}. {rng.choice(DETAILS)}")
    return {"_id": f"syn-{number:04d}", "title": f"{subject.capitalize()} in {place}, {year}",
            "text": text}


def articles(count: int, seed: int = 6, start: int = 0) -> list[dict]:
    rng = random.Random(seed * 100_003 + start)
    return [article(rng, n) for n in range(start, start + count)]


def write_jsonl(folder: Path, records: list[dict], per_file: int = 200) -> list[Path]:
    """Records in JSONL files of `per_file` lines: part-000.jsonl, part-001.jsonl, ..."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for i in range(0, len(records), per_file):
        path = folder / f"part-{i // per_file:03d}.jsonl"
        path.write_text("".join(json.dumps(r) + "\n" for r in records[i:i + per_file]),
                        encoding="utf-8")
        paths.append(path)
    return paths


QUERIES = ["Who measured customer analytics in Oslo?", "churn fell after the review",
           "data privacy audit by the chief data officer", "budget grew to million",
           "contact center agent simplified customer service", "brand awareness in Lisbon",
           "renewals rose by points", "frontline staff hidden problem",
           "segmentation funded in Nairobi", "personalisation paused"]
