"""``feedlens translate`` and ``feedlens models pull|list|remove`` through click's runner."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from _translate_support import ModelServer, marian_entry
from companion.cli import cli
from models.translate import catalog as cat


@pytest.fixture
def runner(tmp_path, monkeypatch) -> CliRunner:
    monkeypatch.setenv("FEEDLENS_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("FEEDLENS_MODELS", str(tmp_path / "models"))
    return CliRunner()


def test_translate_arguments(runner):
    r = runner.invoke(cli, ["translate", "--to", "pt", "--from", "en", "Good morning!", "See you tomorrow. 👋"])
    assert r.exit_code == 0, r.output
    lines = r.output.splitlines()
    assert len(lines) == 2 and lines[0].startswith("Bom dia") and lines[1].endswith("👋")


def test_translate_stdin_keeps_one_line_per_input_and_empty_lines(runner):
    text = "Bom dia!\n\nComo vai você? #tudobem\n🎉\n"
    r = runner.invoke(cli, ["translate", "--to", "en"], input=text)
    assert r.exit_code == 0, r.output
    lines = r.output.split("\n")
    assert lines[:4] == ["Good morning!", "", lines[2], "🎉"] and lines[2].endswith("#tudobem")
    assert r.output.count("\n") == 4


def test_translate_without_model_names_the_pull(runner):
    r = runner.invoke(cli, ["translate", "--to", "en", "--from", "zh", "你好"])
    assert r.exit_code == 1
    assert "no model for zh->en; run `feedlens models pull translate-zh-en`" in r.output


def test_translate_unknown_language(runner):
    r = runner.invoke(cli, ["translate", "--to", "xx", "hello"])
    assert r.exit_code == 1 and "unknown language 'xx'" in r.output


def test_models_pull_list_remove(runner, tmp_path, monkeypatch):
    from models.translate.testing import build_random_marian

    ckpt = build_random_marian(tmp_path / "ckpt")
    catalog = [marian_entry("translate-ja-en", "ja", "en", ckpt)] + [
        e for e in cat.load_catalog() if e["id"] != "translate-ja-en"
    ]
    monkeypatch.setattr(cat, "load_catalog", lambda path=None: [dict(e) for e in catalog])
    server = ModelServer()
    try:
        server.add_dir("translate-ja-en", ckpt)
        r = runner.invoke(cli, ["models", "pull", "translate-ja-en", "--mirror", server.url])
    finally:
        server.close()
    assert r.exit_code == 0, r.output
    assert "installed translate-ja-en (ja->en, ctranslate2" in r.output

    r = runner.invoke(cli, ["models", "list", "--json"])
    rows = {row["id"]: row for row in json.loads(r.output)}
    assert rows["translate-ja-en"]["status"] == "installed"
    assert rows["translate-en-pt"]["status"] == "builtin"
    table = runner.invoke(cli, ["models", "list"]).output
    assert "translate-zh-en" in table and "CC-BY-4.0" in table

    r = runner.invoke(cli, ["translate", "--to", "en", "--from", "ja", "テスト"])
    assert r.exit_code == 0 and r.output.strip()

    r = runner.invoke(cli, ["models", "remove", "translate-ja-en"])
    assert r.exit_code == 0 and "removed translate-ja-en" in r.output
    r = runner.invoke(cli, ["models", "remove", "translate-ja-en"])
    assert r.exit_code == 1 and "is not installed" in r.output


def test_models_pull_unreachable_mirror_is_a_clear_error(runner):
    r = runner.invoke(cli, ["models", "pull", "translate-zh-en", "--quiet", "--mirror", "http://127.0.0.1:9"])
    assert r.exit_code == 1 and "could not download config.json" in r.output
