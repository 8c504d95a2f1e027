"""The one settings object: defaults < TOML file < environment < command-line options, bad
values refused in one line naming where they came from, and the README's table made from
the same fields."""
from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from conftest import REPO


def test_sources_in_rising_precedence(tmp_path):
    from citegraph.settings import Settings, load_settings

    assert load_settings(environ={}) == Settings()
    config = tmp_path / "citegraph.toml"
    config.write_text('store = "/from/file"\nprecision = "fp32"\nthreads = 3\n'
                      'ingest_wait = 5\n', encoding="utf-8")
    from_file = load_settings(config_file=str(config), environ={})
    assert (from_file.store, from_file.precision, from_file.threads) == ("/from/file", "fp32", 3)
    env = {"CITEGRAPH_STORE": "/from/env", "CITEGRAPH_TITLE_CONTEXT": "1",
           "CITEGRAPH_CONFIG": str(config), "NEO4J_PASSWORD": "pw"}
    from_env = load_settings(environ=env)
    assert from_env.store == "/from/env" and from_env.precision == "fp32"  # env over file
    assert from_env.title_context is True and from_env.neo4j_password == "pw"
    chosen = load_settings(environ=env, store="/from/option", threads=None)
    assert chosen.store == "/from/option" and chosen.threads == 3  # None: option not given


def test_a_config_table_named_citegraph_is_read(tmp_path):
    from citegraph.settings import load_settings

    config = tmp_path / "pyproject-like.toml"
    config.write_text("[citegraph]\nserver_threads = 8\n", encoding="utf-8")
    assert load_settings(config_file=str(config), environ={}).server_threads == 8


@pytest.mark.parametrize("source, message", [
    ({"CITEGRAPH_THREADS": "many"}, "environment CITEGRAPH_THREADS: threads = 'many' is not"),
    ({"CITEGRAPH_PRECISION": "fp8"}, "precision = 'fp8' is not one of"),
    ({"CITEGRAPH_TITLE_CONTEXT": "perhaps"}, "is not a valid boolean"),
    ({"CITEGRAPH_ANN_THRESHOLD": "-1"}, "must not be negative"),
])
def test_bad_environment_values_are_named(source, message):
    from citegraph.errors import SettingsError
    from citegraph.settings import load_settings

    with pytest.raises(SettingsError, match=message.replace("(", r"\(")):
        load_settings(environ=source)


@pytest.mark.parametrize("text, message", [
    ("store = ", "config "),                 # not TOML
    ("colour = \"blue\"\n", "unknown setting 'colour'"),
    ("threads = \"two\"\n", "threads = 'two' is not a valid int"),
])
def test_bad_config_files_are_named(tmp_path, text, message):
    from citegraph.errors import SettingsError
    from citegraph.settings import load_settings

    config = tmp_path / "bad.toml"
    config.write_text(text, encoding="utf-8")
    with pytest.raises(SettingsError) as info:
        load_settings(config_file=str(config), environ={})
    assert str(info.value).startswith(f"config {config}") and message in str(info.value)


def test_the_cli_reads_a_config_file_and_reports_a_bad_one_in_one_line(tmp_path, monkeypatch):
    from citegraph.cli import main

    store = tmp_path / "store-from-config"
    config = tmp_path / "citegraph.toml"
    config.write_text(f'store = "{store}"\n', encoding="utf-8")
    monkeypatch.delenv("CITEGRAPH_STORE", raising=False)
    result = CliRunner().invoke(main, ["--config", str(config), "stats", "--json"])
    assert result.exit_code == 2 and str(store) in result.stderr  # the config's store, not there
    from citegraph.graph.sqlite_store import SQLiteStore

    SQLiteStore(store).close()
    result = CliRunner().invoke(main, ["--config", str(config), "stats", "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["articles"] == 0
    config.write_text("threads = -4\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["--config", str(config), "stats"])
    assert result.exit_code == 2
    assert result.output.strip().count("\n") == 0 and "must not be negative" in result.output
    missing = CliRunner().invoke(main, ["--config", str(tmp_path / "nope.toml"), "stats"])
    assert missing.exit_code == 2 and "nope.toml" in missing.output


def test_the_readme_table_is_the_settings_fields():
    from citegraph.settings import settings_table

    assert settings_table() in (REPO / "README.md").read_text(encoding="utf-8")
