"""A generated corpus of bad input, ingested through the real `citegraph ingest` command.

Every bad file must be named on stderr with its reason, every good one ingested, the exit
code 1 (some inputs failed) and no traceback anywhere. The corpus is built once per module
and ingested by one CLI process, so the model loads once.
"""
from __future__ import annotations

import json
import os
import random
import subprocess
import sys
from pathlib import Path

import pytest

MB = 2**20
# Readable prose from our own sentences, repeated where size is what matters.
PROSE = ("Reliable ingest keeps every good article and names every bad one. "
         "A knowledge graph links passages to the concepts they mention. ")


def citegraph_cmd() -> list[str]:
    exe = Path(sys.executable).with_name("citegraph")
    return [str(exe)] if exe.exists() else [sys.executable, "-m", "citegraph"]


def build_corpus(root: Path) -> dict:
    """Write the corpus; return what each file is expected to do."""
    root.mkdir()
    rng = random.Random(6)
    (root / "good.txt").write_text("A good article\n\n" + PROSE * 3, encoding="utf-8")
    (root / "empty.txt").write_bytes(b"")
    (root / "blank.md").write_text("\n   \n\t\n", encoding="utf-8")
    (root / "binary.txt").write_bytes(bytes(rng.randrange(256) for _ in range(4096)))
    # binary without a single NUL byte, so the NUL shortcut cannot be what catches it
    (root / "binary-nonul.txt").write_bytes(bytes(rng.randrange(1, 32) for _ in range(4096)))
    (root / "latin1.txt").write_bytes(
        ("Café crème in Zürich\n\nA naïve résumé of the façade, with señor Müller. " + PROSE)
        .encode("latin-1"))
    (root / "utf16.txt").write_bytes(
        ("Ünïcode in UTF-16\n\nThe Ångström unit and the Œuvre complète. " + PROSE)
        .encode("utf-16"))
    with open(root / "huge.txt", "w", encoding="utf-8") as f:  # 50 MB of real text
        block = (PROSE + "\n\n") * 1000
        while f.tell() < 50 * MB:
            f.write(block)
    with open(root / "oneline.txt", "w", encoding="utf-8") as f:  # 5 MB, no line break
        while f.tell() < 5 * MB:
            f.write(PROSE * 100)
    (root / "unclosed.html").write_text(
        "<html><head><title>Unclosed tags</title><body><div><p>"
        "The parser must cope with paragraphs that never close. " + PROSE +
        "<p>A second paragraph follows without a closing tag for the first. " + PROSE +
        "<div><p>And a third, nested in a div that is never closed either. " + PROSE,
        encoding="utf-8")
    (root / "scripts.html").write_text(
        "<!doctype html><html><head><title>Scripts and frames</title>"
        "<script>var SECRET_SCRIPT_TOKEN = 1; alert('xss-in-head');</script></head><body>"
        "<article><h1>Scripts and frames</h1><p>This article sits between scripts. " + PROSE +
        "</p><script>document.write('INJECTED_BY_SCRIPT')</script>"
        "<iframe src='https://example.invalid/frame'>IFRAME_FALLBACK_TEXT</iframe>"
        "<p>It continues after the iframe. " + PROSE + "</p>"
        "<noscript>NOSCRIPT_TEXT</noscript><style>.x{content:'STYLE_TEXT'}</style>"
        "</article></body></html>", encoding="utf-8")
    lines = [
        json.dumps({"_id": "rec-1", "title": "Record one", "text": "First record. " + PROSE}),
        '{"_id": "rec-broken", "text": "unterminated',  # line 2: invalid JSON
        json.dumps({"title": "No id", "text": PROSE}),  # line 3: no id
        json.dumps({"_id": "rec-notext", "title": "No text"}),  # line 4
        json.dumps(["not", "an", "object"]),  # line 5
        json.dumps({"id": "rec-2", "title": "Record two", "text": "Second record. " + PROSE}),
        json.dumps({"_id": "rec-1", "title": "Again", "text": "A duplicate. " + PROSE}),  # 7
        json.dumps({"_id": "rec-3", "text": 42}),  # line 8: text is not a string
    ]
    (root / "records.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    # the same id in another file of the same batch
    (root / "records2.jsonl").write_text(
        json.dumps({"_id": "rec-2", "title": "Clash", "text": "Clashing record. " + PROSE})
        + "\n", encoding="utf-8")
    (root / "notes.pdf").write_bytes(b"%PDF-1.4\n" + PROSE.encode())
    os.mkfifo(root / "fifo.txt")  # opening it would block a naive reader for ever
    (root / "dangling.txt").symlink_to(root / "no-such-target.txt")
    # a link out of the folder is not followed (it could serve /etc/passwd); named instead
    (root / "procmem.txt").symlink_to("/proc/self/mem")
    (root / "loop.txt").symlink_to(root / "loop.txt")
    (root / "cycle").mkdir()
    (root / "cycle" / "inside.md").write_text("# Inside a cycle\n\n" + PROSE, encoding="utf-8")
    (root / "cycle" / "back").symlink_to(root, target_is_directory=True)
    locked = root / "locked.txt"
    locked.write_text("Locked\n\n" + PROSE, encoding="utf-8")
    locked.chmod(0)
    return {
        "good": {"good.txt", "latin1.txt", "utf16.txt", "unclosed.html", "scripts.html",
                 "cycle/inside.md", "rec-1", "rec-2"},
        "bad": {  # file (relative) -> words its reason must contain
            "empty.txt": "empty",
            "blank.md": "empty",
            "binary.txt": "binary",
            "binary-nonul.txt": "binary",
            "huge.txt": "limit",
            "oneline.txt": "limit",
            "records.jsonl:2": "invalid JSON",
            "records.jsonl:3": "'_id' or 'id'",
            "records.jsonl:4": "'text'",
            "records.jsonl:5": "JSON object",
            "records.jsonl:7": "duplicate",
            "records.jsonl:8": "must be a string",
            "records2.jsonl": "duplicate",
            "notes.pdf": "not a readable PDF",
            "fifo.txt": "not a regular file",
            "dangling.txt": "no such file",
            "procmem.txt": "outside the folder",
            "loop.txt": "symlink loop",
        },
    }


@pytest.fixture(scope="module")
def bad_run(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("bad-input")
    corpus = tmp / "corpus"
    expected = build_corpus(corpus)
    root_reads_anything = os.access(corpus / "locked.txt", os.R_OK)
    if not root_reads_anything:
        expected["bad"]["locked.txt"] = "permission denied"
    else:
        expected["good"].add("locked.txt")  # root: chmod 000 does not stop it; it must ingest
    store = tmp / "store"
    env = dict(os.environ, CITEGRAPH_THREADS="1")
    proc = subprocess.run(citegraph_cmd() + ["ingest", str(corpus), "--store", str(store),
                                             "--json"],
                          capture_output=True, text=True, timeout=600, env=env)
    return {"proc": proc, "corpus": corpus, "store": store, "expected": expected,
            "root": root_reads_anything}


def _reasons(stderr: str, corpus: Path) -> dict[str, str]:
    """`citegraph: <where>: <reason>` lines, keyed by `where` relative to the corpus."""
    out = {}
    prefix = f"citegraph: {corpus}/"
    for line in stderr.splitlines():
        if line.startswith(prefix):
            where, _, reason = line[len(prefix):].partition(": ")
            out[where] = reason
    return out


def test_exit_code_one_and_no_traceback(bad_run):
    proc = bad_run["proc"]
    assert proc.returncode == 1, proc.stderr[-3000:]
    assert "Traceback" not in proc.stderr and "Traceback" not in proc.stdout


def test_every_bad_input_named_with_its_reason(bad_run):
    reasons = _reasons(bad_run["proc"].stderr, bad_run["corpus"])
    for where, words in bad_run["expected"]["bad"].items():
        assert where in reasons, f"{where} not reported; stderr:\n{bad_run['proc'].stderr}"
        assert words.lower() in reasons[where].lower(), (where, reasons[where])
    # nothing good reported, and each report is one line naming a file
    assert set(reasons) == set(bad_run["expected"]["bad"]), reasons


def test_good_inputs_ingested_and_counted(bad_run):
    from citegraph.graph.sqlite_store import SQLiteStore

    summary = json.loads(bad_run["proc"].stdout.strip().splitlines()[-1])
    expected_good = bad_run["expected"]["good"]
    assert summary["new"] == len(expected_good)
    assert summary["failed"] == len(bad_run["expected"]["bad"])
    with SQLiteStore(bad_run["store"], readonly=True) as store:
        ids = {a.id for a in store.iter_articles()}
        assert ids == expected_good
        for article_id in ids:
            assert store.article_passages(article_id), article_id


def test_latin1_and_utf16_decoded_correctly(bad_run):
    from citegraph.graph.sqlite_store import SQLiteStore

    with SQLiteStore(bad_run["store"], readonly=True) as store:
        latin = store.get_article("latin1.txt")
        utf16 = store.get_article("utf16.txt")
    assert latin.title == "Café crème in Zürich"
    assert "naïve résumé of the façade, with señor Müller" in latin.text
    assert utf16.title == "Ünïcode in UTF-16"
    assert "Ångström unit and the Œuvre complète" in utf16.text
    assert "\x00" not in utf16.text and "\ufeff" not in utf16.text


def test_html_scripts_iframes_and_styles_left_out(bad_run):
    from citegraph.graph.sqlite_store import SQLiteStore

    with SQLiteStore(bad_run["store"], readonly=True) as store:
        article = store.get_article("scripts.html")
        unclosed = store.get_article("unclosed.html")
    assert "This article sits between scripts." in article.text
    assert "It continues after the iframe." in article.text
    for leaked in ("SECRET_SCRIPT_TOKEN", "xss-in-head", "INJECTED_BY_SCRIPT", "STYLE_TEXT",
                   "IFRAME_FALLBACK_TEXT", "<script", "<iframe"):
        assert leaked not in article.text, leaked
    for sentence in ("paragraphs that never close", "A second paragraph follows",
                     "nested in a div that is never closed"):
        assert sentence in unclosed.text


def test_folder_symlink_cycle_read_once(bad_run):
    from citegraph.graph.sqlite_store import SQLiteStore

    with SQLiteStore(bad_run["store"], readonly=True) as store:
        ids = [a.id for a in store.iter_articles()]
    assert ids.count("cycle/inside.md") == 1
    assert not any(i.startswith("cycle/back/") for i in ids)


def test_unreadable_file_case(bad_run):
    if bad_run["root"]:
        pytest.skip("running as root: chmod 000 does not stop root reading a file, so the "
                    "permission case cannot fail here (fifo.txt stands in: a file root "
                    "cannot read either)")
    reasons = _reasons(bad_run["proc"].stderr, bad_run["corpus"])
    assert "permission denied" in reasons["locked.txt"].lower()


def test_bad_files_named_directly_on_the_command_line(tmp_path):
    """Files given by name (not found in a folder) are reported the same way, and when
    nothing at all could be read the exit code is still 1 with no traceback."""
    corpus = tmp_path / "c"
    corpus.mkdir()
    (corpus / "empty.txt").write_bytes(b"")
    (corpus / "loop.md").symlink_to(corpus / "loop.md")
    missing = corpus / "missing.txt"
    proc = subprocess.run(citegraph_cmd() + ["ingest", str(corpus / "empty.txt"),
                                             str(corpus / "loop.md"), str(missing),
                                             "--store", str(tmp_path / "store")],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 1, proc.stderr
    assert "Traceback" not in proc.stderr
    lines = [ln for ln in proc.stderr.splitlines() if ln.startswith("citegraph: ")]
    assert any(f"{corpus}/empty.txt: empty file" in ln for ln in lines)
    assert any(f"{corpus}/loop.md:" in ln and "symbolic links" in ln for ln in lines)
    assert any(f"{missing}:" in ln and "no such file" in ln.lower() for ln in lines)
