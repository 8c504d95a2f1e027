"""Extractive answers: the sentences of the top passages that state the answer, quoted with
numbered citations, or an honest abstention. No text is generated: every word of an answer is
a quotation from a cited passage.

Each candidate sentence is scored by
- its dense match to the question: the sentence vector (stored at ingest, from the passage's
  own forward pass, so no model call here) against the question vector;
- its lexical match: the share of the question's content words (stemmed, weighted by their
  rarity among the candidate sentences) and numbers that it contains;
- the fused rank of its passage (the ranking's evidence, a small prior);
- a small penalty when the passage is a reader's comment: the author's body is quoted when it
  answers about as well (COMMENT_PENALTY).
Sentences are grouped into quotable units: a sentence leaning on the previous one (a leading
pronoun or connective: "This…", "And they…") is quoted with it, and the list items after a
sentence ending in ':' belong to that sentence. A unit scores as its best sentence.

The answer quotes the best unit, then any other unit nearly as good (distinct, not a near
copy), best first. When even the best unit matches the question poorly, the service abstains:
`confidence` (dense + lexical, no rank prior, so it is comparable across questions) below the
`abstain_below` setting."""
from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from functools import lru_cache
from typing import AbstractSet, Optional

import numpy as np

from citegraph.graph.analysis import analyse
from citegraph.graph.models import SentenceVectors
from citegraph.search.results import Answer
from citegraph.text.splitter import LineWidths, breaks_line, is_heading

ANSWER_UNITS = 3  # at most this many quotes
ANSWER_FROM = 5  # the answer quotes sentences of the top results only
KEEP_RATIO = 0.9  # a further quote must score at least this share of the best one
MAX_UNIT_CHARS = 700  # a unit (sentence + the one it leans on, or intro + list) stays short
LEXICAL_WEIGHT = 0.9  # tuned on the tune half of benchmarks/answer_qa.py (was 0.7)
RANK_WEIGHT = 0.1
# a sentence that supplies the kind of answer asked for (a number for "how many", a name for
# "who", a reason for "why"...): tuned on the tune half of benchmarks/answer_qa.py
KIND_BONUS = 0.04
# the sentence next to one that matches the question, when only it supplies the kind asked
# for, is quoted with it: that pair scores as the matching sentence plus this
NEIGHBOUR_BONUS = 0.04
# two neighbouring sentences that together hold at least PAIR_GAIN more of the question's
# words than either alone are a candidate quote too, at PAIR_COST off its score
PAIR_GAIN = 0.1
PAIR_COST = 0.05
# a reader's comment gives way to the author's body when the body answers about as well:
# taken off a comment unit's score (what is quoted), not its confidence (whether to answer)
COMMENT_PENALTY = 0.05

# a sentence opening with one of these leans on the one before it
_LEANING = re.compile(
    r"^[\"“‘'(]*(?:and|but|or|so|yet|this|that|these|those|it|its|it's|it’s|they|them|their|"
    r"theirs|he|she|his|her|such|however|therefore|thus|hence|moreover|furthermore|also|"
    r"instead|otherwise|still|then|besides|nevertheless|consequently|likewise|similarly|"
    r"meanwhile|finally|plus)\b",
    re.IGNORECASE)
_LIST_ITEM = re.compile(r"^\s*(?:[•·*\-–—▪◦]|\(?\d{1,2}[.)]|\(?[a-z][.)])\s")
_NUMBER = re.compile(r"\d")
_QUANTITY_QUESTION = re.compile(
    r"\b(?:how (?:many|much|big|large|often|long|far|old|tall|high|deep|fast)|what (?:percentage|"
    r"percent|share|proportion|number|fraction|amount|size)|what % )", re.IGNORECASE)
# what kind of answer a question asks for; a sentence that supplies that kind (and not only
# by repeating the question's own words) is a likelier answer
_ASKS = (
    ("number", _QUANTITY_QUESTION),
    ("time", re.compile(r"^\W*(?:when\b|(?:in |by |since |until )?what (?:year|decade|century|"
                        r"date|month|day|time|period|age)\b|how long ago\b)", re.IGNORECASE)),
    ("name", re.compile(r"^\W*(?:who|whom|whose)\b|\b(?:which|what) (?:person|people|man|woman|"
                        r"company|companies|organi[sz]ations?|group|team|country|countries|city|"
                        r"university|king|queen|president|leader|author|player|actor|actress|"
                        r"artist|scientist|state|party|church|family|band|composer|writer)\b"
                        r"|\bwho\b", re.IGNORECASE)),
    ("place", re.compile(r"^\W*where\b|\bin (?:what|which) (?:country|city|state|region|"
                         r"town|place|part)\b", re.IGNORECASE)),
    ("reason", re.compile(r"^\W*why\b|\bfor what reason\b|\bwhat (?:caused|causes|led to)\b"
                          r"|\bwhat is the reason\b", re.IGNORECASE)),
    ("list", re.compile(r"\b(?:what|which|name) (?:are|were) the (?:two|three|four|five|six|"
                        r"seven|eight|nine|ten|\d{1,2}|main|key|different)\b", re.IGNORECASE)),
)
_NUMBER_WORDS = (r"one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|"
                 r"thirteen|fifteen|twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety|"
                 r"hundred|thousand|million|billion|trillion|half|third|quarter|dozen|"
                 r"once|twice|thrice|percent|majority|minority")
_QUANTITY = re.compile(rf"\d|\b(?:{_NUMBER_WORDS})\b", re.IGNORECASE)
_TIME = re.compile(r"\b(?:1\d{3}|20\d{2}|\d{1,4}(?:st|nd|rd|th)? (?:century|millennium)|"
                   r"\d{1,4}s|(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.? \d"
                   r"|\d{1,2} (?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*"
                   r"|(?:BC|BCE|AD|CE)\b|(?:years?|decades?|centuries) (?:ago|later|earlier|before|"
                   r"after)|(?:spring|summer|autumn|fall|winter) of|during the)", re.IGNORECASE)
_NAME = re.compile(r"(?<![.!?]\s)(?<!^)\b[A-Z][\w’'\-]+(?:\s+(?:of\s+|de\s+|van\s+|von\s+)?"
                   r"[A-Z][\w’'\-]+)*")
_REASON = re.compile(r"\b(?:because|since|due to|owing to|as a result|so that|in order to|"
                     r"reasons?|caused|causes|led to|leads to|therefore|thus|so as to|"
                     r"motivated|aimed|sought|purpose|in response|resulted|allows?|helps?)\b",
                     re.IGNORECASE)
_NAMES_COUNT = re.compile(r"\b(?:two|three|four|five|six|seven|eight|nine|ten|\d{1,2})\s+\w+",
                          re.IGNORECASE)
_COUNT_WORDS = {"two": "2", "three": "3", "four": "4", "five": "5", "six": "6",
                "seven": "7", "eight": "8", "nine": "9", "ten": "10"}
_DATE_LINE = re.compile(
    r"^\s*(?:[•·*\-]\s*|\d{1,3}[.)]\s*)?(?:[\w .’'\-]{0,60}\n\s*)?"
    r"(?:(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.? \d{1,2},? \d{4}"
    r"|\d{1,2} (?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]* \d{4})"
    r"(?: at \d{1,2}:\d{2}(?: ?[ap]\.?m\.?)?)?\s*$", re.IGNORECASE)
_BREAK = re.compile(r"\n[ \t]*\n\s*")
_WS = re.compile(r"\s+")


@dataclass
class Highlight:
    start: int  # offsets into the passage text
    end: int
    score: float


@dataclass
class Evidence:
    """One result passage as the answer sees it."""
    number: int  # its citation number (the result's rank)
    text: str
    sentences: Optional[SentenceVectors]
    comment: bool = False  # a reader's comment, not the article's body


@dataclass
class Unit:
    number: int  # citation
    start: int  # offsets into the passage text
    end: int
    score: float  # dense + lexical + rank prior: chooses among units
    confidence: float  # dense + lexical: does it answer at all
    members: list[int] = field(default_factory=list)  # sentence indices


@dataclass
class Choice:
    units: list[Unit]
    confidence: float  # of the best unit; -inf when there was nothing to quote

    def answer(self, texts: dict[int, str], abstain_below: float) -> Answer:
        confidence = round(self.confidence, 4) if math.isfinite(self.confidence) else None
        if not self.units or self.confidence < abstain_below:
            return Answer("", [], abstained=True, confidence=confidence)
        parts = [f"{_flat(texts[u.number][u.start:u.end])} [{u.number}]" for u in self.units]
        cited = list(dict.fromkeys(u.number for u in self.units))  # a passage once
        return Answer(" ".join(parts), cited, abstained=False, confidence=confidence)


def _flat(text: str) -> str:
    return _WS.sub(" ", text).strip()


@lru_cache(maxsize=16384)
def _terms(text: str) -> frozenset[str]:
    """A sentence's analysed terms; kept, since the passages a collection's questions reach
    repeat from one question to the next (over half of the answer's time went here)."""
    return frozenset(analyse(text))


def _numbers(text: str) -> set[str]:
    return set(re.findall(r"\d+(?:[.,]\d+)?", text))


def _is_byline(text: str) -> bool:
    """'Mitch Lieberman\\n October 24, 2011 at 7:31 am', '2.', '• rotkapchen': no statement."""
    stripped = text.strip()
    return bool(_DATE_LINE.match(stripped)) or bool(re.fullmatch(r"[\d.)(•·*\-\s]*", stripped))


def trimmed_span(text: str, start: int, end: int) -> tuple[int, int]:
    """The span without a leading byline or list mark glued to it by the splitter
    ('3. dariasteigman\\n November 29, 2011 at 4:42 pm\\n\\n Hi Mitch, …'): the quote starts at
    the paragraph after the last such piece."""
    piece = text[start:end]
    cut = 0
    for m in _BREAK.finditer(piece):
        head = piece[cut:m.start()]
        if _is_byline(head) or (len(head.split()) <= 6 and not head.rstrip().endswith(
                (".", "!", "?", ":", "”", '"'))):
            cut = m.end()
        else:
            break
    return (start + cut, end) if cut < len(piece) else (start, end)


def _skippable(sentence: str) -> bool:
    """A heading, a question (titles often are one) or a byline is not an answer."""
    s = sentence.strip()
    return is_heading(s) or s.endswith("?") or _is_byline(s)


def _units(text: str, spans: list[tuple[int, int]]) -> list[list[int]]:
    """Sentence indices grouped into quotable units, in passage order."""
    units: list[list[int]] = []
    in_list = False  # inside the list that follows a sentence ending in ':' or naming a count
    widths = LineWidths(text)

    def item_at(i: int) -> bool:
        return i < len(spans) and breaks_line(text, spans[i - 1][1], spans[i][0], widths) \
            and bool(_LIST_ITEM.match(text[spans[i][0]:spans[i][1]]))

    for i, (a, b) in enumerate(spans):
        sentence = text[a:b]
        gap = text[spans[i - 1][1]:a] if i else ""
        starts_line = i == 0 or breaks_line(text, spans[i - 1][1], a, widths)
        is_item = starts_line and bool(_LIST_ITEM.match(sentence))
        if units and in_list and (is_item or not starts_line):
            units[-1].append(i)  # an item, or the rest of an item's line
            continue
        in_list = False
        previous = text[spans[i - 1][0]:spans[i - 1][1]] if i else ""
        leans = (bool(_LEANING.match(sentence.lstrip())) and units and "\n\n" not in gap
                 and not _skippable(previous) and not is_item)
        if leans:
            units[-1].append(i)
        else:
            units.append([i])
        if sentence.rstrip().endswith(":") or (_NAMES_COUNT.search(sentence) and item_at(i + 1)):
            in_list = True  # "Three habits sit at its core." over "• Remember…", "• Tell…"
    return units


def asked_kinds(question: str) -> set[str]:
    """What kind of answer the question asks for: number, time, name, place, reason, list."""
    return {kind for kind, pattern in _ASKS if pattern.search(question)}


def supplies(kind: str, sentence: str, question: str, question_terms: frozenset[str]) -> bool:
    """Whether `sentence` states an answer of `kind` that is not in the question already."""
    asked = question.lower()
    if kind == "number":
        return any(m.group(0).lower() not in asked for m in _QUANTITY.finditer(sentence)
                   if not _NUMBER.search(m.group(0)) or m.group(0) not in question)
    if kind == "time":
        return any(m.group(0).lower() not in asked for m in _TIME.finditer(sentence))
    if kind in ("name", "place"):
        return any(not _terms(m.group(0)) <= question_terms for m in _NAME.finditer(sentence))
    if kind == "reason":
        return bool(_REASON.search(sentence))
    if kind == "list":
        count = next((w for w in asked.split() if w in _COUNT_WORDS), None)
        stripped = sentence.rstrip()
        return stripped.endswith(":") or bool(count and re.search(
            rf"\b(?:{count}|{_COUNT_WORDS[count]})\b", sentence, re.IGNORECASE))
    return False


def _idf(sentence_terms: list[frozenset[str]]) -> dict[str, float]:
    n = len(sentence_terms)
    df: dict[str, int] = {}
    for terms in sentence_terms:
        for t in terms:
            df[t] = df.get(t, 0) + 1
    return {t: math.log(1 + n / (1 + c)) for t, c in df.items()}


def lexical_match(question_terms: AbstractSet[str], question_numbers: AbstractSet[str],
                  terms: AbstractSet[str], numbers: AbstractSet[str], idf: dict[str, float], default_idf: float) -> float:
    """The idf-weighted share of the question's content words (and numbers) in a sentence."""
    weights = {t: idf.get(t, default_idf) for t in question_terms}
    weights.update({f"#{n}": default_idf for n in question_numbers})
    total = sum(weights.values())
    if total <= 0:
        return 0.0
    found = sum(w for t, w in weights.items()
                if (t[1:] in numbers if t.startswith("#") else t in terms))
    return found / total


def choose(question: str, question_vector: np.ndarray, evidence: list[Evidence],
           limit: int = ANSWER_UNITS) -> Choice:
    """The units to quote, best first, and the confidence of the best."""
    q_terms, q_numbers = _terms(question), _numbers(question)
    kinds = asked_kinds(question)
    rows = []  # (evidence, spans, dense scores, sentence terms)
    for ev in evidence:
        sv = ev.sentences
        if sv is None or not sv.spans:
            spans = [(0, len(ev.text))]
            dense = np.zeros(1, dtype=np.float32)
        else:
            spans = [(s[0], s[1]) for s in sv.spans]
            dense = sv.vectors.astype(np.float32) @ question_vector.astype(np.float32)
        rows.append((ev, spans, dense, [_terms(ev.text[a:b]) for a, b in spans]))
    idf = _idf([t for row in rows for t in row[3]])
    default_idf = math.log(1 + len(idf) + 1) if idf else 1.0
    units: list[Unit] = []
    for position, (ev, spans, dense, terms) in enumerate(rows):
        prior = 1.0 / (1.0 + 0.5 * position)
        sentence_conf = []  # how well each sentence matches the question
        fits = []  # whether it supplies the kind of answer asked for
        lexical = []
        for (a, b), d, t in zip(spans, dense, terms):
            sentence = ev.text[a:b]
            if _skippable(sentence):
                sentence_conf.append(-math.inf)
                fits.append(False)
                lexical.append(0.0)
                continue
            lex = lexical_match(q_terms, q_numbers, t, _numbers(sentence), idf, default_idf)
            lexical.append(lex)
            sentence_conf.append(float(d) + LEXICAL_WEIGHT * lex)
            fits.append(any(supplies(k, sentence, question, q_terms) for k in kinds))
        sentence_score = [c + (KIND_BONUS if f else 0.0) for c, f in zip(sentence_conf, fits)]
        rank_prior = RANK_WEIGHT * prior - (COMMENT_PENALTY if ev.comment else 0.0)
        for members in _units(ev.text, spans):
            best = max(sentence_score[i] for i in members)
            if best == -math.inf:
                continue
            # a long unit is cut back to the sentences around its best one
            members = _within_limit(spans, members, sentence_score)
            start, _ = trimmed_span(ev.text, *spans[members[0]])
            end = spans[members[-1]][1]
            units.append(Unit(ev.number, start, end, best + rank_prior,
                              max(sentence_conf[i] for i in members), members))
        if kinds:
            units.extend(_neighbour_units(ev, spans, sentence_conf, fits, rank_prior))
        units.extend(_pair_units(ev, spans, dense, terms, lexical, sentence_conf, rank_prior,
                                 (q_terms, q_numbers, idf, default_idf)))
    units.sort(key=lambda u: (-u.score, u.number, u.start))
    if not units:
        return Choice([], -math.inf)
    chosen: list[Unit] = []
    seen: list[set[str]] = []
    for unit in units:
        if len(chosen) == limit or unit.score < KEEP_RATIO * units[0].score:
            break
        ev = next(e for e in evidence if e.number == unit.number)
        words = set(_flat(ev.text[unit.start:unit.end]).lower().split())
        if any(len(words & s) >= 0.8 * min(len(words), len(s)) for s in seen):
            continue  # a repeat (the same quote in two articles) or an overlap
        if any(u.number == unit.number and u.start < unit.end and unit.start < u.end
               for u in chosen):
            continue
        chosen.append(unit)
        seen.append(words)
    return Choice(chosen, units[0].confidence)


def _neighbour_units(ev: Evidence, spans, conf: list[float], fits: list[bool],
                     rank_prior: float) -> list[Unit]:
    """A sentence that matches the question without supplying the kind of answer asked for,
    quoted with the next (or previous) sentence of its paragraph that does ("Who led the
    committee?": "Seamans set up a committee." + "Nicholas Golovin headed it.")."""
    out = []
    for i, c in enumerate(conf):
        if c == -math.inf or fits[i]:
            continue
        for j in (i + 1, i - 1):
            if not 0 <= j < len(spans) or not fits[j] or conf[j] == -math.inf:
                continue
            first, last = min(i, j), max(i, j)
            if "\n\n" in ev.text[spans[first][1]:spans[last][0]]:
                continue  # another paragraph
            if spans[last][1] - spans[first][0] > MAX_UNIT_CHARS:
                continue
            start, _ = trimmed_span(ev.text, *spans[first])
            out.append(Unit(ev.number, start, spans[last][1], c + NEIGHBOUR_BONUS + rank_prior,
                            c, [first, last]))
            break
    return out


def _pair_units(ev: Evidence, spans, dense, terms, lexical: list[float], conf: list[float],
                rank_prior: float, question) -> list[Unit]:
    """Two sentences of a paragraph that between them hold much more of the question's words
    than either alone ("…a problem instance is a string over an alphabet." + "Usually the
    alphabet is binary…"), quoted together: scored by their better dense match and their
    joint lexical match, less PAIR_COST."""
    q_terms, q_numbers, idf, default_idf = question
    out = []
    for i in range(len(spans) - 1):
        j = i + 1
        if conf[i] == -math.inf or conf[j] == -math.inf:
            continue
        if "\n\n" in ev.text[spans[i][1]:spans[j][0]] or spans[j][1] - spans[i][0] > MAX_UNIT_CHARS:
            continue
        joint = lexical_match(q_terms, q_numbers, terms[i] | terms[j],
                              _numbers(ev.text[spans[i][0]:spans[j][1]]), idf, default_idf)
        if joint < max(lexical[i], lexical[j]) + PAIR_GAIN:
            continue
        score = max(float(dense[i]), float(dense[j])) + LEXICAL_WEIGHT * joint - PAIR_COST
        start, _ = trimmed_span(ev.text, *spans[i])
        out.append(Unit(ev.number, start, spans[j][1], score + rank_prior,
                        max(conf[i], conf[j]), [i, j]))
    return out


def _within_limit(spans, members: list[int], scores: list[float]) -> list[int]:
    """Members kept within MAX_UNIT_CHARS: the first one (what the rest leans on or belongs
    to), the best one, and as many between and after the best as fit."""
    if spans[members[-1]][1] - spans[members[0]][0] <= MAX_UNIT_CHARS:
        return members
    best = max(members, key=lambda i: scores[i])
    head = members[0]
    if spans[best][1] - spans[head][0] > MAX_UNIT_CHARS:
        head = best  # too far from its lead: the best sentence alone
    kept = [i for i in members if head <= i <= best]
    for i in members:
        if i > best and spans[i][1] - spans[head][0] <= MAX_UNIT_CHARS:
            kept.append(i)
    return kept


def best_sentence(question_vector: np.ndarray, text: str,
                  sentences: Optional[SentenceVectors]) -> Highlight:
    """The sentence of one passage closest to the question (the result's highlight)."""
    if sentences is None or not sentences.spans:
        return Highlight(0, len(text), 0.0)
    scores = sentences.vectors.astype(np.float32) @ question_vector
    skip = [_skippable(text[a:b]) for a, b in sentences.spans]
    if not all(skip):
        scores = np.where(skip, -np.inf, scores)
    best = int(np.argmax(scores))
    start, end = trimmed_span(text, *sentences.spans[best])
    return Highlight(int(start), int(end), float(scores[best]))


def compose(quotes: list[tuple[int, str, float]], limit: int = ANSWER_UNITS) -> Answer:
    """quotes: (citation number, sentence, score) → the strongest distinct sentences, each
    followed by its citation mark (kept for callers that score sentences themselves)."""
    chosen, seen = [], set()
    for number, sentence, _score in sorted(quotes, key=lambda q: (-q[2], q[0])):
        flat = " ".join(sentence.split())
        if flat.lower() in seen:
            continue
        seen.add(flat.lower())
        chosen.append((number, flat))
        if len(chosen) == limit:
            break
    return Answer(" ".join(f"{s} [{n}]" for n, s in chosen), [n for n, _ in chosen])
