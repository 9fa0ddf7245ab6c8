"""Fixtures for the settings page and dashboard: an app with a real vault, a logged-in client,
seeded feed history, a local model server, and a real companion server for the browser tests."""

from __future__ import annotations

import hashlib
import http.server
import json
import random
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from companion.app import create_app
from helpers import PORT
from privacy import keys
from webtools import close_services, ensure_vault, login


@pytest.fixture(autouse=True)
def _passphrase(monkeypatch: pytest.MonkeyPatch) -> None:
    """The vault keyed from a passphrase (no keyring in tests), with cheap scrypt."""
    monkeypatch.setenv(keys.PASSPHRASE_ENV, "feedlens web tests")
    monkeypatch.delenv(keys.PASSPHRASE_FILE_ENV, raising=False)
    monkeypatch.setattr(keys, "SCRYPT_N", 2**14)


@pytest.fixture
def web_app(data_dir: Path):
    app = create_app({"data_dir": data_dir, "port": PORT})
    ensure_vault(app.extensions["feedlens"])
    yield app
    close_services(app.extensions["feedlens"])


@pytest.fixture
def web_client(web_app):
    return web_app.test_client()


@pytest.fixture
def session(web_app, web_client):
    r = login(web_app, web_client)
    assert r.status_code == 200, r.data[:300]
    return web_client


# --- a local model server ---------------------------------------------------------------------


class SlowFiles(http.server.BaseHTTPRequestHandler):
    """Serves ``files`` slowly enough that the page's progress bar moves (64 kB per 15 ms)."""

    files: dict[str, bytes] = {}

    def do_GET(self) -> None:  # noqa: N802 - http.server's name
        body = self.files.get(self.path)
        if body is None:
            self.send_error(404)
            return
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        for i in range(0, len(body), 65536):
            self.wfile.write(body[i:i + 65536])
            time.sleep(0.015)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def model_server() -> Iterator[list[dict[str, Any]]]:
    """A catalog with one pullable model (format ``ct2``: files copied as they are), served locally."""
    model = random.Random(1).randbytes(3 * 1024 * 1024)
    config = json.dumps({"architectures": ["test"], "note": "test model for the settings page"}).encode()
    handler = type("Files", (SlowFiles,), {"files": {"/m/model.bin": model, "/m/config.json": config}})
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    catalog = [{
        "id": "translate-xx-yy", "task": "translation", "engine": "ctranslate2", "format": "ct2",
        "src": "xx", "dst": "yy", "licence": "test only", "base_url": f"http://127.0.0.1:{httpd.server_port}/m",
        "download_bytes_approx": len(model) + len(config),
        "files": [{"name": "model.bin", "sha256": hashlib.sha256(model).hexdigest()},
                  {"name": "config.json", "sha256": hashlib.sha256(config).hexdigest()}],
    }]
    yield catalog
    httpd.shutdown()
    httpd.server_close()
