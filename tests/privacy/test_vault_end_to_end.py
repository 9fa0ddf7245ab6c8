"""Through the companion's HTTP API: nothing personal reaches the disk or the logs in plaintext,
and /v1/erase leaves none of it even in the decrypted pages. (Tests may use the companion; the
privacy package itself never does.)"""

from __future__ import annotations

import logging
import uuid
from pathlib import Path

import pytest

from privacy import keys
from helpers import PORT, Extension  # tests/helpers.py (tests/ is on sys.path via tests/conftest.py)
from vault_helpers import decrypted_pages, files_bytes, found_markers


@pytest.fixture
def app(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    from companion.app import create_app

    monkeypatch.setenv("FEEDLENS_PASSPHRASE", "end-to-end passphrase")
    monkeypatch.setenv("FEEDLENS_HOME", str(tmp_path / "home"))
    app = create_app({"data_dir": tmp_path / "home", "port": PORT})
    yield app
    app.extensions["feedlens"].close()


def test_companion_keeps_no_plaintext_and_erase_removes_everything(app, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    tag = uuid.uuid4().hex[:10]
    m = {k: f"zq{k}{tag}" for k in ("word", "account", "topic", "hidden", "posttext", "author", "mentioned")}
    ext = Extension(app, app.test_client())
    ext.pair()
    r = ext.put("/v1/profile", json={"mutes": {"words": [m["word"]], "accounts": ["@" + m["account"]]},
                                     "topics": [{"text": m["topic"], "action": "collapse"}]})
    assert r.status_code == 200, r.json
    assert ext.post("/v1/feedback", json={"kind": "hide_author", "site": "x", "post_id": "1",
                                          "author": "@" + m["hidden"]}).status_code == 201
    post = {"id": "1", "text": f"{m['posttext']} hello @{m['mentioned']}", "author": "@" + m["author"]}
    assert ext.post("/v1/analyze", json={"site": "x", "posts": [post]}).status_code == 200

    data_dir = app.extensions["feedlens"].cfg["data_dir"]
    key = keys.derive_key("end-to-end passphrase", keys.KdfParams.load(data_dir / keys.KDF_FILE))
    assert found_markers(m, list(files_bytes(data_dir).values())) == []
    inside = found_markers(m, [decrypted_pages(data_dir, key)])
    assert set(inside) == set(m) - {"posttext"}  # the post's text is only ever hashed

    assert ext.post("/v1/erase", json={"keep_pairings": True}).status_code == 200
    assert found_markers(m, [decrypted_pages(data_dir, key)] + list(files_bytes(data_dir).values())) == []
    assert found_markers(m, [caplog.text.encode()]) == []
