"""The command line: analyze (args, stdin, files, JSON), status, help with examples, serve."""

import json
import os
import re
import signal
import subprocess
import sys
import time

import pytest
import requests
from click.testing import CliRunner

from companion.cli import cli


@pytest.fixture
def runner(data_dir):
    return CliRunner()


def test_analyze_prints_pt_zh_en(runner):
    result = runner.invoke(cli, ["analyze", "Bom dia a todos!", "今天天气真好", "This is fine"])
    assert result.exit_code == 0, result.output
    rows = [line.split() for line in result.output.splitlines()[1:] if not line.startswith(" ")]
    assert [row[1] for row in rows] == ["pt", "zh", "en"]


def test_analyze_json_output(runner):
    result = runner.invoke(cli, ["analyze", "--json", "Bom dia a todos!"])
    assert result.exit_code == 0
    [verdict] = json.loads(result.output)["verdicts"]
    assert verdict["lang"] == "pt" and verdict["id"] == "1"


def test_analyze_reads_plain_lines_from_stdin(runner):
    result = runner.invoke(cli, ["analyze", "--json"], input="Bom dia a todos!\n\n今天天气真好\n")
    assert [v["lang"] for v in json.loads(result.output)["verdicts"]] == ["pt", "zh"]


def test_analyze_reads_json_lines_from_a_file(runner, tmp_path):
    path = tmp_path / "posts.jsonl"
    path.write_text('{"id": "p1", "text": "This is fine"}\n{"id": "p2", "text": "lol", "lang_hint": "pt"}\n')
    result = runner.invoke(cli, ["analyze", "--json", "--file", str(path)])
    verdicts = json.loads(result.output)["verdicts"]
    assert [(v["id"], v["lang"]) for v in verdicts] == [("p1", "en"), ("p2", "pt")]


@pytest.mark.parametrize("content, message", [
    ('{"id": "p1", "text": \n', "line 1: not valid JSON"),
    ('{"id": "p1"}\n', "line 1: a JSON line needs a non-empty \"text\" field"),
])
def test_analyze_bad_file_says_which_line(runner, tmp_path, content, message):
    path = tmp_path / "bad.jsonl"
    path.write_text(content)
    result = runner.invoke(cli, ["analyze", "--file", str(path)])
    assert result.exit_code == 1 and message in result.output


def test_analyze_with_nothing_to_do_explains(runner):
    result = runner.invoke(cli, ["analyze"], input="")
    assert result.exit_code == 1 and "no posts to analyze" in result.output


def test_status_json(runner, data_dir):
    result = runner.invoke(cli, ["status", "--json"])
    assert result.exit_code == 0, result.output
    info = json.loads(result.output)
    assert info["running"] is False and info["data_dir"] == str(data_dir)


def _commands(group, prefix=()):
    import click

    for name, cmd in group.commands.items():
        yield prefix + (name,), cmd
        if isinstance(cmd, click.Group):
            yield from _commands(cmd, prefix + (name,))


@pytest.mark.parametrize("path, cmd", list(_commands(cli)), ids=lambda x: " ".join(x) if isinstance(x, tuple) else "")
def test_every_command_has_help_with_an_example(runner, path, cmd):
    result = runner.invoke(cli, [*path, "--help"])
    assert result.exit_code == 0
    assert "Example:" in result.output, f"feedlens {' '.join(path)} --help has no example"
    for param in cmd.params:
        if param.param_type_name == "option" and param.name not in ("help",):
            assert param.help, f"option {param.name} of {' '.join(path)} has no help"


def test_bad_config_file_is_a_clear_error(runner, data_dir):
    data_dir.mkdir(parents=True, exist_ok=True)
    (data_dir / "config.json").write_text('{"port": "eighty"}')
    result = runner.invoke(cli, ["analyze", "hi there"])
    assert result.exit_code == 1 and "'port' must be an integer" in result.output
    (data_dir / "config.json").write_text('{"prot": 1}')
    result = runner.invoke(cli, ["status"])
    assert "unknown setting 'prot'" in result.output and "known settings" in result.output


def test_serve_binds_loopback_prints_port_and_stops_on_sigterm(data_dir):
    env = {**os.environ, "FEEDLENS_HOME": str(data_dir)}
    proc = subprocess.Popen([sys.executable, "-m", "companion", "serve", "--port", "0"], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        line = proc.stdout.readline()
        port = int(re.search(r"http://127\.0\.0\.1:(\d+)", line).group(1))
        deadline = time.time() + 30
        while True:
            try:
                assert requests.get(f"http://127.0.0.1:{port}/v1/health", timeout=2).json()["ok"] is True
                break
            except requests.ConnectionError:
                assert time.time() < deadline
                time.sleep(0.2)
        running = json.loads((data_dir / "companion.json").read_text())
        assert running["port"] == port
        second = subprocess.run([sys.executable, "-m", "companion", "serve", "--port", "0"], env=env,
                                capture_output=True, text=True, timeout=60)
        assert second.returncode == 1 and "already running" in second.stderr
    finally:
        proc.send_signal(signal.SIGTERM)
        out, _ = proc.communicate(timeout=30)
    assert proc.returncode == 0
    assert "stopped" in out
    assert not (data_dir / "companion.json").exists()
