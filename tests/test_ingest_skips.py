"""A file of a type no reader reads is named on stderr and skipped: not a failure of the batch."""
from __future__ import annotations

import json

import pytest
from click.testing import CliRunner


@pytest.fixture
def cli(embedder, monkeypatch):
    from citegraph.cli import main
    from citegraph.runtime import Runtime

    monkeypatch.setattr(Runtime, "embedder", property(lambda self: embedder))

    def invoke(*args):
        return CliRunner().invoke(main, list(args))
    return invoke


def test_unread_type_is_skipped_and_the_batch_exits_0(cli, tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "good.txt").write_text("Call centres\n\nA call centre hears customers first.",
                                     encoding="utf-8")
    (folder / "deck.pptx").write_bytes(b"PK\x03\x04")
    (folder / "noext").write_bytes(b"\x00\x01")
    result = cli("ingest", str(folder), "--store", str(tmp_path / "s"))
    assert result.exit_code == 0, result.output
    assert "1 new" in result.stdout and "0 failed, 2 skipped" in result.stdout
    lines = result.stderr.strip().splitlines()
    assert any(str(folder / "deck.pptx") in e and "skipped: unsupported file type '.pptx'" in e
               for e in lines), lines
    assert any(str(folder / "noext") in e and "skipped" in e for e in lines), lines
    result = cli("ingest", str(folder), "--store", str(tmp_path / "s"), "--json")
    summary = json.loads(result.stdout.strip().splitlines()[-1])
    assert summary["skipped"] == 2 and summary["failed"] == 0 and summary["unchanged"] == 1


def test_a_failure_beside_a_skip_still_exits_1(cli, tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "good.txt").write_text("Call centres\n\nA call centre hears customers.",
                                     encoding="utf-8")
    (folder / "empty.txt").write_text("", encoding="utf-8")
    (folder / "deck.pptx").write_bytes(b"PK\x03\x04")
    result = cli("ingest", str(folder), "--store", str(tmp_path / "s"))
    assert result.exit_code == 1
    assert "1 failed, 1 skipped" in result.stdout
