"""An adversarial corpus for `citegraph ingest`: our own generator, no downloaded data.

`build_corpus(root)` writes one folder of hostile and awkward files (next to one plain good
file) and returns, per kind, what ingest must do with it:

- `Stored(id, check)`: the article is stored whole (`check(article, passages)` names what
  "whole" means for that kind, e.g. every character of the text in some passage);
- `Refused(where, words)`: one stderr line `citegraph: <folder>/<where>: <reason>` whose reason
  holds `words`, and nothing stored for it.

Kinds: two files with one stem, Chinese and Japanese text without spaces, lone surrogates,
huge titles, symlinks in and out of the folder, deep JSON, odd-length UTF-16, long unbroken
tokens (URL, base64, minified JSON), NUL bytes, CRLF, BOMs, U+2028/U+2029/U+0085 in the text,
empty and blank files, binary files, control characters, line breaks, terminal escapes and a
right-to-left override in names, hostile ids, quadratic-regex bait for the Markdown and
HTML readers, and furniture-only pages. `hostile_text(kind, size)` gives the regex bait alone
for timing the readers.
"""
from __future__ import annotations

import base64
import json
import os
import random
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Optional

PROSE = ("Reliable ingest keeps every good article and names every bad one. "
         "A knowledge graph links passages to the concepts they mention. ")
ZH = ("知识图谱把每篇文章分成段落并把段落和概念联系起来检索时先找到相关段落再给出带引用的答案"
      "客户体验团队每周整理反馈数据并讨论下一步的改进计划")
JA = ("東京の顧客体験チームは毎週レビューを行い改善点を共有しているその結果は翌月の計画に"
      "反映され担当者が進捗を確認する")


@dataclass
class Stored:
    id: str
    check: Optional[Callable] = None  # (article, passages) -> None, asserting
    why: str = ""


@dataclass
class Refused:
    where: str  # relative to the corpus folder; `file:line` for a JSONL record
    words: str
    ids: list[str] = field(default_factory=list)  # ids that must not be stored


def covers_text(article, passages) -> None:
    """Every non-space character of the article's text lies in exactly one passage, but for
    comment bylines ("2. Mitch Lieberman\n October 24, 2011 at 7:31 am"), which are metadata:
    a stretch between passages must read as a byline line by line."""
    from citegraph.text.comments import reads_as_byline

    covered = [False] * len(article.text)
    for p in passages:
        assert article.text[p.start:p.end] == p.text
        for i in range(p.start, p.end):
            assert not covered[i], f"character {i} in two passages"
            covered[i] = True
    lost = [i for i, ch in enumerate(article.text) if not ch.isspace() and not covered[i]]
    gaps: list[list[int]] = []
    for i in lost:
        if gaps and not any(covered[gaps[-1][1]:i]):
            gaps[-1][1] = i + 1
        else:
            gaps.append([i, i + 1])
    lost = [a for a, b in gaps if not reads_as_byline(article.text[a:b])]
    assert not lost, f"{len(lost)} stretches in no passage, first at {lost[0]}"


def contains(*needles: str) -> Callable:
    def check(article, passages) -> None:
        covers_text(article, passages)
        for needle in needles:
            assert needle in article.text, needle
    return check


def title_at_most(limit: int) -> Callable:
    def check(article, passages) -> None:
        covers_text(article, passages)
        assert 0 < len(article.title) <= limit, len(article.title)
    return check


def no_chars(*chars: str) -> Callable:
    def check(article, passages) -> None:
        covers_text(article, passages)
        for ch in chars:
            assert ch not in article.text, repr(ch)
    return check


def hostile_text(kind: str, size: int) -> str:
    """Input that makes a backtracking regex quadratic (or worse), `size` characters."""
    unit = {
        "lt": "<",  # inline HTML tag rule: `<[^>\n]+>`
        "image": "![",  # image and link rules
        "link": "[a](",
        "emphasis": " _x",  # emphasis rule, no closer
        "strong": "**x",
        "heading": " ",  # ATX heading rule over one long line (prefixed with "# ")
        "front": "title: x\n",  # front matter without its closing line
        "backticks": "`x",
        "spaces": " \t",
        "html-nest": "<div>",
        "html-lt": "<a <b ",
    }[kind]
    text = (unit * (size // len(unit) + 1))[:size]
    if kind == "heading":
        text = "# x" + text + "x"
    if kind == "front":
        text = "---\n" + text
    return text


def build_corpus(root: Path) -> dict:
    """Write the corpus under `root`; return {kind: [Stored | Refused, ...]}."""
    root.mkdir(parents=True)
    rng = random.Random(7)
    kinds: dict[str, list] = {}

    def put(rel: str, data, kind: str, *expect):
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(data, str):
            path.write_text(data, encoding="utf-8", newline="")
        else:
            path.write_bytes(data)
        kinds.setdefault(kind, []).extend(expect)

    put("good.txt", "A good article\n\n" + PROSE * 3, "plain",
        Stored("good.txt", contains("Reliable ingest keeps every good article")))

    # two files with one stem in one folder: ids keep the extension, so both are stored
    put("same/report.md", "# Report in Markdown\n\nThe Markdown report. " + PROSE, "same-name",
        Stored("same/report.md", contains("The Markdown report.")))
    put("same/report.txt", "Report in text\n\nThe text report. " + PROSE, "same-name",
        Stored("same/report.txt", contains("The text report.")))

    # text without spaces
    zh = "中文测试文章\n\n" + "。".join([ZH] * 12) + "。\n\n" + ZH * 8 + "\n"
    put("cjk/zh.txt", zh, "chinese", Stored("cjk/zh.txt", contains(ZH[:40], ZH[-20:])))
    ja = "日本語の記事\n\n" + JA * 15 + "\n"
    put("cjk/ja.md", ja, "japanese", Stored("cjk/ja.md", contains(JA[:30])))

    # long unbroken tokens
    url = "https://example.com/" + "/".join(f"segment{i}?q={i}&r=x" for i in range(300))
    put("tokens/url.txt", "A long link\n\nSee " + url + " for the details. " + PROSE,
        "long-url", Stored("tokens/url.txt", contains(url[-40:])))
    blob = base64.b64encode(bytes(rng.randrange(256) for _ in range(6000))).decode()
    put("tokens/base64.txt", "An embedded key\n\n" + blob + "\n\n" + PROSE, "base64",
        Stored("tokens/base64.txt", contains(blob[-40:])))
    minified = json.dumps({f"k{i}": [i, {"v": "x" * 10}] for i in range(150)},
                          separators=(",", ":"))
    put("tokens/minified.md", "# Minified\n\n" + minified + "\n", "minified-json",
        Stored("tokens/minified.md", contains(minified[-30:])))

    # JSONL: lone surrogates, deep nesting, hostile ids; good records around them
    good = lambda rid, words: json.dumps({"id": rid, "title": rid, "text": words + PROSE})
    lines = [
        good("rec-before", "The record before the bad ones. "),
        '{"id": "rec-surrogate", "text": "broken \\ud800 text. ' + PROSE + '"}',
        '{"id": "rec-\\udc00", "text": "' + PROSE + '"}',
        "[" * 100_000 + "]" * 100_000,
        '{"id": "rec-deep", "text": "x", "extra": ' + "[" * 5000 + "]" * 5000 + "}",
        json.dumps({"id": "/etc/passwd", "text": PROSE}),
        json.dumps({"id": "..", "text": PROSE}),
        json.dumps({"id": "bell\u0007", "text": PROSE}),
        json.dumps({"id": True, "text": PROSE}),
        json.dumps({"id": "rec-huge-title", "title": "T" * 1_000_000, "text": PROSE}),
        good("rec-after", "The record after the bad ones. "),
    ]
    put("records.jsonl", "\n".join(lines) + "\n", "jsonl",
        Stored("rec-before", contains("The record before")),
        Stored("rec-after", contains("The record after")),
        Stored("rec-huge-title", title_at_most(1000)))
    kinds.setdefault("lone-surrogate", []).extend(
        [Refused("records.jsonl:2", "surrogate", ["rec-surrogate"]),
         Refused("records.jsonl:3", "surrogate")])
    kinds.setdefault("deep-json", []).extend(
        [Refused("records.jsonl:4", "nested"), Refused("records.jsonl:5", "nested", ["rec-deep"])])
    kinds.setdefault("hostile-id", []).extend(
        [Refused("records.jsonl:6", "starts with '/'"), Refused("records.jsonl:7", "'..'"),
         Refused("records.jsonl:8", "control character"),
         Refused("records.jsonl:9", "string or a number")])

    # huge titles in files
    put("titles/front.md", "---\ntitle: " + "Long title " * 100_000 + "\n---\n\n" + PROSE,
        "huge-title", Stored("titles/front.md", title_at_most(1000)))
    put("titles/html.html", "<html><head><title>" + "Huge " * 200_000 + "</title></head><body>"
        "<article><p>The body of the page with a huge title. " + PROSE + "</p></article>"
        "</body></html>", "huge-title", Stored("titles/html.html", title_at_most(1000)))

    # encodings and bytes
    put("enc/utf16-odd.txt", "Odd UTF-16\n\n".encode("utf-16") + PROSE.encode("utf-16") + b"\x00",
        "utf16-odd", Refused("enc/utf16-odd.txt", "UTF-16"))
    put("enc/utf16.txt", ("UTF-16 article\n\n" + PROSE).encode("utf-16"), "utf16",
        Stored("enc/utf16.txt", contains("Reliable ingest")))
    put("enc/bom.txt", "\ufeffBOM article\n\n".encode("utf-8") + PROSE.encode(), "bom",
        Stored("enc/bom.txt", no_chars("\ufeff")))
    put("enc/crlf.txt", ("CRLF article\r\n\r\n" + PROSE + "\r\n" + PROSE + "\r\n").encode(),
        "crlf", Stored("enc/crlf.txt", no_chars("\r")))
    # characters that JSON holds raw but line-based readers break lines at
    separators = "one\u2028two\u2029three\u0085four"
    put("enc/separators.txt", "Separators\n\nThe text " + separators + " goes on. " + PROSE,
        "line-separators", Stored("enc/separators.txt", contains(separators)))
    put("enc/nul-early.txt", b"NUL\x00 article\n\n" + PROSE.encode(), "nul-bytes",
        Refused("enc/nul-early.txt", "binary"))
    put("enc/nul-late.txt", ("NUL later\n\n" + PROSE * 120).encode() + b"\x00 tail words.",
        "nul-bytes", Stored("enc/nul-late.txt", no_chars("\x00")))
    put("enc/empty.txt", b"", "empty", Refused("enc/empty.txt", "empty"))
    put("enc/blank.md", " \n\t\n  \n", "empty", Refused("enc/blank.md", "empty"))
    put("enc/bom-only.txt", "\ufeff".encode("utf-16"), "empty", Refused("enc/bom-only.txt", "empty"))
    put("enc/binary.txt", bytes(rng.randrange(256) for _ in range(4096)), "binary",
        Refused("enc/binary.txt", "binary"))
    put("enc/image.md", b"\x89PNG\r\n\x1a\n" + bytes(rng.randrange(256) for _ in range(2048)),
        "binary", Refused("enc/image.md", "binary"))

    # names
    put("names/tab\tin name.txt", "Tab name\n\n" + PROSE, "control-in-name",
        Refused("names/tab\tin name.txt", "control character"))
    put(os.fsdecode(b"names/latin1-\xe9t\xe9.txt"), "Not UTF-8 name\n\n" + PROSE,
        "non-utf8-name", Refused(os.fsdecode(b"names/latin1-\xe9t\xe9.txt"), "surrogate"))
    # a line break or a terminal escape in a name: refused as an id, and shown escaped
    put("names/line\nbreak.txt", "Line break name\n\n" + PROSE, "newline-in-name",
        Refused("names/line\nbreak.txt", "control character"))
    put("names/esc\x1b[31mred.txt", "Escape name\n\n" + PROSE, "escape-in-name",
        Refused("names/esc\x1b[31mred.txt", "control character"))
    # a right-to-left override makes "bidi<RLO>fdp.txt" read as "biditxt.pdf": not a
    # control character, so the id rules keep it as given (stderr shows it escaped)
    put("names/bidi\u202efdp.txt", "Bidi name\n\n" + PROSE, "bidi-in-name",
        Stored("names/bidi\u202efdp.txt", contains("Reliable ingest")))
    deep = "names/" + ("d" * 100 + "/") * 3 + "long.txt"
    put(deep, "Long path\n\n" + PROSE, "long-name", Refused(deep, "over the 300 limit"))
    put("names/ünïcödé name.txt", "Unicode name\n\n" + PROSE, "unicode-name",
        Stored("names/ünïcödé name.txt", contains("Reliable ingest")))

    # regex bait, read whole (small enough to embed quickly)
    put("bait/lt.md", "# Angle brackets\n\nSome text. " + hostile_text("lt", 20_000), "regex-bait",
        Stored("bait/lt.md", covers_text))
    put("bait/emphasis.md", "# Emphasis\n\n" + hostile_text("emphasis", 20_000) + ". " + PROSE,
        "regex-bait", Stored("bait/emphasis.md", covers_text))
    put("bait/front.md", hostile_text("front", 20_000) + "\n\n" + PROSE, "regex-bait",
        Stored("bait/front.md", covers_text))
    put("bait/nest.html", "<html><body>" + hostile_text("html-nest", 60_000) + "<p>Deep text. "
        + PROSE + "</p></body></html>", "regex-bait",
        # 12,000 nested divs: the HTML parser gives up below them (it would drop the deep
        # text); refused and named, not cut and not a traceback
        Refused("bait/nest.html", "nested deeper than 255"))

    # furniture only
    put("furniture.txt", "Leave a Reply\n\nCancel reply\n\nShare this:\n", "furniture-only",
        Refused("furniture.txt", "no article text"))

    # symlinks
    put("links/real.txt", "Linked target\n\nThe file a link inside the folder points to. "
        + PROSE, "symlink-inside", Stored("links/real.txt", contains("a link inside the folder")))
    (root / "links" / "inside.txt").symlink_to(root / "links" / "real.txt")
    kinds["symlink-inside"].append(Stored("links/inside.txt", contains("a link inside the folder")))
    (root / "links" / "passwd.txt").symlink_to("/etc/passwd")
    kinds["symlink-outside"] = [Refused("links/passwd.txt", "outside the folder")]
    outside = root.parent / (root.name + "-outside")
    outside.mkdir()
    (outside / "secret.txt").write_text("Secret\n\nA file outside the corpus.", encoding="utf-8")
    (root / "links" / "outdir").symlink_to(outside, target_is_directory=True)
    kinds["symlink-outside"].append(Refused("links/outdir", "outside the folder"))
    return kinds


def expectations(kinds: dict) -> tuple[list[Stored], list[Refused]]:
    stored = [e for es in kinds.values() for e in es if isinstance(e, Stored)]
    refused = [e for es in kinds.values() for e in es if isinstance(e, Refused)]
    return stored, refused


if __name__ == "__main__":  # write a corpus to look at: python tests/adversarial.py DIR
    import sys

    for kind, expects in build_corpus(Path(sys.argv[1])).items():
        print(kind, *expects, sep="\n  ")


def cpu_ratio(work, small, large, repeats: int = 5) -> float:
    """How much more of this process's CPU time `work(large)` takes than `work(small)`: the
    least of a few runs each, so that another process's load does not count."""
    def least(arg):
        best = float("inf")
        for _ in range(repeats):
            start = time.process_time()
            work(arg)
            best = min(best, time.process_time() - start)
        return max(best, 1e-4)
    return least(large) / least(small)
