"""Lose nothing: what an attack on ingest found, run through the real `citegraph` command
(click's CliRunner, in process, real store, real model) and the real server.

Each test here failed on the code before the fix: silent overwrites by id, text without spaces
dropped, one bad record aborting a batch, quadratic readers, symlinks out of the folder,
unbounded titles, 500s for hostile bodies and server paths in results. The last part ingests
the adversarial corpus of tests/adversarial.py and checks, kind by kind, what happened.
"""
from __future__ import annotations

import json
import re
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from adversarial import PROSE, build_corpus

LINE = re.compile(r"^citegraph: (.*?): (.*)$")


@pytest.fixture
def cli(monkeypatch, embedder):
    """`cli(*args)` runs `citegraph` in this process; the model is the session's (loaded
    once), everything else is what the command builds for itself."""
    from citegraph.cli import main
    from citegraph.runtime import Runtime

    monkeypatch.setattr(Runtime, "embedder", property(lambda self: embedder))

    def run(*args):
        result = CliRunner().invoke(main, [str(a) for a in args])
        out, err = result.stdout, result.stderr
        assert "Traceback" not in out + err, err
        if result.exception is not None and not isinstance(result.exception, SystemExit):
            raise result.exception
        result.lines = [ln for ln in err.splitlines() if ln.startswith("citegraph: ")]
        return result

    return run


def stored(store_dir: Path) -> dict:
    from citegraph.graph.sqlite_store import SQLiteStore

    with SQLiteStore(store_dir, readonly=True) as s:
        return {a.id: a for a in s.iter_articles()}


def passages(store_dir: Path, article_id: str) -> list:
    from citegraph.graph.sqlite_store import SQLiteStore

    with SQLiteStore(store_dir, readonly=True) as s:
        return s.article_passages(article_id)


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


# --- 1. silent overwrite by id ---------------------------------------------------------
def test_same_layout_in_two_folders_is_refused_then_kept_side_by_side(cli, tmp_path):
    store = tmp_path / "store"
    write(tmp_path / "teamA" / "notes.txt", "Team A notes\n\nTeam A keeps the customer first.")
    write(tmp_path / "teamB" / "notes.txt", "Team B notes\n\nTeam B keeps the ledger first.")
    assert cli("ingest", tmp_path / "teamA", "--store", store).exit_code == 0
    second = cli("ingest", tmp_path / "teamB", "--store", store)
    assert second.exit_code == 1
    [line] = second.lines
    assert "teamB/notes.txt" in line and "teamA/notes.txt" in line and "--replace" in line
    assert "Team A keeps the customer first." in stored(store)["notes.txt"].text
    # --id-prefix: both live side by side
    assert cli("ingest", tmp_path / "teamB", "--store", store, "--id-prefix", "teamB"
               ).exit_code == 0
    articles = stored(store)
    assert "Team A keeps" in articles["notes.txt"].text
    assert "Team B keeps" in articles["teamB/notes.txt"].text
    # --replace: the user asked for it
    replaced = cli("ingest", tmp_path / "teamB", "--store", store, "--replace", "--json")
    assert replaced.exit_code == 0 and json.loads(replaced.stdout)["changed"] == 1
    assert "Team B keeps" in stored(store)["notes.txt"].text


def test_two_files_with_one_stem_in_one_folder_are_both_stored(cli, tmp_path):
    """Ids keep the extension: `good.md` and `good.html` are two articles, not a clash."""
    write(tmp_path / "c" / "good.md", "# Good in Markdown\n\nThe Markdown one is kept.")
    write(tmp_path / "c" / "good.html",
          "<html><head><title>Good in HTML</title></head><body><article><p>The HTML one is"
          " kept as well, beside the Markdown one.</p></article></body></html>")
    result = cli("ingest", tmp_path / "c", "--store", tmp_path / "store", "--json")
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["new"] == 2
    articles = stored(tmp_path / "store")
    assert set(articles) == {"good.md", "good.html"}
    assert "The Markdown one is kept." in articles["good.md"].text
    assert "The HTML one is kept as well" in articles["good.html"].text
    assert {a.source for a in articles.values()} == {"c/good.md", "c/good.html"}
    assert [p.id for p in passages(tmp_path / "store", "good.html")] == ["good.html#0"]


def test_files_named_directly_with_one_stem_do_not_replace_each_other(cli, tmp_path):
    store = tmp_path / "store"
    a = write(tmp_path / "a" / "notes.txt", "Notes of a\n\nThese are the notes of folder a.")
    b = write(tmp_path / "b" / "notes.txt", "Notes of b\n\nThese are the notes of folder b.")
    assert cli("ingest", a, "--store", store).exit_code == 0
    result = cli("ingest", b, "--store", store)
    assert result.exit_code == 1 and "a/notes.txt" in result.lines[0]
    assert "folder a." in stored(store)["notes.txt"].text
    # the same file again is the same article: unchanged, not refused
    again = cli("ingest", a, "--store", store, "--json")
    assert again.exit_code == 0 and json.loads(again.stdout)["unchanged"] == 1


def test_store_of_an_earlier_version_is_matched_on_its_stored_path(cli, tmp_path, embedder):
    """Earlier versions stored `source` as the path given; re-ingesting the same folder must
    update those articles (now with a label for source), never refuse or double them."""
    from citegraph.graph.sqlite_store import SQLiteStore
    from citegraph.ingest.pipeline import IngestReport, Pipeline
    from citegraph.ingest.readers import ArticleDraft

    folder = tmp_path / "notes"
    write(folder / "one.txt", "One\n\nThe first note of the old store.")
    write(folder / "two.txt", "Two\n\nThe second note of the old store.")
    with SQLiteStore(tmp_path / "store") as s:  # as the earlier version wrote them
        drafts = [ArticleDraft(p.stem, p.stem, p.read_text(encoding="utf-8"), source=str(p))
                  for p in sorted(folder.glob("*.txt"))]
        Pipeline(s, embedder).ingest_drafts(drafts, IngestReport())
    result = cli("ingest", folder, "--store", tmp_path / "store", "--json")
    assert result.exit_code == 0, result.stderr
    articles = stored(tmp_path / "store")
    assert set(articles) == {"one", "two"}
    assert {a.source for a in articles.values()} == {"notes/one.txt", "notes/two.txt"}


@pytest.mark.parametrize("bad_id,why", [("", "'id'"), ("/abs", "starts with '/'"),
                                        ("..", "'..'"), (".", "'.'"),
                                        ("tab\there", "control character")])
def test_bad_record_ids_are_refused_with_one_line(cli, tmp_path, bad_id, why):
    write(tmp_path / "c" / "r.jsonl",
          json.dumps({"id": bad_id, "text": "A record with a bad id. " + PROSE}) + "\n"
          + json.dumps({"id": "fine", "text": "A fine record. " + PROSE}) + "\n")
    result = cli("ingest", tmp_path / "c", "--store", tmp_path / "store")
    assert result.exit_code == 1
    [line] = result.lines
    assert "r.jsonl:1" in line and why in line
    assert set(stored(tmp_path / "store")) == {"fine"}


# --- 2. text without spaces ------------------------------------------------------------
def test_chinese_article_is_stored_whole_in_passages_that_fit(cli, tmp_path, embedder):
    from adversarial import ZH, covers_text
    from citegraph.text.splitter import MAX_TOKENS

    body = "。".join([ZH] * 20) + "。\n\n" + ZH * 10  # ~2,300 characters, one without 。
    write(tmp_path / "c" / "zh.txt", "中文文章\n\n" + body + "\n")
    assert cli("ingest", tmp_path / "c", "--store", tmp_path / "store").exit_code == 0
    article = stored(tmp_path / "store")["zh.txt"]
    ps = passages(tmp_path / "store", "zh.txt")
    assert len(article.text) > 2000 and body in article.text
    covers_text(article, ps)
    assert all(embedder.token_count(p.text) <= MAX_TOKENS for p in ps)


def test_long_unbroken_tokens_fit_the_window(cli, tmp_path, embedder):
    from adversarial import covers_text
    from citegraph.text.splitter import MAX_TOKENS

    url = "https://example.com/" + "&".join(f"k{i}=v{i}" for i in range(400))
    write(tmp_path / "c" / "url.txt", "Link\n\nSee " + url + " here. " + PROSE)
    assert cli("ingest", tmp_path / "c", "--store", tmp_path / "store").exit_code == 0
    article = stored(tmp_path / "store")["url.txt"]
    ps = passages(tmp_path / "store", "url.txt")
    covers_text(article, ps)
    assert all(embedder.token_count(p.text) <= MAX_TOKENS for p in ps) and len(ps) > 1


# --- 3. one bad record, not the batch --------------------------------------------------
def test_bad_records_are_named_and_the_rest_of_the_batch_ingested(cli, tmp_path):
    lines = [json.dumps({"id": "first", "text": "The good record before. " + PROSE}),
             '{"id": "sur", "text": "lone \\ud800 surrogate"}',
             "[" * 100_000 + "]" * 100_000,
             json.dumps({"id": "last", "text": "The good record after. " + PROSE})]
    write(tmp_path / "c" / "batch.jsonl", "\n".join(lines) + "\n")
    (tmp_path / "c" / "odd.txt").write_bytes("Odd\n\nA UTF-16 file.".encode("utf-16") + b"!")
    write(tmp_path / "c" / "zz.txt", "Last file\n\nIngested after the bad ones. " + PROSE)
    result = cli("ingest", tmp_path / "c", "--store", tmp_path / "store")
    assert result.exit_code == 1
    reasons = {m.group(1).rsplit("/", 1)[-1]: m.group(2)
               for m in map(LINE.match, result.lines) if m}
    assert "surrogate" in reasons["batch.jsonl:2"]
    assert "nested" in reasons["batch.jsonl:3"]
    assert "UTF-16" in reasons["odd.txt"]
    assert len(result.lines) == 3
    assert set(stored(tmp_path / "store")) == {"first", "last", "zz.txt"}


# --- 4. readers run in bounded time: tests/test_readers.py times each against 200 KB ---

# --- 5. symlinks out of the folder ------------------------------------------------------
def test_symlink_out_of_the_folder_is_named_not_followed(cli, tmp_path):
    outside = write(tmp_path / "secret.txt", "Secret\n\nSECRET-VALUE outside the folder.")
    write(tmp_path / "c" / "ok.txt", "Fine\n\nA file inside. " + PROSE)
    (tmp_path / "c" / "link.txt").symlink_to(outside)
    (tmp_path / "c" / "passwd.txt").symlink_to("/etc/passwd")
    result = cli("ingest", tmp_path / "c", "--store", tmp_path / "store")
    assert result.exit_code == 1 and len(result.lines) == 2
    assert all("outside the folder" in ln for ln in result.lines)
    articles = stored(tmp_path / "store")
    assert set(articles) == {"ok.txt"}
    assert not any("SECRET-VALUE" in a.text or "root:" in a.text for a in articles.values())
    followed = cli("ingest", tmp_path / "c", "--store", tmp_path / "store", "--follow-symlinks")
    assert "link.txt" in stored(tmp_path / "store") and followed.exit_code in (0, 1)


# --- 6. titles --------------------------------------------------------------------------
def test_huge_titles_are_cut_and_not_copied_into_the_index(cli, tmp_path):
    huge = "Title words " * 100_000  # 1.2 MB
    write(tmp_path / "c" / "t.jsonl",
          json.dumps({"id": "t", "title": huge, "text": (PROSE + "\n\n") * 30}) + "\n")
    write(tmp_path / "c" / "f.md", f"---\ntitle: {huge}\n---\n\n" + (PROSE + "\n\n") * 30)
    assert cli("ingest", tmp_path / "c", "--store", tmp_path / "store").exit_code == 0
    articles = stored(tmp_path / "store")
    assert {len(a.title) <= 1000 for a in articles.values()} == {True}
    assert articles["t"].title.startswith("Title words")
    size = sum(f.stat().st_size for f in (tmp_path / "store").iterdir() if f.is_file())
    assert size < 8 * 2**20, size  # a 1 MB title copied per passage made 144 MB


# --- 8. no server paths -----------------------------------------------------------------
def test_sources_are_labels_not_server_paths(cli, tmp_path):
    write(tmp_path / "deep" / "inside" / "notes" / "a.txt",
          "Customer journeys\n\nThe chief customer officer maps customer journeys. " + PROSE)
    assert cli("ingest", tmp_path / "deep" / "inside" / "notes", "--store",
               tmp_path / "store").exit_code == 0
    assert stored(tmp_path / "store")["a.txt"].source == "notes/a.txt"
    answer = json.loads(cli("ask", "Who maps customer journeys?", "--json", "--store",
                            tmp_path / "store").stdout)
    assert answer["results"] and str(tmp_path) not in json.dumps(answer)


# --- 7. HTTP: hostile bodies are 4xx, never 500 ------------------------------------------
@pytest.fixture(scope="module")
def server(demo_store_dir, tmp_path_factory, embedder):
    from webapp_support import web_server

    with web_server(demo_store_dir, tmp_path_factory.mktemp("attack-web") / "store",
                    embedder) as running:
        yield running


def post(server, body: bytes, content_type: str = "application/json"):
    from webapp_support import TOKEN, http

    return http(server.url, "POST", "/api/articles", body,
                {"Authorization": f"Bearer {TOKEN}", "Content-Type": content_type})


@pytest.mark.parametrize("body,status,words", [
    (b'{"id": "s", "title": "t", "text": "lone \\ud800 surrogate"}', 400, "surrogate"),
    (b'{"id": "s\\udc00", "title": "t", "text": "fine"}', 400, "surrogate"),
    (b"[" * 100_000 + b"]" * 100_000, 400, "nested"),
    (b'{"id": "d", "title": "t", "text": "x", "deep": ' + b"[" * 5000 + b"]" * 5000 + b"}",
     400, "nested"),
    (b'{"id": "", "title": "t", "text": "x"}', 400, "id"),
    (b'{"id": "/etc/passwd", "title": "t", "text": "x"}', 400, "start with '/'"),
    (b'{"id": "..", "title": "t", "text": "x"}', 400, "'..'"),
    (b'{"id": ".", "title": "t", "text": "x"}', 400, "'.'"),
    (b'{"id": "a\\u0007b", "title": "t", "text": "x"}', 400, "control character"),
    (b'{"id": "a\\u007fb", "title": "t", "text": "x"}', 400, "control character"),
    (b"\xff\xfe{", 400, "UTF-8"),
])
def test_hostile_json_bodies_get_one_line_4xx(server, body, status, words):
    r = post(server, body)
    assert r.status == status, r.text
    error = r.json()["error"]
    assert words in error and "\n" not in error


def test_wrong_content_type_is_415(server):
    r = post(server, b'{"id": "x", "title": "t", "text": "x"}', "text/plain")
    assert r.status == 415 and "application/json" in r.json()["error"]
    r = post(server, b"id=x&title=t&text=x", "application/x-www-form-urlencoded")
    assert r.status == 415


def test_oversized_body_is_413_and_the_app_says_so_in_json(server, demo_store_dir, tmp_path,
                                                           embedder):
    """Waitress refuses a declared length over the limit before the app runs, in the app's
    JSON error form (webapp/server.py); a body the app sees over the limit is a JSON 413."""
    import socket

    from citegraph.webapp import MAX_REQUEST_BYTES
    from webapp_support import TOKEN

    head = f"POST /api/articles HTTP/1.1\r\nAuthorization: Bearer {TOKEN}\r\n" \
           f"Content-Type: application/json\r\nConnection: close\r\n"
    host, port = server.url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=30) as conn:
        conn.sendall(f"{head}Host: {host}\r\nContent-Length: {MAX_REQUEST_BYTES + 1}\r\n\r\n{{"
                     .encode())
        reply = b""
        while chunk := conn.recv(4096):
            reply += chunk
    head, _, body = reply.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 413") and b"application/json" in head.lower()
    assert json.loads(body)["status"] == 413
    import shutil

    from webapp_support import make_app

    shutil.copytree(demo_store_dir, tmp_path / "store")
    reply = make_app(tmp_path / "store", embedder).test_client().post(
        "/api/articles", data=b'{"id": "x", "title": "t", "text": "' + b"a" * MAX_REQUEST_BYTES
        + b'"}', headers={"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"})
    assert reply.status_code == 413 and reply.get_json()["status"] == 413


def test_posted_title_over_the_limit_is_refused(server):
    r = post(server, json.dumps({"id": "x", "title": "T" * 1001, "text": "x"}).encode())
    assert r.status == 400 and "title" in r.json()["error"]


def test_error_bodies_name_no_server_paths(demo_store_dir, tmp_path, embedder):
    """A store that fails answers 503 without its path (the log has it)."""
    import shutil

    from citegraph.graph.base import StoreError
    from webapp_support import http, make_app

    store_dir = tmp_path / "private-store-dir"
    shutil.copytree(demo_store_dir, store_dir)
    app = make_app(store_dir, embedder)
    runtime = app.extensions["citegraph.runtime"]

    def broken(*_a, **_k):
        raise StoreError(f"store {store_dir}: database disk image is malformed")

    runtime.store.stats = broken
    reply = app.test_client().get("/healthz")
    assert reply.status_code == 503
    assert str(tmp_path) not in reply.get_data(as_text=True)


# --- the adversarial corpus, kind by kind -----------------------------------------------
@pytest.fixture(scope="module")
def attack(tmp_path_factory, embedder):
    from adversarial import expectations
    from citegraph.cli import main
    from citegraph.runtime import Runtime

    tmp = tmp_path_factory.mktemp("attack")
    kinds = build_corpus(tmp / "corpus")
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(Runtime, "embedder", property(lambda self: embedder))
        started = time.monotonic()
        result = CliRunner().invoke(main, ["ingest", str(tmp / "corpus"), "--store",
                                           str(tmp / "store"), "--json"])
        elapsed = time.monotonic() - started
    stored_, refused = expectations(kinds)
    return {"result": result, "corpus": tmp / "corpus", "store": tmp / "store",
            "kinds": kinds, "stored": stored_, "refused": refused, "elapsed": elapsed}


def _reported(attack) -> dict[str, str]:
    from citegraph.commands.common import shown as one_line

    prefix = one_line(f"{attack['corpus']}/")
    out = {}
    for line in attack["result"].stderr.splitlines():
        if line.startswith("citegraph: " + prefix):
            where, _, reason = line[len("citegraph: " + prefix):].partition(": ")
            out[where] = reason
    return out


def test_attack_exit_one_and_no_traceback(attack):
    result = attack["result"]
    assert result.exit_code == 1, (result.exception, result.stderr[-2000:])
    assert "Traceback" not in result.stdout + result.stderr
    assert not isinstance(result.exception, Exception) or isinstance(result.exception,
                                                                     SystemExit)
    # every line on stderr (bar the progress bar) is one `citegraph: <where>: <reason>`
    for line in result.stderr.splitlines():
        assert line.startswith("citegraph: ") or "ingest" in line or not line.strip(), line


def test_attack_counts(attack):
    summary = json.loads(attack["result"].stdout.strip().splitlines()[-1])
    assert summary["new"] == len(attack["stored"])
    assert summary["failed"] == len(attack["refused"])


@pytest.mark.parametrize("kind", [
    "plain", "same-name", "chinese", "japanese", "long-url", "base64", "minified-json",
    "jsonl", "lone-surrogate", "deep-json", "hostile-id", "huge-title", "utf16-odd", "utf16",
    "bom", "crlf", "line-separators", "nul-bytes", "empty", "binary", "control-in-name",
    "newline-in-name", "escape-in-name", "bidi-in-name", "non-utf8-name", "long-name",
    "unicode-name",
    "regex-bait", "furniture-only", "symlink-inside", "symlink-outside"])
def test_attack_kind(attack, kind):
    from adversarial import Refused, Stored
    from citegraph.commands.common import shown as one_line

    reported = _reported(attack)
    articles = stored(attack["store"])
    for expect in attack["kinds"][kind]:
        if isinstance(expect, Stored):
            assert expect.id in articles, (kind, expect.id, reported)
            if expect.check:
                expect.check(articles[expect.id], passages(attack["store"], expect.id))
        else:
            assert isinstance(expect, Refused)
            where = one_line(expect.where)
            assert where in reported, (kind, where, sorted(reported))
            assert expect.words in reported[where], (kind, where, reported[where])
            for article_id in expect.ids:
                assert article_id not in articles


def test_attack_nothing_else_reported_or_stored(attack):
    from citegraph.commands.common import shown as one_line

    assert set(_reported(attack)) == {one_line(e.where) for e in attack["refused"]}
    assert set(stored(attack["store"])) == {e.id for e in attack["stored"]}
    assert not any("root:" in a.text or "A file outside the corpus" in a.text
                   for a in stored(attack["store"]).values())
