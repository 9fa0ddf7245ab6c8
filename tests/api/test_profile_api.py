"""GET/PUT /v1/profile: stored in the vault, validated, versioned."""

from __future__ import annotations

import keyring
import pytest
from keyring.backends import fail

from companion.app import create_app
from helpers import BASE, PORT, Extension, assert_error


def test_profile_starts_with_the_companions_defaults(ext: Extension) -> None:
    r = ext.get("/v1/profile")
    assert r.status_code == 200
    from companion.profile import default_profile

    assert r.json == default_profile()  # version 1, defaults everywhere


def test_put_profile_stores_validates_and_bumps_version(ext: Extension) -> None:
    before = ext.get("/v1/profile").json
    doc = {**before, "languages": ["en", "zh"], "mutes": {**before["mutes"], "words": ["crypto"]},
           "dials": {**before["dials"], "hate": "strict"}}
    r = ext.put("/v1/profile", json=doc)
    assert r.status_code == 200, r.json
    assert r.json["version"] == before["version"] + 1
    assert r.json["languages"] == ["en", "zh"] and r.json["mutes"]["words"] == ["crypto"]
    assert ext.get("/v1/profile").json == r.json
    # The mute lives in the vault's rules table.
    vault = ext.app.extensions["feedlens"].vault
    assert [row["value"] for row in vault.db.query("SELECT value FROM rules WHERE kind = 'words'")] == ["crypto"]


def test_put_invalid_profile_is_400_naming_the_field_and_changes_nothing(ext: Extension) -> None:
    before = ext.get("/v1/profile").json
    body = assert_error(ext.put("/v1/profile", json={"dials": {"hate": "max"}}), 400, "invalid_profile")
    assert "dials.hate" in body["error"] and "strict" in body["error"]
    assert_error(ext.put("/v1/profile", json=["not", "an", "object"]), 400)
    assert_error(ext.put("/v1/profile", data="{nope", headers={"Content-Type": "application/json"}), 400, "invalid_request")
    assert ext.get("/v1/profile").json == before


def test_profile_needs_a_token(client) -> None:
    assert_error(client.get("/v1/profile", base_url=BASE), 401)
    assert_error(client.put("/v1/profile", base_url=BASE, json={}), 401)


def test_profile_survives_a_restart(data_dir) -> None:
    app = create_app({"data_dir": data_dir, "port": PORT})
    ext = Extension(app, app.test_client())
    ext.pair()
    ext.put("/v1/profile", json={"languages": ["pt"]})
    app.extensions["feedlens"].close()
    app2 = create_app({"data_dir": data_dir, "port": PORT})
    try:
        ext2 = Extension(app2, app2.test_client())
        ext2.token = ext.token  # the pairing was kept in the vault too
        r = ext2.get("/v1/profile")
        assert r.status_code == 200 and r.json["languages"] == ["pt"] and r.json["version"] == 2
    finally:
        app2.extensions["feedlens"].close()


def test_locked_vault_answers_503_with_the_way_out_and_pairs_in_memory(data_dir, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("FEEDLENS_PASSPHRASE", raising=False)
    previous = keyring.get_keyring()
    keyring.set_keyring(fail.Keyring())
    try:
        app = create_app({"data_dir": data_dir, "port": PORT})
    finally:
        keyring.set_keyring(previous)
    try:
        services = app.extensions["feedlens"]
        assert services.vault is None and "FEEDLENS_PASSPHRASE" in services.vault_problem
        ext = Extension(app, app.test_client())
        ext.pair()  # pairing still works (in memory) so the extension keeps filtering
        for r in (ext.get("/v1/profile"), ext.get("/v1/export"), ext.post("/v1/feedback", json={"kind": "more"})):
            body = assert_error(r, 503, "vault_locked")
            assert "FEEDLENS_PASSPHRASE" in body["error"]
        assert not (data_dir / "vault.db").exists() and not (data_dir / "pairings.json").exists()
        status = ext.get("/v1/status").json["vault"]
        assert status["open"] is False and "FEEDLENS_PASSPHRASE" in status["problem"]
    finally:
        app.extensions["feedlens"].close()


def test_status_reports_the_open_vault(ext: Extension) -> None:
    assert ext.get("/v1/status").json["vault"] == {"open": True, "key": "passphrase", "problem": None}
