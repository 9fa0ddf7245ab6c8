"""Fixtures for the vault tests: a real SQLCipher file in a tmp dir, keyed from a test keyring.

The test keyring is keyrings.alt's PlaintextKeyring writing to a file inside the test's tmp dir:
fine for tests, and refused by the product (``privacy.keys`` only accepts it when a test flips
``ALLOW_INSECURE_KEYRING_FOR_TESTS``). ``secret_service`` starts a real gnome-keyring.
"""

from __future__ import annotations

import gc
import shutil
import subprocess
import warnings
from collections.abc import Iterator
from pathlib import Path

import keyring
import pytest

from keyring_daemons import read_keyring_env, stop_keyring_daemons
from privacy import keys
from privacy.vault import Vault
from vault_helpers import FileTestKeyring

HERE = Path(__file__).parent


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """No passphrase from the developer's shell leaks in; scrypt made cheap (params are stored per vault)."""
    monkeypatch.delenv(keys.PASSPHRASE_ENV, raising=False)
    monkeypatch.delenv(keys.PASSPHRASE_FILE_ENV, raising=False)
    monkeypatch.setattr(keys, "SCRYPT_N", 2**14)


@pytest.fixture
def test_keyring(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[FileTestKeyring]:
    """A file-backed keyring in tmp, installed as the process's keyring for the test."""
    previous = keyring.get_keyring()
    backend = FileTestKeyring(tmp_path / "test-keyring.cfg")
    monkeypatch.setattr(keys, "ALLOW_INSECURE_KEYRING_FOR_TESTS", True)
    keyring.set_keyring(backend)
    yield backend
    keyring.set_keyring(previous)


@pytest.fixture
def no_keyring(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """What a headless Linux box has: keyring's 'fail' backend."""
    from keyring.backends import fail

    previous = keyring.get_keyring()
    keyring.set_keyring(fail.Keyring())
    yield
    keyring.set_keyring(previous)


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    return tmp_path / "data"


@pytest.fixture
def vault(test_keyring: FileTestKeyring, data_dir: Path) -> Iterator[Vault]:
    v = Vault.open(data_dir)
    yield v
    v.close()


@pytest.fixture
def secret_service(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, str]]:
    """A real Secret Service: gnome-keyring-daemon on a private D-Bus session bus.

    Needs the Debian packages dbus-daemon (or dbus) and gnome-keyring; skipped without them.
    """
    for tool in ("dbus-daemon", "gnome-keyring-daemon"):
        if shutil.which(tool) is None:
            pytest.skip(f"{tool} not installed (apt-get install dbus-daemon gnome-keyring)")
    home = tmp_path / "kr-home"
    out = subprocess.run(["sh", str(HERE / "start_keyring.sh"), str(home)], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    env = read_keyring_env(out.stdout)
    monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", env["DBUS_SESSION_BUS_ADDRESS"])
    from keyring.backends import SecretService

    previous = keyring.get_keyring()
    keyring.set_keyring(SecretService.Keyring())
    try:
        yield env
    finally:
        keyring.set_keyring(previous)
        # keyring's SecretService backend opens a D-Bus connection per call and never closes it
        # (keyring 25.x); collect those sockets here, quietly, instead of at interpreter exit.
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ResourceWarning)
            gc.collect()
        stop_keyring_daemons(env)
