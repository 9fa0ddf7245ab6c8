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
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from companion.app import create_app
from helpers import BASE, PORT
from privacy import keys
from privacy.vault import Vault

from webtools import CSRF, login  # noqa: F401  (shared with the test modules)


@pytest.fixture(autouse=True)
def _passphrase(monkeypatch: pytest.MonkeyPatch) -> None:
    """The vault keyed from a passphrase (no keyring in tests), with cheap scrypt."""
    monkeypatch.setenv(keys.PASSPHRASE_ENV, "feedlens web tests")
    monkeypatch.delenv(keys.PASSPHRASE_FILE_ENV, raising=False)
    monkeypatch.setattr(keys, "SCRYPT_N", 2**14)


def ensure_vault(services: Any) -> Vault:
    """The services' vault; until Services opens one itself, the tests open it and attach it."""
    if getattr(services, "vault", None) is None:
        services.vault = Vault.open(services.cfg["data_dir"])
        services._web_tests_vault = True
    return services.vault


def close_services(services: Any) -> None:
    if getattr(services, "_web_tests_vault", False):
        services.vault.close()
    services.close()


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


# --- feed history for the dashboard ------------------------------------------------------------

ACCOUNTS = {
    "x": ["@ana", "@ben", "@chen", "@dora", "@eli", "@fay"],
    "mastodon": ["@gus@fosstodon.org", "@hana@mstdn.jp", "@ivo@social.coop", "@jun@mstdn.jp"],
    "weibo": ["@小林", "@王芳", "@陈静"],
}
REASONS = {"hide": ["muted_word", "spam", "toxicity"], "collapse": ["topic", "negativity"], "blur": ["offensive", "hate"],
           "badge": ["toxicity"]}


def seed_history(vault: Vault, days: int = 21, seed: int = 3) -> None:
    """Three weeks of plausible feed history: posts, moods, actions with reasons, interactions in
    three clusters (x, mastodon, weibo) with a few bridges. Texts are hashed by the vault."""
    rng = random.Random(seed)
    now = datetime.now(timezone.utc)
    rows, edges = [], []
    langs = {"x": ["en"] * 6 + ["pt", "es"], "mastodon": ["en", "de", "ja"], "weibo": ["zh"]}
    for d in range(days):
        day = now - timedelta(days=days - 1 - d, hours=rng.random() * 3)
        for i in range(rng.randint(25, 60)):
            site = rng.choice(["x", "x", "mastodon", "weibo"])
            author = rng.choice(ACCOUNTS[site])
            bias = sum(map(ord, author)) % 5  # each account has its own tone, so the chart shows some
            mood = rng.choices(["negative", "neutral", "positive"], weights=[1 + bias + (d % 4), 5, 6 - bias])[0]
            action = rng.choices(["show", "badge", "blur", "collapse", "hide"], weights=[30, 3, 2, 3, 4])[0]
            reasons = [] if action == "show" else [rng.choice(REASONS[action])]
            rows.append({"text": f"post {d}-{i}-{rng.random()}", "site": site, "author": author,
                         "lang": rng.choice(langs[site]), "sentiment": {"label": mood, "score": 0.8},
                         "scores": {"toxicity": rng.random() / 3}, "action": action, "reasons": reasons,
                         "time": day.strftime("%Y-%m-%dT%H:%M:%SZ")})
        for _ in range(12):
            site = rng.choice(list(ACCOUNTS))
            src, dst = rng.sample(ACCOUNTS[site], 2)
            if rng.random() < 0.06:  # a bridge between clusters
                dst = rng.choice(ACCOUNTS[rng.choice([s for s in ACCOUNTS if s != site])])
            edges.append({"src": src, "dst": dst, "kind": rng.choice(["reply", "quote", "mention"]), "site": site,
                          "post_hash": f"{d}-{rng.random()}", "time": day.strftime("%Y-%m-%dT%H:%M:%SZ")})
    vault.seen_add_many(rows)
    vault.interactions_add_many(edges)


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
