"""The settings page's JSON routes do what the page's controls say, on the real vault."""

from __future__ import annotations

import json
import os
import stat
import time

import pytest

from helpers import BASE, Extension
from webtools import CSRF


def _profile_seen_by_extension(web_app, client) -> dict | None:
    """``GET /v1/profile`` as the paired extension; None while that route is still a 501 stub."""
    ext = Extension(web_app, client)
    ext.pair()
    r = ext.get("/v1/profile")
    if r.status_code == 501:
        return None
    assert r.status_code == 200, r.json
    return r.json


def test_a_mute_saved_by_the_settings_page_is_the_profile_the_extension_reads(web_app, session):
    doc = session.get("/settings/api/profile", base_url=BASE).json
    doc["mutes"]["words"].append("crypto")
    saved = session.put("/settings/api/profile", base_url=BASE, json=doc, headers=CSRF)
    assert saved.status_code == 200, saved.json
    assert "crypto" in saved.json["mutes"]["words"] and saved.json["version"] == doc["version"] + 1
    assert "crypto" in web_app.extensions["feedlens"].vault.profile_get()["mutes"]["words"]
    seen = _profile_seen_by_extension(web_app, web_app.test_client())
    if seen is not None:
        assert "crypto" in seen["mutes"]["words"]


def test_an_invalid_profile_is_refused_and_nothing_is_stored(web_app, session):
    before = session.get("/settings/api/profile", base_url=BASE).json
    r = session.put("/settings/api/profile", base_url=BASE, json={**before, "dials": {"hate": "max"}}, headers=CSRF)
    assert r.status_code == 400 and "hate" in r.json["error"]
    assert session.get("/settings/api/profile", base_url=BASE).json == before


def test_settings_are_saved_to_config_json_privately_and_checked(web_app, session, data_dir):
    r = session.post("/settings/api/settings", base_url=BASE, json={"retention_days": 7, "ui_language": "zh"}, headers=CSRF)
    assert r.status_code == 200
    path = data_dir / "config.json"
    assert json.loads(path.read_text())["retention_days"] == 7
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert session.get("/settings/api/state", base_url=BASE).json["retention_days"] == 7
    bad = session.post("/settings/api/settings", base_url=BASE, json={"retention_days": "soon"}, headers=CSRF)
    assert bad.status_code == 400 and "integer" in bad.json["error"]
    other = session.post("/settings/api/settings", base_url=BASE, json={"port": 1}, headers=CSRF)
    assert other.status_code == 400 and "cannot change port" in other.json["error"]


def test_device_offers_only_what_onnxruntime_reports(session):
    import onnxruntime

    state = session.get("/settings/api/state", base_url=BASE).json
    has_gpu = any(p != "CPUExecutionProvider" and p != "AzureExecutionProvider" for p in onnxruntime.get_available_providers())
    assert state["devices"][:2] == ["auto", "cpu"] and ("gpu" in state["devices"]) == has_gpu
    assert session.post("/settings/api/device", base_url=BASE, json={"device": "cpu"}, headers=CSRF).json == {"device": "cpu"}
    if not has_gpu:
        r = session.post("/settings/api/device", base_url=BASE, json={"device": "gpu"}, headers=CSRF)
        assert r.status_code == 400 and "auto, cpu" in r.json["error"]


def test_pairing_requests_can_be_approved_and_pairings_revoked(web_app, session):
    client = web_app.test_client()
    origin = {"Origin": "chrome-extension://settingspagetest"}
    req = client.post("/v1/pair/request", base_url=BASE, headers=origin,
                      json={"extension_id": "settingspagetest", "name": "Chrome at home"}).json
    listed = session.get("/settings/api/pairings", base_url=BASE).json
    assert [p["code"] for p in listed["pending"]] == [req["code"]]
    assert session.get("/settings/api/state", base_url=BASE).json["state"] == "attention"
    assert session.post("/settings/api/pairings/approve", base_url=BASE, json={"code": req["code"]}, headers=CSRF).status_code == 200
    token = client.get(f"/v1/pair/{req['id']}", base_url=BASE, headers=origin).json["token"]
    pairing = session.get("/settings/api/pairings", base_url=BASE).json["pairings"][0]
    assert pairing["name"] == "Chrome at home" and "token_hash" not in pairing
    r = session.post(f"/settings/api/pairings/{pairing['id']}/revoke", base_url=BASE, json={}, headers=CSRF)
    assert r.status_code == 200
    denied = client.get("/v1/status", base_url=BASE, headers={**origin, "Authorization": f"Bearer {token}"})
    assert denied.status_code == 401


def test_pull_reports_progress_to_100_and_remove_deletes(web_app, session, model_server, tmp_path, monkeypatch):
    monkeypatch.setenv("FEEDLENS_MODELS", str(tmp_path / "models"))
    web_app.extensions["feedlens"].cfg["_model_catalog"] = model_server
    models = session.get("/settings/api/models", base_url=BASE).json["models"]
    assert [(m["id"], m["status"]) for m in models] == [("translate-xx-yy", "available")]
    job = session.post("/settings/api/models/translate-xx-yy/pull", base_url=BASE, json={}, headers=CSRF)
    assert job.status_code == 202
    seen = []
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        j = session.get(f"/settings/api/jobs/{job.json['id']}", base_url=BASE).json
        seen.append(j["percent"])
        if j["state"] in ("done", "error"):
            break
        time.sleep(0.05)
    assert j["state"] == "done", j
    assert seen[-1] == 100.0 and any(0 < p < 100 for p in seen), seen
    assert seen == sorted(seen)
    assert (tmp_path / "models" / "translate-xx-yy" / "model.bin").stat().st_size == 3 * 1024 * 1024
    models = session.get("/settings/api/models", base_url=BASE).json["models"]
    assert models[0]["status"] == "installed"
    assert session.delete("/settings/api/models/translate-xx-yy", base_url=BASE, headers=CSRF).status_code == 200
    assert not (tmp_path / "models" / "translate-xx-yy").exists()


def test_pulling_an_unknown_model_says_which_exist(web_app, session, model_server):
    web_app.extensions["feedlens"].cfg["_model_catalog"] = model_server
    r = session.post("/settings/api/models/translate-nope/pull", base_url=BASE, json={}, headers=CSRF)
    assert r.status_code == 400 and "translate-xx-yy" in r.json["error"]


def test_export_downloads_everything_and_erase_needs_the_typed_confirmation(web_app, session):
    from webtools import seed_history

    vault = web_app.extensions["feedlens"].vault
    seed_history(vault, days=2)
    r = session.get("/settings/api/export", base_url=BASE)
    assert r.status_code == 200 and r.headers["Content-Disposition"].startswith("attachment; filename=\"feedlens-export-")
    doc = json.loads(r.data)
    assert doc["format"] == "feedlens-vault-export" and len(doc["seen"]) > 20
    refused = session.post("/settings/api/erase", base_url=BASE, json={"confirm": "yes"}, headers=CSRF)
    assert refused.status_code == 400 and "ERASE" in refused.json["error"]
    assert vault.counts()["seen"] > 20
    assert session.post("/settings/api/erase", base_url=BASE, json={"confirm": "ERASE"}, headers=CSRF).status_code == 200
    assert vault.counts()["seen"] == 0 and vault.counts()["interactions"] == 0


def test_without_a_vault_the_profile_routes_say_why(web_app, session):
    services = web_app.extensions["feedlens"]
    vault, services.vault = services.vault, None
    try:
        r = session.get("/settings/api/profile", base_url=BASE)
        assert r.status_code == 503 and r.json["code"] == "vault_unavailable"
        assert "profile" in r.json["error"]
        page = session.get("/settings", base_url=BASE)
        assert page.status_code == 200 and "unavailable" in page.get_data(as_text=True)
    finally:
        services.vault = vault


@pytest.mark.parametrize("lang, word", [("en", "Mutes and allow-list"), ("zh", "屏蔽与白名单")])
def test_the_page_speaks_english_and_simplified_chinese(session, lang, word):
    page = session.get(f"/settings?lang={lang}", base_url=BASE).get_data(as_text=True)
    assert word in page and (f'lang="{"zh-CN" if lang == "zh" else "en"}"' in page)


@pytest.mark.parametrize("providers, expected", [
    (["CPUExecutionProvider"], ["auto", "cpu"]),
    (["AzureExecutionProvider", "CPUExecutionProvider"], ["auto", "cpu"]),
    (["CUDAExecutionProvider", "CPUExecutionProvider"], ["auto", "cpu", "gpu"]),
    (["DmlExecutionProvider", "CPUExecutionProvider"], ["auto", "cpu", "gpu"]),
    ([], ["auto", "cpu"]),  # onnxruntime missing
])
def test_gpu_is_offered_only_with_a_gpu_execution_provider(web_app, session, monkeypatch, providers, expected):
    from companion.web import controls

    monkeypatch.setattr(controls, "available_providers", lambda: providers)
    assert session.get("/settings/api/state", base_url=BASE).json["devices"] == expected
    if "gpu" in expected:
        r = session.post("/settings/api/device", base_url=BASE, json={"device": "gpu"}, headers=CSRF)
        assert r.status_code == 200 and web_app.extensions["feedlens"].analyzer.device == "gpu"
