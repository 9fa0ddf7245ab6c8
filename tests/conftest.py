"""Shared fixtures: a fresh app on a temp data dir, its test client, and a paired extension.

Models built once per checkout (the encoder) are found through ``$FEEDLENS_MODELS``; ``make test``
sets it to ``.cache/models`` and builds there first.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from companion.app import create_app
from helpers import PORT, Extension


ROOT = Path(__file__).resolve().parent.parent
os.environ.setdefault("FEEDLENS_MODELS", str(ROOT / ".cache" / "models"))
# The vault needs a key. Tests (and the companions they start) use the passphrase mode; the
# keyring mode is tested in tests/privacy against a test keyring and a real Secret Service.
os.environ.setdefault("FEEDLENS_PASSPHRASE", "feedlens-test-passphrase")
import privacy.keys  # noqa: E402

privacy.keys.SCRYPT_N = 2**12  # in-process vaults: cheap scrypt (params are stored per vault)


@pytest.fixture
def data_dir(tmp_path, monkeypatch) -> Path:
    path = tmp_path / "feedlens-home"
    monkeypatch.setenv("FEEDLENS_HOME", str(path))
    return path


@pytest.fixture
def app(data_dir):
    app = create_app({"data_dir": data_dir, "port": PORT})
    yield app
    app.extensions["feedlens"].close()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def ext(app, client) -> Extension:
    e = Extension(app, client)
    e.pair()
    return e
